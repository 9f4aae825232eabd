"""Customer use cases: find, add, list, show and edit cards (SPEC §5)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

from cardctl import assign, layout, schedule
from cardctl.archive import Archive
from cardctl.categories import CATEGORIES
from cardctl.errors import Rejected, UsageError
from cardctl.model import Card, as_dict, as_str
from cardctl.problems import Problem
from cardctl.rules import Context, DossierView
from cardctl.rules.customers import duplicate_identities, identity, normal_name, uscc_check_character
from cardctl.rules.people import staff_listed
from cardctl.rules.placement import card_in_its_folder
from cardctl.rules.schema import card_problems
from cardctl.writes import WritePlan
from cardctl.yamlio import Document, RoundTrip, dump_new, read_document


@dataclass
class WriteResult:
    """What a write command did: SPEC §5 `{"id", "path", "files"}`."""

    id: str
    path: str
    files: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    changed: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "path": self.path, "files": self.files}


def card_path(customer: str) -> str:
    return f"customers/{customer}/card.yaml"


# --- finding a customer ---------------------------------------------------------


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def find(archive: Archive, query: str) -> str:
    """The customer id for an id or a unique part of a name (SPEC §5 CUSTOMER)."""
    query = query.strip()
    if not query:
        raise UsageError("empty customer: give an id (KH0042) or part of a name")
    if layout.CUSTOMER_ID.match(query.upper()) and (archive.root / card_path(query.upper())).is_file():
        return query.upper()
    cards = archive.cards()
    names = {c.customer: c.get("name") or "" for c in cards}
    wanted = _fold(query)
    exact = [cid for cid, name in names.items() if _fold(name) == wanted]
    if len(exact) == 1:
        return exact[0]
    matches = [cid for cid, name in names.items() if wanted in _fold(name)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        hint = " (no such customer id)" if layout.CUSTOMER_ID.match(query.upper()) else ""
        raise UsageError(f"unknown customer {query!r}{hint}; `cardctl customer list` shows them all")
    listed = "; ".join(f"{cid} {names[cid]}" for cid in sorted(matches)[:10])
    more = f" and {len(matches) - 10} more" if len(matches) > 10 else ""
    raise UsageError(f"{query!r} matches {len(matches)} customers: {listed}{more}; give the id or more of the name")


# --- checking a card before it is written -----------------------------------


def _check_card(archive: Archive, customer: str, text: str, others: list[Card]) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) of a card about to be written, with the rules of validate."""
    doc = read_document(text.encode("utf-8"), card_path(customer))
    card = Card(customer, doc)
    ctx = Context(archive)
    view = DossierView(layout.Dossier(customer, card.path), card)
    problems = doc.problems + card_problems(archive, card)
    problems += list(card_in_its_folder(ctx, view)) + list(staff_listed(ctx, view)) + list(uscc_check_character(ctx, view))
    if doc.ok:
        cards = {c.customer: c for c in [*others, card]}
        found = [identity(c) for c in cards.values() if c.doc.ok]
        problems += [p for p in duplicate_identities(found, cards.__getitem__) if p.path == card.path]
    errors = sorted(p for p in problems if p.severity == "error")
    return errors, sorted(p for p in problems if p.severity == "warning")


def _refuse_duplicates(card_data: dict[str, Any], customer: str, others: list[Card]) -> None:
    """A second customer with the same USCC or phone is refused, naming the one that has it."""
    mine = identity(Card(customer, Document("", None, card_data, [])))
    for other in others:
        theirs = identity(other)
        for key, label in (("uscc", "USCC"), ("phone", "phone number")):
            if mine.get(key) is not None and theirs.get(key) == mine.get(key):
                shown = as_dict(card_data.get("registration")).get("uscc") if key == "uscc" else card_data.get("phone")
                raise UsageError(f"{label} {shown} is already on the card of {other.customer} {other.get('name') or ''}".rstrip())


def _similar(card_data: dict[str, Any], others: list[Card]) -> list[str]:
    name = as_str(card_data.get("name")) or ""
    return [c.customer for c in others if normal_name(c.get("name") or "") == normal_name(name)]


# --- add ---------------------------------------------------------------------


def next_id(archive: Archive) -> str:
    prefix = archive.settings.id_prefix
    numbers = [c[len(prefix) :] for c in archive.customer_ids() if c.startswith(prefix) and c[len(prefix) :].isdigit()]
    width = max([4, *(len(n) for n in numbers)])
    return f"{prefix}{max([0, *(int(n) for n in numbers)]) + 1:0{width}d}"


CARD_ORDER = ("id", "name", "type", "status", "since", "owner", "grade", "intent", "region", "route", "phone", "registration")


def add(archive: Archive, fields: dict[str, Any], *, customer_id: str | None = None) -> tuple[WriteResult, WritePlan]:
    """Plan a new dossier with its card; refuses duplicates and invalid cards."""
    archive.require_sound_settings()
    name = (fields.get("name") or "").strip()
    if not name:
        raise UsageError("--name is required and must not be empty")
    cid = customer_id.upper() if customer_id else next_id(archive)
    if not layout.CUSTOMER_ID.match(cid):
        raise UsageError(f"customer id {customer_id!r} is not of the form KH0042 (1-6 capital letters, 3-9 digits)")
    if (archive.root / "customers" / cid).exists():
        if customer_id is None:  # the next free id was taken between listing and here
            from cardctl.writes import NameTaken

            raise NameTaken(f"customer {cid} was created by another command at the same moment; run the command again")
        raise UsageError(f"customer {cid} already exists")
    data: dict[str, Any] = {"id": cid, "name": name}
    for key in CARD_ORDER[2:]:
        if fields.get(key) not in (None, ""):
            data[key] = fields[key]
    if uscc := fields.get("uscc"):
        data["registration"] = {"uscc": uscc.strip().upper()}
    others = archive.cards()
    _refuse_duplicates(data, cid, others)
    text = dump_new(data)
    errors, warnings = _check_card(archive, cid, text, others)
    if errors:
        raise Rejected(f"the new card of {cid} is invalid; nothing was written", errors)
    path = card_path(cid)
    plan = WritePlan(archive.root, create={path: text.encode("utf-8")})
    result = WriteResult(cid, path, plan.written, warnings)
    for other in _similar(data, others):
        result.warnings.append(Problem(path, 1, 1, "D504", f"the same name as {other}; is this the same customer?"))
    return result, plan


# --- list and show --------------------------------------------------------------

LIST_FIELDS = ("id", "name", "type", "status", "grade", "intent", "credit_grade", "region", "route", "owner", "since", "reviewed")


def register_row(card: Card) -> dict[str, Any]:
    data = card.data
    row = {key: as_str(data.get(key)) for key in LIST_FIELDS}
    row["id"] = card.customer
    row["credit_grade"] = as_str(as_dict(data.get("credit")).get("grade"))
    return row


def list_customers(archive: Archive, filters: dict[str, str | None]) -> tuple[list[dict[str, Any]], list[str]]:
    """Register rows matching every given filter, and the ids of cards that could not be read."""
    rows, unreadable = [], []
    for card in archive.cards():
        if not card.doc.ok:
            unreadable.append(card.customer)
            continue
        row = register_row(card)
        if all(_fold(row.get(k) or "") == _fold(v) for k, v in filters.items() if v):
            rows.append(row)
    return rows, unreadable


def show(archive: Archive, customer: str, *, personal: bool = False) -> dict[str, Any]:
    """The card (personal notes only when asked), records per category, last and next contact."""
    card = archive.card(customer)
    if not card.doc.ok:
        raise UsageError(f"the card of {customer} cannot be read; run `cardctl validate {card.path}`")
    files = layout.scan_dossier(archive.root, customer)
    records = archive.records(files)
    counts = {cat: 0 for cat in CATEGORIES}
    for rec in records:
        counts[rec.file.category] += 1
    contact = schedule.plan(card.data, records, archive.settings)
    data = strip_personal(card.data) if not personal else card.data
    nxt = contact.next
    return {
        "id": customer,
        "name": card.get("name"),
        "card": data,
        "records": counts,
        "last_contact": contact.last_contact.isoformat() if contact.last_contact else None,
        "next_contact": nxt.date.isoformat() if nxt else None,
        "next_contact_rule": nxt.rule if nxt else None,
        "next_contact_reason": nxt.detail if nxt else None,
        "intent": contact.level,
    }


def strip_personal(data: dict[str, Any]) -> dict[str, Any]:
    """The card without contacts' `personal` notes (personal data, SPEC §3)."""
    out = dict(data)
    if isinstance(data.get("contacts"), list):
        out["contacts"] = [{k: v for k, v in c.items() if k != "personal"} if isinstance(c, dict) else c for c in data["contacts"]]
    return out


# --- set ------------------------------------------------------------------------


def set_fields(archive: Archive, customer: str, items: list[str], unsets: list[str]) -> tuple[WriteResult, WritePlan]:
    """Plan an edit of the card in place; comments, key order and quoting survive."""
    archive.require_sound_settings()
    if not items and not unsets:
        raise UsageError("nothing to set: give key=value pairs (or --unset KEY)")
    card_schema = archive.schemas.flatten(archive.schemas.documents["card"])
    assignments = assign.parse(items, card_schema)
    for key in [a.key for a in assignments] + unsets:
        if key.split(".")[0] == "id":
            raise UsageError("the customer id cannot be changed (it names the dossier folder)")
    path = card_path(customer)
    card = archive.card(customer)
    if not card.doc.ok or card.doc.text is None:
        raise UsageError(f"the card of {customer} cannot be read; fix it first (`cardctl validate {path}`)")
    text = _edited(card.doc.text, customer, assignments, unsets, card_schema)
    if text == card.doc.text:
        return WriteResult(customer, path, [], changed=False), WritePlan(archive.root)
    others = [c for c in archive.cards() if c.customer != customer]
    new = read_document(text.encode("utf-8"), path)
    if isinstance(new.data, dict):
        _refuse_duplicates(new.data, customer, others)
    errors, warnings = _check_card(archive, customer, text, others)
    if errors:
        raise Rejected(f"the change would make the card of {customer} invalid; nothing was written", errors)
    plan = WritePlan(archive.root, replace={path: text.encode("utf-8")})
    return WriteResult(customer, path, plan.written, warnings), plan


def _edited(text: str, customer: str, assignments: list[assign.Assignment], unsets: list[str], card_schema: dict[str, Any]) -> str:
    """The card's text with the assignments and removals made, comments and order kept."""
    try:
        rt = RoundTrip(text)
    except Exception as exc:  # ruamel's round-trip loader is stricter in places
        raise UsageError(f"the card of {customer} cannot be edited: {exc}") from None
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    for a in assignments:
        assign.apply(rt.data, a, CommentedMap, CommentedSeq)
    for key in unsets:
        assign.parse([f"{key}=x"], card_schema)  # the same check for unknown fields
        if not assign.unset(rt.data, key):
            raise UsageError(f"{key} is not set on the card of {customer}")
    return rt.dump()


def uncommitted_edit(archive: Archive, customer: str, items: list[str], unsets: list[str]) -> WritePlan | None:
    """A plan committing the card when its one uncommitted change is exactly this edit, else None.

    That is what a `customer set --commit` killed between writing the card
    and committing it leaves (or the same edit made earlier without
    --commit): running it again finds nothing to change, and commits instead.
    A card with other uncommitted changes is left to its owner.
    """
    from cardctl import gitrepo

    path = card_path(customer)
    if gitrepo.repo_root(archive.root) is None or path not in gitrepo.dirty_paths(archive.root):
        return None
    try:
        gitrepo.resolve(archive.root, "HEAD")
    except UsageError:  # no commit yet
        return None
    committed = gitrepo.read_at(archive.root, "HEAD", path)
    current = gitrepo.read_at(archive.root, None, path)
    if committed is None or current is None:
        return None
    card_schema = archive.schemas.flatten(archive.schemas.documents["card"])
    try:
        edited = _edited(committed.decode("utf-8"), customer, assign.parse(items, card_schema), unsets, card_schema)
    except (UsageError, UnicodeDecodeError):
        return None
    return WritePlan(archive.root, replace={path: current}) if edited.encode("utf-8") == current else None
