"""Values at the edge of the calendar and of arithmetic: every command answers, none crashes.

Found by the bad-input corpus: a date of 9999-12-31 passed validate and then
broke `report due`, `customer show` and `index` (date + days overflowed), an
order line of 4000-digit numbers crashed validate itself (decimal.Overflow),
an amount of 1e999999999 broke `report composition`, and a reference template
with an unknown field broke `close`.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import make_repo, write_tree

CARD = "customers/KH0001/card.yaml"
ORDER = "customers/KH0001/transactions/2025/2025-04-01-order-m3xa.yaml"


def _edit(root: Path, rel: str, old: str, new: str) -> None:
    text = (root / rel).read_text(encoding="utf-8")
    assert old in text
    write_tree(root, {rel: text.replace(old, new)})


def test_the_last_date_there_is_is_valid_and_every_view_works(base: Path, cli) -> None:
    _edit(base, CARD, "reviewed: 2025-01-15", "reviewed: 9999-12-31")
    assert cli("validate", cwd=base).code == 0
    due = cli("report", "due", "--as-of", "2025-06-01", "--format", "json", cwd=base)
    assert due.code == 0 and due.err == ""
    assert [(row["customer"], row["rule"]) for row in json.loads(due.out)["rows"]] == [("KH0001", "next_contact")]
    shown = cli("customer", "show", "KH0001", cwd=base)
    assert shown.code == 0 and "next contact  2025-03-16" in shown.out
    assert cli("index", cwd=base).code == 0


def test_a_visit_on_the_last_days_of_the_calendar_gets_no_impossible_next_contact(base: Path, cli) -> None:
    result = cli("visit", "add", "KH0002", "--date", "9999-12-30", "--by", "李娜", "--summary", "电话沟通", cwd=base)
    assert (result.code, result.err) == (0, "")
    written = (base / result.out.strip()).read_text(encoding="utf-8")
    assert "date: 9999-12-30" in written and "next_contact" not in written
    assert cli("validate", cwd=base).code == 0


def test_order_lines_of_thousands_of_digits_are_findings_not_a_crash(base: Path, cli) -> None:
    _edit(base, ORDER, "qty: 40, unit_price: 860.00", "qty: 1e999999, unit_price: 1e999999")
    result = cli("validate", cwd=base)
    assert result.code == 1 and "Traceback" not in result.err and "internal error" not in result.err
    assert [line.split(": ")[1].split(" ")[0] for line in result.out.splitlines()] == ["S208", "S208"]


def test_reports_skip_an_amount_out_of_range(base: Path, cli) -> None:
    _edit(base, ORDER, "amount: 55950.00", "amount: 1e999999999")
    assert "S208 amount is 1E+999999999; it must be less than 1000000000000000" in cli("validate", cwd=base).out
    result = cli("report", "composition", "--year", "2025", cwd=base)
    assert (result.code, result.err) == (0, "")
    assert result.out.startswith("sales composition by grade, 2025: CNY 0.00")


def test_settings_out_of_range_stop_other_commands_with_one_line(base: Path, cli) -> None:
    write_tree(base, {"cardctl.yaml": (base / "cardctl.yaml").read_text(encoding="utf-8") + "revisit_days: 1000000000\n"})
    result = cli("report", "due", "--as-of", "2025-06-01", cwd=base)
    assert (result.code, result.err) == (3, "cardctl: error: cardctl.yaml has errors; run `cardctl validate` to see them\n")


def test_a_reference_template_with_an_unknown_field_is_a_finding_and_close_refuses(base: Path, cli) -> None:
    write_tree(base, {"cardctl.yaml": (base / "cardctl.yaml").read_text(encoding="utf-8") + 'reference: "{fonds}-{nope}-{item}"\n'})
    make_repo(base)
    found = cli("validate", cwd=base).out
    assert found.startswith("cardctl.yaml:6:12: S205 reference is '{fonds}-{nope}-{item}': unknown field {nope}")
    result = cli("close", "2025", "--dry-run", cwd=base)
    assert (result.code, result.err) == (3, "cardctl: error: cardctl.yaml has errors; run `cardctl validate` to see them\n")


def test_an_amount_in_exponent_form_is_written_as_a_plain_number(base: Path, cli) -> None:
    """1e3 is an amount validate accepts; record add once refused it with an F107 about a `!!float` tag nobody wrote."""
    result = cli("record", "add", "KH0001", "contract", "--by", "张伟", "--title", "年度合同", "--set", "contract_no=HT-1", "--set", "amount=1e3", cwd=base)
    assert (result.code, result.err) == (0, "")
    assert (base / result.out.strip()).read_text(encoding="utf-8").endswith("amount: 1000\n")
    assert cli("validate", cwd=base).code == 0
