"""Exceptions for "cannot continue", each mapped to one exit code.

Findings about the archive are values (see problems.py), never exceptions;
these are for the command line itself: bad input (exit 2) and an environment
in which cardctl cannot run (exit 3). The CLI edge turns them into one line on
stderr.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cardctl.problems import Problem


class CardctlError(Exception):
    """Base of every error cardctl reports to a user."""

    exit_code = 3


class UsageError(CardctlError):
    """Bad usage or bad input on the command line (unknown customer, bad date)."""

    exit_code = 2


class CannotRun(CardctlError):
    """No archive, git missing, a dirty work tree where a clean one is needed."""

    exit_code = 3


class Unfit(CardctlError):
    """The archive has findings that stop this command (exit 1, as validate's findings)."""

    exit_code = 1


class Rejected(UsageError):
    """A write command refused input that would make the archive invalid.

    Carries the findings so the CLI can print them; nothing was written.
    """

    def __init__(self, message: str, problems: Sequence[Problem]) -> None:
        super().__init__(message)
        self.problems = list(problems)
