"""key=value assignments against a schema."""

from __future__ import annotations

from datetime import date

import pytest

from cardctl import assign
from cardctl.errors import UsageError
from cardctl.schemas import SchemaSet

CARD = SchemaSet().flatten(SchemaSet().documents["card"])
ORDER = SchemaSet().kinds["order"].schema


def test_values_follow_the_schema() -> None:
    got = {a.key: a.value for a in assign.parse(["phone=13800001234", "credit.limit=80000.50", "since=2025-01-02", "employees=12"], CARD)}
    assert got == {"phone": "13800001234", "credit.limit": 80000.50, "since": date(2025, 1, 2), "employees": 12}


def test_quoted_text_stays_text() -> None:
    (a,) = assign.parse(['doc_no="007"'], ORDER)
    assert a.value == "007"


def test_list_items_are_reachable_and_appendable() -> None:
    data = {"lines": [{"product": "a", "qty": 1}]}
    for a in assign.parse(["lines.0.qty=3", "lines.1.product=b", "lines.1.qty=2"], ORDER):
        assign.apply(data, a)
    assert data == {"lines": [{"product": "a", "qty": 3}, {"product": "b", "qty": 2}]}


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("ownr=张伟", "unknown field 'ownr' (did you mean 'owner'?)"),
        ("credit.limt=1", "unknown field 'credit.limt' (did you mean 'credit.limit'?)"),
        ("contacts.x.name=a", "contacts.x.name: contacts is a list; use a number to pick an item (e.g. contacts.0)"),
        ("name", "expected key=value, got 'name'"),
    ],
)
def test_bad_keys_are_usage_errors(item: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        assign.parse([item], CARD)
    assert str(info.value) == message


def test_index_beyond_the_end_is_refused() -> None:
    (a,) = assign.parse(["contacts.3.name=王五"], CARD)
    with pytest.raises(UsageError, match="there are only 1 items"):
        assign.apply({"contacts": [{"name": "李强"}]}, a)


def test_unset() -> None:
    data = {"credit": {"limit": 1, "grade": "A"}, "tags": ["a", "b"]}
    assert assign.unset(data, "credit.limit") and assign.unset(data, "tags.0")
    assert not assign.unset(data, "nothing.here")
    assert data == {"credit": {"grade": "A"}, "tags": ["b"]}
