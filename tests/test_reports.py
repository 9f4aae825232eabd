"""Each report rule on a small hand-made archive with a known answer."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from cardctl import dossiers
from cardctl.archive import Archive
from cardctl.reports import composition, credit, due, risk, satisfaction, views
from conftest import write_tree

AS_OF = date(2025, 12, 1)
SETTINGS = "cardctl: 1\nname: 测试\n"


def card(cid: str, name: str, status: str, **extra: str) -> str:
    lines = [f"id: {cid}", f"name: {name}", "type: company", f"status: {status}", f"since: {extra.pop('since', '2025-01-01')}"]
    lines += [f"{k}: {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def visit(cid: str, day: str, suffix: str, **extra: str) -> tuple[str, str]:
    rid = f"{day}-visit-{suffix}"
    body = f"id: {rid}\nkind: visit\ndate: {day}\nauthor: 张伟\nchannel: visit\nsummary: s\n" + "".join(f"{k}: {v}\n" for k, v in extra.items())
    return f"customers/{cid}/basic/{day[:4]}/{rid}.yaml", body


def record(cid: str, category: str, kind: str, day: str, suffix: str, body: str) -> tuple[str, str]:
    rid = f"{day}-{kind}-{suffix}"
    return f"customers/{cid}/{category}/{day[:4]}/{rid}.yaml", f"id: {rid}\nkind: {kind}\ndate: {day}\ntitle: t\nauthor: 张伟\n{body}"


def archive(tmp_path: Path, files: dict[str, str]) -> Archive:
    root = write_tree(tmp_path / "a", {"cardctl.yaml": SETTINGS, **files})
    return Archive(root)


def as_seen(a: Archive, module) -> list:
    """The dossiers as the report command sees them: cut down to what the report's Needs name."""
    return list(views.stream(a, module.NEEDS, cached=False))


def test_due_rules(tmp_path: Path) -> None:
    a = archive(tmp_path, dict([
        ("customers/KH0001/card.yaml", card("KH0001", "意向H", "prospect", intent="H", owner="张伟")),
        visit("KH0001", "2025-11-21", "aaaa"),  # H: due 11-28, 3 days overdue
        ("customers/KH0002/card.yaml", card("KH0002", "计划", "prospect", intent="C", owner="李娜")),
        visit("KH0002", "2025-11-01", "bbbb", next_contact="2025-11-20"),  # explicit next: 11 days
        ("customers/KH0003/card.yaml", card("KH0003", "保有", "active", owner="张伟", reviewed="2025-06-01")),
        visit("KH0003", "2025-09-22", "cccc"),  # care: 730 // 11 = 66 days -> 11-27, 4 days
        visit("KH0003", "2025-12-20", "cccd"),  # after as-of: ignored
        ("customers/KH0004/card.yaml", card("KH0004", "休眠", "dormant", since="2020-01-01", reviewed="2025-01-01")),
        visit("KH0004", "2024-10-27", "dddd"),  # revisit: 365 days -> 2025-10-27, 35 days
        ("customers/KH0005/card.yaml", card("KH0005", "待复核", "active", since="2023-01-01", reviewed="2023-11-02")),
        visit("KH0005", "2025-11-30", "eeee"),  # review: 730 days (a leap year between) -> 2025-11-01, 30 days
        ("customers/KH0006/card.yaml", card("KH0006", "流失", "lost", since="2020-01-01")),
        ("customers/KH0007/card.yaml", card("KH0007", "不良", "bad", since="2020-01-01")),
        ("customers/KH0008/card.yaml", card("KH0008", "正常", "prospect", intent="B")),
        visit("KH0008", "2025-11-20", "ffff"),  # B: due 2026-02-18, not yet
    ]))
    rep = due.build(a, as_seen(a, due), AS_OF)
    got = [(r["customer"], r["rule"], r["due"].isoformat(), r["days_overdue"]) for r in rep.tables["rows"].rows]
    assert got == [
        ("KH0004", "revisit", "2025-10-27", 35),
        ("KH0005", "review", "2025-11-01", 30),
        ("KH0002", "next_contact", "2025-11-20", 11),
        ("KH0003", "care", "2025-11-27", 4),
        ("KH0001", "intent-H", "2025-11-28", 3),
    ]
    only = due.build(a, as_seen(a, due), AS_OF, owner="张伟")
    assert [r["customer"] for r in only.tables["rows"].rows] == ["KH0003", "KH0001"]


def test_visit_intent_supersedes_the_card_and_resets_the_clock(tmp_path: Path) -> None:
    a = archive(tmp_path, dict([
        ("customers/KH0001/card.yaml", card("KH0001", "x", "prospect", intent="C")),
        visit("KH0001", "2025-11-01", "aaaa", intent="A"),  # A: 30 days -> 12-01, due today (0 days)
    ]))
    rows = due.build(a, as_seen(a, due), AS_OF).tables["rows"].rows
    assert [(r["rule"], r["days_overdue"]) for r in rows] == [("intent-A", 0)]


def test_composition_is_exact_and_shares_add_up(tmp_path: Path) -> None:
    order = "order_no: o\nlines:\n  - {product: 垫片, qty: 1, unit_price: 0.10, amount: 0.10}\n  - {product: 螺栓, qty: 1, unit_price: 0.20, amount: 0.20}\namount: 0.30\n"
    a = archive(tmp_path, dict([
        ("customers/KH0001/card.yaml", card("KH0001", "甲", "active", grade="A", region="华东")),
        record("KH0001", "transactions", "order", "2025-03-01", "aaaa", order),
        record("KH0001", "transactions", "contract", "2025-04-01", "aaab", "contract_no: c\namount: 0.10\nproduct: 垫片\n"),
        ("customers/KH0002/card.yaml", card("KH0002", "乙", "active", grade="B", region="华东")),
        record("KH0002", "transactions", "contract", "2025-05-01", "bbbb", "contract_no: c\namount: 0.20\n"),
        record("KH0002", "transactions", "contract", "2024-05-01", "bbbc", "contract_no: c\namount: 99.00\n"),  # other year
        ("customers/KH0003/card.yaml", card("KH0003", "丙", "active")),
        record("KH0003", "transactions", "order", "2025-06-01", "cccc", "order_no: o\nlines:\n  - {product: 垫片, qty: 1, unit_price: 0.20, amount: 0.20}\namount: 0.20\n"),
    ]))
    by_grade = composition.build(a, as_seen(a, composition), "grade", 2025).tables["rows"]
    assert [(r["grade"], str(r["amount"]), str(r["share"]), r["customers"]) for r in by_grade.rows] == [
        ("A", "0.40", "50.00", 1), ("(none)", "0.20", "25.00", 1), ("B", "0.20", "25.00", 1)]
    assert (str(by_grade.total["amount"]), str(by_grade.total["share"]), by_grade.total["customers"]) == ("0.80", "100.00", 3)
    by_product = composition.build(a, as_seen(a, composition), "product", 2025).tables["rows"]
    assert [(r["product"], str(r["amount"]), r["customers"]) for r in by_product.rows] == [
        ("垫片", "0.40", 2), ("(none)", "0.20", 1), ("螺栓", "0.20", 1)]
    assert sum(r["amount"] for r in by_product.rows) == by_product.total["amount"]
    thirds = composition.build(a, as_seen(a, composition), "region", 2025).tables["rows"]
    assert sum(r["share"] for r in thirds.rows) == thirds.total["share"]


def arrears(cid: str, day: str, suffix: str, entry: str, amount: str, due_day: str, no: str = "") -> tuple[str, str]:
    extra = f"invoice_no: '{no}'\n" if no else ""
    return record(cid, "credit", "arrears", day, suffix, f"entry: {entry}\namount: {amount}\ndue: {due_day}\n{extra}")


def test_credit_outstanding_fifo_and_over_limit_first(tmp_path: Path) -> None:
    a = archive(tmp_path, dict([
        ("customers/KH0001/card.yaml", card("KH0001", "甲", "active") + "credit: {grade: A, limit: 1000.00}\n"),
        arrears("KH0001", "2025-01-10", "a001", "invoice", "600.00", "2025-02-10", "F1"),
        arrears("KH0001", "2025-03-10", "a002", "invoice", "500.00", "2025-04-10", "F2"),
        arrears("KH0001", "2025-03-20", "a003", "payment", "600.00", "2025-03-20"),
        arrears("KH0001", "2025-04-01", "a004", "write-off", "0.10", "2025-04-01"),
        ("customers/KH0002/card.yaml", card("KH0002", "乙", "active")),
        record("KH0002", "credit", "credit-approval", "2025-02-01", "b000", "limit: 100.00\ngrade: C\napproved_by: 赵\n"),
        arrears("KH0002", "2025-06-01", "b001", "invoice", "150.00", "2025-07-01", "G1"),
        arrears("KH0002", "2025-12-05", "b002", "invoice", "10.00", "2026-01-05", "G2"),  # after as-of
        ("customers/KH0003/card.yaml", card("KH0003", "丙", "prospect")),
    ]))
    rows = credit.build(a, as_seen(a, credit), AS_OF).tables["rows"].rows
    got = [(r["customer"], str(r["limit"]), str(r["outstanding"]), str(r["utilisation"]), r["over_limit"], r["oldest_unpaid"], r["age_days"]) for r in rows]
    assert got == [
        ("KH0002", "100.00", "150.00", "150.00", True, "G1", 183),
        ("KH0001", "1000.00", "499.90", "49.99", False, "F2", 266),
    ]


def test_risk_rules_with_evidence(tmp_path: Path) -> None:
    a = archive(tmp_path, dict([
        ("customers/KH0001/card.yaml", card("KH0001", "久未交易", "active", since="2020-01-01")),
        record("KH0001", "trade", "shipment", "2024-11-01", "a001", "direction: out\nlines:\n  - {product: p, qty: 1}\n"),
        ("customers/KH0002/card.yaml", card("KH0002", "欠款", "active", since="2020-01-01")),
        record("KH0002", "transactions", "order", "2025-10-01", "b000", "order_no: o\nlines:\n  - {product: p, qty: 1, unit_price: 9, amount: 9}\namount: 9\n"),
        arrears("KH0002", "2024-11-15", "b001", "invoice", "900.00", "2024-12-15", "F9"),
        arrears("KH0002", "2025-01-15", "b002", "payment", "100.00", "2025-01-15"),
        ("customers/KH0003/card.yaml", card("KH0003", "不良", "bad", since="2025-06-01")),
        ("customers/KH0004/card.yaml", card("KH0004", "意向", "prospect", since="2020-01-01")),
        ("customers/KH0005/card.yaml", card("KH0005", "新客户", "active", since="2025-03-01")),
    ]))
    rows = risk.build(a, as_seen(a, risk), AS_OF).tables["rows"].rows
    assert [(r["customer"], r["rule"], r["days"], r["evidence"]) for r in rows] == [
        ("KH0001", "inactive", 395, "last business 2024-11-01 (shipment 2024-11-01-shipment-a001)"),
        ("KH0002", "arrears", 381, "invoice F9 of 2024-11-15: 800.00 unpaid"),
        ("KH0003", "status", None, "listed as a bad customer (status: bad)"),
    ]


def survey(cid: str, day: str, suffix: str, items: str) -> tuple[str, str]:
    return record(cid, "service", "survey", day, suffix, f"survey_type: after-sale\nitems:\n{items}")


def test_satisfaction_counts_means_and_open_complaints(tmp_path: Path) -> None:
    a = archive(tmp_path, dict([
        ("customers/KH0001/card.yaml", card("KH0001", "甲", "active")),
        survey("KH0001", "2025-03-01", "s001", "  - {item: 价格, rating: 满意}\n  - {item: 服务, rating: 不满意, comment: 慢}\n"),
        survey("KH0001", "2025-04-01", "s002", "  - {item: 价格, rating: 2}\n  - {item: 服务, rating: 基本满意}\n"),
        record("KH0001", "service", "service-call", "2025-03-05", "f001", "relation: {type: follow-up, of: 2025-03-01-survey-s001}\nsummary: 回访\n"),
        survey("KH0001", "2024-04-01", "s000", "  - {item: 价格, rating: 不满意}\n"),
    ]))
    rep = satisfaction.build(a, as_seen(a, satisfaction), 2025)
    items = {r["item"]: (r["满意"], r["比较满意"], r["基本满意"], r["不太满意"], r["不满意"], r["answers"], str(r["mean"])) for r in rep.tables["items"].rows}
    assert items == {"价格": (1, 0, 0, 1, 0, 2, "3.50"), "服务": (0, 0, 1, 0, 1, 2, "2.00")}
    assert [(r["survey"], r["item"], r["rating"]) for r in rep.tables["unanswered"].rows] == [("2025-04-01-survey-s002", "价格", "不太满意")]
    everything = satisfaction.build(a, as_seen(a, satisfaction), None)
    assert len(everything.tables["unanswered"].rows) == 2


@pytest.mark.parametrize("name", ["due", "credit", "risk", "satisfaction", "composition"])
def test_every_report_runs_in_every_format(example: Path, cli, name: str) -> None:
    extra = ["--as-of", "2026-11-22"] if name in ("due", "credit", "risk") else (["--year", "2025"] if name != "satisfaction" else [])
    text = cli("report", name, *extra, cwd=example)
    assert text.code == 0 and text.err == ""
    as_json = json.loads(cli("report", name, *extra, "--format", "json", cwd=example).out)
    assert as_json["report"] == name
    as_csv = cli("report", name, *extra, "--format", "csv", cwd=example).out
    assert as_csv.splitlines()[0].split(",")[0] in ("customer", "grade", "item")


def test_json_money_is_exact(tmp_path: Path, cli) -> None:
    a = archive(tmp_path, dict([
        ("customers/KH0001/card.yaml", card("KH0001", "甲", "active", grade="A")),
        record("KH0001", "transactions", "contract", "2025-04-01", "aaa1", "contract_no: c\namount: 0.10\n"),
        record("KH0001", "transactions", "contract", "2025-04-02", "aaa2", "contract_no: c\namount: 0.20\n"),
    ]))
    out = cli("report", "composition", "--year", "2025", "--format", "json", cwd=a.root).out
    assert '"amount": 0.3' in out and "0.30000000000000004" not in out
    assert json.loads(out)["total"]["amount"] == 0.3
    assert "0.30" in cli("report", "composition", "--year", "2025", cwd=a.root).out


REPORTS = {"due": (due, lambda a, v: due.build(a, v, AS_OF)), "credit": (credit, lambda a, v: credit.build(a, v, AS_OF)),
           "risk": (risk, lambda a, v: risk.build(a, v, AS_OF)), "composition": (composition, lambda a, v: composition.build(a, v, "grade", 2025)),
           "satisfaction": (satisfaction, lambda a, v: satisfaction.build(a, v, None))}


@pytest.mark.parametrize("report", list(REPORTS))
def test_reports_streamed_by_the_workers_equal_those_of_the_archive_in_memory(report: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command streams dossiers from worker processes (flat memory on 10 000 customers), skipping the
    records that cannot name the report's kinds; the answer is that of every record held in memory."""
    from conftest import EXAMPLE

    monkeypatch.setattr(dossiers, "POOL_MIN_DOSSIERS", 0)  # the pool even for the example's few dossiers
    a = Archive(EXAMPLE)
    module, build = REPORTS[report]
    streamed, loaded = build(a, views.stream(a, module.NEEDS, cached=False)), build(a, dossiers.load(a))  # the original: no cache
    assert streamed == loaded and any(t.rows for t in loaded.tables.values())


def test_may_name_only_skips_what_cannot_spell_the_words() -> None:
    words = [b"visit"]
    assert views.may_name(b"kind: visit\n", words)
    assert not views.may_name(b"kind: order\nchannel: phone\n", words)
    assert views.may_name(b'kind: "\\x76isit"\n', words)  # an escape spells it
    assert views.may_name(b"kind: vis\xef\xbb\xbfit\n", words)  # a stray byte order mark in the middle


def test_records_that_spell_a_kind_oddly_still_count(tmp_path: Path) -> None:
    """Escapes and misnamed files: what may hold a report's kind is parsed, so the skim changes no answer.

    Each odd file names its kind nowhere in plain letters (not in its id either): only an escape spells it.
    """
    a = archive(tmp_path, dict([
        ("customers/KH0001/card.yaml", card("KH0001", "甲", "prospect", intent="H", owner="张伟", grade="A")),
        visit("KH0001", "2025-11-10", "aaaa"),
        ("customers/KH0001/basic/2025/2025-11-15-note-bbbb.yaml",
         'id: 2025-11-15-note-bbbb\nkind: "\\x76isit"\ndate: 2025-11-15\nauthor: 张伟\nchannel: phone\nsummary: s\n'),
        record("KH0001", "transactions", "contract", "2025-04-01", "cccc", 'contract_no: c\namount: 10.00\n'),
        ("customers/KH0001/transactions/2025/2025-04-02-deal-dddd.yaml",
         'id: 2025-04-02-deal-dddd\nkind: "\\u006frder"\ndate: 2025-04-02\ntitle: t\nauthor: 张伟\namount: 5.00\n'),
        record("KH0001", "service", "survey", "2025-05-01", "eeee", "survey_type: after-sale\nitems:\n  - {item: 服务, rating: 不满意}\n"),
        ("customers/KH0001/service/2025/2025-05-02-call-ffff.yaml",
         'id: 2025-05-02-call-ffff\nkind: service-call\ndate: 2025-05-02\ntitle: t\nauthor: 张伟\nsummary: s\n'
         'relation: {type: "follow\\x2dup", of: "2025-05-01-\\x73urvey-eeee"}\n'),
    ]))
    for name, (module, build) in REPORTS.items():
        skimmed, loaded = build(a, views.stream(a, module.NEEDS)), build(a, dossiers.load(a))
        assert skimmed == loaded, name
    assert build_rows(a, "due")[0]["last_contact"] == date(2025, 11, 22 - 7)
    assert REPORTS["composition"][1](a, views.stream(a, composition.NEEDS)).tables["rows"].total["amount"] == Decimal("15.00")
    assert REPORTS["satisfaction"][1](a, views.stream(a, satisfaction.NEEDS)).tables["unanswered"].rows == []
    # and the skim is at work: the due report never parses the contract or the survey (files with escapes, it does)
    (view,) = views.stream(a, due.NEEDS)
    assert sorted(r.file.stem for r in view.records) == ["2025-04-02-deal-dddd", "2025-05-02-call-ffff", "2025-11-10-visit-aaaa", "2025-11-15-note-bbbb"]


def build_rows(a: Archive, name: str) -> list[dict]:
    module, build = REPORTS[name]
    return build(a, views.stream(a, module.NEEDS)).tables["rows"].rows


def test_reports_on_every_broken_archive_equal_those_of_every_record(tmp_path: Path) -> None:
    """Over the whole broken corpus (bad YAML, misfiled and misnamed records, links ...), cutting each dossier
    down to what the report reads, and sending it as JSON text as the cache keeps it, changes no report."""
    from test_corpus import CASES, build_case

    for case in CASES:
        a = Archive(build_case(case, tmp_path / case.name))
        for name, (module, build) in REPORTS.items():
            assert build(a, views.stream(a, module.NEEDS)) == build(a, dossiers.load(a)), (case.name, name)
