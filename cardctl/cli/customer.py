"""`cardctl customer add | list | show | set`."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Optional

import typer

from cardctl import render
from cardctl.categories import CATEGORIES
from cardctl.cli.common import CommitFlag, TableFormat, TextJson, commit_wanted, err, finish, out, parse_date, state

app = typer.Typer(help="Add, list, show and edit customers.", no_args_is_help=True)


class CustomerType(str, Enum):
    company = "company"
    individual = "individual"
    government = "government"
    partner = "partner"
    special = "special"


class Status(str, Enum):
    prospect = "prospect"
    active = "active"
    dormant = "dormant"
    lost = "lost"
    bad = "bad"
    closed = "closed"


class Grade(str, Enum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"


class Intent(str, Enum):
    H = "H"
    A = "A"
    B = "B"
    C = "C"


def _value(option: Any) -> Any:
    return option.value if isinstance(option, Enum) else option


@app.command("add")
def add_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="Full name of the customer.")],
    type_: Annotated[CustomerType, typer.Option("--type", help="List type.")] = CustomerType.company,
    status: Annotated[Status, typer.Option("--status", help="Status; new customers are prospects.")] = Status.prospect,
    owner: Annotated[Optional[str], typer.Option("--owner", help="Responsible sales rep.")] = None,
    grade: Annotated[Optional[Grade], typer.Option("--grade", help="Grade A-D by sales volume.")] = None,
    region: Annotated[Optional[str], typer.Option("--region", help="Sales region.")] = None,
    intent: Annotated[Optional[Intent], typer.Option("--intent", help="Intent level of a prospect: H (7 days), A (30), B (90), C (180).")] = None,
    since: Annotated[Optional[str], typer.Option("--since", callback=parse_date, metavar="DATE", help="First contact, YYYY-MM-DD (default today).")] = None,
    uscc: Annotated[Optional[str], typer.Option("--uscc", help="Unified social credit code (18 characters).")] = None,
    phone: Annotated[Optional[str], typer.Option("--phone", help="Main phone number.")] = None,
    customer_id: Annotated[Optional[str], typer.Option("--id", help="Use this id instead of the next free one.")] = None,
    commit: Annotated[Optional[bool], CommitFlag] = None,
    fmt: Annotated[TextJson, typer.Option("--format", help="text or json.")] = TextJson.text,
) -> int:
    """Open a new dossier with its card; prints the new customer id."""
    from cardctl import customers

    from datetime import date

    fields = {
        "name": name,
        "type": _value(type_),
        "status": _value(status),
        "since": since or date.today().isoformat(),
        "owner": owner,
        "grade": _value(grade),
        "intent": _value(intent),
        "region": region,
        "uscc": uscc,
        "phone": phone,
    }
    from cardctl.writes import NameTaken

    archive = state(ctx).archive()
    attempts = 0
    while True:
        try:
            result, plan = customers.add(archive, fields, customer_id=customer_id)
            return finish(archive, result, plan, fmt, result.id, commit=commit, message=f"customer add {result.id}: {name.strip()}")
        except NameTaken:  # another `customer add` took the same next id at the same moment: take the one after
            attempts += 1
            if customer_id or attempts == 10:
                raise


@app.command("list")
def list_command(
    ctx: typer.Context,
    status: Annotated[Optional[Status], typer.Option("--status")] = None,
    grade: Annotated[Optional[Grade], typer.Option("--grade")] = None,
    region: Annotated[Optional[str], typer.Option("--region")] = None,
    owner: Annotated[Optional[str], typer.Option("--owner")] = None,
    type_: Annotated[Optional[CustomerType], typer.Option("--type")] = None,
    fmt: Annotated[TableFormat, typer.Option("--format", help="text, csv or json.")] = TableFormat.text,
) -> int:
    """The customer register, filtered."""
    from cardctl import customers

    filters = {"status": _value(status), "grade": _value(grade), "region": region, "owner": owner, "type": _value(type_)}
    rows, unreadable = customers.list_customers(state(ctx).archive(), filters)
    for cid in unreadable:
        err(f"cardctl: warning: the card of {cid} cannot be read; run `cardctl validate`")
    columns = ["id", "name", "type", "status", "grade", "intent", "region", "owner", "since"] if fmt is TableFormat.text else list(customers.LIST_FIELDS)
    out(render.table(rows, columns, fmt.value))
    return 0


def _show_text(shown: dict[str, Any], personal: bool) -> str:
    card = dict(shown["card"])
    contacts = card.pop("contacts", None)
    lines = [f"{shown['id']}  {shown['name'] or ''}", ""]
    items: list[tuple[str, Any]] = []
    for key, value in card.items():
        if key in ("id", "name"):
            continue
        if isinstance(value, dict):
            items += [(f"{key}.{k}", v) for k, v in value.items()]
        elif isinstance(value, list):
            items.append((key, ", ".join(map(str, value))))
        else:
            items.append((key, value))
    lines.append(render.pairs(items))
    if isinstance(contacts, list) and contacts:
        columns = ["name", "role", "phone", "email", "wechat", "decision_maker"] + (["personal"] if personal else [])
        lines += ["", "contacts", render.table([c for c in contacts if isinstance(c, dict)], columns, "text")]
    counts = shown["records"]
    lines += ["", "records", render.table(
        [{"no": CATEGORIES[c][0], "category": c, "title": CATEGORIES[c][1], "records": n} for c, n in counts.items()],
        ["no", "category", "title", "records"], "text")]
    nxt = f"{shown['next_contact']}  ({shown['next_contact_reason']})" if shown["next_contact"] else "nothing due"
    lines += ["", render.pairs([("last contact", shown["last_contact"] or "none recorded"), ("next contact", nxt)])]
    return "\n".join(lines)


@app.command("show")
def show_command(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(help="Customer id or a unique part of the name.")],
    personal: Annotated[bool, typer.Option("--personal", help="Include contacts' personal notes (personal data).")] = False,
    fmt: Annotated[TextJson, typer.Option("--format", help="text or json.")] = TextJson.text,
) -> int:
    """The card, records per category, last and next contact."""
    from cardctl import customers

    archive = state(ctx).archive()
    shown = customers.show(archive, customers.find(archive, customer), personal=personal)
    out(render.to_json(shown) if fmt is TextJson.json else _show_text(shown, personal))
    return 0


@app.command("set")
def set_command(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(help="Customer id or a unique part of the name.")],
    assignments: Annotated[Optional[list[str]], typer.Argument(metavar="KEY=VALUE...", help="Fields to set: credit.limit=80000, contacts.0.phone=13800001234.")] = None,
    unset: Annotated[Optional[list[str]], typer.Option("--unset", metavar="KEY", help="Remove a field (repeatable).")] = None,
    commit: Annotated[Optional[bool], CommitFlag] = None,
    fmt: Annotated[TextJson, typer.Option("--format", help="text or json.")] = TextJson.text,
) -> int:
    """Edit the card in place; comments, key order and quoting are kept."""
    from cardctl import customers

    archive = state(ctx).archive()
    cid = customers.find(archive, customer)
    result, plan = customers.set_fields(archive, cid, assignments or [], unset or [])
    keys = [a.partition("=")[0] for a in assignments or []] + [f"-{k}" for k in unset or []]
    text = f"updated {result.path}" if result.changed else f"{result.path} unchanged"
    if not result.changed and commit_wanted(archive, commit):
        finishing = customers.uncommitted_edit(archive, cid, assignments or [], unset or [])
        if finishing is not None:  # written before (a killed run): commit it now
            plan, text = finishing, f"committed {result.path}: the change was written before but not committed"
            result.files = finishing.written
    return finish(archive, result, plan, fmt, text, commit=commit, message=f"customer set {cid}: {', '.join(keys)}")
