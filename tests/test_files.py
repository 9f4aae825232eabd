"""Reading archive files: every defect of the file itself is a finding with a location."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from cardctl.archive import Archive
from cardctl.problems import Problem
from cardctl.yamlio import Locator, RoundTrip, atomic_write, read_document
from conftest import write_tree


def findings(raw: bytes) -> list[tuple[int, int, str]]:
    return [(p.line, p.column, p.code) for p in read_document(raw, "f.yaml").problems]


def test_plain_data_keeps_dates_as_text_and_money_exact() -> None:
    doc = read_document(b"date: 2025-03-02\namount: 0.10\nqty: 3\nflag: no\nzip: 010\n", "f.yaml")
    assert doc.problems == []
    assert doc.data == {"date": "2025-03-02", "amount": Decimal("0.10"), "qty": 3, "flag": "no", "zip": 10}
    assert doc.data["amount"] + Decimal("0.20") == Decimal("0.30")


def test_impossible_date_is_data_not_a_crash() -> None:
    doc = read_document(b"date: 2025-02-30\n", "f.yaml")
    assert doc.problems == [] and doc.data == {"date": "2025-02-30"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"a: 1\nb: 2\na: 3\n", [(3, 1, "F105")]),
        (b"a: 1\n b: 2\n", [(2, 3, "F104")]),
        (b"a: &x 1\nb: *x\n", [(1, 4, "F106"), (2, 4, "F106")]),
        (b"a: !!python/object:os.system 1\n", [(1, 4, "F107")]),
        (b"a: !mine 1\n", [(1, 4, "F107")]),
        (b"\xef\xbb\xbfa: 1\n", [(1, 1, "F102")]),
        (b"a: 1\r\nb: 2\r\n", [(1, 1, "F103")]),
        (b"a: 1\nb: caf\xe9\n", [(2, 7, "F101")]),
        (b"", [(1, 1, "F108")]),
        (b"# only a comment\n", [(1, 1, "F108")]),
        (b"a: 1\n---\nb: 2\n", [(2, 1, "F109")]),
        (b"- 1\n- 2\n", [(1, 1, "F110")]),
        (b"1: a\n'1': b\n", [(1, 1, "F111")]),
        (b"a: b\x00c\n", [(1, 5, "F104")]),
        (b"a: " + b"[" * 10000 + b"]" * 10000 + b"\n", [(1, 4, "F112")]),
        (b"a: 1\nk", [(2, 1, "F104")]),  # the parser's mark past the last line (found by tests/test_fuzz.py)
        (b"a: 1\rb: 2\r", [(1, 1, "F103")]),
        (b"a: x\xe2\x80\xa8y\n", [(1, 5, "F104")]),
        (b"a: 010\nb: 0" + b"1" * 5000 + b"\n", [(2, 4, "F104")]),
    ],
)
def test_file_defects(raw: bytes, expected: list[tuple[int, int, str]]) -> None:
    assert findings(raw) == expected


def test_billion_laughs_is_rejected_before_expansion() -> None:
    lines = [b"a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [b"a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]" % ((i, i) + (i - 1,) * 9) for i in range(1, 10)]
    doc = read_document(b"\n".join(lines) + b"\n", "f.yaml")
    assert doc.data is None
    assert {p.code for p in doc.problems} == {"F106"}


def test_huge_file_is_refused_without_parsing() -> None:
    doc = read_document(b"a: " + b"x" * (6 * 1024 * 1024) + b"\n", "f.yaml")
    assert [p.code for p in doc.problems] == ["F112"]


@pytest.mark.parametrize("path", ["seals/2024.yaml", "customers/KH0001/transactions/2024/VOLUME-D30.yaml"])
def test_files_a_close_writes_may_outgrow_a_record(tmp_path: Path, path: str) -> None:
    """A seal lists every volume of its year: 8 MB for 10 000 customers, past the 5 MB of a record."""
    entry = b"- path: customers/KH00001/basic/2016/VOLUME-D10.yaml\n  digest: " + b"0" * 64 + b"\n"
    big = b"year: 2024\nvolumes:\n" + entry * (6 * 1024 * 1024 // len(entry))
    write_tree(tmp_path, {path: big, "customers/KH0001/basic/2024/2024-01-02-visit-big1.yaml": big})
    assert len(big) > 6 * 1024 * 1024
    seal = Archive(tmp_path).read(path)
    assert seal.ok and len(seal.data["volumes"]) == big.count(b"- path:")
    record = Archive(tmp_path).read("customers/KH0001/basic/2024/2024-01-02-visit-big1.yaml")
    assert [p.message for p in record.problems] == [f"file is {len(big)} bytes; archive files are at most 5242880 bytes"]


@pytest.mark.parametrize("extra", [1, 5, 70_000])
def test_file_systems_that_read_in_pieces_give_the_same_bytes_and_limits(tmp_path: Path, monkeypatch, extra: int) -> None:
    """A network or FUSE file system returns short reads (64 KiB here, which divides the 5 MB limit):
    a file over the limit is still too large, and one under it is read whole."""
    import os

    from cardctl.yamlio import MAX_BYTES

    real_read = os.read
    monkeypatch.setattr(os, "read", lambda fd, n: real_read(fd, min(n, 64 * 1024)))
    over = b"a: 1\n" + b"#" * (MAX_BYTES + extra - 5)
    under = b"a: 1\n" + b"#" * (MAX_BYTES - 5 - extra)
    write_tree(tmp_path, {"over.yaml": over, "under.yaml": under})
    assert [p.message for p in Archive(tmp_path).read("over.yaml").problems] == [f"file is {len(over)} bytes; archive files are at most {MAX_BYTES} bytes"]
    assert Archive(tmp_path).read_bytes("under.yaml") == under


def test_unreadable_file_is_a_finding(tmp_path: Path) -> None:
    (tmp_path / "card.yaml").mkdir()  # reading a folder fails like an unreadable file
    doc = Archive(tmp_path).read("card.yaml")
    assert [(p.path, p.code) for p in doc.problems] == [("card.yaml", "F113")]


def test_locator_points_deep_into_lists() -> None:
    text = "lines:\n  - {product: a, qty: 1}\n  - product: b\n    qty: x\n"
    loc = Locator(text)
    assert loc.value(["lines", 1, "qty"]) == (4, 10)
    assert loc.key(["lines", 1, "qty"]) == (4, 5)
    assert loc.value(["lines", 0, "qty"]) == (2, 23)
    # a path that is not there resolves to the deepest part that is
    assert loc.value(["lines", 1, "missing"]) == (3, 5)


def test_round_trip_is_byte_identical_and_keeps_comments() -> None:
    text = (
        "# 客户档案卡\nid: KH0042\nname: 上海华润贸易有限公司   # 全称\n"
        "credit: {grade: A, limit: 500000.00, currency: CNY}\nphone: \"+86 21 5888 0000\"\n"
        "contacts:\n- name: 李强\n  role: '采购经理'\ntags: [a, b]\n"
    )
    rt = RoundTrip(text)
    assert rt.dump() == text
    rt.data["credit"]["limit"] = 80000
    changed = rt.dump().splitlines()
    assert [a for a, b in zip(changed, text.splitlines()) if a != b] == ["credit: {grade: A, limit: 80000, currency: CNY}"]


def test_atomic_write_replaces_whole_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "x.yaml"
    atomic_write(target, b"a: 1\n")
    atomic_write(target, b"a: 2\n")
    assert target.read_bytes() == b"a: 2\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["x.yaml"]
    assert target.stat().st_mode & 0o644 == 0o644


def test_problem_sorting_is_by_path_then_line() -> None:
    ps = [Problem("b.yaml", 1, 1, "F104", "x"), Problem("a.yaml", 9, 1, "F104", "x"), Problem("a.yaml", 2, 5, "F104", "x")]
    assert [(p.path, p.line) for p in sorted(ps)] == [("a.yaml", 2), ("a.yaml", 9), ("b.yaml", 1)]


def test_a_relative_archive_root_reads_the_same(base: Path, monkeypatch) -> None:
    from cardctl.validate import check

    monkeypatch.chdir(base)
    assert check(Archive(Path("."))) == [] == check(Archive(base))
