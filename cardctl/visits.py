"""`visit add`: a visit report in one line (seed 001 §3, seed 003 意向级别).

The fields follow the handbook's visit report: who was met, purpose, the
customer's problems, opinions and wishes, matters handled and results,
market and competitor news, the customer's reaction, and the next step.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from cardctl import layout, schedule
from cardctl.archive import Archive
from cardctl.model import as_str


def fields(archive: Archive, customer: str, given: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The visit's fields, and a note when cardctl set the next contact itself.

    For a prospect without --next, the next contact is the visit date plus
    `follow_up_days` of its level (the level given now, else its current one).
    """
    data = {k: v for k, v in given.items() if v not in (None, "", [], False)}
    card = archive.card(customer)
    if as_str(card.data.get("status")) != "prospect" or data.get("next_contact"):
        return data, None
    level = data.get("intent")
    if level is None:
        records = archive.records(layout.scan_dossier(archive.root, customer))
        level = schedule.plan(card.data, records, archive.settings).level
    days = archive.settings.follow_up_days.get(level or "")
    if days is None:
        return data, None
    due = schedule.after(date.fromisoformat(data["date"]), days)
    if due is None:
        return data, None
    data["next_contact"] = due.isoformat()
    return data, f"next contact set to {due.isoformat()}: a level-{level} prospect is contacted within {days} days"
