"""The reports' cache: a report from the cache is exactly the report of a fresh read.

Each report keeps what it read of every dossier git finds unchanged in
.cardctl/cache/report-<name>.json; a change of any kind (unstaged, staged,
committed) is read afresh, and a damaged or foreign cache is never trusted.
"""

from __future__ import annotations

import json
import math
import os
from decimal import Decimal
from pathlib import Path

import pytest

from cardctl import cache, dossier_cache, dossiers
from cardctl.archive import Archive
from cardctl.reports import views
from conftest import git, make_repo, spy_on
from test_reports import AS_OF, REPORTS

LINES = {  # the command line of each report, judged on a fixed day
    "due": ["due", "--as-of", AS_OF.isoformat()],
    "credit": ["credit", "--as-of", AS_OF.isoformat()],
    "risk": ["risk", "--as-of", AS_OF.isoformat()],
    "composition": ["composition", "--year", "2025"],
    "satisfaction": ["satisfaction"],
}


@pytest.fixture
def example_repo(example: Path) -> Path:
    return make_repo(example)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The customers whose dossiers are read from disk (in this process: the example is too small for workers)."""
    return spy_on(monkeypatch, dossiers, "view")


def cache_file(root: Path, name: str) -> Path:
    return root / f".cardctl/cache/report-{name}.json"


def report(root: Path, name: str, cached: bool = True):
    module, build = REPORTS[name]
    return build(Archive(root), views.stream(Archive(root), module.NEEDS, cached=cached))


@pytest.mark.parametrize("name", list(REPORTS))
def test_every_report_from_its_cache_is_the_fresh_report(example_repo: Path, cli, name: str) -> None:
    fresh = cli("report", *LINES[name], "--format", "json", "--no-cache", cwd=example_repo)
    assert fresh.code == 0, fresh.err
    assert not cache_file(example_repo, name).exists()  # --no-cache writes none
    cold = cli("report", *LINES[name], "--format", "json", cwd=example_repo)
    assert cache_file(example_repo, name).is_file()
    warm = cli("report", *LINES[name], "--format", "json", cwd=example_repo)
    assert fresh.out == cold.out == warm.out and json.loads(fresh.out)
    assert git(example_repo, "status", "--porcelain") == ""  # the cache is no change to the archive


def test_a_warm_report_reads_only_the_dossiers_that_changed(example_repo: Path, reads: list[str]) -> None:
    first = report(example_repo, "due")
    everyone = sorted(p.name for p in (example_repo / "customers").iterdir())
    assert sorted(reads) == everyone
    reads.clear()
    assert report(example_repo, "due") == first
    assert reads == []
    assert report(example_repo, "due", cached=False) == first and sorted(reads) == everyone


def test_changes_of_every_kind_reach_the_report(example_repo: Path, reads: list[str]) -> None:
    before = report(example_repo, "due")
    customer = before.tables["rows"].rows[0]["customer"]
    card = example_repo / f"customers/{customer}/card.yaml"
    text = card.read_text(encoding="utf-8")
    assert "status: active" in text or "status: prospect" in text
    card.write_text(text.replace("status: active", "status: lost").replace("status: prospect", "status: lost"), encoding="utf-8")

    def gone() -> bool:
        reads.clear()
        after = report(example_repo, "due")
        assert after == report(example_repo, "due", cached=False)
        return customer not in {r["customer"] for r in after.tables["rows"].rows}

    assert gone()  # unstaged
    git(example_repo, "add", "-A")
    assert gone()  # staged
    git(example_repo, "commit", "-qm", "lost")
    assert gone()  # committed: read afresh once, then from the cache
    reads.clear()
    assert customer not in {r["customer"] for r in report(example_repo, "due").tables["rows"].rows}
    assert reads == []
    git(example_repo, "reset", "-q", "--hard", "HEAD~1")
    assert report(example_repo, "due") == before


@pytest.mark.parametrize("damage", ['[null, {"m": 5}, [["customers/x/y", 1]]]', "[" * 200_000], ids=["wrong shape", "too deep"])
def test_a_damaged_entry_is_read_afresh_and_mended(example_repo: Path, reads: list[str], damage: str) -> None:
    first = report(example_repo, "credit")
    path = cache_file(example_repo, "credit")
    data = cache.load(path)
    customer = sorted(data["entries"])[0]
    data["entries"][customer][1] = damage  # its key still matches
    path.write_bytes(cache.dump(data))
    reads.clear()
    assert report(example_repo, "credit") == first
    assert reads == [customer]
    reads.clear()
    assert report(example_repo, "credit") == first and reads == []


@pytest.mark.parametrize("junk", ["{not json", "[]", '{"stamp": "x", "entries": {}}', '{"stamp": null, "entries": 5}'])
def test_a_broken_or_foreign_cache_is_ignored(example_repo: Path, reads: list[str], junk: str) -> None:
    first = report(example_repo, "risk")
    cache_file(example_repo, "risk").write_text(junk, encoding="utf-8")
    reads.clear()
    assert report(example_repo, "risk") == first and reads
    assert cache.load(cache_file(example_repo, "risk"))["entries"]


def _same_through_the_cache(cli, root: Path, name: str) -> str:
    """The report's JSON, the same fresh, filling the cache, and from it; the cache kept something."""
    runs = [cli("report", *LINES[name], "--format", "json", *extra, cwd=root) for extra in (["--no-cache"], [], [])]
    assert [r.code for r in runs] == [0, 0, 0], runs[0].err + runs[1].err
    assert runs[0].out == runs[1].out == runs[2].out
    assert cache.load(cache_file(root, name))["entries"]
    return runs[0].out


def test_a_record_whose_name_is_not_utf8_goes_through_the_cache(example_repo: Path, cli) -> None:
    """A file name git holds as raw bytes is kept escaped in the cache's JSON, and comes back the same."""
    folder = example_repo / "customers/KH0001/transactions/2025"
    source = folder / "2025-04-01-order-tx8a.yaml"
    odd = Path(os.fsdecode(bytes(folder) + b"/2025-04-02-order-\xff.yaml"))
    odd.write_bytes(source.read_bytes())
    git(example_repo, "add", "-A")
    git(example_repo, "commit", "-qm", "a name that is not UTF-8")
    _same_through_the_cache(cli, example_repo, "composition")


def test_an_int_too_long_to_print_in_decimal_goes_through_the_cache(example_repo: Path, cli) -> None:
    """YAML's 0x form can spell an int Python refuses to print in decimal (over 4 300 digits)."""
    order = example_repo / "customers/KH0001/transactions/2025/2025-04-01-order-tx8a.yaml"
    order.write_text(order.read_text(encoding="utf-8").replace("amount: 206600.00", "amount: 0x" + "F" * 4000), encoding="utf-8")
    git(example_repo, "commit", "-qam", "a long number")
    _same_through_the_cache(cli, example_repo, "composition")
    big = int("F" * 4000, 16)
    (record,) = [r for v in views.stream(Archive(example_repo), REPORTS["composition"][0].NEEDS) for r in v.records if r.path.endswith("tx8a.yaml")]
    assert record.data["amount"] == big


@pytest.mark.parametrize("what", ["fifo", "device", "deep"])
def test_a_cache_file_that_cannot_be_cardctls_is_passed_by(example_repo: Path, cli, what: str) -> None:
    """Neither waits on a pipe or a device put in its place, nor fails on JSON deeper than Python's stack."""
    expected = _same_through_the_cache(cli, example_repo, "due")
    assert cli("validate", cwd=example_repo).code == 0  # and validate's findings
    for file in (cache_file(example_repo, "due"), example_repo / dossier_cache.FINDINGS):
        file.unlink()
        if what == "fifo":
            os.mkfifo(file)
        elif what == "device":
            file.symlink_to("/dev/zero")
        else:
            file.write_text("[" * 200_000, encoding="utf-8")
    assert cli("report", *LINES["due"], "--format", "json", cwd=example_repo).out == expected
    assert cli("validate", cwd=example_repo).code == 0


def test_a_byte_changed_on_disk_that_leaves_valid_json_is_not_trusted(example_repo: Path, cli) -> None:
    """The file's digest covers it: an amount of 206600.00 that became 206601.00 would still be JSON."""
    expected = _same_through_the_cache(cli, example_repo, "composition")
    path = cache_file(example_repo, "composition")
    raw = path.read_bytes()
    assert raw.count(b"206600") == 1
    path.write_bytes(raw.replace(b"206600", b"206601"))
    assert cli("report", *LINES["composition"], "--format", "json", cwd=example_repo).out == expected
    assert cache.load(path) is not None  # written afresh


def test_outside_git_there_is_no_cache(example: Path) -> None:
    assert report(example, "due").tables["rows"].rows
    assert not (example / ".cardctl/cache").exists()


def test_values_keep_their_type_through_the_cache() -> None:
    data = {"id": "x", "kind": "order", "date": "2025-01-01", "amount": Decimal("-0.10"), "lines": [
        {"amount": Decimal("1E+3"), 1: True, None: 1, "q": [math.inf, -0.0, "s", False, 0]}]}
    needs = views.Needs("t", ("order",), ("amount", "lines"))
    from cardctl.layout import Dossier, RecordFile
    from cardctl.model import Record
    from cardctl.rules import DossierView
    from cardctl.yamlio import Document

    path = "customers/KH0001/transactions/2025/x.yaml"
    view = DossierView(Dossier("KH0001", None, []), None, [Record(RecordFile(path, "KH0001", "transactions", "2025", "x"), Document(path, None, data, []))])
    (back,) = views.decode("KH0001", views.encode(view, needs), needs).records
    assert dict(back.data) == data
    line = back.data["lines"][0]
    assert [type(v) for v in line["q"]] == [float, float, str, bool, int] and math.copysign(1, line["q"][1]) == -1
    assert type(line[1]) is bool and type(line[None]) is int and str(back.data["amount"]) == "-0.10"
    nan = views.decode("KH0001", views.encode(DossierView(Dossier("KH0001", None, []), None, [
        Record(view.records[0].file, Document(path, None, {"amount": math.nan}, []))]), needs), needs)
    assert math.isnan(nan.records[0].data["amount"])


def test_a_field_the_report_did_not_name_is_a_loud_error() -> None:
    fields = views.Fields({"amount": 1}, frozenset({"amount", "id"}))
    assert fields.get("amount") == 1 and fields.get("id") is None and "id" not in fields
    with pytest.raises(LookupError, match="'owner'"):
        fields.get("owner")
