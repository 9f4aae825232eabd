"""`report credit`: limits, what is owed, and the oldest unpaid invoice (seed 002: credit grades)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from cardctl.archive import Archive
from cardctl.arrears import ledger
from cardctl.model import as_dict, as_money, as_str
from cardctl.money import ZERO, percent
from cardctl.reports import Report, Table
from cardctl.reports.views import Needs
from cardctl.rules import DossierView

# What its rows depend on (see views.Needs); arrears.ledger reads entry, amount and due.
NEEDS = Needs("credit", words=("credit-approval", "arrears"), fields=("name", "credit", "expects_reply", "limit", "invoice_no", "entry", "amount", "due"))
COLUMNS = ["customer", "name", "credit_grade", "limit", "outstanding", "utilisation", "over_limit", "oldest_unpaid", "unpaid_since", "age_days"]


def limit_of(view: DossierView, as_of: date):  # -> Decimal | None
    """The card's credit limit, else the latest approved limit."""
    card = view.card.data if view.card is not None else {}
    limit = as_money(as_dict(card.get("credit")).get("limit"))
    if limit is not None:
        return limit
    approvals = sorted((r for r in view.records if r.kind == "credit-approval" and r.date and r.date <= as_of and not r.data.get("expects_reply")),
                       key=lambda r: (r.date, r.id))
    return as_money(approvals[-1].data.get("limit")) if approvals else None


def build(archive: Archive, views: Iterable[DossierView], as_of: date) -> Report:
    rows = []
    for view in views:
        card = view.card.data if view.card is not None else {}
        book = ledger(view.records, as_of)
        limit = limit_of(view, as_of)
        if limit is None and not book.invoiced:
            continue
        use = percent(book.outstanding, limit) if limit else None
        unpaid = book.oldest_unpaid
        rows.append({
            "customer": view.customer,
            "name": as_str(card.get("name")),
            "credit_grade": as_str(as_dict(card.get("credit")).get("grade")),
            "limit": limit,
            "outstanding": book.outstanding,
            "utilisation": use,
            "over_limit": limit is not None and book.outstanding > limit,
            "oldest_unpaid": (as_str(unpaid.record.data.get("invoice_no")) or unpaid.record.id) if unpaid else None,
            "unpaid_since": unpaid.since if unpaid else None,
            "age_days": (as_of - unpaid.since).days if unpaid and unpaid.since else None,
        })
    rows.sort(key=lambda r: (not r["over_limit"], -(r["utilisation"] or ZERO), -r["outstanding"], r["customer"]))
    total = {"customer": "total", "limit": sum((r["limit"] or ZERO for r in rows), ZERO), "outstanding": sum((r["outstanding"] for r in rows), ZERO)}
    over = sum(r["over_limit"] for r in rows)
    return Report("credit", f"credit on {as_of.isoformat()}: {len(rows)} customers, {over} over their limit", {"rows": Table(COLUMNS, rows, total)}, {"as_of": as_of})
