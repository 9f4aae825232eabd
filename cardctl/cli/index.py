"""`cardctl index [--check]`."""

from __future__ import annotations

from typing import Annotated

import typer

from cardctl.cli.common import err, out, state


def register(app: typer.Typer) -> None:
    @app.command("index")
    def index_command(
        ctx: typer.Context,
        check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 when the catalogue on disk is stale.")] = False,
    ) -> int:
        """Write the catalogue: catalogue/register.csv and one catalogue/<customer>.md per dossier."""
        from cardctl import catalogue
        from cardctl.errors import Unfit

        archive = state(ctx).archive()
        archive.require_sound_settings()
        cat = catalogue.build(archive, cached=True)
        if cat.unreadable:
            # A register without them would look complete; say so and write nothing.
            shown = ", ".join(cat.unreadable[:5]) + (f" and {len(cat.unreadable) - 5} more" if len(cat.unreadable) > 5 else "")
            raise Unfit(f"the card of {shown} cannot be read, so the catalogue would leave it out; "
                        "run `cardctl validate` and fix it first; nothing was written")
        diffs = catalogue.compare(archive.root, cat)
        if check:
            for diff in diffs:
                out(f"{diff.path}: {diff.what}")
            err("catalogue is up to date" if not diffs else f"catalogue is out of date ({len(diffs)} file{'s' if len(diffs) != 1 else ''}); run `cardctl index`")
            return 1 if diffs else 0
        from cardctl.writes import WritePlan

        # Through a plan: all of the catalogue is brought up to date, or none of it.
        plan = WritePlan(archive.root, replace={d.path: cat.files[d.path] for d in diffs if d.what != "obsolete"},
                         remove=[d.path for d in diffs if d.what == "obsolete"])
        plan.apply()
        for diff in diffs:
            out(diff.path)
        err(f"catalogue: {len(diffs)} files written" if diffs else "catalogue is up to date")
        return 0
