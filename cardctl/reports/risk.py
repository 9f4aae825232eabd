"""`report risk`: bad-customer candidates (seed 001 §十 不良客户), each with its evidence.

Rules (settings `bad_customer`): no business (contract, order or shipment)
for `inactive_days`; an invoice unpaid for `arrears_days`; status bad.
Prospects, lost and closed customers are not candidates.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from cardctl.archive import Archive
from cardctl.arrears import ledger
from cardctl.model import as_date, as_str
from cardctl.reports import Report, Table
from cardctl.reports.views import Needs
from cardctl.rules import DossierView

COLUMNS = ["customer", "name", "status", "owner", "rule", "days", "evidence"]
BUSINESS = ("contract", "order", "shipment")
# What its rows depend on (see views.Needs); arrears.ledger reads entry, amount and due.
NEEDS = Needs("risk", words=(*BUSINESS, "arrears"), fields=("name", "status", "owner", "since", "invoice_no", "entry", "amount", "due"))


def build(archive: Archive, views: Iterable[DossierView], as_of: date) -> Report:
    settings = archive.settings
    rows = []
    for view in views:
        if view.card is None or not view.card.doc.ok:
            continue
        card = view.card.data
        status = as_str(card.get("status"))
        if status not in ("active", "dormant", "bad"):
            continue
        base = {"customer": view.customer, "name": as_str(card.get("name")), "status": status, "owner": as_str(card.get("owner"))}
        if status == "bad":
            rows.append({**base, "rule": "status", "days": None, "evidence": "listed as a bad customer (status: bad)"})
        deals = sorted((r for r in view.records if r.kind in BUSINESS and r.date and r.date <= as_of), key=lambda r: (r.date, r.id))
        limit = as_of - timedelta(days=settings.inactive_days)
        if deals and deals[-1].date <= limit:
            last = deals[-1]
            rows.append({**base, "rule": "inactive", "days": (as_of - last.date).days,
                         "evidence": f"last business {last.date.isoformat()} ({last.kind} {last.id})"})
        elif not deals and (since := as_date(card.get("since"))) and since <= limit:
            rows.append({**base, "rule": "inactive", "days": (as_of - since).days, "evidence": f"no contract, order or shipment since {since.isoformat()}"})
        unpaid = ledger(view.records, as_of).oldest_unpaid
        if unpaid and unpaid.since and unpaid.since <= as_of - timedelta(days=settings.arrears_days):
            number = as_str(unpaid.record.data.get("invoice_no")) or unpaid.record.id
            rows.append({**base, "rule": "arrears", "days": (as_of - unpaid.since).days,
                         "evidence": f"invoice {number} of {unpaid.since.isoformat()}: {unpaid.remaining} unpaid"})
    rows.sort(key=lambda r: (r["customer"], ["status", "arrears", "inactive"].index(r["rule"])))
    count = len({r["customer"] for r in rows})
    return Report("risk", f"bad-customer candidates on {as_of.isoformat()}: {count} customers", {"rows": Table(COLUMNS, rows)}, {"as_of": as_of})
