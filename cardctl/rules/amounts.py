"""Sanity of amounts and periods inside one record."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import localcontext

from cardctl.model import Record, as_date, as_dict, as_list, as_money
from cardctl.problems import Problem
from cardctl.rules import Context, DossierView


def order_totals(ctx: Context, dossier: DossierView) -> Iterator[Problem]:
    """D507 (warning): an order's line amounts are qty x unit price and add up to its amount."""
    for rec in dossier.records:
        if rec.kind == "order":
            with localcontext() as exact:
                exact.prec = 60  # as_money bounds the values, so products and sums are exact
                found = list(_order_totals(rec))
            yield from found


def _order_totals(rec: Record) -> Iterator[Problem]:
    lines = as_list(rec.data.get("lines"))
    total = as_money(rec.data.get("amount"))
    amounts = []
    for i, line in enumerate(lines):
        line = as_dict(line)
        qty, price, amount = as_money(line.get("qty")), as_money(line.get("unit_price")), as_money(line.get("amount"))
        amounts.append(amount)
        if qty is not None and price is not None and amount is not None and qty * price != amount:
            yield rec.doc.at(["lines", i, "amount"], "D507", f"line amount {amount} is not qty x unit_price = {qty * price}")
    if total is not None and amounts and None not in amounts:
        line_sum = sum(a for a in amounts if a is not None)
        if line_sum != total:
            yield rec.doc.at(["amount"], "D507", f"amount {total} differs from the sum of the lines, {line_sum}")


def period_order(ctx: Context, dossier: DossierView) -> Iterator[Problem]:
    """D508: a period's end is not before its start."""
    for rec in dossier.records:
        period = as_dict(rec.data.get("period"))
        start, end = as_date(period.get("start")), as_date(period.get("end"))
        if start and end and end < start:
            yield rec.doc.at(["period", "end"], "D508", f"period ends {end}, before it starts {start}")
