"""The register of arrears and repayments (seed 000: 欠款和还款登记) as a ledger.

Payments and write-offs settle the oldest invoices first (by due date), so
the oldest unpaid invoice is well defined.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from cardctl.model import Record, as_date, as_money
from cardctl.money import ZERO


@dataclass(frozen=True)
class Unpaid:
    record: Record
    remaining: Decimal

    @property
    def since(self) -> date | None:
        return self.record.date


@dataclass(frozen=True)
class Ledger:
    invoiced: Decimal
    credited: Decimal  # payments and write-offs
    oldest_unpaid: Unpaid | None

    @property
    def outstanding(self) -> Decimal:
        return self.invoiced - self.credited


def ledger(records: Iterable[Record], as_of: date) -> Ledger:
    entries = [r for r in records if r.kind == "arrears" and r.date is not None and r.date <= as_of]
    invoices = sorted(
        (r for r in entries if r.data.get("entry") == "invoice" and as_money(r.data.get("amount")) is not None),
        key=lambda r: (as_date(r.data.get("due")) or r.date, r.date, r.id),
    )
    credited = sum((as_money(r.data.get("amount")) or ZERO for r in entries if r.data.get("entry") in ("payment", "write-off")), ZERO)
    invoiced = sum((as_money(r.data.get("amount")) or ZERO for r in invoices), ZERO)
    left = credited
    for inv in invoices:
        amount = as_money(inv.data.get("amount")) or ZERO
        if left >= amount:
            left -= amount
            continue
        return Ledger(invoiced, credited, Unpaid(inv, amount - left))
    return Ledger(invoiced, credited, None)
