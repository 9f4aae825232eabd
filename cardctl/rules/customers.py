"""Rules across customers: one customer, one card, one identity."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator

from cardctl import uscc
from cardctl.model import Card, as_dict, as_str
from cardctl.problems import Problem
from cardctl.rules import Context


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


def identities(card: Card) -> dict[str, str]:
    """The values that must not repeat across customers: id, USCC, phone."""
    out = {}
    if cid := card.get("id"):
        out["id"] = cid
    if code := as_str(as_dict(card.data.get("registration")).get("uscc")):
        out["uscc"] = code
    if phone := card.get("phone"):
        if normal := normal_phone(phone):
            out["phone"] = normal
    return out


_IDENTITY = {
    "id": ("D501", ["id"], "customer id {value} is also used by {others}"),
    "uscc": ("D502", ["registration", "uscc"], "USCC {value} is also on the card of {others}; one company, one dossier"),
    "phone": ("D503", ["phone"], "phone number {value} is also on the card of {others}"),
}


def duplicate_identities(ctx: Context) -> Iterator[Problem]:
    """D501-D503: no two cards share a customer id, a USCC or a phone number.

    Seed 001 §九: the customer list is kept free of duplicates and reviewed;
    a second dossier for the same company splits its history.
    """
    seen: dict[tuple[str, str], list[Card]] = defaultdict(list)
    for card in ctx.cards:
        for field, value in identities(card).items():
            seen[(field, value)].append(card)
    for (field, value), cards in seen.items():
        if len(cards) < 2:
            continue
        code, trail, text = _IDENTITY[field]
        for card in cards:
            others = ", ".join(c.customer for c in cards if c is not card)
            shown = card.get("phone") if field == "phone" else value
            yield card.doc.at(trail, code, text.format(value=shown, others=others))


def similar_names(ctx: Context) -> Iterator[Problem]:
    """D504 (warning): two customers whose names differ only in spacing, width or punctuation."""
    seen: dict[str, list[Card]] = defaultdict(list)
    for card in ctx.cards:
        if name := card.get("name"):
            seen[normal_name(name)].append(card)
    for cards in seen.values():
        if len(cards) > 1:
            for card in cards:
                others = ", ".join(c.customer for c in cards if c is not card)
                yield card.doc.at(["name"], "D504", f"the same name as {others}; is this the same customer?")


def uscc_check_character(ctx: Context) -> Iterator[Problem]:
    """D505: the USCC's 18th character is its check character (GB 32100-2015)."""
    for card in ctx.cards:
        code = as_str(as_dict(card.data.get("registration")).get("uscc"))
        if code and uscc.is_well_formed(code) and not uscc.is_valid(code):
            want = uscc.check_character(code[:17])
            yield card.doc.at(["registration", "uscc"], "D505", f"USCC {code} has check character {code[17]}, but its first 17 characters give {want}; a character is mistyped")
