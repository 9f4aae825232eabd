"""Findings as values: what is wrong, where, under which stable code.

Every check returns `Problem`s and never prints; the exit code is decided
once, at the command-line edge. Codes are stable: scripts, CI annotations and
docs/codes.md refer to them. A code is never reused for another meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]

# code -> (severity, short title). The long form (rule, handbook passage,
# failing example, fix) of each is in docs/codes.md.
CODES: dict[str, tuple[Severity, str]] = {
    # F: the file itself (encoding, YAML)
    "F101": ("error", "file is not valid UTF-8"),
    "F102": ("error", "file starts with a byte order mark"),
    "F103": ("error", "CRLF line ends"),
    "F104": ("error", "YAML syntax error"),
    "F105": ("error", "duplicate key"),
    "F106": ("error", "YAML anchor or alias"),
    "F107": ("error", "YAML tag"),
    "F108": ("error", "empty file"),
    "F109": ("error", "more than one YAML document"),
    "F110": ("error", "top level is not a mapping"),
    "F111": ("error", "key is not a string"),
    "F112": ("error", "file too large or too deeply nested"),
    "F113": ("error", "file cannot be read"),
    "F114": ("error", "number with a leading zero"),
    # S: schema
    "S201": ("error", "unknown key"),
    "S202": ("error", "required key missing"),
    "S203": ("error", "wrong type"),
    "S204": ("error", "value not allowed"),
    "S205": ("error", "value has the wrong form"),
    "S206": ("error", "invalid date"),
    "S207": ("error", "money with more than two decimals"),
    "S208": ("error", "number out of range"),
    "S209": ("error", "unknown record kind"),
    "S210": ("error", "schema violation"),
    "S211": ("error", "invalid kind schema in schemas/"),
    # L: layout of the archive on disk
    "L301": ("error", "file outside the archive layout"),
    "L302": ("error", "symbolic link"),
    "L303": ("error", "record id differs from its file name"),
    "L304": ("error", "record in the wrong category folder"),
    "L305": ("error", "record in the wrong year folder"),
    "L306": ("error", "card id differs from its folder"),
    "L307": ("error", "not a customer folder"),
    "L308": ("error", "dossier without card.yaml"),
    "L309": ("warning", "attachment file not referenced by any record"),
    "L310": ("error", "record id names another kind"),
    # R: references between files
    "R401": ("error", "related record not found"),
    "R402": ("error", "referenced record not found or of the wrong kind"),
    "R403": ("error", "attachment missing"),
    "R404": ("error", "attachment checksum mismatch"),
    "R405": ("error", "attachment path outside the record's folder"),
    "R406": ("error", "duplicate record id in a dossier"),
    # D: domain rules
    "D501": ("error", "duplicate customer id"),
    "D502": ("error", "duplicate USCC"),
    "D503": ("error", "duplicate phone number"),
    "D504": ("warning", "customers with the same name"),
    "D505": ("error", "USCC check character wrong"),
    "D506": ("error", "person not in staff"),
    "D507": ("warning", "order amounts do not add up"),
    "D508": ("error", "period ends before it starts"),
    "D509": ("error", "retention set for an unknown kind"),
    # C: closed years (sealed volumes)
    "C601": ("error", "file of a sealed volume changed"),
    "C602": ("error", "file of a sealed volume missing"),
    "C603": ("error", "file added to a closed year"),
    "C604": ("error", "volume or seal altered"),
    "C605": ("error", "closed year without its seal"),
}


@dataclass(frozen=True, order=True)
class Problem:
    """One finding; `line` and `column` are 1-based, `path` relative to the archive."""

    path: str
    line: int
    column: int
    code: str
    message: str

    @property
    def severity(self) -> Severity:
        return CODES[self.code][0]

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
        }


def has_errors(problems: list[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)
