"""Entry point: global options, command registration, and the one error handler.

Every error a user can meet ends here as one line on stderr and an exit code
from SPEC §5: 0 done, 1 findings, 2 bad usage or input, 3 cannot run, 130
interrupted. No traceback reaches a user (set CARDCTL_DEBUG=1 to see one).
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from typing import Annotated, Optional

import typer
import typer.core
import typer.main
from typer._click import exceptions as click_exceptions

from cardctl import __version__, render
from cardctl.cli import close, customer, history, index, init, record, report, validate, visit
from cardctl.cli.common import State, err
from cardctl.errors import CardctlError, Rejected

app = typer.Typer(
    name="cardctl",
    help="A customer archive (客户档案) kept as plain YAML files in git.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cardctl {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    ctx: typer.Context,
    archive: Annotated[
        Optional[str],
        typer.Option("-C", "--archive", metavar="PATH", help="Use the archive at PATH (or above it) instead of the one around the working folder. Also CARDCTL_ARCHIVE."),
    ] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    """A customer archive (客户档案) kept as plain YAML files in git."""
    ctx.obj = State(archive)


init.register(app)
app.add_typer(customer.app, name="customer")
app.add_typer(visit.app, name="visit")
app.add_typer(record.app, name="record")
validate.register(app)
index.register(app)
app.add_typer(report.app, name="report")
close.register(app)
history.register(app)


@lru_cache(maxsize=1)
def _command() -> typer.core.TyperGroup:
    """The click command tree; typer builds it from the signatures (slow), so once."""
    return typer.main.get_command(app)  # type: ignore[return-value]


def _command_path(argv: list[str] | None) -> str:
    """`cardctl report due` for the words of `argv` that name commands; for errors raised without a context.

    The parser says "Option '--as-of' requires an argument." without telling
    which command it was parsing; every other usage error names the command.
    """
    args = sys.argv[1:] if argv is None else argv
    command: typer.core.TyperGroup | object = _command()
    path, i = ["cardctl"], 0
    while isinstance(command, typer.core.TyperGroup) and i < len(args):
        word = args[i]
        if word in ("-C", "--archive"):
            i += 2
        elif word.startswith("-"):
            i += 1
        elif word in command.commands:
            command, i = command.commands[word], i + 1
            path.append(word)
        else:
            break
    return " ".join(path)


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit code."""
    try:
        result = _command().main(args=argv, prog_name="cardctl", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except Rejected as exc:
        for problem in exc.problems:
            err(render.problem_line(problem))
        err(f"cardctl: error: {exc}")
        return exc.exit_code
    except CardctlError as exc:
        err(f"cardctl: error: {exc}")
        return exc.exit_code
    except click_exceptions.NoArgsIsHelpError as exc:
        typer.echo(exc.ctx.get_help() if exc.ctx is not None else "")
        return 0
    except click_exceptions.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path if exc.ctx is not None else _command_path(argv)} --help')"
        message = " ".join(exc.format_message().split()).replace("Value error, ", "")  # typer's validation wording
        err(f"cardctl: error: {message}{hint}")
        return 2
    except click_exceptions.ClickException as exc:
        err(f"cardctl: error: {' '.join(exc.format_message().split())}")
        return exc.exit_code if exc.exit_code else 2
    except (typer.Abort, KeyboardInterrupt):
        err("cardctl: interrupted")
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # the system refused: a full disk, a folder that cannot be read or written
        if os.environ.get("CARDCTL_DEBUG"):
            raise
        where = f" ({exc.filename})" if exc.filename else ""
        err(f"cardctl: error: {exc.strerror or exc}{where}")
        return 3
    except Exception as exc:  # a bug: one line for the user, the trace on request
        if os.environ.get("CARDCTL_DEBUG"):
            raise
        err(f"cardctl: internal error: {type(exc).__name__}: {exc} (set CARDCTL_DEBUG=1 for details; please report it)")
        return 3


def run() -> None:
    sys.exit(main())
