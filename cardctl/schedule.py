"""When each customer is next to be contacted (SPEC §6 `due`; seeds 001, 003).

One place derives the last and next contact, for `customer show`, the
register and `report due`:
- prospects: last contact + follow_up_days[level], the level re-judged at
  every visit (H 7 days, A 30, B 90, C 180, seed 003 意向级别);
- an explicit `next_contact` on the latest contact;
- active customers: the care schedule, `period_days / contacts` after the last
  contact (11 contacts in 2 years, seed 003 保有客户);
- active and dormant customers: a revisit at least every `revisit_days`
  ("每一年至少进行一次回访", seed 003);
- every customer: a list review every `review_days` after `reviewed` (or
  `since`) (seed 001: the list is reviewed at least every two years).
Lost, bad and closed customers have nothing due. Any recorded contact (a
visit of any channel) resets the clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from cardctl.model import Record, as_date, as_str
from cardctl.settings import Settings

INACTIVE = ("lost", "bad", "closed")


@dataclass(frozen=True, order=True)
class Due:
    date: date
    rule: str  # intent-H ... | next_contact | care | revisit | review
    detail: str


@dataclass(frozen=True)
class ContactPlan:
    last_contact: date | None
    last_visit: str | None  # record id
    level: str | None  # current intent level of a prospect
    dues: tuple[Due, ...]  # every rule that applies, earliest first

    @property
    def next(self) -> Due | None:
        return self.dues[0] if self.dues else None


def after(day: date, days: int) -> date | None:
    """`day` plus `days`, or None when that is past the last date there is (9999-12-31)."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return None


def plan(card: dict[str, Any], records: Iterable[Record], settings: Settings) -> ContactPlan:
    visits = sorted((r for r in records if r.kind == "visit" and r.date is not None), key=lambda r: (r.date, r.id))
    latest = visits[-1] if visits else None
    last = latest.date if latest else None
    status = as_str(card.get("status"))
    since = as_date(card.get("since"))
    level = next((as_str(v.data.get("intent")) for v in reversed(visits) if as_str(v.data.get("intent"))), None) or as_str(card.get("intent"))
    if status in INACTIVE:
        return ContactPlan(last, latest.id if latest else None, level, ())
    clock = last or since
    dues: list[Due | None] = []
    if clock is not None:
        if status == "prospect" and level in settings.follow_up_days:
            days = settings.follow_up_days[level]
            dues.append(_due(after(clock, days), f"intent-{level}", f"level {level} prospect: contact within {days} days"))
        if status == "active":
            interval = settings.care_period_days // settings.care_contacts
            dues.append(_due(after(clock, interval), "care", f"care schedule: {settings.care_contacts} contacts in {settings.care_period_days} days"))
        if status in ("active", "dormant"):
            dues.append(_due(after(clock, settings.revisit_days), "revisit", f"yearly revisit: every {settings.revisit_days} days"))
    if latest is not None and (planned := as_date(latest.data.get("next_contact"))) is not None:
        dues.append(Due(planned, "next_contact", f"next contact planned at {latest.id}"))
    reviewed = as_date(card.get("reviewed")) or since
    if reviewed is not None:
        dues.append(_due(after(reviewed, settings.review_days), "review", f"list review: every {settings.review_days} days"))
    return ContactPlan(last, latest.id if latest else None, level, tuple(sorted(d for d in dues if d is not None)))


def _due(day: date | None, rule: str, detail: str) -> Due | None:
    return Due(day, rule, detail) if day is not None else None
