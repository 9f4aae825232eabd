"""The order of items inside a volume or catalogue (seed 002 §(二) 6).

"批复在前，请示在后；正件在前，附件在后；印件在前，定稿在后", and a forwarding
document before the original it forwards; otherwise in the order the
documents arose (date, then id). Records that belong together stay together:
a reply is followed by its own attachments, then its request and the
request's attachments.
"""

from __future__ import annotations

from collections.abc import Sequence

from cardctl.filing import GOES_WITH
from cardctl.model import Record


def _key(rec: Record) -> tuple[str, str]:
    return (rec.date.isoformat() if rec.date else "9999-99-99", rec.id)


def in_order(records: Sequence[Record]) -> list[Record]:
    by_id = {r.id: r for r in records}
    parent: dict[str, str] = {}
    for rec in records:
        rel_type, of = rec.relation
        if rel_type in GOES_WITH and of in by_id and of != rec.id:
            parent[rec.id] = of  # attachment after main text, draft after final, original after forwarding
    for rec in sorted(records, key=_key):
        rel_type, of = rec.relation
        if rel_type == "reply" and of in by_id and of not in parent and by_id[of].data.get("expects_reply") is True:
            parent[of] = rec.id  # the request follows its (first) reply
    children: dict[str, list[Record]] = {}
    for child, anchor in parent.items():
        children.setdefault(anchor, []).append(by_id[child])
    placed: list[Record] = []
    seen: set[str] = set()

    def visit(rec: Record) -> None:
        if rec.id in seen:
            return
        seen.add(rec.id)
        placed.append(rec)
        kids = children.get(rec.id, [])
        # own attachments and drafts first, then the request with its own
        for kid in sorted(kids, key=lambda k: (k.relation[0] not in GOES_WITH, _key(k))):
            visit(kid)

    roots = [r for r in records if r.id not in parent or _in_cycle(r.id, parent)]
    for rec in sorted(roots, key=_key):
        visit(rec)
    for rec in sorted(records, key=_key):  # anything left by a cycle
        visit(rec)
    return placed


def _in_cycle(start: str, parent: dict[str, str]) -> bool:
    seen = set()
    node = start
    while node in parent:
        if node in seen:
            return True
        seen.add(node)
        node = parent[node]
    return False
