"""`cardctl index`: the register and one catalogue per dossier (seed 000 §二).

"每一类档案都应有完整的、编号的目录，便于查阅和定位". The catalogue is derived
from the archive alone, with explicit sort keys and no clock, so the same
archive gives the same bytes on every machine.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cardctl import filing, ordering, schedule
from cardctl.gitrepo import git_blob_id
from cardctl.archive import Archive
from cardctl.categories import CATEGORIES
from cardctl.model import Record, as_str
from cardctl.rules import DossierView
from cardctl.model import as_dict, as_list
from cardctl.yamlio import read_document

REGISTER = "catalogue/register.csv"
REGISTER_COLUMNS = ("id", "name", "type", "status", "grade", "credit_grade", "region", "route", "owner", "since",
                    "last_contact", "next_contact", *CATEGORIES)
MD_HEADER = ("件号", "档号", "文号", "责任者", "题名", "日期", "页数", "保管期限", "密级", "备注")
BOM = "\ufeff"


def supplied_title(data: dict[str, Any], label: str) -> str:
    """The record's title, or one cardctl supplies in [ ] (archival practice for supplied titles)."""
    title = as_str(data.get("title"))
    if title:
        return title
    detail = next((as_str(data.get(k)) for k in ("doc_no", "order_no", "contract_no", "purpose", "summary") if as_str(data.get(k))), None)
    detail = (detail or "")[:30]
    return f"[{label} {detail}]".replace(" ]", "]") if detail else f"[{label}]"


@dataclass(frozen=True)
class Item:
    record: Record
    category: str
    year: str
    number: int  # item number within the category of the dossier
    provisional: str  # 临<year>-<nnnn> until the year is closed
    reference: str | None  # the final reference code once sealed


def items(archive: Archive, view: DossierView, references: dict[str, str] | None = None) -> list[Item]:
    """The dossier's records in catalogue order: category, filing year, then the volume order."""
    out: list[Item] = []
    references = references or {}
    for category in CATEGORIES:
        number = 0
        years = sorted({r.file.year for r in view.records if r.file.category == category and r.doc.ok})
        for year in years:
            group = [r for r in view.records if r.file.category == category and r.file.year == year and r.doc.ok]
            for n, rec in enumerate(ordering.in_order(group), start=1):
                number += 1
                out.append(Item(rec, category, year, number, f"临{year}-{n:04d}", references.get(rec.id)))
    return out


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return " ".join(text.replace("|", "\\|").split())


def dossier_markdown(archive: Archive, view: DossierView, references: dict[str, str] | None = None) -> str:
    kinds = archive.schemas.kinds
    settings = archive.settings
    name = view.card.get("name") if view.card else ""
    lines = [f"# {view.customer} {name or ''}".rstrip(), "", "客户档案目录（由 `cardctl index` 生成，请勿手工修改）", ""]
    catalogue = items(archive, view, references)
    for category, (no, title) in CATEGORIES.items():
        lines += [f"## {no} {title} ({category})", ""]
        rows = [i for i in catalogue if i.category == category]
        if not rows:
            lines += ["（无）", ""]
            continue
        lines.append("| " + " | ".join(MD_HEADER) + " |")
        lines.append("|" + "---|" * len(MD_HEADER))
        for item in rows:
            rec = item.record
            kind = kinds.get(rec.kind or "")
            label = kind.label if kind else (rec.kind or "")
            retention = filing.retention_of(rec, kind.retention if kind else "D10", settings.retention)
            day = rec.date.strftime("%Y%m%d") if rec.date else ""
            pages = rec.data.get("pages", 1)
            cells = (item.number, item.reference or item.provisional, rec.data.get("doc_no"), rec.data.get("author"),
                     supplied_title(rec.data, label), day, pages, retention, rec.data.get("classification", "internal"), rec.data.get("notes"))
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def register_row(archive: Archive, view: DossierView) -> list[str] | None:
    """One row of register.csv (None for a dossier whose card cannot be read)."""
    if view.card is None or not view.card.doc.ok:
        return None
    data = view.card.data
    plan = schedule.plan(data, view.records, archive.settings)
    counts = {c: sum(1 for r in view.records if r.file.category == c) for c in CATEGORIES}
    credit = data.get("credit") if isinstance(data.get("credit"), dict) else {}
    row = {
        **{k: as_str(data.get(k)) for k in ("name", "type", "status", "grade", "region", "route", "owner", "since")},
        "id": view.customer,
        "credit_grade": as_str(credit.get("grade")),
        "last_contact": plan.last_contact.isoformat() if plan.last_contact else None,
        "next_contact": plan.next.date.isoformat() if plan.next else None,
        **counts,
    }
    return ["" if row[c] is None else str(row[c]) for c in REGISTER_COLUMNS]


def register_csv(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(REGISTER_COLUMNS)
    writer.writerows(rows)
    return BOM + buf.getvalue()


def sealed_references(root: Path, volumes: list[str]) -> dict[str, str]:
    """Record id -> its final reference code (档号), from a dossier's sealed volume files."""
    refs: dict[str, str] = {}
    for rel in sorted(v for v in volumes if v.endswith(".yaml")):
        path = root / rel
        doc = read_document(path.read_bytes(), path.name)
        for entry in as_list(doc.data.get("catalogue") if doc.ok else None):
            record, code = as_str(as_dict(entry).get("record")), as_str(as_dict(entry).get("reference"))
            if record and code:
                refs[record] = code
    return refs


@dataclass
class Catalogue:
    files: dict[str, bytes] = field(default_factory=dict)  # path -> expected bytes
    current: set[str] = field(default_factory=set)  # pages known to be up to date on disk (from the cache)
    unreadable: list[str] = field(default_factory=list)  # customers whose card cannot be read: no register row


def build(archive: Archive, cached: bool = False) -> Catalogue:
    """The whole catalogue, one dossier at a time (in worker processes for a large archive).

    `cached`: a dossier git finds unchanged, whose page on disk is the one
    rendered for it last time, is not read again (see dossier_cache).
    """
    from cardctl import dossier_cache, dossiers

    store = dossier_cache.open_store(archive, dossier_cache.CATALOGUE) if cached else None

    def one(arc: Archive, customer: str) -> tuple[str, bytes, list[str] | None, str | None]:
        if store is not None:
            store.watch(arc)
        view = dossiers.view(arc, customer)[0]
        references = sealed_references(arc.root, view.files.volumes)
        markdown = dossier_markdown(arc, view, references).encode("utf-8")
        key = store.seen(arc, customer, view.files) if store is not None else None
        return customer, markdown, register_row(arc, view), key

    cat = Catalogue()
    rows: dict[str, list[str] | None] = {}
    ids = archive.customer_ids()
    for customer in ids if store is not None else []:
        held = store.get(customer)
        page = f"catalogue/{customer}.md"
        if isinstance(held, list) and len(held) == 2 and held[0] == store.git.pages.get(page) and (held[1] is None or isinstance(held[1], list)):
            cat.current.add(page)
            rows[customer] = held[1]
    todo = [c for c in ids if c not in rows]
    for customer, markdown, row, key in dossiers.each(archive, todo, one, label="indexing"):
        cat.files[f"catalogue/{customer}.md"] = markdown
        rows[customer] = row
        if store is not None:
            store.put(customer, key, [git_blob_id(markdown), row])
    if store is not None:
        store.forget_others(ids)
        store.save()
    cat.unreadable = [c for c in ids if rows[c] is None]
    cat.files[REGISTER] = register_csv([row for c in ids if (row := rows[c]) is not None]).encode("utf-8")
    return cat


@dataclass
class Difference:
    path: str
    what: str  # missing | stale | obsolete


def compare(root: Path, cat: Catalogue) -> list[Difference]:
    """How the catalogue on disk differs from what `index` would write."""
    diffs = []
    for path, data in sorted(cat.files.items()):
        target = root / path
        if not target.is_file():
            diffs.append(Difference(path, "missing"))
        elif target.read_bytes() != data:
            diffs.append(Difference(path, "stale"))
    folder = root / "catalogue"
    if folder.is_dir():
        for name in sorted(os.listdir(folder)):  # names, not Paths: sorting 10 000 Paths takes 0.3 s
            rel = f"catalogue/{name}"
            if rel in cat.files or rel in cat.current:
                continue  # 10 000 pages: no Path made for each of them (0.08 s)
            if (os.path.splitext(name)[1] == ".md" or name == "register.csv") and (folder / name).is_file():
                diffs.append(Difference(rel, "obsolete"))
    return diffs
