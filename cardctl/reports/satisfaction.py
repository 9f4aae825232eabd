"""`report satisfaction`: survey results per item and the unhappy answers not yet followed up (seed 001 §十一)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from cardctl.archive import Archive
from cardctl.model import as_dict, as_list, as_str
from cardctl.money import cents
from cardctl.reports import Report, Table
from cardctl.reports.views import Needs
from cardctl.rules import DossierView

NEEDS = Needs("satisfaction", words=("survey", "follow-up"), fields=("items", "relation"))  # see views.Needs
LEVELS = ["满意", "比较满意", "基本满意", "不太满意", "不满意"]
SCORE = {name: 5 - i for i, name in enumerate(LEVELS)}
ITEM_COLUMNS = ["item", *LEVELS, "answers", "mean"]
OPEN_COLUMNS = ["customer", "survey", "date", "item", "rating", "comment"]


def score(rating: object) -> int | None:
    if isinstance(rating, bool):
        return None
    if isinstance(rating, int) and 1 <= rating <= 5:
        return rating
    return SCORE.get(rating) if isinstance(rating, str) else None


def build(archive: Archive, views: Iterable[DossierView], year: int | None) -> Report:
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * 5)
    unanswered = []
    for view in views:
        followed = {of for r in view.records if (r.relation[0] == "follow-up") and (of := r.relation[1])}
        for rec in view.records:
            if rec.kind != "survey" or rec.date is None or (year is not None and rec.date.year != year):
                continue
            for entry in as_list(rec.data.get("items")):
                entry = as_dict(entry)
                points = score(entry.get("rating"))
                item = as_str(entry.get("item"))
                if points is None or item is None:
                    continue
                counts[item][5 - points] += 1
                if points <= 2 and rec.id not in followed:
                    unanswered.append({"customer": view.customer, "survey": rec.id, "date": rec.date, "item": item,
                                       "rating": LEVELS[5 - points], "comment": as_str(entry.get("comment"))})
    rows = []
    for item, tally in counts.items():
        n = sum(tally)
        mean = cents(Decimal(sum(c * (5 - i) for i, c in enumerate(tally))) / n)
        rows.append({"item": item, **dict(zip(LEVELS, tally)), "answers": n, "mean": mean})
    rows.sort(key=lambda r: (-r["answers"], r["item"]))
    unanswered.sort(key=lambda r: (r["date"], r["customer"], r["survey"], r["item"]))
    when = f" {year}" if year else ""
    title = f"satisfaction{when}: {sum(r['answers'] for r in rows)} answers, {len(unanswered)} unhappy without follow-up"
    return Report("satisfaction", title, {"items": Table(ITEM_COLUMNS, rows), "unanswered": Table(OPEN_COLUMNS, unanswered)}, {"year": year})
