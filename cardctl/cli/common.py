"""Shared pieces of the command line: the archive option, formats, output."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

from typing import TYPE_CHECKING

import typer

from cardctl import render
from cardctl.errors import UsageError
from cardctl.problems import Problem

if TYPE_CHECKING:  # the CLI imports the library only in the commands that use it
    from cardctl.archive import Archive
    from cardctl.customers import WriteResult
    from cardctl.writes import WritePlan


@dataclass
class State:
    archive_path: str | None = None

    def archive(self) -> Archive:
        from cardctl.archive import Archive

        return Archive.find(self.archive_path)


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, State) else State()


class TextJson(str, Enum):
    text = "text"
    json = "json"


class TableFormat(str, Enum):
    text = "text"
    csv = "csv"
    json = "json"


class ProblemFormat(str, Enum):
    text = "text"
    json = "json"
    github = "github"


def out(text: str) -> None:
    if text:
        typer.echo(text)


def err(text: str) -> None:
    typer.echo(text, err=True)


def warn_problems(found: list[Problem]) -> None:
    for p in found:
        err(render.problem_line(p))


def parse_year(value: str | None) -> str | None:
    """A year option or argument: four digits, as dates know them (parse_date refuses dates before 1000)."""
    if value is not None and not (len(value) == 4 and value.isascii() and value.isdigit() and value[0] != "0"):
        raise typer.BadParameter(f"{value!r} is not a year; give four digits, such as 2024")
    return value


# Options take the year as text so that a wrong one is named as such (click would say "not a valid int range").
YEARS = {"callback": parse_year, "metavar": "YEAR"}

CommitFlag = typer.Option("--commit/--no-commit", help="Commit exactly the files written (default: the archive's auto_commit).")


def parse_date(value: str | None) -> str | None:
    """A --date style option: a real ISO date, or a usage error (exit 2)."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a real date in the form YYYY-MM-DD") from None
    if len(value) != 10:
        raise typer.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD")
    if day.year < 1000:
        raise typer.BadParameter(f"{value!r}: dates before the year 1000 are not accepted")
    return day.isoformat()



def commit_wanted(archive: Archive, flag: bool | None) -> bool:
    """--commit / --no-commit, else the archive's auto_commit setting."""
    return archive.settings.auto_commit if flag is None else flag


def finish(archive: Archive, result: WriteResult, plan: WritePlan, fmt: TextJson, text: str, *, commit: bool | None, message: str) -> int:
    """Carry out a checked plan, commit it if wanted, and report what was written."""
    from cardctl.writes import carry_out

    wanted = commit_wanted(archive, commit)
    if plan.touched:
        carry_out(plan, message if wanted else None)
    warn_problems(result.warnings)
    out(render.to_json(result.as_dict()) if fmt is TextJson.json else text)
    return 0


def default_author(archive: Archive, given: str | None) -> str:
    """--by, else git's user.name (the rep at this keyboard)."""
    if given:
        return given.strip()
    from cardctl import gitrepo
    from cardctl.errors import CannotRun

    try:
        name = gitrepo.user_name(archive.root)
    except CannotRun:  # no git: nothing here knows who is typing
        raise UsageError("who is the author? pass --by NAME (git, which would know your name, is not installed or not on PATH)") from None
    if not name:
        raise UsageError("who is the author? pass --by NAME (or set git config user.name)")
    return name
