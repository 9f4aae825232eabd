"""Validation rules: small functions that look at loaded files and return findings.

A dossier rule takes the context and one dossier; an archive rule takes the
context and looks across dossiers. Each rule's docstring names the handbook
or SPEC passage it enforces; docs/codes.md documents every code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from cardctl import filing, layout
from cardctl.model import Card, Record

if TYPE_CHECKING:
    from cardctl.archive import Archive


@dataclass
class DossierView:
    files: layout.Dossier
    card: Card | None
    records: list[Record] = field(default_factory=list)

    @property
    def customer(self) -> str:
        return self.files.customer

    @cached_property
    def by_id(self) -> dict[str, Record]:
        out: dict[str, Record] = {}
        for rec in self.records:
            out.setdefault(rec.id, rec)
        return out

    @cached_property
    def replies(self) -> dict[str, list[Record]]:
        return filing.replies_by_request(self.records)


@dataclass
class Context:
    archive: Archive
    # attachments a write command is about to copy in: archive path -> source file
    pending: dict[str, Path] = field(default_factory=dict)
