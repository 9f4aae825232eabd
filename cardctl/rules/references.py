"""References between the files of a dossier: related records and attachments."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from cardctl.digest import sha256_file
from cardctl.model import as_dict, as_list, as_str
from cardctl.problems import Problem
from cardctl.rules import Context, DossierView


def unique_ids(ctx: Context, dossier: DossierView) -> Iterator[Problem]:
    """R406: a record id names one record of the dossier (SPEC §1)."""
    first: dict[str, str] = {}
    for rec in dossier.records:
        if not rec.doc.ok:
            continue
        if rec.id in first:
            yield rec.doc.at(["id"], "R406", f"record id {rec.id} is also used by {first[rec.id]}")
        else:
            first[rec.id] = rec.path


# kind -> (field naming another record, the kind that record must have)
TARGETS = {"export-docs": ("shipment", "shipment"), "approval": ("of", None)}


def related_records(ctx: Context, dossier: DossierView) -> Iterator[Problem]:
    """R401, R402: relation.of, export-docs.shipment and approval.of name records of this dossier.

    Seed 002 §(二) 4: a main text and its attachments, a request and its reply
    are kept together; that needs the link to point at a real record.
    """
    for rec in dossier.records:
        if not rec.doc.ok:
            continue
        _, of = rec.relation
        if of is not None:
            if of == rec.id:
                yield rec.doc.at(["relation", "of"], "R401", "relation.of points at the record itself")
            elif of not in dossier.by_id:
                yield rec.doc.at(["relation", "of"], "R401", f"relation.of names {of}, which is not a record of {dossier.customer}")
        field, want = TARGETS.get(rec.kind or "", (None, None))
        target = as_str(rec.data.get(field)) if field else None
        if field is not None and target is not None:
            found = dossier.by_id.get(target)
            if found is None:
                yield rec.doc.at([field], "R402", f"{field} names {target}, which is not a record of {dossier.customer}")
            elif want is not None and found.kind != want:
                yield rec.doc.at([field], "R402", f"{field} names {target}, which is a {found.kind} record, not a {want}")


def attachments(ctx: Context, dossier: DossierView) -> Iterator[Problem]:
    """R403-R405, L309: every attachment is a file under files/ of the record's folder, with its sha256.

    Seed 002 §(二) 3: "归档的资料种数、份数以及每份文件的页数均应齐全完整".
    """
    root = ctx.archive.root
    referenced: set[str] = set()
    for rec in dossier.records:
        for i, item in enumerate(as_list(rec.data.get("attachments"))):
            path, digest = as_str(as_dict(item).get("path")), as_str(as_dict(item).get("sha256"))
            if path is None:
                continue
            norm = posixpath.normpath(path)
            if path.startswith("/") or not norm.startswith("files/"):
                yield rec.doc.at(["attachments", i, "path"], "R405", f"attachment {path} is outside files/ of the record's folder")
                continue
            full = f"{rec.file.folder}/{norm}"
            referenced.add(full)
            target = root / full
            if not target.is_file() or target.is_symlink():
                yield rec.doc.at(["attachments", i, "path"], "R403", f"attachment {path} is missing (expected at {full})")
            elif digest is not None and sha256_file(target) != digest:
                yield rec.doc.at(["attachments", i, "sha256"], "R404", f"attachment {path} does not match its sha256: the file changed or the digest is wrong")
    for path in dossier.files.attachments:
        if path not in referenced:
            yield Problem(path, 1, 1, "L309", "no record lists this file among its attachments")

