"""What changed between two states of the archive, in archive terms (SPEC §8).

A reviewer needs "KH0042: credit.limit 500000.00 -> 800000.00; 3 visits
added; a sealed 2024 volume was touched", not YAML lines. Each changed path
is classified by the layout (card, record, attachment, volume, seal,
settings) and YAML files are compared field by field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cardctl import gitrepo
from cardctl.catalogue import supplied_title
from cardctl.categories import CATEGORIES
from cardctl.layout import CUSTOMER_ID
from cardctl.locate import SETTINGS_FILE
from cardctl.settings import from_data
from cardctl.yamlio import Document, read_document

RECORD_PATH = re.compile(r"^customers/([^/]+)/([a-z]+)/([0-9]{4})/([^/]+)\.yaml$")
FILE_PATH = re.compile(r"^customers/([^/]+)/([a-z]+)/([0-9]{4})/files/(.+)$")


@dataclass
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass
class RecordChange:
    category: str
    year: str
    id: str
    kind: str
    title: str
    change: str  # added | changed | removed | moved
    path: str
    old_path: str | None = None
    fields: list[FieldChange] = field(default_factory=list)


@dataclass
class CustomerChange:
    id: str
    name: str = ""
    change: str = "changed"  # added | removed | changed
    card: list[FieldChange] = field(default_factory=list)
    records: list[RecordChange] = field(default_factory=list)
    attachments: list[tuple[str, str]] = field(default_factory=list)  # (change, path)


@dataclass
class Sealed:
    path: str
    change: str
    why: str


@dataclass
class Changes:
    base: str
    target: str
    customers: list[CustomerChange] = field(default_factory=list)
    settings: list[FieldChange] = field(default_factory=list)
    sealed: list[Sealed] = field(default_factory=list)
    other: list[tuple[str, str]] = field(default_factory=list)  # (change, path): schemas ...
    closing: dict[int, int] = field(default_factory=dict)  # year closed by this change -> volumes sealed
    catalogue: int = 0  # catalogue files regenerated

    @property
    def empty(self) -> bool:
        return not (self.customers or self.settings or self.sealed or self.other or self.closing or self.catalogue)


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings and lists as dotted paths: {"credit.limit": ..., "contacts.0.phone": ...}."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, sub in value.items():
            out.update(flatten(sub, f"{prefix}{key}."))
        return out if out or not prefix else {prefix[:-1]: {}}
    if isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value) and prefix:
        return {prefix[:-1]: value}  # a list of plain values reads best whole: [2024] -> [2024, 2025]
    if isinstance(value, list):
        out = {}
        for i, sub in enumerate(value):
            out.update(flatten(sub, f"{prefix}{i}."))
        return out if out or not prefix else {prefix[:-1]: []}
    return {prefix[:-1]: value}


def field_changes(old: Any, new: Any) -> list[FieldChange]:
    a, b = flatten(old if isinstance(old, dict) else {}), flatten(new if isinstance(new, dict) else {})
    keys = list(a) + [k for k in b if k not in a]
    return [FieldChange(k, a.get(k), b.get(k)) for k in keys if a.get(k) != b.get(k) or (k in a) != (k in b)]


class _Side:
    """One side of the comparison: a commit, or the work tree (rev None)."""

    def __init__(self, root: Path, rev: str | None) -> None:
        self.root, self.rev = root, rev

    def doc(self, path: str | None) -> Document | None:
        if path is None:
            return None
        raw = None if self.rev == gitrepo.EMPTY_TREE else gitrepo.read_at(self.root, self.rev, path)
        return read_document(raw, path) if raw is not None else None

    def closed_years(self) -> frozenset[int]:
        doc = self.doc(SETTINGS_FILE)
        return from_data(doc.data if doc is not None else None).closed_years


def _data(doc: Document | None) -> dict[str, Any]:
    return doc.data if doc is not None and isinstance(doc.data, dict) else {}


def _label(archive_kinds: dict[str, Any], data: dict[str, Any], stem: str) -> tuple[str, str]:
    kind = data.get("kind") if isinstance(data.get("kind"), str) else stem.split("-")[3] if stem.count("-") >= 4 else "?"
    info = archive_kinds.get(kind)
    return kind, supplied_title(data, info.label if info else kind)


PERSONAL = re.compile(r"^contacts\.[0-9]+\.personal(\.|$)")
HIDDEN = "(personal data: --personal shows it)"


def hide_personal(changes: list[FieldChange]) -> list[FieldChange]:
    """Card changes with contacts' personal notes masked (SPEC §3): a diff ends up in CI logs and pull requests."""
    return [FieldChange(c.field, None if c.old is None else HIDDEN, None if c.new is None else HIDDEN) if PERSONAL.match(c.field) else c
            for c in changes]


def compare(root: Path, base: str, target: str | None, kinds: dict[str, Any], only: str | None = None, personal: bool = False) -> Changes:
    """The changes from commit `base` to commit `target` (None: the work tree); personal notes only when asked."""
    before, after = _Side(root, base), _Side(root, target)
    result = Changes(base, target or "working tree")
    closed_before = before.closed_years()
    newly_closed = after.closed_years() - closed_before
    customers: dict[str, CustomerChange] = {}

    def customer(cid: str) -> CustomerChange:
        return customers.setdefault(cid, CustomerChange(cid))

    for status, path, old_path in sorted(gitrepo.changed_files(root, base, target), key=lambda c: c[1]):
        change = {"A": "added", "M": "changed", "D": "removed", "R": "moved"}[status]
        parts = path.split("/")
        if only is not None and not (len(parts) > 1 and parts[0] == "customers" and parts[1] == only):
            continue
        if change == "added" and _closes(path, newly_closed):
            year = int(re.findall(r"/([0-9]{4})/VOLUME-|^seals/([0-9]{4})", path)[0][0] or path[6:10])
            result.closing[year] = result.closing.get(year, 0) + (path.endswith(".yaml") and "/VOLUME-" in path)
            continue
        sealed = _sealed_reason(path, old_path, closed_before)
        if sealed:
            result.sealed.append(Sealed(path, change, sealed))
        if path.startswith("catalogue/"):
            result.catalogue += 1
        elif path == SETTINGS_FILE:
            result.settings = field_changes(_data(before.doc(path)), _data(after.doc(path)))
        elif len(parts) == 3 and parts[0] == "customers" and parts[2] == "card.yaml" and CUSTOMER_ID.match(parts[1]):
            entry = customer(parts[1])
            old, new = _data(before.doc(path)), _data(after.doc(path))
            entry.change = {"added": "added", "removed": "removed"}.get(change, "changed")
            entry.name = str(new.get("name") or old.get("name") or "")
            if change == "changed":
                entry.card = field_changes(old, new) if personal else hide_personal(field_changes(old, new))
        elif (m := RECORD_PATH.match(path)) and not m.group(4).startswith("VOLUME-"):
            cid, category, year, stem = m.groups()
            old_doc, new_doc = before.doc(old_path or path), after.doc(path)
            data = _data(new_doc) or _data(old_doc)
            kind, title = _label(kinds, data, stem)
            rec = RecordChange(category, year, stem, kind, title, change, path, old_path)
            if change in ("changed", "moved"):
                rec.fields = field_changes(_data(old_doc), _data(new_doc))
            customer(cid).records.append(rec)
        elif m := FILE_PATH.match(path):
            customer(m.group(1)).attachments.append((change, path))
        elif not sealed:
            result.other.append((change, path))
    for entry in customers.values():
        if not entry.name:
            card = _data(after.doc(f"customers/{entry.id}/card.yaml")) or _data(before.doc(f"customers/{entry.id}/card.yaml"))
            entry.name = str(card.get("name") or "")
    result.customers = [customers[c] for c in sorted(customers)]
    return result


def _closes(path: str, years: frozenset[int]) -> bool:
    """Is `path` a volume or seal that this change writes by closing a year?"""
    m = re.match(r"^customers/[^/]+/[a-z]+/([0-9]{4})/VOLUME-|^seals/([0-9]{4})\.yaml$", path)
    return bool(m) and int(m.group(1) or m.group(2)) in years


def _sealed_reason(path: str, old_path: str | None, closed: frozenset[int]) -> str:
    if path.startswith("seals/"):
        return "a seal"
    for p in filter(None, (path, old_path)):
        m = re.match(r"^customers/[^/]+/[a-z]+/([0-9]{4})/", p)
        if m and int(m.group(1)) in closed:
            return f"{m.group(1)} is closed" + (": a volume file" if "/VOLUME-" in p else "")
    return "a volume file" if "/VOLUME-" in path else ""


# --- rendering ----------------------------------------------------------------

SIGN = {"added": "+", "removed": "-", "changed": "~", "moved": ">"}


def _value(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return str(value)


def _fields(changes: list[FieldChange]) -> str:
    return "; ".join(f"{c.field} {_value(c.old)} → {_value(c.new)}" for c in changes)


def summary_lines(entry: CustomerChange) -> list[str]:
    """Counts per category, e.g. 'basic: 3 visits added'."""
    lines = []
    for category in CATEGORIES:
        recs = [r for r in entry.records if r.category == category]
        if not recs:
            continue
        counts: dict[tuple[str, str], int] = {}
        for r in recs:
            counts[(r.kind, r.change)] = counts.get((r.kind, r.change), 0) + 1
        lines.append(f"{category}: " + ", ".join(f"{n} {kind} {change}" for (kind, change), n in counts.items()))
    return lines


def render_text(ch: Changes) -> str:
    if ch.empty:
        return f"{ch.base} → {ch.target}: no changes to the archive"
    out = [f"{ch.base} → {ch.target}"]
    for entry in ch.customers:
        head = f"{entry.id} {entry.name}".rstrip()
        out.append(f"{head} ({entry.change})" if entry.change != "changed" else head)
        if entry.card:
            out.append(f"  card: {_fields(entry.card)}")
        for line in summary_lines(entry):
            out.append(f"  {line}")
        for r in entry.records:
            moved = f" (from {r.old_path})" if r.old_path else ""
            detail = f": {_fields(r.fields)}" if r.fields else ""
            out.append(f"    {SIGN[r.change]} {r.id} {r.title}{moved}{detail}")
        for change, path in entry.attachments:
            out.append(f"  attachment {change}: {path}")
    if ch.settings:
        out.append(f"settings: {_fields(ch.settings)}")
    for year, volumes in sorted(ch.closing.items()):
        out.append(f"closes {year}: {volumes} volume(s) sealed")
    if ch.catalogue:
        out.append(f"catalogue: {ch.catalogue} file(s) regenerated")
    for change, path in ch.other:
        out.append(f"{change}: {path}")
    for s in ch.sealed:
        out.append(f"⚠ SEALED {s.change}: {s.path} ({s.why})")
    return "\n".join(out)


def render_markdown(ch: Changes) -> str:
    if ch.empty:
        return f"**cardctl diff** `{ch.base}` → `{ch.target}`: no changes to the archive."
    out = [f"### cardctl diff `{ch.base}` → `{ch.target}`", ""]
    if ch.sealed:
        out += [f"> ⚠️ **{len(ch.sealed)} change(s) touch sealed volumes or seals**", ""]
        out += [f"> - {s.change} `{s.path}` ({s.why})" for s in ch.sealed] + [""]
    for entry in ch.customers:
        tag = f" — {entry.change}" if entry.change != "changed" else ""
        out.append(f"**{entry.id} {entry.name}**{tag}")
        if entry.card:
            out += [f"- card `{c.field}`: {_value(c.old)} → {_value(c.new)}" for c in entry.card]
        for r in entry.records:
            detail = f" ({_fields(r.fields)})" if r.fields else ""
            out.append(f"- {r.change} {r.category} {r.kind} `{r.id}` {r.title}{detail}")
        out += [f"- attachment {change} `{path}`" for change, path in entry.attachments]
        out.append("")
    if ch.settings:
        out += [f"- settings `{c.field}`: {_value(c.old)} → {_value(c.new)}" for c in ch.settings] + [""]
    out += [f"- closes {year}: {n} volume(s) sealed" for year, n in sorted(ch.closing.items())]
    out += [f"- catalogue: {ch.catalogue} file(s) regenerated"] if ch.catalogue else []
    out += [f"- {change} `{path}`" for change, path in ch.other]
    return "\n".join(out).rstrip() + "\n"


def as_json(ch: Changes) -> dict[str, Any]:
    def fields(items: list[FieldChange]) -> list[dict[str, Any]]:
        return [{"field": c.field, "old": c.old, "new": c.new} for c in items]

    return {
        "from": ch.base,
        "to": ch.target,
        "customers": [
            {"id": e.id, "name": e.name, "change": e.change, "card": fields(e.card),
             "records": [{"category": r.category, "year": r.year, "id": r.id, "kind": r.kind, "title": r.title, "change": r.change,
                          "path": r.path, "old_path": r.old_path, "fields": fields(r.fields)} for r in e.records],
             "attachments": [{"change": c, "path": p} for c, p in e.attachments]}
            for e in ch.customers
        ],
        "settings": fields(ch.settings),
        "sealed": [{"path": s.path, "change": s.change, "why": s.why} for s in ch.sealed],
        "closing": [{"year": y, "volumes": n} for y, n in sorted(ch.closing.items())],
        "catalogue": ch.catalogue,
        "other": [{"change": c, "path": p} for c, p in ch.other],
    }

