"""Which year folder a record is filed in (SPEC §4; seed 002 §(二) 5).

"不同年度的资料一般不得放在一起立卷": a record is filed in the year of its date,
except that
- an attachment, draft or forwarded original goes with the record it belongs to;
- a request (请示) and its reply (批复) are filed together in the reply's year
  ("跨年度的请示与批复，放在复文年立卷；没有复文的，放在请示年立卷"), unless the
  request's own year is already closed;
- a document spanning years follows its period's rule: a plan its first year,
  a summary its last year, a meeting the year it opened.
A follow-up (answering a survey or complaint) is filed by its own date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from cardctl.model import Record, as_date, as_dict, as_str

Rule = Literal["date", "reply", "request", "attachment", "draft", "forwarded", "period-first", "period-last", "period-opening"]
GOES_WITH = ("attachment", "draft", "forwarded")


def replies_by_request(records: Sequence[Record]) -> dict[str, list[Record]]:
    """Request id -> its replies, earliest first."""
    out: dict[str, list[Record]] = {}
    for rec in records:
        rel_type, of = rec.relation
        if rel_type == "reply" and of:
            out.setdefault(of, []).append(rec)
    for replies in out.values():
        replies.sort(key=lambda r: (r.data.get("date") or "", r.id) if isinstance(r.data.get("date"), str) else ("", r.id))
    return out


def filing_year(
    record: Record,
    by_id: Mapping[str, Record],
    replies: Mapping[str, list[Record]],
    closed_years: frozenset[int] = frozenset(),
    _seen: frozenset[str] = frozenset(),
) -> tuple[int, Rule] | None:
    """(year, rule that placed it), or None when the record's dates are unusable."""
    if record.id in _seen:  # a cycle of relations: fall back to the record's own date
        return _own(record)
    seen = _seen | {record.id}
    rel_type, of = record.relation
    if rel_type in GOES_WITH and of in by_id:
        placed = filing_year(by_id[of], by_id, replies, closed_years, seen)
        return (placed[0], rel_type) if placed else None  # type: ignore[return-value]
    if record.data.get("expects_reply") is True and replies.get(record.id):
        own = _own(record)
        placed = filing_year(replies[record.id][0], by_id, replies, closed_years, seen)
        # A request whose own year is closed can no longer move to its reply;
        # one that already sits with its reply stays there.
        stays = own is not None and own[0] in closed_years and record.file.year != str(placed[0] if placed else "")
        if own is not None and placed is not None and not stays:
            return placed[0], "request"
    own = _own(record)
    if own is not None and rel_type == "reply" and own[1] == "date":
        return own[0], "reply"
    return own


def _own(record: Record) -> tuple[int, Rule] | None:
    period = as_dict(record.data.get("period"))
    rule = as_str(period.get("rule"))
    if rule in ("first", "last", "opening"):
        day = as_date(period.get("end" if rule == "last" else "start"))
        if day is not None:
            return day.year, f"period-{rule}"  # type: ignore[return-value]
    day = record.date
    return (day.year, "date") if day is not None else None


def retention_of(record: Record, default: str, overrides: Mapping[str, str]) -> str:
    """The record's own retention, else the archive's override for its kind, else the schedule."""
    own = as_str(record.data.get("retention"))
    if own in ("Y", "D30", "D10"):
        return own
    return overrides.get(record.kind or "", default)
