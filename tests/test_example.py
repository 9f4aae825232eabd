"""examples/archive: the archive a new user explores first must be clean and complete."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from cardctl import layout
from cardctl.archive import Archive
from cardctl.validate import check
from cardctl.yamlio import RoundTrip
from conftest import EXAMPLE

YAML_FILES = sorted(p for p in EXAMPLE.rglob("*.yaml") if not p.name.startswith("."))


def test_example_validates_clean() -> None:
    assert check(Archive(EXAMPLE)) == []


def test_example_covers_the_domain() -> None:
    archive = Archive(EXAMPLE)
    tree = layout.scan(EXAMPLE)
    records = [r for d in tree.dossiers.values() for r in archive.records(d)]
    cards = [c.data for c in archive.cards()]
    assert len(cards) >= 12 and len(records) >= 200
    assert set(archive.schemas.kinds) == {r.kind for r in records}
    assert len({r.file.year for r in records}) >= 2
    statuses = Counter(c["status"] for c in cards)
    assert statuses["bad"] >= 1 and statuses["active"] >= 1 and statuses["dormant"] >= 1
    assert {c.get("intent") for c in cards if c["status"] == "prospect"} >= {"H", "A", "B", "C"}
    assert {c["type"] for c in cards} >= {"company", "individual", "government", "partner"}
    assert sum(len(d.attachments) for d in tree.dossiers.values()) >= 3


@pytest.mark.parametrize("path", YAML_FILES, ids=[p.relative_to(EXAMPLE).as_posix() for p in YAML_FILES])
def test_every_example_file_round_trips_byte_identical(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert RoundTrip(text).dump() == text
