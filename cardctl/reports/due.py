"""`report due`: who must be contacted now (seeds 001, 003; rules in schedule.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from cardctl import schedule
from cardctl.archive import Archive
from cardctl.model import as_str
from cardctl.reports import Report, Table
from cardctl.reports.views import Needs
from cardctl.rules import DossierView

# What its rows depend on (see views.Needs): schedule.plan reads the visits.
NEEDS = Needs("due", words=("visit",), fields=("name", "status", "owner", "since", "intent", "reviewed", "next_contact"))
COLUMNS = ["customer", "name", "status", "owner", "rule", "due", "days_overdue", "last_contact", "reason"]


def build(archive: Archive, views: Iterable[DossierView], as_of: date, owner: str | None = None) -> Report:
    rows = []
    for view in views:
        if view.card is None or not view.card.doc.ok:
            continue
        card = view.card.data
        if owner and as_str(card.get("owner")) != owner:
            continue
        past = [r for r in view.records if r.date is not None and r.date <= as_of]
        plan = schedule.plan(card, past, archive.settings)
        due = [d for d in plan.dues if d.date <= as_of]
        if not due:
            continue
        first = due[0]  # the most overdue rule
        rows.append({
            "customer": view.customer,
            "name": as_str(card.get("name")),
            "status": as_str(card.get("status")),
            "owner": as_str(card.get("owner")),
            "rule": first.rule,
            "due": first.date,
            "days_overdue": (as_of - first.date).days,
            "last_contact": plan.last_contact,
            "reason": first.detail,
        })
    rows.sort(key=lambda r: (-r["days_overdue"], r["customer"]))
    who = f" for {owner}" if owner else ""
    return Report("due", f"contacts due on {as_of.isoformat()}{who}: {len(rows)} customers", {"rows": Table(COLUMNS, rows)}, {"as_of": as_of})
