"""`cardctl diff [REV [REV]]` and `cardctl log CUSTOMER`: changes in archive terms."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Optional

import typer

from cardctl import render
from cardctl.cli.common import TextJson, out, state
from cardctl.errors import CannotRun, UsageError


class DiffFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


def _revisions(root: Any, revs: list[str]) -> tuple[str, str | None, str, str]:
    """(base commit, target commit or None for the work tree, and how to show each)."""
    from cardctl import gitrepo

    if gitrepo.repo_root(root) is None:
        raise CannotRun(f"{root} is not in a git repository")
    if len(revs) == 1 and ".." in revs[0]:
        left, _, right = revs[0].partition("..")
        revs = [left or "HEAD", right or "HEAD"]
    if len(revs) > 2:
        raise UsageError("give at most two revisions: cardctl diff [A [B]] or A..B")
    base = revs[0] if revs else "HEAD"
    target = revs[1] if len(revs) == 2 else None
    return gitrepo.resolve(root, base), gitrepo.resolve(root, target) if target else None, base, target or "working tree"


def register(app: typer.Typer) -> None:
    @app.command("diff")
    def diff_command(
        ctx: typer.Context,
        revs: Annotated[Optional[list[str]], typer.Argument(metavar="[A [B]]", help="Revisions (default HEAD against the work tree); A..B works too.")] = None,
        fmt: Annotated[DiffFormat, typer.Option("--format", help="text, json, or markdown (for a pull-request comment).")] = DiffFormat.text,
        personal: Annotated[bool, typer.Option("--personal", help="Show changes to contacts' personal notes (hidden by default).")] = False,
    ) -> int:
        """What changed, in archive terms: customers, card fields, records, attachments, sealed volumes."""
        from cardctl import changes

        archive = state(ctx).archive()
        base, target, base_name, target_name = _revisions(archive.root, revs or [])
        found = changes.compare(archive.root, base, target, archive.schemas.kinds, personal=personal)
        found.base, found.target = base_name, target_name
        if fmt is DiffFormat.json:
            out(render.to_json(changes.as_json(found)))
        elif fmt is DiffFormat.markdown:
            out(changes.render_markdown(found).rstrip("\n"))
        else:
            out(changes.render_text(found))
        return 0

    @app.command("log")
    def log_command(
        ctx: typer.Context,
        customer: Annotated[str, typer.Argument(help="Customer id or a unique part of the name.")],
        fmt: Annotated[TextJson, typer.Option("--format", help="text or json.")] = TextJson.text,
        personal: Annotated[bool, typer.Option("--personal", help="Show changes to contacts' personal notes (hidden by default).")] = False,
    ) -> int:
        """The dossier's history from git: date, author, subject, and what changed."""
        from cardctl import changes, gitrepo
        from cardctl.customers import find

        archive = state(ctx).archive()
        if gitrepo.repo_root(archive.root) is None:
            raise CannotRun(f"{archive.root} is not in a git repository")
        cid = find(archive, customer)
        entries = []
        for commit in gitrepo.history(archive.root, f"customers/{cid}"):
            found = changes.compare(archive.root, commit["parent"], commit["id"], archive.schemas.kinds, only=cid, personal=personal)
            entries.append((commit, found))
        if fmt is TextJson.json:
            out(render.to_json([{**c, "changes": changes.as_json(f)} for c, f in entries]))
            return 0
        lines = []
        for commit, found in entries:
            lines.append(f"{commit['date']}  {commit['author']}  {commit['subject']}  ({commit['id'][:10]})")
            body = changes.render_text(found).splitlines()[1:]
            lines += [f"    {line.strip()}" if not line.startswith(cid) else f"    {line}" for line in body if not line.startswith(cid)]
        out("\n".join(lines) if lines else f"no history for {cid}: its files are not committed yet")
        return 0
