"""`cardctl validate`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from cardctl import render
from cardctl.cli.common import ProblemFormat, State, err, out, state

from cardctl.errors import CannotRun
from cardctl.locate import ENV_VAR
from cardctl.problems import has_errors

if TYPE_CHECKING:
    from cardctl.archive import Archive


def _archive_for(st: State, paths: list[str]) -> Archive:
    """The archive around the working folder, or else around the first PATH given."""
    from cardctl.archive import Archive

    try:
        return st.archive()
    except CannotRun:
        if not paths or st.archive_path is not None or os.environ.get(ENV_VAR):
            raise
        first = Path(paths[0])
        return Archive.find(str(first if first.is_dir() else first.parent))


def register(app: typer.Typer) -> None:
    @app.command("validate")
    def validate_command(
        ctx: typer.Context,
        paths: Annotated[Optional[list[str]], typer.Argument(help="Check only the dossiers holding these files or folders.")] = None,
        fmt: Annotated[ProblemFormat, typer.Option("--format", help="text, json, or github (workflow annotations).")] = ProblemFormat.text,
        changed_since: Annotated[Optional[str], typer.Option("--changed-since", metavar="REV", help="Check only the dossiers touched since REV (plus archive-wide rules).")] = None,
        no_cache: Annotated[bool, typer.Option("--no-cache", help="Check every file afresh; do not use or update .cardctl/cache/.")] = False,
    ) -> int:
        """Check the archive: schemas, layout, filing years, references, attachments, duplicates.

        Exit 0 when there is no error, 1 when there are errors (warnings alone exit 0).
        In a git work tree, the findings of dossiers git finds unchanged are
        reused from .cardctl/cache/ (keyed by content, never by time).
        """
        from cardctl.validate import check

        archive = _archive_for(state(ctx), paths or [])
        found = check(archive, paths or (), changed_since=changed_since, cached=not no_cache)
        out(render.problems(found, fmt.value))
        if fmt is ProblemFormat.text:
            err(render.summary(found, f"{archive.root.name}"))
        return 1 if has_errors(found) else 0
