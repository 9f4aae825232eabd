"""Where files sit: ids agree with names, kinds with category folders, dates with year folders."""

from __future__ import annotations

import re
from collections.abc import Iterator

from cardctl import filing
from cardctl.categories import CATEGORIES
from cardctl.problems import Problem
from cardctl.rules import Context, DossierView

RECORD_ID = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}-[a-z][a-z0-9-]*-[a-z0-9]{4,}$")  # defs.schema.json#/$defs/record-id


def card_in_its_folder(ctx: Context, dossier: DossierView) -> Iterator[Problem]:
    """L306: a card's id equals the name of its dossier folder (SPEC §1)."""
    card = dossier.card
    if card is None or not card.doc.ok:
        return
    cid = card.get("id")
    if cid is not None and cid != dossier.customer:
        yield card.doc.at(["id"], "L306", f"card id is {cid} but the dossier folder is {dossier.customer}; they must be the same")


def record_names(ctx: Context, dossier: DossierView) -> Iterator[Problem]:
    """L303, L310: the file stem equals the record id, and the id names the record's kind (SPEC §1)."""
    for rec in dossier.records:
        if not rec.doc.ok:
            continue
        rid = rec.data.get("id")
        well_formed = isinstance(rid, str) and RECORD_ID.match(rid) is not None
        if isinstance(rid, str) and rid != rec.file.stem:
            # Never advise a file name such as ../../etc/passwd.yaml: a malformed id (S205) is corrected in the file.
            fix = f"rename the file to {rid}.yaml" if well_formed else "correct the id"
            yield rec.doc.at(["id"], "L303", f"record id is {rid} but the file is named {rec.file.stem}.yaml; {fix}")
        kind = rec.kind
        known = kind in ctx.archive.schemas.kinds
        if well_formed and known and not rid[11:].startswith(f"{kind}-"):
            yield rec.doc.at(["id"], "L310", f"record id {rid} does not name its kind {kind}; ids are <date>-{kind}-<suffix>")


def category_folder(ctx: Context, dossier: DossierView) -> Iterator[Problem]:
    """L304: the category folder follows from the kind (seed 000 §二: five categories)."""
    kinds = ctx.archive.schemas.kinds
    for rec in dossier.records:
        kind = kinds.get(rec.kind or "")
        if kind is not None and kind.category != rec.file.category:
            number, title = CATEGORIES[kind.category]
            yield rec.doc.at(["kind"], "L304", f"a {kind.name} record belongs in {kind.category}/ ({number} {title}), not in {rec.file.category}/")


def year_folder(ctx: Context, dossier: DossierView) -> Iterator[Problem]:
    """L305: the year folder is the filing year (seed 002 §(二) 5; SPEC §4)."""
    closed = ctx.archive.settings.closed_years
    for rec in dossier.records:
        if not rec.doc.ok:
            continue
        placed = filing.filing_year(rec, dossier.by_id, dossier.replies, closed)
        if placed is None:
            continue
        year, rule = placed
        if str(year) != rec.file.year:
            why = {
                "date": "the year of its date",
                "reply": "the year of its date",
                "request": "the year of its reply (request and reply are filed together)",
                "attachment": "the year of the record it is attached to",
                "draft": "the year of its final version",
                "forwarded": "the year of the document that forwards it",
                "period-first": "the first year of its period",
                "period-last": "the last year of its period",
                "period-opening": "the year its meeting opened",
            }[rule]
            trail = {"request": ["expects_reply"], "attachment": ["relation"], "draft": ["relation"], "forwarded": ["relation"]}.get(
                rule, ["period"] if rule.startswith("period") else ["date"]
            )
            yield rec.doc.at(trail, "L305", f"filed in {rec.file.year}/ but belongs in {year}/, {why}")
