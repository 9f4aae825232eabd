"""`cardctl init`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from cardctl.cli.common import out


def register(app: typer.Typer) -> None:
    @app.command("init")
    def init_command(
        path: Annotated[Path, typer.Argument(help="Folder of the new archive (created if missing).")] = Path("."),
        name: Annotated[Optional[str], typer.Option("--name", help="Archive / fonds name (全宗名称); default: the folder name.")] = None,
        fonds: Annotated[Optional[str], typer.Option("--fonds", help="Fonds number (全宗号), used in reference codes.")] = None,
        no_git: Annotated[bool, typer.Option("--no-git", help="Do not create a git repository.")] = False,
    ) -> int:
        """Create a new archive: settings, folders, .gitattributes, editor schema files, git init."""
        from cardctl import scaffold

        files = scaffold.init(path, name=name, fonds=fonds, use_git=not no_git)
        out(f"created archive in {path.resolve()}")
        for rel in files:
            out(f"  {rel}")
        out("next: cardctl customer add --name NAME")
        return 0
