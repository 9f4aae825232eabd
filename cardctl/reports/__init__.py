"""Analyses the handbooks ask for ("use over keep"): each report is data, rendered at the edge."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Table:
    columns: list[str]
    rows: list[dict[str, Any]]
    total: dict[str, Any] | None = None


@dataclass
class Report:
    name: str
    title: str  # one line for people
    tables: dict[str, Table]  # usually {"rows": ...}; satisfaction has two
    meta: dict[str, Any] = field(default_factory=dict)  # as_of, year, by ...
