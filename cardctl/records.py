"""Filing a new record (`record add`, `visit add`): plan, check, write, commit.

The new record is placed by the filing rules, checked with the rules of
`validate` against its dossier as it will be, and only then written. A reply
to a request whose year is still open moves the request (with its
attachments and drafts) into the reply's year folder, as seed 002 §(二) 5
asks ("跨年度的请示与批复，放在复文年立卷").

Running the same command again after it was killed finishes what the
killed run began: an attachment it copied is reused, a request it moved
already has the rest of its files moved after it, and the commit takes in
all of it (see `RecordPlan.settled`).
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from cardctl import filing, layout
from cardctl.archive import Archive
from cardctl.customers import WriteResult
from cardctl.digest import sha256_file
from cardctl.errors import CannotRun, Rejected, UsageError
from cardctl.layout import RecordFile
from cardctl.model import Record, as_date, as_dict, as_list, as_str
from cardctl.rules import Context, DossierView
from cardctl.rules.schema import suggest
from cardctl.schemas import Kind
from cardctl.writes import WritePlan
from cardctl.yamlio import Document, dump_new, read_document

@dataclass
class RecordPlan(WritePlan):
    """A record's plan, plus `settled`: files already where the plan puts them that its commit must take in.

    They are left by an interrupted run of the same command (a copied
    attachment, a request moved into its reply's year, the place it was moved
    from) or reused (an attachment with the same bytes). Nothing is written
    for them; committing them keeps the commit whole: a record never lands in
    git without the files it names.
    """

    settled: set[str] = field(default_factory=set)

    @property
    def touched(self) -> list[str]:
        return sorted({*super().touched, *self.settled})


SUFFIX_ALPHABET = string.ascii_lowercase + string.digits
ENVELOPE_HEAD = ("id", "kind", "date", "title", "author", "doc_no", "pages", "retention", "classification", "relation", "expects_reply", "period")
ENVELOPE_TAIL = ("attachments", "notes")


def new_id(day: date, kind: str, taken: set[str]) -> str:
    """`<date>-<kind>-<suffix>`: the random suffix keeps ids apart across clones (SPEC §1)."""
    while True:
        rid = f"{day.isoformat()}-{kind}-{''.join(secrets.choice(SUFFIX_ALPHABET) for _ in range(4))}"
        if rid not in taken:
            return rid


def ordered(data: dict[str, Any], kind: Kind) -> dict[str, Any]:
    """Keys in a fixed order, so files read alike and a changed field is a one-line diff."""
    order = [*ENVELOPE_HEAD, *(k for k in kind.schema["properties"] if k not in ENVELOPE_HEAD + ENVELOPE_TAIL)]
    head = {k: data[k] for k in order if k in data}
    extra = {k: v for k, v in data.items() if k not in head and k not in ENVELOPE_TAIL}
    tail = {k: data[k] for k in ENVELOPE_TAIL if k in data}
    return {**head, **extra, **tail}


def kind_named(archive: Archive, name: str) -> Kind:
    kinds = archive.schemas.kinds
    if name not in kinds:
        raise UsageError(f"unknown record kind {name!r}{suggest(name, kinds)}; kinds: {', '.join(sorted(kinds))}")
    return kinds[name]


def _safe_name(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "-_.+" else "-" for ch in name).strip(".-")
    return cleaned or "file"


def _attachment_target(archive: Archive, folder: str, source: Path, planned: dict[str, Path]) -> tuple[str, str, bool]:
    """(path under the record folder, sha256, whether to copy): a file with the same bytes is reused."""
    digest = sha256_file(source)
    name = _safe_name(source.name)
    stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
    n = 1
    while True:
        rel = f"files/{name}"
        full = f"{folder}/{rel}"
        on_disk = archive.root / full
        taken_by = planned.get(full)
        if taken_by is None and not on_disk.exists():
            return rel, digest, True
        if taken_by is not None and sha256_file(taken_by) == digest:
            return rel, digest, False
        if taken_by is None and on_disk.is_file() and sha256_file(on_disk) == digest:
            return rel, digest, False
        n += 1
        name = f"{stem}-{n}{dot}{ext}"


def _moved(rec: Record, year: int) -> Record:
    """The record as it will be after moving to another year folder."""
    path = f"{rec.file.folder.rsplit('/', 1)[0]}/{year}/{rec.file.stem}.yaml"
    doc = Document(path, rec.doc.text, rec.doc.data, [])
    return Record(replace(rec.file, path=path, year=str(year)), doc)


def add(
    archive: Archive,
    customer: str,
    kind_name: str,
    fields: dict[str, Any],
    attach: list[Path] | None = None,
) -> tuple[WriteResult, RecordPlan]:
    """Plan and check a new record; nothing is written here (see `write`)."""
    archive.require_sound_settings()
    kind = kind_named(archive, kind_name)
    if "id" in fields:
        raise UsageError("the record id is assigned by cardctl; leave `id` out")
    if fields.get("kind", kind_name) != kind_name:
        raise UsageError(f"the input says kind {fields.get('kind')!r} but the command files a record of kind {kind_name}")
    day = as_date(fields.get("date"))
    if day is None:
        raise UsageError(f"date {fields.get('date')!r} is not a real date in the form YYYY-MM-DD")
    card = archive.card(customer)
    files = layout.scan_dossier(archive.root, customer)
    existing = archive.records(files)
    rid = new_id(day, kind.name, {f.stem for f in files.records})
    data = ordered({**fields, "id": rid, "kind": kind.name}, kind)

    # Where does it go, and does anything have to move with it?
    provisional = Record(RecordFile("", customer, kind.category, str(day.year), rid), Document("", None, data, []))
    before = DossierView(files, card, existing)
    after = DossierView(files, card, [*existing, provisional])
    closed = archive.settings.closed_years
    placed = filing.filing_year(provisional, after.by_id, after.replies, closed)
    year = placed[0] if placed else day.year
    if year in closed:
        raise UsageError(
            f"{year} is closed: its volumes are sealed. File a late document in the current year "
            f"(--date {date.today().isoformat()}) with a note naming the sealed volume, e.g. --set notes='补归档，原属 {year} 年卷'"
        )
    folder = f"customers/{customer}/{kind.category}/{year}"
    plan = RecordPlan(archive.root)
    for source in attach or []:
        if not source.is_file():
            raise UsageError(f"--attach {source}: " + ("is a folder; attach the files in it one by one" if source.is_dir() else "no such file"))
        rel, digest, copy = _attachment_target(archive, folder, source, plan.copy)
        if copy:
            plan.copy[f"{folder}/{rel}"] = source
        else:
            plan.settled.add(f"{folder}/{rel}")
        data.setdefault("attachments", [])
        if not any(as_dict(a).get("path") == rel for a in as_list(data["attachments"])):
            data["attachments"].append({"path": rel, "sha256": digest})
    data = ordered(data, kind)
    path = f"{folder}/{rid}.yaml"
    text = dump_new(data)
    new = Record(RecordFile(path, customer, kind.category, str(year), rid), read_document(text.encode("utf-8"), path))

    records: list[Record] = []
    for rec in existing:
        was = filing.filing_year(rec, before.by_id, before.replies, closed)
        now = filing.filing_year(rec, after.by_id, after.replies, closed)
        if was and now and str(was[0]) == rec.file.year and now[0] != was[0]:
            moved = _moved(rec, now[0])
            plan.move[rec.path] = moved.path
            _move_attachments(archive, rec, rec.file.folder, moved.file.folder, plan)
            rec = moved
        elif was and now and str(now[0]) == rec.file.year and now[0] != was[0]:
            # Already where the new record puts it: a killed run of this command moved it.
            origin = f"{rec.file.folder.rsplit('/', 1)[0]}/{was[0]}"
            plan.settled.add(rec.path)
            plan.settled.update(_committed_but_gone(archive, [f"{origin}/{rec.file.stem}.yaml"]))
            _move_attachments(archive, rec, origin, rec.file.folder, plan)
        records.append(rec)
    plan.create[path] = text.encode("utf-8")
    _refuse_findings(archive, DossierView(files, card, [*records, new]), plan, f"the new {kind.name} is invalid; nothing was written")
    return WriteResult(rid, path, plan.written), plan


def _move_attachments(archive: Archive, rec: Record, source: str, target: str, plan: RecordPlan) -> None:
    """Plan the move of a moving record's attachments; those a killed run moved already are settled."""
    for item in as_list(rec.data.get("attachments")):
        rel = as_str(as_dict(item).get("path"))
        if not rel:
            continue
        if (archive.root / source / rel).is_file():
            plan.move[f"{source}/{rel}"] = f"{target}/{rel}"
        elif (archive.root / target / rel).is_file():
            plan.settled.add(f"{target}/{rel}")
            plan.settled.update(_committed_but_gone(archive, [f"{source}/{rel}"]))


def _committed_but_gone(archive: Archive, paths: list[str]) -> list[str]:
    """Those of `paths` that git has and the work tree no longer has: their removal belongs in the commit."""
    from cardctl import gitrepo

    try:
        gone = set(gitrepo.dirty_paths(archive.root))
    except CannotRun:  # no git at all: nothing to commit either
        return []
    return [p for p in paths if p in gone and not (archive.root / p).exists()]


def _refuse_findings(archive: Archive, view: DossierView, plan: WritePlan, message: str) -> None:
    """Check the dossier as it will be; errors in what the plan writes refuse it."""
    from cardctl.validate import check_dossier

    pending = {**plan.copy, **{target: archive.root / source for source, target in plan.move.items()}}
    ctx = Context(archive, pending=pending)
    mine = set(plan.written)
    errors = sorted(p for p in check_dossier(ctx, view, schema_for=mine) if p.path in mine and p.severity == "error")
    if errors:
        raise Rejected(message, errors)

