"""Shared pieces of the command line: the archive option, formats, output."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date
from enum import Enum

import typer

from cardctl.archive import Archive
from cardctl.problems import Problem
from cardctl import render


@dataclass
class State:
    archive_path: str | None = None

    def archive(self) -> Archive:
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
    return day.isoformat()


def is_tty() -> bool:
    return sys.stdout.isatty()
