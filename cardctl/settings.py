"""Archive settings (`cardctl.yaml`, SPEC §2) with their defaults."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

DEFAULT_REFERENCE = "{fonds}-KH·{year}-{retention}-{customer}·{category_no}-{item:04}"

DEFAULTS: dict[str, Any] = {
    "fonds": "",
    "custodian": "",
    "id_prefix": "KH",
    "currency": "CNY",
    "staff": [],
    "follow_up_days": {"H": 7, "A": 30, "B": 90, "C": 180},
    "care": {"contacts": 11, "period_days": 730},
    "revisit_days": 365,
    "review_days": 730,
    "bad_customer": {"inactive_days": 365, "arrears_days": 365},
    "retention": {},
    "reference": DEFAULT_REFERENCE,
    "auto_commit": False,
    "closed_years": [],
}


@dataclass(frozen=True)
class Settings:
    name: str
    fonds: str
    custodian: str
    id_prefix: str
    currency: str
    staff: tuple[str, ...]
    follow_up_days: dict[str, int]
    care_contacts: int
    care_period_days: int
    revisit_days: int
    review_days: int
    inactive_days: int
    arrears_days: int
    retention: dict[str, str]
    reference: str
    auto_commit: bool
    closed_years: frozenset[int] = field(default_factory=frozenset)


# Day counts and contacts per period are 1..MAX_DAYS (a century); the schema says so (S208).
MAX_DAYS = 36500


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _pick(data: dict[str, Any], key: str, kind: type) -> Any:
    """The value of `key` when it has the right type, else the default (the schema reports it)."""
    value = data.get(key)
    ok = _is_int(value) if kind is int else isinstance(value, kind)
    return value if ok else copy.deepcopy(DEFAULTS[key])


def _days(data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    return value if _is_int(value) and 1 <= value <= MAX_DAYS else DEFAULTS[key]


def _int_map(data: dict[str, Any], key: str) -> dict[str, int]:
    """A map of day counts: known keys with a positive whole number override the default."""
    merged = dict(DEFAULTS[key])
    value = data.get(key)
    if isinstance(value, dict):
        merged.update({k: v for k, v in value.items() if k in merged and _is_int(v) and 1 <= v <= MAX_DAYS})
    return merged


def from_data(data: Any) -> Settings:
    """Effective settings from a loaded `cardctl.yaml` (any shape: wrong values fall back to defaults)."""
    data = data if isinstance(data, dict) else {}
    follow = _int_map(data, "follow_up_days")
    care = _int_map(data, "care")
    bad = _int_map(data, "bad_customer")
    retention = data.get("retention") if isinstance(data.get("retention"), dict) else {}
    staff = [s for s in _pick(data, "staff", list) if isinstance(s, str)]
    closed = [y for y in _pick(data, "closed_years", list) if _is_int(y)]
    name = data.get("name")
    return Settings(
        name=name if isinstance(name, str) else "",
        fonds=_pick(data, "fonds", str),
        custodian=_pick(data, "custodian", str),
        id_prefix=_pick(data, "id_prefix", str),
        currency=_pick(data, "currency", str),
        staff=tuple(staff),
        follow_up_days=follow,
        care_contacts=care["contacts"],
        care_period_days=care["period_days"],
        revisit_days=_days(data, "revisit_days"),
        review_days=_days(data, "review_days"),
        inactive_days=bad["inactive_days"],
        arrears_days=bad["arrears_days"],
        retention={str(k): str(v) for k, v in retention.items()},
        reference=_pick(data, "reference", str),
        auto_commit=_pick(data, "auto_commit", bool),
        closed_years=frozenset(closed),
    )
