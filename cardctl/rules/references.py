"""References between the files of a dossier: related records and attachments."""

from __future__ import annotations

import posixpath
import unicodedata
from collections.abc import Iterator

from cardctl.digest import sha256_file
from cardctl.filing import GOES_WITH
from cardctl.model import Record, as_dict, as_list, as_str
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


# kind -> (field naming another record, the kinds that record may have)
TARGETS = {"export-docs": ("shipment", ("shipment",)), "approval": ("of", ("return", "discount"))}
# SPEC §4: a follow-up answers a survey or a complaint
FOLLOWS_UP = ("survey", "complaint")


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
            elif rec.relation[0] == "follow-up" and dossier.by_id[of].kind not in FOLLOWS_UP:
                yield rec.doc.at(["relation", "of"], "R402", f"a follow-up answers a survey or complaint; {of} is {_a(dossier.by_id[of].kind)} record")
            elif _cycle(rec, dossier):
                yield rec.doc.at(["relation", "of"], "R401", "relation.of leads back to this record (a cycle of attachments, drafts or forwards)")
        field, want = TARGETS.get(rec.kind or "", (None, None))
        target = as_str(rec.data.get(field)) if field else None
        if field is not None and target is not None:
            found = dossier.by_id.get(target)
            if found is None:
                yield rec.doc.at([field], "R402", f"{field} names {target}, which is not a record of {dossier.customer}")
            elif found.kind not in want:
                yield rec.doc.at([field], "R402", f"{field} names {target}, which is {_a(found.kind)} record, not {' or '.join(_a(w) for w in want)}")


def _a(word: str | None) -> str:
    word = word or "unknown"
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


def _cycle(rec: Record, dossier: DossierView) -> bool:
    """Does following attachment/draft/forwarded links from `rec` come back to it?"""
    seen = {rec.id}
    current = rec
    while True:
        rel_type, of = current.relation
        if rel_type not in GOES_WITH or of is None or of not in dossier.by_id:
            return False
        if of in seen:
            return of == rec.id
        seen.add(of)
        current = dossier.by_id[of]


def _fold(path: str) -> str:
    return unicodedata.normalize("NFC", path).casefold()


def _near(full: str, on_disk: set[str]) -> str:
    """A hint when a file's name differs only in letter case or Unicode normalisation (NFC/NFD)."""
    near = sorted(p for p in on_disk if _fold(p) == _fold(full))
    return f"; {near[0].rsplit('/', 1)[-1]!r} there differs only in letter case or Unicode normalisation" if near else ""


def attachments(ctx: Context, dossier: DossierView) -> Iterator[Problem]:
    """R403-R405, L309: every attachment is a file under files/ of the record's folder, with its sha256.

    Seed 002 §(二) 3: "归档的资料种数、份数以及每份文件的页数均应齐全完整".
    """
    root = ctx.archive.root
    referenced: set[str] = set()
    # The files the layout scan found: real files, never reached through a link,
    # named exactly as on disk (the same answer on every file system).
    on_disk = set(dossier.files.attachments)
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
            target = ctx.pending.get(full)
            if target is None and full not in on_disk:
                yield rec.doc.at(["attachments", i, "path"], "R403", f"attachment {path} is missing (expected at {full}){_near(full, on_disk)}")
            elif digest is not None and sha256_file(target or root / full) != digest:
                yield rec.doc.at(["attachments", i, "sha256"], "R404", f"attachment {path} does not match its sha256: the file changed or the digest is wrong")
    # A folder with a record that cannot be read (or whose attachments are not
    # a list) may well list the file: say nothing rather than something wrong.
    unsure = {rec.file.folder for rec in dossier.records if not rec.doc.ok or not isinstance(rec.data.get("attachments", []), list)}
    for path in dossier.files.attachments:
        if path not in referenced and path.split("/files/", 1)[0] not in unsure:
            yield Problem(path, 1, 1, "L309", "no record lists this file among its attachments")

