"""`cardctl customer add | list | show | set` through the command line."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from conftest import write_tree


def test_add_prints_the_new_id_and_writes_a_valid_card(base: Path, cli) -> None:
    result = cli("customer", "add", "--name", "南京金陵商贸有限公司", "--owner", "王芳", "--grade", "B", "--region", "华东",
                 "--intent", "A", "--phone", "025-8888 1234", "--since", "2025-07-01", cwd=base)
    assert (result.code, result.out, result.err) == (0, "KH0003\n", "")
    card = (base / "customers/KH0003/card.yaml").read_text(encoding="utf-8")
    assert card == (
        "id: KH0003\nname: 南京金陵商贸有限公司\ntype: company\nstatus: prospect\nsince: 2025-07-01\n"
        "owner: 王芳\ngrade: B\nintent: A\nregion: 华东\nphone: 025-8888 1234\n"
    )
    assert cli("validate", cwd=base).code == 0


def test_add_json_output_and_default_since(base: Path, cli) -> None:
    result = cli("customer", "add", "--name", "个人客户王先生", "--type", "individual", "--format", "json", cwd=base)
    assert json.loads(result.out) == {"id": "KH0003", "path": "customers/KH0003/card.yaml", "files": ["customers/KH0003/card.yaml"]}
    assert f"since: {date.today().isoformat()}" in (base / "customers/KH0003/card.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--phone", "021-58880000"], "cardctl: error: phone number 021-58880000 is already on the card of KH0001 上海华润贸易有限公司"),
        (["--uscc", "91350100m000100y43"], "cardctl: error: USCC 91350100M000100Y43 is already on the card of KH0001 上海华润贸易有限公司"),
        (["--since", "2025-02-30"], "cardctl: error: Invalid value for '--since': '2025-02-30' is not a real date in the form YYYY-MM-DD (see 'cardctl customer add --help')"),
        (["--id", "KH0001"], "cardctl: error: customer KH0001 already exists"),
        (["--id", "K42"], "cardctl: error: customer id 'K42' is not of the form KH0042 (1-6 capital letters, 3-9 digits)"),
    ],
)
def test_add_refuses_bad_input_and_writes_nothing(base: Path, cli, args: list[str], message: str) -> None:
    before = sorted(p.name for p in (base / "customers").iterdir())
    result = cli("customer", "add", "--name", "新客户", *args, cwd=base)
    assert (result.code, result.err.strip()) == (2, message)
    assert sorted(p.name for p in (base / "customers").iterdir()) == before


def test_add_with_a_wrong_uscc_check_character_shows_the_finding(base: Path, cli) -> None:
    result = cli("customer", "add", "--name", "新客户", "--uscc", "91350100M000100Y44", cwd=base)
    assert result.code == 2
    assert result.err.splitlines() == [
        "customers/KH0003/card.yaml:7:9: D505 USCC 91350100M000100Y44 has check character 4, but its first 17 characters give 3; a character is mistyped",
        "cardctl: error: the new card of KH0003 is invalid; nothing was written",
    ]
    assert not (base / "customers/KH0003").exists()


def test_add_refuses_owner_outside_staff(base: Path, cli) -> None:
    result = cli("customer", "add", "--name", "新客户", "--owner", "张三", cwd=base)
    assert result.code == 2
    assert "D506 owner 张三 is not in the staff list of cardctl.yaml" in result.err


def test_add_warns_about_a_similar_name(base: Path, cli) -> None:
    result = cli("customer", "add", "--name", "上海华润 贸易有限公司", cwd=base)
    assert result.code == 0
    assert "D504 warning: the same name as KH0001; is this the same customer?" in result.err


def test_list_is_aligned_and_filterable(base: Path, cli) -> None:
    result = cli("customer", "list", cwd=base)
    lines = result.out.splitlines()
    assert lines[0].split() == ["id", "name", "type", "status", "grade", "intent", "region", "owner", "since"]
    # wide characters are measured as two columns: the next column starts at the same place on every row
    from wcwidth import wcswidth

    starts = {wcswidth(line[: line.index("company")]) for line in lines[2:]}
    assert len(starts) == 1
    only = json.loads(cli("customer", "list", "--status", "prospect", "--format", "json", cwd=base).out)
    assert [row["id"] for row in only] == ["KH0002"]
    assert set(only[0]) >= {"id", "name", "type", "status", "grade", "region", "owner"}
    csv_out = cli("customer", "list", "--format", "csv", "--owner", "张伟", cwd=base).out.splitlines()
    assert csv_out[0].startswith("id,name,type,status,grade") and csv_out[1].startswith("KH0001,上海华润贸易有限公司,company,active,A")


def test_show_by_part_of_the_name_hides_personal_data(base: Path, cli) -> None:
    result = cli("customer", "show", "华润", cwd=base)
    assert result.code == 0
    assert result.out.startswith("KH0001  上海华润贸易有限公司")
    assert "喜欢钓鱼" not in result.out
    assert "last contact  2025-03-02" in result.out
    assert "next contact  2025-03-16" in result.out
    shown = json.loads(cli("customer", "show", "KH0001", "--format", "json", cwd=base).out)
    assert shown["records"] == {"basic": 1, "transactions": 1, "credit": 1, "trade": 1, "service": 1}
    assert (shown["last_contact"], shown["next_contact"], shown["next_contact_rule"]) == ("2025-03-02", "2025-03-16", "next_contact")
    assert "personal" not in shown["card"]["contacts"][0]
    personal = json.loads(cli("customer", "show", "KH0001", "--personal", "--format", "json", cwd=base).out)
    assert personal["card"]["contacts"][0]["personal"] == "喜欢钓鱼"


def test_show_unknown_and_ambiguous_customers(base: Path, cli) -> None:
    result = cli("customer", "show", "无此客户", cwd=base)
    assert (result.code, result.err.strip()) == (2, "cardctl: error: unknown customer '无此客户'; `cardctl customer list` shows them all")
    result = cli("customer", "show", "有限", cwd=base)
    assert result.code == 0 and result.out.startswith("KH0001")  # the only name with 有限
    write_tree(base, {"customers/KH0003/card.yaml": "id: KH0003\nname: 上海华联超市\ntype: company\nstatus: prospect\nsince: 2025-01-01\n"})
    result = cli("customer", "show", "上海", cwd=base)
    assert result.code == 2
    assert result.err.strip() == "cardctl: error: '上海' matches 2 customers: KH0001 上海华润贸易有限公司; KH0003 上海华联超市; give the id or more of the name"
    assert cli("customer", "show", "上海华联超市", cwd=base).code == 0


def test_set_changes_one_line_and_keeps_the_rest(base: Path, cli) -> None:
    path = base / "customers/KH0001/card.yaml"
    before = path.read_text(encoding="utf-8")
    result = cli("customer", "set", "KH0001", "credit.limit=800000.00", "contacts.0.phone=13900001111", cwd=base)
    assert (result.code, result.out.strip()) == (0, "updated customers/KH0001/card.yaml")
    after = path.read_text(encoding="utf-8")
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]
    assert changed == [
        ("credit: {grade: A, limit: 500000.00, currency: CNY, terms: 月结30天}", "credit: {grade: A, limit: 800000.00, currency: CNY, terms: 月结30天}"),
        ('    phone: "+86 138 0000 1234"', '    phone: "13900001111"'),
    ]
    assert cli("validate", cwd=base).code == 0


def test_set_without_change_leaves_the_file_byte_identical(base: Path, cli) -> None:
    path = base / "customers/KH0001/card.yaml"
    before = path.read_bytes()
    result = cli("customer", "set", "KH0001", "grade=A", cwd=base)
    assert (result.code, result.out.strip()) == (0, "customers/KH0001/card.yaml unchanged")
    assert path.read_bytes() == before


def test_set_keeps_comments(base: Path, cli) -> None:
    write_tree(base, {"customers/KH0002/card.yaml": "# 意向客户\nid: KH0002\nname: 杭州西湖百货商店  # 全称\ntype: company\nstatus: prospect\nsince: 2025-06-01\nowner: 李娜\nintent: B\n"})
    assert cli("customer", "set", "KH0002", "intent=H", "tags=[百货, 杭州]", cwd=base).code == 0
    text = (base / "customers/KH0002/card.yaml").read_text(encoding="utf-8")
    assert text == "# 意向客户\nid: KH0002\nname: 杭州西湖百货商店  # 全称\ntype: company\nstatus: prospect\nsince: 2025-06-01\nowner: 李娜\nintent: H\ntags: [百货, 杭州]\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ownr=张伟"], "cardctl: error: unknown field 'ownr' (did you mean 'owner'?)"),
        (["id=KH0009"], "cardctl: error: the customer id cannot be changed (it names the dossier folder)"),
        ([], "cardctl: error: nothing to set: give key=value pairs (or --unset KEY)"),
        (["--unset", "fax"], "cardctl: error: unknown field 'fax'"),
    ],
)
def test_set_usage_errors(base: Path, cli, args: list[str], message: str) -> None:
    before = (base / "customers/KH0001/card.yaml").read_bytes()
    result = cli("customer", "set", "KH0001", *args, cwd=base)
    assert (result.code, result.err.strip()) == (2, message)
    assert (base / "customers/KH0001/card.yaml").read_bytes() == before


def test_set_refuses_an_invalid_value_and_writes_nothing(base: Path, cli) -> None:
    before = (base / "customers/KH0001/card.yaml").read_bytes()
    result = cli("customer", "set", "KH0001", "grade=E", "since=2025-02-30", cwd=base)
    assert result.code == 2
    assert result.err.splitlines() == [
        "customers/KH0001/card.yaml:5:8: S206 since is '2025-02-30', not a real date in the form YYYY-MM-DD",
        "customers/KH0001/card.yaml:7:8: S204 grade is 'E'; allowed: A, B, C, D",
        "cardctl: error: the change would make the card of KH0001 invalid; nothing was written",
    ]
    assert (base / "customers/KH0001/card.yaml").read_bytes() == before


def test_set_refuses_another_customers_phone(base: Path, cli) -> None:
    result = cli("customer", "set", "KH0002", "phone=+86 21 58880000", cwd=base)
    assert (result.code, result.err.strip()) == (2, "cardctl: error: phone number +86 21 58880000 is already on the card of KH0001 上海华润贸易有限公司")


def test_unset_removes_a_field(base: Path, cli) -> None:
    assert cli("customer", "set", "KH0001", "--unset", "contacts.0.personal", cwd=base).code == 0
    assert "personal" not in (base / "customers/KH0001/card.yaml").read_text(encoding="utf-8")
