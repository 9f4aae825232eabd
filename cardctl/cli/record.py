"""`cardctl record add`: file any record, from flags, a file, stdin or an editor."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from cardctl.cli.common import CommitFlag, TextJson, default_author, finish, parse_date, state
from cardctl.errors import Rejected, UsageError

app = typer.Typer(help="File records: contracts, orders, credit papers, shipments, service records ...", no_args_is_help=True)


def plain(data: dict[str, Any], source: str) -> dict[str, Any]:
    """Any YAML-ish values as the archive reads them (dates as text, money exact)."""
    from cardctl.yamlio import dump_new, read_document

    doc = read_document(dump_new(data).encode("utf-8"), source)
    if doc.problems or not isinstance(doc.data, dict):
        raise Rejected(f"cannot read the fields from {source}", doc.problems)
    return doc.data


def read_input(path: str) -> dict[str, Any]:
    """--from FILE: YAML or JSON (JSON is YAML); `-` reads standard input."""
    from cardctl.yamlio import read_document

    if path == "-":
        raw, source = sys.stdin.buffer.read(), "<stdin>"
    else:
        try:
            raw, source = Path(path).read_bytes(), path
        except OSError as exc:
            raise UsageError(f"--from {path}: {exc.strerror or exc}") from None
    doc = read_document(raw, source)
    if doc.problems:
        raise Rejected(f"cannot read {source}; nothing was written", doc.problems)
    if not isinstance(doc.data, dict):
        raise UsageError(f"{source} holds no fields")
    return doc.data


def edit(kind: Any, customer: str, prefilled: dict[str, Any]) -> dict[str, Any]:
    """Open $VISUAL / $EDITOR on a commented template; an empty or unchanged file aborts."""
    from cardctl import template
    from cardctl.yamlio import read_document

    text = template.render(kind, customer, prefilled)
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.TemporaryDirectory(prefix="cardctl-") as tmp:
        path = Path(tmp) / f"new-{kind.name}.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            done = subprocess.run([*shlex.split(editor), str(path)])
        except OSError as exc:
            raise UsageError(f"cannot start the editor {editor!r}: {exc.strerror or exc}") from None
        if done.returncode != 0:
            raise UsageError(f"the editor {editor!r} failed (exit {done.returncode}); nothing was written")
        edited = path.read_bytes()
    if edited.decode("utf-8", "replace") == text:
        raise UsageError("aborted: the template was left unchanged; nothing was written")
    doc = read_document(edited, f"new-{kind.name}.yaml")
    if doc.problems and doc.data is None and all(p.code == "F108" for p in doc.problems):
        raise UsageError("aborted: the template was emptied; nothing was written")
    if doc.problems:
        raise Rejected("the edited record cannot be read; nothing was written", doc.problems)
    data = template.prune(doc.data)
    if not data:
        raise UsageError("aborted: no fields were filled in; nothing was written")
    return data


def describe(fields: dict[str, Any]) -> str:

    title = fields.get("title")
    return f" {title}" if isinstance(title, str) else ""


@app.command("add")
def add_command(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(help="Customer id or a unique part of the name.")],
    kind: Annotated[str, typer.Argument(help="Record kind: contract, order, credit-approval, arrears, shipment, survey ...")],
    day: Annotated[Optional[str], typer.Option("--date", callback=parse_date, metavar="DATE", help="Date of the document (default today).")] = None,
    title: Annotated[Optional[str], typer.Option("--title", help="Title (题名).")] = None,
    by: Annotated[Optional[str], typer.Option("--by", metavar="NAME", help="Author (责任者); default: git user.name.")] = None,
    sets: Annotated[Optional[list[str]], typer.Option("--set", metavar="KEY=VALUE", help="A field: amount=55950.00, lines.0.qty=40 (repeatable).")] = None,
    from_file: Annotated[Optional[str], typer.Option("--from", metavar="FILE", help="Fields from a YAML or JSON file; - reads standard input.")] = None,
    use_editor: Annotated[bool, typer.Option("--edit", help="Fill in a commented template in $EDITOR.")] = False,
    attach: Annotated[Optional[list[Path]], typer.Option("--attach", metavar="FILE", help="Copy a scan into the record's files/ and record its sha256 (repeatable).")] = None,
    commit: Annotated[Optional[bool], CommitFlag] = None,
    fmt: Annotated[TextJson, typer.Option("--format", help="text or json.")] = TextJson.text,
) -> int:
    """File a record; the category and year folder follow from its kind and dates."""
    from cardctl import assign, records
    from cardctl.archive import Archive
    from cardctl.customers import find

    archive: Archive = state(ctx).archive()
    cid = find(archive, customer)
    kind_info = records.kind_named(archive, kind)
    fields: dict[str, Any] = read_input(from_file) if from_file else {}
    for a in assign.parse(sets or [], kind_info.schema):
        assign.apply(fields, a)
    if day:
        fields["date"] = day
    if title:
        fields["title"] = title
    if by or "author" not in fields:
        fields["author"] = default_author(archive, by)
    fields.setdefault("date", date.today().isoformat())
    if use_editor:
        fields = {**fields, **edit(kind_info, cid, plain(fields, "--set"))}
    fields = plain(fields, "the input")
    result, plan = records.add(archive, cid, kind_info.name, fields, attach or [])
    message = f"record add {cid}: {fields['date']} {kind_info.name}{describe(fields)} ({fields['author']})"
    return finish(archive, result, plan, fmt, result.path, commit=commit, message=message)
