"""`cardctl validate`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from cardctl import render
from cardctl.cli.common import ProblemFormat, err, out, state
from cardctl.problems import has_errors
from cardctl.validate import check


def register(app: typer.Typer) -> None:
    @app.command("validate")
    def validate_command(
        ctx: typer.Context,
        paths: Annotated[Optional[list[str]], typer.Argument(help="Check only the dossiers holding these files or folders.")] = None,
        fmt: Annotated[ProblemFormat, typer.Option("--format", help="text, json, or github (workflow annotations).")] = ProblemFormat.text,
    ) -> int:
        """Check the archive: schemas, layout, filing years, references, attachments, duplicates.

        Exit 0 when there is no error, 1 when there are errors (warnings alone exit 0).
        """
        archive = state(ctx).archive()
        found = check(archive, paths or ())
        out(render.problems(found, fmt.value))
        if fmt is ProblemFormat.text:
            err(render.summary(found, f"{archive.root.name}"))
        return 1 if has_errors(found) else 0
