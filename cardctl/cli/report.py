"""`cardctl report due | composition | credit | risk | satisfaction`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from cardctl import render
from cardctl.cli.common import YEARS, TableFormat, out, parse_date, state
from cardctl.reports import Report

if TYPE_CHECKING:  # loaded only by the commands that run: `cardctl --help` stays quick
    from cardctl.archive import Archive
    from cardctl.reports.views import Needs
    from cardctl.rules import DossierView

app = typer.Typer(help="Analyses: who is due, sales composition, credit, risk, satisfaction.", no_args_is_help=True)

AsOf = typer.Option("--as-of", callback=parse_date, metavar="DATE", help="Judge on this date (default today).")
Fmt = typer.Option("--format", help="text, csv or json.")
NoCache = typer.Option("--no-cache", help="Read every dossier afresh; do not use or update .cardctl/cache/.")


class By(str, Enum):
    grade = "grade"
    region = "region"
    product = "product"
    type = "type"


def _show(rep: Report, fmt: TableFormat) -> int:
    out(render.report(rep, fmt.value))
    return 0


def _views(ctx: typer.Context, needs: Needs, no_cache: bool) -> tuple[Archive, Iterator[DossierView]]:
    """The archive, and its dossiers as the report with these `needs` sees them (from its cache unless --no-cache)."""
    from cardctl.reports import views

    archive = state(ctx).archive()
    archive.require_sound_settings()
    return archive, views.stream(archive, needs, cached=not no_cache)


def _day(value: str | None) -> date:
    return date.fromisoformat(value) if value else date.today()


@app.command("due")
def due_command(ctx: typer.Context, as_of: Annotated[Optional[str], AsOf] = None,
                owner: Annotated[Optional[str], typer.Option("--owner", help="Only this rep's customers.")] = None,
                fmt: Annotated[TableFormat, Fmt] = TableFormat.text,
                no_cache: Annotated[bool, NoCache] = False) -> int:
    """Customers whose next contact is due or overdue, most overdue first."""
    from cardctl.reports import due

    archive, seen = _views(ctx, due.NEEDS, no_cache)
    return _show(due.build(archive, seen, _day(as_of), owner), fmt)


@app.command("composition")
def composition_command(ctx: typer.Context, by: Annotated[By, typer.Option("--by", help="grade, region, product or type.")] = By.grade,
                        year: Annotated[Optional[str], typer.Option("--year", **YEARS, help="Sales of this year (default this year).")] = None,
                        fmt: Annotated[TableFormat, Fmt] = TableFormat.text,
                        no_cache: Annotated[bool, NoCache] = False) -> int:
    """Sales share by grade, region, product or customer type, from orders and contracts."""
    from cardctl.reports import composition

    archive, seen = _views(ctx, composition.NEEDS, no_cache)
    return _show(composition.build(archive, seen, by.value, date.today().year if year is None else int(year)), fmt)


@app.command("credit")
def credit_command(ctx: typer.Context, as_of: Annotated[Optional[str], AsOf] = None, fmt: Annotated[TableFormat, Fmt] = TableFormat.text,
                   no_cache: Annotated[bool, NoCache] = False) -> int:
    """Credit limit, outstanding, utilisation and the oldest unpaid invoice; over the limit first."""
    from cardctl.reports import credit

    archive, seen = _views(ctx, credit.NEEDS, no_cache)
    return _show(credit.build(archive, seen, _day(as_of)), fmt)


@app.command("risk")
def risk_command(ctx: typer.Context, as_of: Annotated[Optional[str], AsOf] = None, fmt: Annotated[TableFormat, Fmt] = TableFormat.text,
                 no_cache: Annotated[bool, NoCache] = False) -> int:
    """Bad-customer candidates: no business, old arrears, status bad; with the evidence."""
    from cardctl.reports import risk

    archive, seen = _views(ctx, risk.NEEDS, no_cache)
    return _show(risk.build(archive, seen, _day(as_of)), fmt)


@app.command("satisfaction")
def satisfaction_command(ctx: typer.Context, year: Annotated[Optional[str], typer.Option("--year", **YEARS, help="Surveys of this year (default all).")] = None,
                         fmt: Annotated[TableFormat, Fmt] = TableFormat.text,
                         no_cache: Annotated[bool, NoCache] = False) -> int:
    """Survey results per item, and the unhappy answers without a follow-up."""
    from cardctl.reports import satisfaction

    archive, seen = _views(ctx, satisfaction.NEEDS, no_cache)
    return _show(satisfaction.build(archive, seen, None if year is None else int(year)), fmt)
