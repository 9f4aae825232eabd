"""--commit: exactly the written files, in real git repositories; many reps at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cardctl.archive import Archive
from cardctl.validate import check
from conftest import copy_base, git, make_repo, write_tree


def committed_files(root: Path, rev: str = "HEAD") -> list[str]:
    return git(root, "show", "--name-only", "--format=", rev).split()


def test_commit_takes_exactly_the_written_file(repo: Path, cli) -> None:
    write_tree(repo, {"customers/KH0002/card.yaml": (repo / "customers/KH0002/card.yaml").read_text(encoding="utf-8") + "region: 华东\n",
                      "notes.md": "staged, not ours\n"})
    git(repo, "add", "notes.md")
    result = cli("visit", "add", "KH0001", "--date", "2025-06-01", "--summary", "回访", "--commit", cwd=repo)
    assert result.code == 0, result.err
    assert committed_files(repo) == [result.out.strip()]
    assert git(repo, "log", "-1", "--format=%s|%an").strip() == "visit add KH0001: 2025-06-01 visit by 张伟|张伟"
    status = git(repo, "status", "--porcelain").splitlines()
    assert sorted(status) == [" M customers/KH0002/card.yaml", "A  notes.md"]


def test_auto_commit_setting_and_no_commit(repo: Path, cli) -> None:
    settings = repo / "cardctl.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "auto_commit: true\n", encoding="utf-8")
    git(repo, "commit", "-qam", "auto")
    result = cli("record", "add", "KH0001", "complaint", "--date", "2025-07-01", "--title", "漏发投诉", "--set", "summary=少发两件", cwd=repo)
    assert committed_files(repo) == [result.out.strip()]
    assert git(repo, "log", "-1", "--format=%s").strip() == "record add KH0001: 2025-07-01 complaint 漏发投诉 (张伟)"
    head = git(repo, "rev-parse", "HEAD")
    result = cli("visit", "add", "KH0001", "--summary", "s", "--no-commit", cwd=repo)
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "status", "--porcelain").startswith("?? customers/KH0001/basic/")


def test_customer_add_and_set_commit(repo: Path, cli) -> None:
    assert cli("customer", "add", "--name", "苏州工业园区物资公司", "--commit", cwd=repo).code == 0
    assert committed_files(repo) == ["customers/KH0003/card.yaml"]
    assert git(repo, "log", "-1", "--format=%s").strip() == "customer add KH0003: 苏州工业园区物资公司"
    assert cli("customer", "set", "KH0003", "grade=B", "region=华东", "--commit", cwd=repo).code == 0
    assert git(repo, "log", "-1", "--format=%s").strip() == "customer set KH0003: grade, region"
    assert git(repo, "status", "--porcelain") == ""


def test_a_moved_request_is_committed_as_a_move(repo: Path, cli) -> None:
    write_tree(repo, {"customers/KH0001/credit/2024/2024-12-20-extension-req1.yaml": (
        "id: 2024-12-20-extension-req1\nkind: extension\ndate: 2024-12-20\ntitle: 延期付款申请\nauthor: 王芳\n"
        "expects_reply: true\noriginal_due: 2024-12-31\nnew_due: 2025-03-31\napproved_by: 赵经理\n")})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "request")
    result = cli("record", "add", "KH0001", "extension", "--date", "2025-01-06", "--title", "批复", "--set", "original_due=2024-12-31",
                 "--set", "new_due=2025-03-31", "--set", "approved_by=赵经理", "--set", "relation.type=reply",
                 "--set", "relation.of=2024-12-20-extension-req1", "--commit", cwd=repo)
    assert result.code == 0, result.err
    changes = git(repo, "show", "--name-status", "--format=", "-M", "HEAD").splitlines()
    assert sorted(c.split("\t")[0][0] for c in changes) == ["A", "R"]
    assert git(repo, "status", "--porcelain") == ""


def test_a_reply_to_a_request_never_committed_commits_both(repo: Path, cli) -> None:
    """The request's old place is unknown to git: the commit takes the reply and the request where it is now."""
    write_tree(repo, {"customers/KH0001/credit/2024/2024-12-20-extension-req1.yaml": (
        "id: 2024-12-20-extension-req1\nkind: extension\ndate: 2024-12-20\ntitle: 延期付款申请\nauthor: 王芳\n"
        "expects_reply: true\noriginal_due: 2024-12-31\nnew_due: 2025-03-31\napproved_by: 赵经理\n")})
    result = cli("record", "add", "KH0001", "extension", "--date", "2025-01-06", "--title", "批复", "--set", "original_due=2024-12-31",
                 "--set", "new_due=2025-03-31", "--set", "approved_by=赵经理", "--set", "relation.type=reply",
                 "--set", "relation.of=2024-12-20-extension-req1", "--commit", cwd=repo)
    assert result.code == 0, result.err
    committed = git(repo, "show", "--name-status", "--format=", "HEAD").split()
    assert committed[0::2] == ["A", "A"] and "customers/KH0001/credit/2025/2024-12-20-extension-req1.yaml" in committed
    assert git(repo, "status", "--porcelain") == ""


def test_commit_outside_git_refuses_before_writing(base: Path, cli) -> None:
    result = cli("visit", "add", "KH0001", "--summary", "s", "--commit", cwd=base)
    assert result.code == 3
    assert result.err.strip() == f"cardctl: error: {base} is not in a git repository; run `git init` or leave out --commit"
    assert not (base / "customers/KH0001/basic").glob("*") or len(list((base / "customers/KH0001/basic").rglob("*.yaml"))) == 1


def test_parallel_commits_queue_on_the_index_lock(repo: Path) -> None:
    exe = Path(sys.executable).parent / "cardctl"
    procs = [subprocess.Popen([str(exe), "visit", "add", "KH0001", "--summary", f"并发{i}", "--commit"], cwd=repo,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(4)]
    outs = [p.communicate() for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, outs
    assert int(git(repo, "rev-list", "--count", "HEAD")) == 5
    assert git(repo, "status", "--porcelain") == ""


def test_two_clones_many_records_merge_without_conflict(tmp_path: Path, cli) -> None:
    """Two reps in their own clones file 60 records each for the same five customers."""
    origin = tmp_path / "origin.git"
    seed = copy_base(tmp_path / "seed")
    for i in range(3, 6):
        write_tree(seed, {f"customers/KH000{i}/card.yaml": f"id: KH000{i}\nname: 客户{i}号\ntype: company\nstatus: active\nsince: 2024-01-01\n"})
    git(seed, "init", "-q")
    git(seed, "add", "-A")
    git(seed, "commit", "-qm", "seed")
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(origin))
    clones = []
    for name, rep in (("a", "张伟"), ("b", "李娜")):
        git(tmp_path, "clone", "-q", str(origin), name)
        clones.append((tmp_path / name, rep))
    customers = ["KH0001", "KH0002", "KH0003", "KH0004", "KH0005"]
    for root, rep in clones:
        for i in range(50):
            args = ["visit", "add", customers[i % 5], "--date", f"2025-{i % 12 + 1:02d}-{i % 28 + 1:02d}", "--by", rep,
                    "--summary", f"{rep}第{i}次拜访", "--next", "2026-01-10", "--commit"]
            assert cli(*args, cwd=root).code == 0
        for i in range(10):
            args = ["record", "add", customers[i % 5], "service-call", "--date", f"2025-06-{i + 1:02d}", "--by", rep,
                    "--title", f"{rep}服务{i}", "--set", f"summary=维修{i}", "--commit"]
            assert cli(*args, cwd=root).code == 0, cli(*args, cwd=root).err
    (a, _), (b, _) = clones
    git(a, "push", "-q", "origin", "HEAD")
    merged = subprocess.run(["git", "pull", "-q", "--no-rebase", "--no-edit", "origin", "HEAD"], cwd=b, capture_output=True, text=True)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert "CONFLICT" not in merged.stdout + merged.stderr
    added = [p for p in (b / "customers").rglob("2025-*.yaml") if "visit-7kq2" not in p.name]
    new_records = [p for p in added if p.name.split("-")[3] in ("visit", "service") and "2025-03-02-visit-7kq2" not in p.name]
    assert len([p for p in new_records if "-visit-" in p.name or "-service-call-" in p.name]) == 120 + 0
    assert check(Archive(b)) == []


@pytest.mark.parametrize("inside", ["", "archive/"])
def test_dirty_paths_lists_every_file_git_would_commit(tmp_path: Path, inside: str) -> None:
    """Untracked folders come file by file (a close commits exactly these), ignored files never, and
    for an archive in a subfolder only its own paths, relative to it."""
    from cardctl.gitrepo import dirty_paths

    top = tmp_path / "repo"
    root = top / inside
    write_tree(top, {"outside.txt": "x\n", ".gitignore": "*.tmp\n", f"{inside}customers/KH0001/card.yaml": "id: KH0001\n",
                     f"{inside}customers/KH0001/basic/2024/a.yaml": "a\n", f"{inside}customers/KH0002/card.yaml": "id: KH0002\n"})
    make_repo(top)
    assert dirty_paths(root) == []
    write_tree(top, {"outside.txt": "changed\n", "new-outside/x.txt": "x\n",
                     f"{inside}customers/KH0001/card.yaml": "id: KH0001\nname: 甲\n",  # modified
                     f"{inside}customers/KH0001/basic/2025/b.yaml": "b\n",  # in a new folder
                     f"{inside}customers/KH0003/card.yaml": "id: KH0003\n",  # a whole new dossier
                     f"{inside}customers/KH0003/basic/2025/c.yaml": "c\n",
                     f"{inside}customers/KH0003/basic/2025/c.tmp": "ignored\n",
                     f"{inside}seals/2024.yaml": "year: 2024\n"})
    (root / "customers/KH0002/card.yaml").unlink()  # deleted
    (root / "staged.yaml").write_text("s\n", encoding="utf-8")
    git(top, "add", f"{inside}staged.yaml")
    assert dirty_paths(root) == sorted(["customers/KH0001/card.yaml", "customers/KH0001/basic/2025/b.yaml", "customers/KH0002/card.yaml",
                                        "customers/KH0003/card.yaml", "customers/KH0003/basic/2025/c.yaml", "seals/2024.yaml", "staged.yaml"]
                                       + (["new-outside/x.txt", "outside.txt"] if not inside else []))
    (tmp_path / "not-a-repo").mkdir()
    assert dirty_paths(tmp_path / "not-a-repo") == []
