"""`cardctl visit add`: a visit report in one line."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Annotated, Optional

import typer

from cardctl.cli.common import CommitFlag, TextJson, default_author, err, finish, parse_date, state
from cardctl.cli.customer import Intent

app = typer.Typer(help="Record visits, calls and other contacts.", no_args_is_help=True)


class Channel(str, Enum):
    visit = "visit"
    phone = "phone"
    email = "email"
    wechat = "wechat"
    meeting = "meeting"
    event = "event"


@app.command("add")
def add_command(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(help="Customer id or a unique part of the name.")],
    summary: Annotated[str, typer.Option("--summary", help="What happened.")],
    day: Annotated[Optional[str], typer.Option("--date", callback=parse_date, metavar="DATE", help="Date of the contact (default today).")] = None,
    by: Annotated[Optional[str], typer.Option("--by", metavar="REP", help="Who made the contact (default: git user.name).")] = None,
    channel: Annotated[Channel, typer.Option("--channel", help="How.")] = Channel.visit,
    contact: Annotated[Optional[list[str]], typer.Option("--contact", metavar="NAME", help="A person met (repeatable).")] = None,
    purpose: Annotated[Optional[str], typer.Option("--purpose", help="Goal of the contact.")] = None,
    feedback: Annotated[Optional[str], typer.Option("--feedback", help="Problems, opinions and wishes the customer raised.")] = None,
    actions: Annotated[Optional[str], typer.Option("--actions", help="Matters handled and their results.")] = None,
    market: Annotated[Optional[str], typer.Option("--market", help="Market situation, competitors' moves.")] = None,
    reaction: Annotated[Optional[str], typer.Option("--reaction", help="The customer's reaction.")] = None,
    intent: Annotated[Optional[Intent], typer.Option("--intent", help="Re-judged intent level of a prospect: H, A, B, C.")] = None,
    next_contact: Annotated[Optional[str], typer.Option("--next", callback=parse_date, metavar="DATE", help="Planned next contact.")] = None,
    urgent: Annotated[bool, typer.Option("--urgent", help="An emergency report: competitor news or a serious product problem.")] = False,
    commit: Annotated[Optional[bool], CommitFlag] = None,
    fmt: Annotated[TextJson, typer.Option("--format", help="text or json.")] = TextJson.text,
) -> int:
    """Record a visit, call or other contact (the handbook's visit report)."""
    from cardctl import records, visits
    from cardctl.customers import find

    archive = state(ctx).archive()
    cid = find(archive, customer)
    given = {
        "date": day or date.today().isoformat(),
        "author": default_author(archive, by),
        "channel": channel.value,
        "contacts": contact or [],
        "purpose": purpose,
        "summary": summary,
        "feedback": feedback,
        "actions": actions,
        "market": market,
        "reaction": reaction,
        "intent": intent.value if intent else None,
        "next_contact": next_contact,
        "urgent": urgent,
    }
    fields, note = visits.fields(archive, cid, given)
    result, plan = records.add(archive, cid, "visit", fields)
    message = f"visit add {cid}: {fields['date']} {fields['channel']} by {fields['author']}"
    code = finish(archive, result, plan, fmt, result.path, commit=commit, message=message)
    if note:
        err(note)
    return code
