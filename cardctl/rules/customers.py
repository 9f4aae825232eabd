"""Rules across customers: one customer, one card, one identity."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import NamedTuple

from cardctl import uscc
from cardctl.model import Card, as_dict, as_str
from cardctl.problems import Problem
from cardctl.rules import Context, DossierView


def normal_phone(phone: str) -> str:
    """Digits only, without the +86 country code or the leading trunk 0.

    "+86 21 5888 0000" and "021-58880000" are the same line.
    """
    digits = re.sub(r"\D", "", phone)
    if phone.strip().startswith("+86") or (digits.startswith("86") and len(digits) > 11):
        digits = digits[2:]
    return digits.lstrip("0")


def normal_name(name: str) -> str:
    """Width, case, spaces and punctuation removed: （有限公司） and (有限公司) are the same."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(ch for ch in folded if not (ch.isspace() or unicodedata.category(ch).startswith("P")))


class Identity(NamedTuple):
    """What of a card must not repeat across customers, small enough to collect for 10 000 cards
    (a named tuple: made 10 000 times from the cache on every partial check)."""

    customer: str
    values: tuple[tuple[str, str], ...]  # (id | uscc | phone, the value compared)
    name_key: str

    def get(self, field: str) -> str | None:
        return dict(self.values).get(field)


def identity(card: Card) -> Identity:
    values = []
    if cid := card.get("id"):
        values.append(("id", cid))
    if code := as_str(as_dict(card.data.get("registration")).get("uscc")):
        values.append(("uscc", code))
    if (phone := card.get("phone")) and (normal := normal_phone(phone)):
        values.append(("phone", normal))
    return Identity(card.customer, tuple(values), normal_name(card.get("name") or ""))


_IDENTITY = {
    "id": ("D501", ["id"], "customer id {value} is also used by {others}"),
    "uscc": ("D502", ["registration", "uscc"], "USCC {value} is also on the card of {others}; one company, one dossier"),
    "phone": ("D503", ["phone"], "phone number {value} is also on the card of {others}"),
}

CardOf = Callable[[str], Card]


def duplicate_identities(found: list[Identity], card_of: CardOf) -> Iterator[Problem]:
    """D501-D503: no two cards share a customer id, a USCC or a phone number.

    Seed 001 §九: the customer list is kept free of duplicates and reviewed;
    a second dossier for the same company splits its history.
    """
    seen: dict[tuple[str, str], list[str]] = defaultdict(list)
    for who in found:
        for field, value in who.values:
            seen[(field, value)].append(who.customer)
    for (field, value), customers in seen.items():
        if len(customers) < 2:
            continue
        code, trail, text = _IDENTITY[field]
        for customer in customers:
            card = card_of(customer)
            others = ", ".join(c for c in customers if c != customer)
            shown = card.get("phone") if field == "phone" else value
            yield card.doc.at(trail, code, text.format(value=shown, others=others))


def similar_names(found: list[Identity], card_of: CardOf) -> Iterator[Problem]:
    """D504 (warning): two customers whose names differ only in spacing, width or punctuation."""
    seen: dict[str, list[str]] = defaultdict(list)
    for who in found:
        if who.name_key:
            seen[who.name_key].append(who.customer)
    for customers in seen.values():
        if len(customers) > 1:
            for customer in customers:
                others = ", ".join(c for c in customers if c != customer)
                yield card_of(customer).doc.at(["name"], "D504", f"the same name as {others}; is this the same customer?")


def uscc_check_character(ctx: Context, dossier: DossierView) -> Iterator[Problem]:
    """D505: the USCC's 18th character is its check character (GB 32100-2015)."""
    card = dossier.card
    code = as_str(as_dict(card.data.get("registration")).get("uscc")) if card is not None else None
    if card is not None and code and uscc.is_well_formed(code) and not uscc.is_valid(code):
        want = uscc.check_character(code[:17])
        yield card.doc.at(["registration", "uscc"], "D505", f"USCC {code} has check character {code[17]}, but its first 17 characters give {want}; a character is mistyped")
