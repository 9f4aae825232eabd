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


def as_date(value: Any) -> date | None:
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def as_money(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal) and value.is_finite():
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
