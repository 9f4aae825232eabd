"""`cardctl close YEAR` and `cardctl verify`."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Optional

import typer

from cardctl import render
from cardctl.cli.common import YEARS, ProblemFormat, TextJson, err, out, parse_year, state
from cardctl.errors import UsageError
from cardctl.problems import has_errors


def _plan_json(volumes: list[Any]) -> list[dict[str, Any]]:
    return [
        {"path": v.path, "reference": v.reference, "retention": v.retention, "top_secret": v.top_secret, "pages": v.pages,
         "items": [{"number": n, "reference": ref, "record": rid, "rule": rule, "page": page} for n, ref, rid, rule, page in v.items]}
        for v in volumes
    ]


def _plan_text(volumes: list[Any]) -> str:
    lines = []
    for v in volumes:
        lines.append(f"{v.path}  {v.reference}  {len(v.items)} items, {v.pages} pages")
        lines += [f"  {n:04d}  {ref}  {rid}  ({rule})" for n, ref, rid, rule, _ in v.items]
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    @app.command("close")
    def close_command(
        ctx: typer.Context,
        year_text: Annotated[str, typer.Argument(callback=parse_year, metavar="year", help="The year to close, after it has ended.")],
        by: Annotated[Optional[str], typer.Option("--by", metavar="NAME", help="Compiler (立卷人); default: custodian of cardctl.yaml.")] = None,
        checker: Annotated[Optional[str], typer.Option("--checker", metavar="NAME", help="Checker (检查人), another person than the compiler.")] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the whole plan (volumes, items, codes); write nothing.")] = False,
        no_commit: Annotated[bool, typer.Option("--no-commit", help="Write the volumes and seal but do not commit or tag.")] = False,
        sign: Annotated[bool, typer.Option("--sign", help="Make close/YEAR a signed tag (your git signing setup).")] = False,
        allow_pending: Annotated[bool, typer.Option("--allow-pending", help="Seal requests still waiting for a reply in their own year.")] = False,
        fmt: Annotated[TextJson, typer.Option("--format", help="text or json.")] = TextJson.text,
    ) -> int:
        """Bind the year's records into fixed, numbered, sealed volumes; commit and tag close/YEAR."""
        from cardctl import closing, seal

        year = int(year_text)
        archive = state(ctx).archive()
        try:
            result = closing.close(archive, year, by=by, checker=checker, today=date.today(), dry_run=dry_run,
                                   commit=not no_commit, sign=sign, allow_pending=allow_pending)
        except closing.Refused as refused:
            out(render.problems(refused.problems, "text"))
            out("\n".join(refused.lines))
            raise
        if result.state == "planned":
            items = sum(len(v.items) for v in result.volumes)
            if fmt is TextJson.json:
                out(render.to_json({"year": year, "volumes": _plan_json(result.volumes)}))
            else:
                out(_plan_text(result.volumes))
            err(f"close {year} (dry run): {len(result.volumes)} volumes, {items} items; nothing was written")
            return 0
        out(render.problems(result.problems, "text"))
        if fmt is TextJson.json:
            out(render.to_json({"year": year, "state": result.state, "digest": result.digest, "commit": result.commit, "files": result.files,
                                "findings": [p.as_dict() for p in result.problems]}))
        if result.state == "closed":
            volumes = len(result.volumes)
            tag = "" if no_commit else f"; tagged {seal.TAG.format(year=year)}"
            err(f"closed {year}: {volumes} volumes sealed, seal digest sha256:{result.digest}{tag}")
        elif result.state == "finished":
            err(f"finished the close of {year}: committed and tagged {seal.TAG.format(year=year)}")
        else:
            err(f"{year} is already closed; verified: " + ("no findings" if not result.problems else f"{len(result.problems)} findings"))
        return 1 if has_errors(result.problems) else 0

    @app.command("verify")
    def verify_command(
        ctx: typer.Context,
        year_text: Annotated[Optional[str], typer.Option("--year", **YEARS, help="Only this closed year.")] = None,
        fmt: Annotated[ProblemFormat, typer.Option("--format", help="text, json or github.")] = ProblemFormat.text,
    ) -> int:
        """Fixity check of closed years: manifests, seal digests, and the tree of tag close/YEAR."""
        from cardctl import seal

        archive = state(ctx).archive()
        closed = sorted(seal.sealed_years(archive))
        year = None if year_text is None else int(year_text)
        if year is not None and year not in closed:
            # Exit 0 here would tell a script that an unsealed year checked out.
            known = "closed years: " + ", ".join(map(str, closed)) if closed else "no year is closed yet"
            raise UsageError(f"{year} is not closed ({known}); there is nothing of it to verify")
        years = closed if year is None else [year]
        found = seal.verify(archive, years)
        out(render.problems(found, fmt.value))
        if fmt is ProblemFormat.text:
            what = ", ".join(map(str, years)) if years else "no closed years"
            err(render.summary(found, f"verify {what}"))
        return 1 if has_errors(found) else 0
