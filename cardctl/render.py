"""Output for people and machines: findings and tables as text, JSON, CSV or GitHub annotations.

The only module that imports tabulate. Output never depends on the terminal
width or the locale.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from cardctl.money import cents
from cardctl.problems import Problem
from cardctl.reports import Report


def plain(value: Any) -> Any:
    """A JSON-ready copy: dates as ISO text, money as numbers (never more than two decimals)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _number(value: Decimal) -> int | float | str:
    """An exact JSON number: int or float when that holds the value exactly, else its text."""
    if value == value.to_integral_value():
        return int(value)
    as_float = float(value)
    return as_float if Decimal(repr(as_float)) == value else str(value)


def to_json(value: Any) -> str:
    return json.dumps(plain(value), ensure_ascii=False, indent=2)


# --- findings ------------------------------------------------------------------


def problem_line(p: Problem) -> str:
    severity = "warning: " if p.severity == "warning" else ""
    return f"{p.path}:{p.line}:{p.column}: {p.code} {severity}{p.message}"


def _gh_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def problems(found: Sequence[Problem], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([p.as_dict() for p in found], ensure_ascii=False, indent=2)
    if fmt == "github":
        return "\n".join(
            f"::{p.severity} file={_gh_escape(p.path, True)},line={p.line},col={p.column},title={p.code}::{_gh_escape(p.message)}"
            for p in found
        )
    return "\n".join(problem_line(p) for p in found)


def summary(found: Sequence[Problem], what: str) -> str:
    errors = sum(p.severity == "error" for p in found)
    warnings = len(found) - errors
    if not found:
        return f"{what}: no findings"
    parts = [f"{errors} error{'s' if errors != 1 else ''}"] + ([f"{warnings} warning{'s' if warnings != 1 else ''}"] if warnings else [])
    return f"{what}: {', '.join(parts)}"


# --- tables ------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return str(cents(value))
    return value.isoformat() if isinstance(value, date) else str(value)


def table(rows: Iterable[dict[str, Any]], columns: Sequence[str], fmt: str, headers: Sequence[str] | None = None) -> str:
    rows = list(rows)
    if fmt == "json":
        return to_json([{c: row.get(c) for c in columns} for row in rows])
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(headers or columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
        return buf.getvalue().rstrip("\n")
    from tabulate import tabulate

    return tabulate(
        [[_cell(row.get(c)) for c in columns] for row in rows],
        headers=list(headers or columns),
        tablefmt="simple",
        disable_numparse=True,
    )


def pairs(items: Iterable[tuple[str, Any]]) -> str:
    """Aligned `key  value` lines."""
    from tabulate import tabulate

    return tabulate([[k, _cell(v)] for k, v in items], tablefmt="plain", disable_numparse=True)


# --- reports -------------------------------------------------------------------


def report(rep: Report, fmt: str) -> str:
    """A report as aligned tables (text), CSV sections, or one JSON object."""
    if fmt == "json":
        body: dict[str, Any] = {"report": rep.name, **rep.meta}
        for name, tab in rep.tables.items():
            body[name] = [{c: row.get(c) for c in tab.columns} for row in tab.rows]
            if tab.total is not None:
                body["total" if name == "rows" else f"{name}_total"] = {c: tab.total.get(c) for c in tab.columns if c in tab.total}
        return to_json(body)
    parts = []
    for tab in rep.tables.values():
        rows = tab.rows + ([tab.total] if tab.total is not None else [])
        parts.append(table(rows, tab.columns, "csv" if fmt == "csv" else "text"))
    if fmt == "csv":
        return "\n\n".join(parts)
    return "\n\n".join([rep.title, *parts])
