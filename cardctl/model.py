"""Read-only views over loaded cards and records.

Rules and reports read fields through these accessors, which answer None for
a missing or mistyped value (the schema check reports it), so that one broken
field never stops the other checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from datetime import date
from decimal import Decimal
from typing import Any

from cardctl.layout import RecordFile
from cardctl.yamlio import Document


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


# Years with four digits: a year folder is named by four digits (a year 0001 is a typo).
FIRST_YEAR = 1000
# Amounts and quantities beyond this are typing accidents (S208); ignoring them
# keeps every sum exact and every Decimal operation in range.
MONEY_LIMIT = 10**15


def as_date(value: Any) -> date | None:
    if isinstance(value, str) and len(value) == 10:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return None
        return day if day.year >= FIRST_YEAR else None
    return None


def as_money(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value) if -MONEY_LIMIT < value < MONEY_LIMIT else None
    if isinstance(value, Decimal) and value.is_finite() and -MONEY_LIMIT < value < MONEY_LIMIT and value.as_tuple().exponent >= -9:  # type: ignore[operator]
        return value
    return None


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass
class Record:
    """A record file and what it holds (read once: the properties are computed once)."""

    file: RecordFile
    doc: Document

    @cached_property
    def data(self) -> dict[str, Any]:
        return self.doc.data if isinstance(self.doc.data, dict) else {}

    @property
    def path(self) -> str:
        return self.file.path

    @cached_property
    def id(self) -> str:
        return as_str(self.data.get("id")) or self.file.stem

    @cached_property
    def kind(self) -> str | None:
        return as_str(self.data.get("kind"))

    @cached_property
    def date(self) -> date | None:
        return as_date(self.data.get("date"))

    @cached_property
    def relation(self) -> tuple[str | None, str | None]:
        rel = as_dict(self.data.get("relation"))
        return as_str(rel.get("type")), as_str(rel.get("of"))


@dataclass
class Card:
    """A customer card (customers/<id>/card.yaml)."""

    customer: str  # the folder name
    doc: Document

    @property
    def data(self) -> dict[str, Any]:
        return self.doc.data if isinstance(self.doc.data, dict) else {}

    @property
    def path(self) -> str:
        return self.doc.path

    def get(self, key: str) -> str | None:
        return as_str(self.data.get(key))
