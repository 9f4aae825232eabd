"""`report composition`: the sales composition analyses (seeds 000, 001, 002).

Sales of a year are the amounts of its orders and contracts (by record
date), split by the customer's grade, region or type, or by product (order
lines, and a contract's `product`). Shares are percentages that add up to
exactly 100.00; the total is the sum of the rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Literal

from cardctl.archive import Archive
from cardctl.model import as_dict, as_list, as_money, as_str
from cardctl.money import ZERO, shares
from cardctl.reports import Report, Table
from cardctl.reports.views import Needs
from cardctl.rules import DossierView

By = Literal["grade", "region", "product", "type"]
NEEDS = Needs("composition", words=("order", "contract"), fields=("grade", "region", "type", "amount", "product", "lines"))  # see views.Needs
NONE = "(none)"


def build(archive: Archive, views: Iterable[DossierView], by: By, year: int) -> Report:
    amounts: dict[str, Decimal] = defaultdict(lambda: ZERO)
    customers: dict[str, set[str]] = defaultdict(set)
    everyone: set[str] = set()
    for view in views:
        card = view.card.data if view.card is not None else {}
        for rec in view.records:
            if rec.kind not in ("order", "contract") or rec.date is None or rec.date.year != year:
                continue
            amount = as_money(rec.data.get("amount"))
            if amount is None:
                continue
            if by == "product":
                parts = _products(rec.kind, rec.data, amount)
            else:
                parts = [(as_str(card.get(by)) or NONE, amount)]
            for key, part in parts:
                amounts[key] += part
                customers[key].add(view.customer)
                everyone.add(view.customer)
    keys = sorted(amounts, key=lambda k: (-amounts[k], k))
    pct = shares([amounts[k] for k in keys])
    rows = [{by: k, "amount": amounts[k], "share": s, "customers": len(customers[k])} for k, s in zip(keys, pct)]
    total = {by: "total", "amount": sum((amounts[k] for k in keys), ZERO), "share": sum(pct, ZERO) if rows else ZERO, "customers": len(everyone)}
    title = f"sales composition by {by}, {year}: {archive.settings.currency} {total['amount']}"
    return Report("composition", title, {"rows": Table([by, "amount", "share", "customers"], rows, total)}, {"year": year, "by": by})


def _products(kind: str, data: dict, amount: Decimal) -> list[tuple[str, Decimal]]:
    if kind == "contract":
        return [(as_str(data.get("product")) or NONE, amount)]
    parts = []
    for line in as_list(data.get("lines")):
        line_amount = as_money(as_dict(line).get("amount"))
        if line_amount is not None:
            parts.append((as_str(as_dict(line).get("product")) or NONE, line_amount))
    return parts
