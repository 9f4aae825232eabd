"""Reviewing changes through git: diff, log, --changed-since, the pre-commit hook."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path


from conftest import PROJECT, git, write_tree

BIN = str(Path(sys.executable).parent)


def test_diff_in_archive_terms(repo: Path, cli) -> None:
    assert cli("customer", "set", "KH0001", "credit.limit=800000.00", "contacts.0.role=采购总监", cwd=repo).code == 0
    assert cli("customer", "add", "--name", "宁波新港物流有限公司", cwd=repo).code == 0
    assert cli("visit", "add", "KH0001", "--date", "2025-06-01", "--summary", "回访", "--purpose", "二季度回访", cwd=repo).code == 0
    order = repo / "customers/KH0001/transactions/2025/2025-04-01-order-m3xa.yaml"
    order.write_text(order.read_text(encoding="utf-8").replace("title: 二季度阀门订单", "title: 二季度阀门订单（补）"), encoding="utf-8")
    (repo / "customers/KH0001/service/2025/2025-05-20-survey-k9m1.yaml").unlink()
    write_tree(repo, {"customers/KH0001/credit/2025/files/scan.pdf": b"%PDF changed\n"})
    result = cli("diff", cwd=repo)
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0] == "HEAD → working tree"
    assert lines[1] == "KH0001 上海华润贸易有限公司"
    assert lines[2] == "  card: credit.limit 500000.00 → 800000.00; contacts.0.role 采购经理 → 采购总监"
    assert "  basic: 1 visit added" in lines and "  transactions: 1 order changed" in lines and "  service: 1 survey removed" in lines
    assert any(line.startswith("    + 2025-06-01-visit-") and line.endswith("[拜访记录 二季度回访]") for line in lines)
    assert "    ~ 2025-04-01-order-m3xa 二季度阀门订单（补）: title 二季度阀门订单 → 二季度阀门订单（补）" in lines
    assert "    - 2025-05-20-survey-k9m1 售后满意度调查" in lines
    assert "  attachment changed: customers/KH0001/credit/2025/files/scan.pdf" in lines
    assert "KH0003 宁波新港物流有限公司 (added)" in lines
    data = json.loads(cli("diff", "--format", "json", cwd=repo).out)
    kh1 = data["customers"][0]
    assert {"field": "credit.limit", "old": 500000, "new": 800000} in kh1["card"]
    assert sorted(r["change"] for r in kh1["records"]) == ["added", "changed", "removed"]
    markdown = cli("diff", "--format", "markdown", cwd=repo).out
    assert markdown.startswith("### cardctl diff `HEAD` → `working tree`") and "- card `credit.limit`: 500000.00 → 800000.00" in markdown


def test_diff_between_revisions_and_removed_customer(repo: Path, cli) -> None:
    git(repo, "rm", "-rq", "customers/KH0002")
    git(repo, "commit", "-qm", "remove")
    for args in (["HEAD~1", "HEAD"], ["HEAD~1..HEAD"]):
        result = cli("diff", *args, cwd=repo)
        assert result.out.splitlines()[1] == "KH0002 杭州西湖百货商店 (removed)"
    assert cli("diff", "HEAD~1..HEAD", "--format", "json", cwd=repo).code == 0
    assert cli("diff", cwd=repo).out == "HEAD → working tree: no changes to the archive\n"
    bad = cli("diff", "nope", cwd=repo)
    assert (bad.code, bad.err.strip()) == (2, "cardctl: error: unknown revision 'nope'")


def test_diff_flags_every_touch_of_a_sealed_volume(repo: Path, cli) -> None:
    assert cli("close", "2025", "--checker", "李娜", cwd=repo).code == 0
    closing = cli("diff", "HEAD~1..HEAD", cwd=repo).out
    assert "closes 2025: 5 volume(s) sealed" in closing and "SEALED" not in closing
    visit = repo / "customers/KH0001/basic/2025/2025-03-02-visit-7kq2.yaml"
    visit.write_text(visit.read_text(encoding="utf-8").replace("客户计划", "客户打算"), encoding="utf-8")
    (repo / "seals/2025.yaml").write_text((repo / "seals/2025.yaml").read_text(encoding="utf-8") + "# touched\n", encoding="utf-8")
    lines = cli("diff", cwd=repo).out.splitlines()
    assert "⚠ SEALED changed: customers/KH0001/basic/2025/2025-03-02-visit-7kq2.yaml (2025 is closed)" in lines
    assert "⚠ SEALED changed: seals/2025.yaml (a seal)" in lines
    assert "> ⚠️ **2 change(s) touch sealed volumes or seals**" in cli("diff", "--format", "markdown", cwd=repo).out


def test_log_tells_the_dossier_history(repo: Path, cli) -> None:
    assert cli("visit", "add", "KH0001", "--date", "2025-06-01", "--summary", "回访", "--commit", cwd=repo).code == 0
    assert cli("customer", "set", "KH0001", "grade=B", "--commit", cwd=repo).code == 0
    result = cli("log", "华润", cwd=repo)
    lines = result.out.splitlines()
    assert lines[0].startswith(f"{lines[0][:10]}  张伟  customer set KH0001: grade  (")
    assert lines[1] == "    card: grade A → B"
    assert lines[2].split("  ")[2] == "visit add KH0001: 2025-06-01 visit by 张伟"
    assert lines[3] == "    basic: 1 visit added"
    assert "archive" in result.out  # the first commit, which added the dossier
    history = json.loads(cli("log", "KH0001", "--format", "json", cwd=repo).out)
    assert [h["subject"] for h in history] == ["customer set KH0001: grade", "visit add KH0001: 2025-06-01 visit by 张伟", "archive"]


def test_changed_since_checks_touched_dossiers_only(repo: Path, cli) -> None:
    write_tree(repo, {"customers/KH0002/card.yaml": (repo / "customers/KH0002/card.yaml").read_text(encoding="utf-8") + "grade: E\n"})
    git(repo, "commit", "-qam", "an old mistake in KH0002")
    base = git(repo, "rev-parse", "HEAD").strip()
    visit = repo / "customers/KH0001/basic/2025/2025-03-02-visit-7kq2.yaml"
    visit.write_text(visit.read_text(encoding="utf-8").replace("channel: visit", "channel: vist"), encoding="utf-8")
    result = cli("validate", "--changed-since", base, cwd=repo)
    assert result.code == 1
    assert [line.split(":")[0] for line in result.out.splitlines()] == ["customers/KH0001/basic/2025/2025-03-02-visit-7kq2.yaml"]
    full = cli("validate", cwd=repo).out
    assert "customers/KH0002/card.yaml" in full
    assert cli("validate", "--changed-since", "HEAD~1", cwd=repo).out.count("\n") == 2  # both dossiers since before the mistake


def test_raw_yaml_diffs_name_the_key(tmp_path: Path, cli) -> None:
    root = tmp_path / "arc"
    assert cli("init", str(root), "--fonds", "Z1", cwd=tmp_path).code == 0
    assert cli("customer", "add", "--name", "甲公司", "--phone", "021-1234567", "--uscc", "91350100M000100Y43", cwd=root).code == 0
    git(root, "add", "-A")
    git(root, "commit", "-qm", "a")
    assert cli("customer", "set", "KH0001", "registration.legal_rep=周敏", cwd=root).code == 0
    diff = git(root, "diff", "-U0")
    assert "@@ registration:" in diff
    assert [l for l in diff.splitlines() if l.startswith(("+", "-")) and not l.startswith(("+++", "---"))] == ["+  legal_rep: 周敏"]


def _env() -> dict[str, str]:
    return {**os.environ, "PATH": BIN + os.pathsep + os.environ["PATH"]}


def test_pre_commit_blocks_an_invalid_record(tmp_path: Path, cli) -> None:
    root = tmp_path / "arc"
    assert cli("init", str(root), "--fonds", "Z1", cwd=tmp_path).code == 0
    assert cli("customer", "add", "--name", "甲公司", cwd=root).code == 0
    subprocess.run([f"{BIN}/pre-commit", "install"], cwd=root, env=_env(), check=True, capture_output=True)
    git(root, "add", "-A")
    subprocess.run(["git", "commit", "-qm", "start"], cwd=root, env=_env(), check=True, capture_output=True)
    write_tree(root, {"customers/KH0001/basic/2025/2025-01-02-visit-abcd.yaml":
                      "id: 2025-01-02-visit-abcd\nkind: visit\ndate: 2025-01-02\nauthor: 张伟\nchannel: fax\nsummary: s\n"})
    git(root, "add", "-A")
    blocked = subprocess.run(["git", "commit", "-m", "bad"], cwd=root, env=_env(), capture_output=True, text=True)
    assert blocked.returncode != 0
    assert "S204 channel is 'fax'" in blocked.stdout + blocked.stderr
    fixed = root / "customers/KH0001/basic/2025/2025-01-02-visit-abcd.yaml"
    fixed.write_text(fixed.read_text(encoding="utf-8").replace("fax", "phone"), encoding="utf-8")
    git(root, "add", "-A")
    ok = subprocess.run(["git", "commit", "-m", "good"], cwd=root, env=_env(), capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_project_hook_definition_through_pre_commit(repo: Path, tmp_path: Path) -> None:
    """The project's .pre-commit-hooks.yaml, installed by pre-commit as another repository would."""
    base = repo
    bad = base / "customers/KH0002/card.yaml"
    bad.write_text(bad.read_text(encoding="utf-8") + "grade: E\n", encoding="utf-8")
    git(base, "add", "-A")
    project = tmp_path / "project"
    subprocess.run(["git", "clone", "-q", str(PROJECT), str(project)], check=True)
    # the clone is of the last commit; bring the working tree's version of the package along
    for rel in [".pre-commit-hooks.yaml", "pyproject.toml", "README.md"]:
        (project / rel).write_bytes((PROJECT / rel).read_bytes())
    for folder in ("cardctl", "schemas"):
        shutil.rmtree(project / folder)
        shutil.copytree(PROJECT / folder, project / folder, ignore=shutil.ignore_patterns("__pycache__"))
    git(project, "add", "-A")
    git(project, "commit", "-qm", "working tree", "--allow-empty")
    run = subprocess.run([f"{BIN}/pre-commit", "try-repo", str(project), "cardctl-validate"], cwd=base, env=_env(), capture_output=True, text=True)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "customers/KH0002/card.yaml:8:8: S204 grade is 'E'; allowed: A, B, C, D" in run.stdout


def test_diff_shows_a_request_moved_by_its_reply(repo: Path, cli) -> None:
    write_tree(repo, {"customers/KH0001/credit/2024/2024-12-20-extension-req1.yaml": (
        "id: 2024-12-20-extension-req1\nkind: extension\ndate: 2024-12-20\ntitle: 延期付款申请\nauthor: 王芳\n"
        "expects_reply: true\noriginal_due: 2024-12-31\nnew_due: 2025-03-31\napproved_by: 赵经理\n")})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "request")
    assert cli("record", "add", "KH0001", "extension", "--date", "2025-01-06", "--title", "延期付款批复", "--set", "original_due=2024-12-31",
               "--set", "new_due=2025-03-31", "--set", "approved_by=赵经理", "--set", "relation.type=reply",
               "--set", "relation.of=2024-12-20-extension-req1", "--commit", cwd=repo).code == 0
    lines = cli("diff", "HEAD~1..HEAD", cwd=repo).out.splitlines()
    assert "  credit: 1 extension moved, 1 extension added" in lines
    assert "    > 2024-12-20-extension-req1 延期付款申请 (from customers/KH0001/credit/2024/2024-12-20-extension-req1.yaml)" in lines
