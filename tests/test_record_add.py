"""`visit add` and `record add`: what lands on disk, and what is refused."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cardctl.archive import Archive
from cardctl.digest import sha256_file
from cardctl.validate import check
from conftest import write_tree


def records_of(root: Path, customer: str = "KH0001") -> set[str]:
    return {p.relative_to(root).as_posix() for p in (root / "customers" / customer).rglob("*") if p.is_file()}


def test_visit_in_one_line(base: Path, cli) -> None:
    result = cli("visit", "add", "KH0001", "--date", "2025-06-03", "--by", "李娜", "--summary", "回访：交货期已缩短",
                 "--contact", "李强", "--contact", "王工", "--purpose", "二季度回访", "--feedback", "包装仍需加固",
                 "--actions", "已通知仓库", "--market", "竞品降价5%", "--reaction", "满意", "--next", "2025-07-01", cwd=base)
    assert result.code == 0, result.err
    path = result.out.strip()
    assert path.startswith("customers/KH0001/basic/2025/2025-06-03-visit-") and path.endswith(".yaml")
    rid = Path(path).stem
    assert (base / path).read_text(encoding="utf-8") == (
        f"id: {rid}\nkind: visit\ndate: 2025-06-03\nauthor: 李娜\nchannel: visit\ncontacts:\n  - 李强\n  - 王工\n"
        "purpose: 二季度回访\nsummary: 回访：交货期已缩短\nfeedback: 包装仍需加固\nactions: 已通知仓库\nmarket: 竞品降价5%\n"
        "reaction: 满意\nnext_contact: 2025-07-01\n"
    )
    assert check(Archive(base)) == []


def test_visit_to_a_prospect_sets_the_next_contact_from_its_level(base: Path, cli) -> None:
    result = cli("visit", "add", "杭州西湖", "--date", "2025-06-10", "--summary", "电话沟通", "--channel", "phone", "--intent", "H", cwd=base)
    assert result.code == 0
    assert result.err == "next contact set to 2025-06-17: a level-H prospect is contacted within 7 days\n"
    text = (base / result.out.strip()).read_text(encoding="utf-8")
    assert "author: 张伟\n" in text  # git user.name
    assert "intent: H\nnext_contact: 2025-06-17\n" in text
    # without --intent, the level is the current one: that of the latest visit
    again = cli("visit", "add", "KH0002", "--date", "2025-06-20", "--summary", "s", cwd=base)
    assert again.err.startswith("next contact set to 2025-06-27: a level-H prospect")


def test_visit_without_intent_uses_the_card_level(base: Path, cli) -> None:
    result = cli("visit", "add", "KH0002", "--date", "2025-05-01", "--summary", "s", cwd=base)
    assert result.err.startswith("next contact set to 2025-07-30: a level-B prospect is contacted within 90 days")


def test_visit_to_an_active_customer_sets_no_next_contact_by_itself(base: Path, cli) -> None:
    result = cli("visit", "add", "KH0001", "--date", "2025-06-10", "--summary", "s", cwd=base)
    assert result.err == "" and "next_contact" not in (base / result.out.strip()).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["KH0009", "--summary", "s"], "cardctl: error: unknown customer 'KH0009' (no such customer id); `cardctl customer list` shows them all"),
        (["KH0001", "--summary", "s", "--date", "2025-02-30"], "cardctl: error: Invalid value for '--date': '2025-02-30' is not a real date in the form YYYY-MM-DD (see 'cardctl visit add --help')"),
        (["KH0001", "--summary", "s", "--channel", "fax"], None),
        (["KH0001", "--summary", "s", "--by", "张三"], None),
    ],
)
def test_visit_refusals_write_nothing(base: Path, cli, args: list[str], message: str | None) -> None:
    before = records_of(base)
    result = cli("visit", "add", *args, cwd=base)
    assert result.code == 2
    if message:
        assert result.err.strip() == message
    assert records_of(base) == before


def test_staff_refusal_shows_the_finding(base: Path, cli) -> None:
    result = cli("visit", "add", "KH0001", "--summary", "s", "--by", "张三", "--date", "2025-06-01", cwd=base)
    lines = result.err.splitlines()
    assert lines[0].endswith(": D506 author 张三 is not in the staff list of cardctl.yaml (did you mean '张伟'?)")
    assert lines[1] == "cardctl: error: the new visit is invalid; nothing was written"


def test_shipment_from_json_on_stdin(base: Path, cli, monkeypatch) -> None:
    payload = {"date": "2025-06-20", "title": "第二批发货", "direction": "out", "author": "张伟",
               "lines": [{"product": "球阀 DN50", "qty": 100}], "shipment_no": "FH-0620"}
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(json.dumps(payload, ensure_ascii=False).encode("utf-8"))))
    result = cli("record", "add", "KH0001", "shipment", "--from", "-", "--format", "json", cwd=base)
    assert result.code == 0, result.err
    out = json.loads(result.out)
    assert out["path"] == f"customers/KH0001/trade/2025/{out['id']}.yaml" and out["files"] == [out["path"]]
    text = (base / out["path"]).read_text(encoding="utf-8")
    assert text == (f"id: {out['id']}\nkind: shipment\ndate: 2025-06-20\ntitle: 第二批发货\nauthor: 张伟\n"
                    "direction: out\nlines:\n  - product: 球阀 DN50\n    qty: 100\nshipment_no: FH-0620\n")


def test_order_lines_from_set_with_exact_money(base: Path, cli) -> None:
    result = cli("record", "add", "华润", "order", "--date", "2025-07-01", "--title", "补货订单", "--set", "order_no=DD-7",
                 "--set", "lines.0.product=垫片", "--set", "lines.0.qty=3", "--set", "lines.0.unit_price=0.10", "--set", "lines.0.amount=0.30",
                 "--set", "lines.1.product=螺栓", "--set", "lines.1.qty=1", "--set", "lines.1.unit_price=0.20", "--set", "lines.1.amount=0.20",
                 "--set", "amount=0.50", "--set", 'doc_no="007"', cwd=base)
    assert result.code == 0, result.err
    text = (base / result.out.strip()).read_text(encoding="utf-8")
    assert "doc_no: '007'\n" in text and "unit_price: 0.10\n" in text and "amount: 0.50\n" in text
    assert check(Archive(base)) == []


def test_attachments_are_copied_with_their_digest(base: Path, cli, tmp_path: Path) -> None:
    scan = write_tree(tmp_path, {"in/合同扫描件.pdf": b"%PDF-1.4 contract\n"}) / "in" / "合同扫描件.pdf"
    result = cli("record", "add", "KH0001", "contract", "--date", "2025-02-01", "--title", "年度合同", "--set", "contract_no=HT-1",
                 "--set", "amount=100000", "--attach", str(scan), "--format", "json", cwd=base)
    out = json.loads(result.out)
    folder = "customers/KH0001/transactions/2025"
    assert out["files"] == sorted([out["path"], f"{folder}/files/合同扫描件.pdf"])
    assert (base / folder / "files" / "合同扫描件.pdf").read_bytes() == scan.read_bytes()
    assert f"sha256: {sha256_file(scan)}" in (base / out["path"]).read_text(encoding="utf-8")
    # another file of the same name gets its own name; the same bytes are reused
    other = write_tree(tmp_path, {"b/合同扫描件.pdf": b"%PDF-1.4 another\n"}) / "b" / "合同扫描件.pdf"
    second = json.loads(cli("record", "add", "KH0001", "contract", "--date", "2025-03-01", "--title", "补充协议", "--set", "contract_no=HT-2",
                            "--set", "amount=1", "--attach", str(other), "--attach", str(scan), "--format", "json", cwd=base).out)
    assert second["files"] == sorted([second["path"], f"{folder}/files/合同扫描件-2.pdf"])
    assert check(Archive(base)) == []


def test_invalid_record_writes_nothing_not_even_the_attachment(base: Path, cli, tmp_path: Path) -> None:
    scan = write_tree(tmp_path, {"scan.pdf": b"%PDF"}) / "scan.pdf"
    before = records_of(base)
    result = cli("record", "add", "KH0001", "contract", "--title", "缺金额", "--set", "contract_no=HT-9", "--attach", str(scan), cwd=base)
    assert result.code == 2
    assert "S202 missing required key 'amount'" in result.err
    assert records_of(base) == before


def test_relation_target_must_exist(base: Path, cli) -> None:
    result = cli("record", "add", "KH0001", "complaint", "--title", "投诉", "--set", "summary=漏发", "--set", "relation.type=follow-up",
                 "--set", "relation.of=2025-01-01-survey-zzzz", cwd=base)
    assert result.code == 2 and "R401 relation.of names 2025-01-01-survey-zzzz, which is not a record of KH0001" in result.err


def test_a_reply_moves_its_request_into_the_reply_year(base: Path, cli) -> None:
    write_tree(base, {"customers/KH0001/credit/2024/files/申请.pdf": b"%PDF request\n"})
    digest = sha256_file(base / "customers/KH0001/credit/2024/files/申请.pdf")
    write_tree(base, {"customers/KH0001/credit/2024/2024-12-20-extension-req1.yaml": (
        "id: 2024-12-20-extension-req1\nkind: extension\ndate: 2024-12-20\ntitle: 延期付款申请\nauthor: 王芳\n"
        "expects_reply: true\noriginal_due: 2024-12-31\nnew_due: 2025-03-31\napproved_by: 赵经理\n"
        f"attachments:\n  - path: files/申请.pdf\n    sha256: {digest}\n")})
    assert check(Archive(base)) == []
    result = cli("record", "add", "KH0001", "extension", "--date", "2025-01-06", "--title", "延期付款批复", "--set", "original_due=2024-12-31",
                 "--set", "new_due=2025-03-31", "--set", "approved_by=赵经理", "--set", "relation.type=reply",
                 "--set", "relation.of=2024-12-20-extension-req1", "--format", "json", cwd=base)
    assert result.code == 0, result.err
    out = json.loads(result.out)
    moved = "customers/KH0001/credit/2025/2024-12-20-extension-req1.yaml"
    assert out["files"] == sorted([out["path"], moved, "customers/KH0001/credit/2025/files/申请.pdf"])
    assert not (base / "customers/KH0001/credit/2024/2024-12-20-extension-req1.yaml").exists()
    assert check(Archive(base)) == []


def test_edit_opens_a_template(base: Path, cli, tmp_path: Path, monkeypatch) -> None:
    script = tmp_path / "fill.py"
    script.write_text(
        "import sys, re\np = sys.argv[1]\nt = open(p, encoding='utf-8').read()\n"
        "t = re.sub(r'^title:.*$', 'title: 售后回访', t, flags=re.M)\n"
        "t = re.sub(r'^summary:.*$', 'summary: 更换密封圈', t, flags=re.M)\n"
        "open(p, 'w', encoding='utf-8').write(t)\n", encoding="utf-8")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.delenv("VISUAL", raising=False)
    result = cli("record", "add", "KH0001", "service-call", "--date", "2025-08-08", "--edit", cwd=base)
    assert result.code == 0, result.err
    text = (base / result.out.strip()).read_text(encoding="utf-8")
    assert "title: 售后回访\n" in text and "summary: 更换密封圈\n" in text and "author: 张伟\n" in text
    assert check(Archive(base)) == []


@pytest.mark.parametrize(("editor", "message"), [
    ("true", "cardctl: error: aborted: the template was left unchanged; nothing was written"),
    ("truncate -s 0", "cardctl: error: aborted: the template was emptied; nothing was written"),
    ("false", "cardctl: error: the editor 'false' failed (exit 1); nothing was written"),
])
def test_edit_aborts(base: Path, cli, monkeypatch, editor: str, message: str) -> None:
    monkeypatch.setenv("EDITOR", editor)
    monkeypatch.delenv("VISUAL", raising=False)
    before = records_of(base)
    result = cli("record", "add", "KH0001", "complaint", "--edit", cwd=base)
    assert (result.code, result.err.strip()) == (2, message)
    assert records_of(base) == before


def test_from_file_with_a_yaml_error_points_into_the_file(base: Path, cli, tmp_path: Path) -> None:
    bad = write_tree(tmp_path, {"in.yaml": "title: x\n summary: y\n"}) / "in.yaml"
    result = cli("record", "add", "KH0001", "complaint", "--from", str(bad), cwd=base)
    assert result.code == 2
    assert result.err.splitlines()[0] == f"{bad}:2:9: F104 YAML syntax error: mapping values are not allowed in this context"


@pytest.mark.parametrize(("args", "message"), [
    (["ordr"], "unknown record kind 'ordr' (did you mean 'order'?)"),
    (["order", "--set", "linez.0.qty=1"], "unknown field 'linez' (did you mean 'lines'?)"),
    (["order", "--set", "id=x"], "the record id is assigned by cardctl; leave `id` out"),
])
def test_record_usage_errors(base: Path, cli, args: list[str], message: str) -> None:
    result = cli("record", "add", "KH0001", *args, cwd=base)
    assert result.code == 2 and message in result.err and len(result.err.strip().splitlines()) == 1


def test_own_kind(base: Path, cli) -> None:
    write_tree(base, {"schemas/tasting.schema.json": json.dumps({
        "x-category": "basic", "x-label": "品鉴会", "properties": {"wine": {"type": "string", "description": "Wine."}}, "required": ["wine"]})})
    result = cli("record", "add", "KH0001", "tasting", "--date", "2025-09-09", "--title", "秋季品鉴会", "--set", "wine=干红", cwd=base)
    assert result.code == 0, result.err
    assert result.out.startswith("customers/KH0001/basic/2025/2025-09-09-tasting-")
    assert check(Archive(base)) == []


def test_concurrent_record_adds_in_one_work_tree_both_land(base: Path) -> None:
    exe = Path(sys.executable).parent / "cardctl"
    procs = [subprocess.Popen([str(exe), "visit", "add", "KH0001", "--date", "2025-06-01", "--summary", f"并发{i}"], cwd=base,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    outs = [p.communicate() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    paths = {o[0].strip() for o in outs}
    assert len(paths) == 2 and all((base / p).is_file() for p in paths)
    assert check(Archive(base)) == []
