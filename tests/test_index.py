"""`cardctl index`: a deterministic catalogue, and --check for CI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import write_tree


def test_example_catalogue_is_committed_and_current(cli, example) -> None:
    """The committed catalogue of examples/archive is what index writes (regenerate: cardctl -C examples/archive index)."""
    result = cli("index", "--check", cwd=example)  # a copy of it: index writes no cache into the original
    assert (result.code, result.out) == (0, "")


def test_index_writes_then_checks_clean_and_is_byte_stable(base: Path, cli) -> None:
    assert cli("index", cwd=base).code == 0
    first = {p.name: p.read_bytes() for p in (base / "catalogue").iterdir()}
    assert sorted(first) == ["KH0001.md", "KH0002.md", "register.csv"]
    assert first["register.csv"].startswith("\ufeffid,name,".encode("utf-8"))
    assert cli("index", "--check", cwd=base).code == 0
    # a second run and another locale and file order: the same bytes
    shutil.rmtree(base / "catalogue")
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "TZ": "Pacific/Kiritimati"}
    subprocess.run([str(Path(sys.executable).parent / "cardctl"), "index"], cwd=base, env=env, check=True, capture_output=True)
    assert {p.name: p.read_bytes() for p in (base / "catalogue").iterdir()} == first


def test_check_names_what_is_stale(base: Path, cli) -> None:
    cli("index", cwd=base)
    assert cli("visit", "add", "KH0001", "--date", "2025-06-01", "--summary", "未重新编目", cwd=base).code == 0
    write_tree(base, {"catalogue/KH0099.md": "# gone\n"})
    before = {p.name: p.read_bytes() for p in (base / "catalogue").iterdir()}
    result = cli("index", "--check", cwd=base)
    assert result.code == 1
    assert result.out.splitlines() == ["catalogue/KH0001.md: stale", "catalogue/register.csv: stale", "catalogue/KH0099.md: obsolete"]
    assert result.err == "catalogue is out of date (3 files); run `cardctl index`\n"
    assert {p.name: p.read_bytes() for p in (base / "catalogue").iterdir()} == before
    assert cli("index", cwd=base).out.splitlines() == ["catalogue/KH0001.md", "catalogue/register.csv", "catalogue/KH0099.md"]
    assert not (base / "catalogue/KH0099.md").exists()
    assert cli("index", "--check", cwd=base).code == 0


def test_check_counts_one_obsolete_page_in_the_singular(base: Path, cli) -> None:
    cli("index", cwd=base)
    write_tree(base, {"catalogue/KH0099.md": "# gone\n"})
    result = cli("index", "--check", cwd=base)
    assert (result.code, result.out) == (1, "catalogue/KH0099.md: obsolete\n")
    assert result.err == "catalogue is out of date (1 file); run `cardctl index`\n"


def test_catalogue_orders_items_by_the_filing_rules(base: Path, cli) -> None:
    folder = "customers/KH0001/credit/2025"
    write_tree(base, {
        f"{folder}/2025-01-05-extension-req1.yaml": "id: 2025-01-05-extension-req1\nkind: extension\ndate: 2025-01-05\ntitle: 延期申请\nauthor: 王芳\n"
        "expects_reply: true\noriginal_due: 2025-01-31\nnew_due: 2025-03-31\napproved_by: 赵\n",
        f"{folder}/2025-01-20-extension-rep1.yaml": "id: 2025-01-20-extension-rep1\nkind: extension\ndate: 2025-01-20\ntitle: 延期批复\nauthor: 王芳\n"
        "relation: {type: reply, of: 2025-01-05-extension-req1}\noriginal_due: 2025-01-31\nnew_due: 2025-03-31\napproved_by: 赵\n",
        f"{folder}/2025-01-03-guarantee-att1.yaml": "id: 2025-01-03-guarantee-att1\nkind: guarantee\ndate: 2025-01-03\ntitle: 担保函（附件）\nauthor: 王芳\n"
        "relation: {type: attachment, of: 2025-01-10-credit-approval-q7de}\nsummary: s\n",
    })
    assert cli("validate", cwd=base).code == 0
    cli("index", cwd=base)
    text = (base / "catalogue/KH0001.md").read_text(encoding="utf-8")
    section = text.split("## 3 ")[1].split("## 4 ")[0]
    titles = [line.split(" | ")[4] for line in section.splitlines() if line.startswith("| ") and not line.startswith("| 件号")]
    assert titles == ["2025年度信用额度审批", "担保函（附件）", "延期批复", "延期申请"]
    assert "| 1 | 临2025-0001 |" in section and "| 4 | 临2025-0004 |" in section


def test_index_refuses_when_a_card_cannot_be_read(example, cli) -> None:
    """A register that silently leaves a customer out would look complete."""
    before = {p: p.read_bytes() for p in (example / "catalogue").iterdir()}
    card = example / "customers/KH0003/card.yaml"
    card.write_text("<<<<<<< HEAD\nregion: 华北\n=======\nregion: 华南\n>>>>>>> other\n", encoding="utf-8")
    for args in (("index",), ("index", "--check")):
        result = cli(*args, cwd=example)
        assert result.code == 1
        assert result.err == ("cardctl: error: the card of KH0003 cannot be read, so the catalogue would leave it out; "
                              "run `cardctl validate` and fix it first; nothing was written\n")
    assert {p: p.read_bytes() for p in (example / "catalogue").iterdir()} == before
