"""Broken environments: no git, no git identity, detached HEAD, a merge in progress, a folder that
cannot be written, a full disk.

Each command runs as a process of its own (faults/forkserver.py: the same
`main()` as the installed script, forked from a process that has imported
cardctl already) with its own PATH, HOME and git configuration. What is
checked is what a user sees: the exit code, exactly one line on stderr that
says what is wrong and what to do, and an archive, work tree and git state
exactly as they were (no temporary file, no half-written file, no new
folder, no commit, no staged change).

A full disk, and a read-only folder when the tests run as root (chmod does
not stop root), are simulated inside the cardctl process by
faults/sitecustomize.py: writes under the folder fail with ENOSPC / EACCES
the way the kernel reports them. As another user the read-only folder is
real (chmod).
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import copy_base, git, make_repo, write_tree
from faults.client import ForkServer, Run, fork_server, job

AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

WRITES = {
    "visit add": ["visit", "add", "KH0001", "--date", "2025-06-01", "--summary", "回访", "--by", "张伟"],
    "record add": ["record", "add", "KH0001", "complaint", "--date", "2025-06-02", "--title", "漏发投诉", "--set", "summary=少发两件", "--by", "张伟"],
    "customer add": ["customer", "add", "--name", "苏州新客户"],
    "customer set": ["customer", "set", "KH0002", "grade=A"],
}
COMMITTING = {f"{name} --commit": [*argv, "--commit"] for name, argv in WRITES.items()}
CLOSE = ["close", "2025", "--checker", "李娜"]
EVERY_WRITE = {**WRITES, **COMMITTING, "index": ["index"], "close": CLOSE}
# Reading needs no room and no write access: these work on a read-only archive and on a full disk.
READS = {"validate": (["validate"], 0), "customer list": (["customer", "list"], 0), "customer show": (["customer", "show", "KH0001"], 0),
         "report due": (["report", "due", "--as-of", "2025-07-01"], 0), "index --check": (["index", "--check"], 1), "verify": (["verify"], 0),
         "diff": (["diff"], 0), "log": (["log", "KH0001"], 0)}


def reads_still_work(cardctl: ForkServer, root: Path, **options: Any) -> None:
    results = run_all(cardctl, {name: argv for name, (argv, _) in READS.items()}, root, **options)
    for name, run in results.items():
        assert run.code == READS[name][1] and "error" not in run.err, (name, run.err)


@pytest.fixture(scope="module")
def cardctl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ForkServer]:
    with fork_server(tmp_path_factory.mktemp("home")) as server:
        yield server


def state(root: Path) -> dict[str, Any]:
    """Everything a command could have changed: files and folders (bytes), and git's HEAD, index, tags and status.

    cardctl's own cache (.cardctl/, ignored by git) is left out: a refused
    command may still have refreshed it.
    """
    files: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if ".git" in parts or ".cardctl" in parts:
            continue
        files[path.relative_to(root).as_posix()] = path.read_bytes() if path.is_file() else None
    repo: dict[str, str] = {}
    if (root / ".git").exists():
        for name, args in {"head": ["rev-parse", "HEAD"], "branch": ["branch", "--show-current"], "index": ["ls-files", "-s", "--", "."],
                           "tags": ["tag"], "status": ["status", "--porcelain", "--untracked-files=all"]}.items():
            repo[name] = git(root, *args)
    return {"files": files, "git": repo}


def refused(run: Run, *phrases: str) -> str:
    """Exit 3 and one line on stderr, with no traceback, naming each of `phrases`; returns the line."""
    assert run.code == 3, (run.code, run.err)
    lines = run.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("cardctl: error: "), run.err
    assert "Traceback" not in run.err and "internal error" not in run.err
    for phrase in phrases:
        assert phrase in lines[0], lines[0]
    return lines[0]


def run_all(cardctl: ForkServer, commands: dict[str, list[str]], cwd: Path, **options: Any) -> dict[str, Run]:
    """The commands side by side, each in a process of its own."""
    results = cardctl.run(*(job(*argv, cwd=cwd, **options) for argv in commands.values()))
    return dict(zip(commands, results))


def no_temp_files(root: Path) -> None:
    assert not [p for p in root.rglob(".cardctl-tmp-*")]


# --- no git ------------------------------------------------------------------


def test_no_git_refuses_commits_and_init_but_plain_writes_work(repo: Path, tmp_path: Path, cardctl: ForkServer) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    nogit = {"PATH": str(empty)}
    before = state(repo)
    results = run_all(cardctl, {**COMMITTING, "close": CLOSE}, repo, env=nogit)
    for name, run in results.items():
        refused(run, "git is not installed or not on PATH")
    assert state(repo) == before

    new = tmp_path / "new-archive"
    refused(cardctl("init", str(new), cwd=tmp_path, env=nogit), "git is not installed")
    assert not new.exists()
    # no author given, and no git to ask for one: the command line lacks it (exit 2), as without user.name below
    run = cardctl("visit", "add", "KH0001", "--summary", "回访", cwd=repo, env=nogit)
    assert (run.code, run.err) == (2, "cardctl: error: who is the author? pass --by NAME (git, which would know your name, is not installed or not on PATH)\n")
    assert state(repo) == before
    # without git, an archive is still a folder of files: plain writes and --no-git work
    assert cardctl(*WRITES["visit add"], cwd=repo, env=nogit).code == 0
    assert cardctl("index", cwd=repo, env=nogit).code == 0
    assert cardctl("init", str(new), "--no-git", cwd=tmp_path, env=nogit).code == 0
    assert (new / "cardctl.yaml").is_file() and not (new / ".git").exists()


# --- no git identity -------------------------------------------------------------


def test_no_git_user_name_refuses_commits(repo: Path, tmp_path: Path, cardctl: ForkServer) -> None:
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tuseConfigOnly = true\n", encoding="utf-8")  # git may not guess one from the host name
    anonymous = {"HOME": str(tmp_path), "GIT_CONFIG_GLOBAL": str(config), "EMAIL": None}
    before = state(repo)
    for name, run in run_all(cardctl, {**COMMITTING, "close": CLOSE}, repo, env=anonymous).items():
        refused(run, "git does not know who you are: set git config user.name and user.email")
    assert state(repo) == before

    # no author given and none known: the command line lacks it (exit 2), and says how to give it
    run = cardctl("visit", "add", "KH0001", "--summary", "回访", cwd=repo, env=anonymous)
    assert (run.code, run.err) == (2, "cardctl: error: who is the author? pass --by NAME (or set git config user.name)\n")
    assert state(repo) == before
    assert cardctl(*WRITES["visit add"], cwd=repo, env=anonymous).code == 0


# --- detached HEAD -----------------------------------------------------------------


def test_detached_head_plain_writes_work(repo: Path, cardctl: ForkServer) -> None:
    git(repo, "checkout", "-q", "--detach")
    head = git(repo, "rev-parse", "HEAD")
    for name, run in run_all(cardctl, WRITES, repo).items():
        assert (run.code, run.err) == (0, ""), name
    assert git(repo, "rev-parse", "HEAD") == head


def test_detached_head_refuses_commits_and_close(repo: Path, cardctl: ForkServer) -> None:
    """A commit on a detached HEAD belongs to no branch: the next `git switch` leaves it behind, unseen.

    cardctl refuses it (and `close`, which commits and tags), before writing
    anything, and says how to get onto a branch; without --commit it writes.
    """
    git(repo, "checkout", "-q", "--detach")
    before = state(repo)
    for name, run in run_all(cardctl, {**COMMITTING, "close": CLOSE}, repo).items():
        refused(run, "detached", "git switch")
    assert state(repo) == before


# --- a merge in progress ---------------------------------------------------------------


def conflicted_merge(root: Path, cardctl: ForkServer) -> None:
    """Two reps changed KH0001's region and re-indexed: the merge stops on the card and the catalogue."""
    assert cardctl("index", cwd=root).code == 0
    git(root, "add", "-A")
    git(root, "commit", "-qm", "catalogue")
    git(root, "checkout", "-q", "-b", "other")
    for region, branch in (("华北", "other"), ("华南", "main")):
        if branch == "main":
            git(root, "checkout", "-q", "main")
        assert cardctl("customer", "set", "KH0001", f"region={region}", "--commit", cwd=root).code == 0
        assert cardctl("index", cwd=root).code == 0
        git(root, "commit", "-qam", f"index {branch}")
    merge = git_may_fail(root, "merge", "other")
    assert "CONFLICT" in merge and (root / ".git/MERGE_HEAD").exists()


def git_may_fail(root: Path, *args: str) -> str:
    import subprocess

    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    return done.stdout + done.stderr


def test_merge_in_progress_refuses_commits_and_index_resolves_the_catalogue(repo: Path, cardctl: ForkServer) -> None:
    conflicted_merge(repo, cardctl)
    assert "<<<<<<<" in (repo / "catalogue/register.csv").read_text(encoding="utf-8")
    before = state(repo)
    for name, run in run_all(cardctl, {**COMMITTING, "close": CLOSE}, repo).items():
        refused(run, "a merge is in progress", "finish it before cardctl commits")
    assert state(repo) == before
    # without --commit, writing new records and other cards goes on: they join the merge commit
    for name, run in run_all(cardctl, WRITES, repo).items():
        assert (run.code, run.err) == (0, ""), name

    # resolving it: take one side of the card, regenerate the catalogue, commit the merge
    git(repo, "checkout", "--theirs", "customers/KH0001/card.yaml")
    git(repo, "add", "customers/KH0001/card.yaml")
    run = cardctl("index", cwd=repo)
    assert run.code == 0, run.err
    assert "<<<<<<<" not in (repo / "catalogue/register.csv").read_text(encoding="utf-8")
    assert "华北" in (repo / "catalogue/register.csv").read_text(encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-edit")
    assert cardctl("index", "--check", cwd=repo).code == 0
    assert cardctl("validate", cwd=repo).code == 0


# --- a folder that cannot be written ---------------------------------------------------


def _chmod_tree(root: Path, writable: bool) -> None:
    for path in [root, *root.rglob("*")]:
        if ".git" in path.relative_to(root).parts or path.is_symlink():
            continue
        mode = path.stat().st_mode
        path.chmod(mode | stat.S_IWUSR if writable else mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Any]:
    """make(folder) -> options for `job`: chmod a-w, or as root (whom chmod does not stop) a simulated EACCES."""
    made: list[Path] = []

    def make(folder: Path) -> dict[str, Any]:
        if AS_ROOT:
            return {"fault": f"EACCES:{folder}"}
        _chmod_tree(folder, writable=False)
        made.append(folder)
        return {}

    yield make
    for folder in made:
        _chmod_tree(folder, writable=True)


def test_read_only_archive(repo: Path, read_only: Any, cardctl: ForkServer) -> None:
    options = read_only(repo)
    before = state(repo)
    for name, run in run_all(cardctl, EVERY_WRITE, repo, **options).items():
        refused(run, "cannot write ", ": permission denied; nothing was written; you may not write there; check the folder's permissions")
    assert state(repo) == before
    reads_still_work(cardctl, repo, **options)


def test_read_only_card_folder_names_the_file(repo: Path, read_only: Any, cardctl: ForkServer) -> None:
    options = read_only(repo / "customers/KH0002")
    before = state(repo)
    line = refused(cardctl(*COMMITTING["customer set --commit"], cwd=repo, **options))
    assert line.startswith("cardctl: error: cannot write customers/KH0002/card.yaml: permission denied; nothing was written")
    assert state(repo) == before


def test_init_in_a_read_only_folder(tmp_path: Path, read_only: Any, cardctl: ForkServer) -> None:
    parent = tmp_path / "shared"
    (parent / "empty").mkdir(parents=True)
    options = read_only(parent)
    line = refused(cardctl("init", str(parent / "new"), cwd=tmp_path, **options), "permission denied; nothing was written")
    assert f"cannot create the folder {parent / 'new'}" in line
    refused(cardctl("init", str(parent / "empty"), cwd=tmp_path, **options), "permission denied; nothing was written")
    assert [p.name for p in parent.rglob("*")] == ["empty"]


# --- a full disk ----------------------------------------------------------------------


def test_full_disk(repo: Path, tmp_path: Path, cardctl: ForkServer) -> None:
    full = f"ENOSPC:{repo}"
    before = state(repo)
    results = run_all(cardctl, EVERY_WRITE, repo, fault=full)
    for name, run in results.items():
        refused(run, "cannot write ", ": no space left on device; nothing was written; free some disk space and run the command again")
    assert state(repo) == before
    assert refused(results["customer set"]).startswith("cardctl: error: cannot write customers/KH0002/card.yaml: no space left on device")
    reads_still_work(cardctl, repo, fault=full)

    new = tmp_path / "new"
    new.mkdir()
    refused(cardctl("init", str(new), cwd=tmp_path, fault=f"ENOSPC:{new}"), f"cannot create the archive at {new}", "no space left on device")
    assert list(new.iterdir()) == []


def copies(root: Path, n: int) -> list[Path]:
    out = []
    for _ in range(n):
        dest = Path(tempfile.mkdtemp(prefix=f"{root.name}-", dir=root.parent)) / root.name
        shutil.copytree(root, dest, symlinks=True)
        out.append(dest)
    return out


def fail_half_way(cardctl: ForkServer, root: Path, argv: list[str], budgets: list[int]) -> None:
    """Run `argv` on copies of `root` whose disk fills up after each number of `budgets` of writes.

    Every run but the last must fail whole (exit 3, one line, the tree as it
    was); the last, with room enough, must succeed.
    """
    trees = copies(root, len(budgets))
    before = state(root)
    runs = cardctl.run(*(job(*argv, cwd=tree, fault=f"ENOSPC:{tree}", after=n) for n, tree in zip(budgets, trees)))
    for n, tree, run in zip(budgets[:-1], trees, runs):
        refused(run, "no space left on device; nothing was written")
        assert state(tree) == before, f"after {n} writes"
        no_temp_files(tree)
    assert runs[-1].code == 0, runs[-1].err


def test_full_disk_half_way_through_a_reply_with_an_attachment(repo: Path, tmp_path: Path, cardctl: ForkServer) -> None:
    """A reply filed with a scan: the scan is copied, the request moves into the reply's year, the reply is written."""
    write_tree(repo, {"customers/KH0001/credit/2024/2024-12-20-extension-req1.yaml": (
        "id: 2024-12-20-extension-req1\nkind: extension\ndate: 2024-12-20\ntitle: 延期付款申请\nauthor: 王芳\n"
        "expects_reply: true\noriginal_due: 2024-12-31\nnew_due: 2025-03-31\napproved_by: 赵经理\n")})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "request")
    scan = tmp_path / "批复扫描.pdf"
    scan.write_bytes(b"%PDF-1.4 reply\n")
    argv = ["record", "add", "KH0001", "extension", "--date", "2025-01-06", "--title", "批复", "--by", "王芳",
            "--set", "original_due=2024-12-31", "--set", "new_due=2025-03-31", "--set", "approved_by=赵经理",
            "--set", "relation.type=reply", "--set", "relation.of=2024-12-20-extension-req1", "--attach", str(scan), "--commit"]
    fail_half_way(cardctl, repo, argv, [0, 1, 2])  # the scan, the reply; then room enough


def test_full_disk_half_way_through_close_and_index(tmp_path: Path, cardctl: ForkServer) -> None:
    root = make_repo(copy_base(tmp_path / "archive"))
    assert cardctl("index", cwd=root).code == 0
    git(root, "add", "-A")
    git(root, "commit", "-qm", "catalogue")
    # five volumes, the seals folder, the seal, closed_years in the settings, four catalogue pages
    fail_half_way(cardctl, root, CLOSE, [0, 3, 5, 6, 7, 9, 40])
    write_tree(root, {"customers/KH0002/card.yaml": (root / "customers/KH0002/card.yaml").read_text(encoding="utf-8") + "region: 华东\n"})
    shutil.rmtree(root / "catalogue")
    fail_half_way(cardctl, root, ["index"], [0, 1, 3, 40])  # the catalogue folder, then its pages


def test_full_disk_half_way_through_init(tmp_path: Path, cardctl: ForkServer) -> None:
    budgets = [0, 1, 2, 5, 20, 200]  # init writes some 30 files
    targets = [tmp_path / f"init-{n}" for n in budgets]
    for target in targets:
        target.mkdir()
    runs = cardctl.run(*(job("init", str(t), "--no-git", cwd=tmp_path, fault=f"ENOSPC:{t}", after=n) for n, t in zip(budgets, targets)))
    for n, target, run in zip(budgets[:-1], targets, runs):
        refused(run, f"cannot create the archive at {target}", "no space left on device; nothing was written")
        assert list(target.iterdir()) == [], f"after {n} writes"
    assert runs[-1].code == 0 and (targets[-1] / "cardctl.yaml").is_file()


# --- a commit that git itself refuses ------------------------------------------------------


def test_a_hook_that_refuses_the_commit(repo: Path, cardctl: ForkServer) -> None:
    """Known only when git commits: the file stays written (as without --commit) but not staged, and the line says so."""
    hook = repo / ".git/hooks/pre-commit"
    hook.write_text("#!/bin/sh\necho 'policy: no commits today' >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    head = git(repo, "rev-parse", "HEAD")
    run = cardctl(*COMMITTING["visit add --commit"], "--format", "json", cwd=repo)
    line = refused(run, "git commit failed", "policy: no commits today", "; written but not committed: customers/KH0001/basic/2025/")
    path = line.rsplit(": ", 1)[1]
    assert (repo / path).is_file() and git(repo, "status", "--porcelain") == f"?? {path}\n"
    assert git(repo, "rev-parse", "HEAD") == head and run.out == ""
