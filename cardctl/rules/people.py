"""People: authors and owners are known members of staff."""

from __future__ import annotations

from collections.abc import Iterator

from cardctl.problems import Problem
from cardctl.rules import Context, DossierView
from cardctl.rules.schema import suggest


def staff_listed(ctx: Context, dossier: DossierView) -> Iterator[Problem]:
    """D506: when settings list `staff`, every card owner and record author is one of them.

    Seed 000: "a dedicated person manages the archive"; a misspelt name splits
    one rep's customers in two and hides them from `report due --owner`.
    """
    staff = ctx.archive.settings.staff
    if not staff:
        return
    checks = [(dossier.card.doc, "owner")] if dossier.card is not None else []
    checks += [(rec.doc, "author") for rec in dossier.records]
    for doc, key in checks:
        person = doc.data.get(key) if doc.ok else None
        if isinstance(person, str) and person not in staff:
            yield doc.at([key], "D506", f"{key} {person} is not in the staff list of cardctl.yaml{suggest(person, staff, cutoff=0.5)}")
