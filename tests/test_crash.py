"""Crash safety (issue #8): SIGKILL at random moments, and the states such kills leave, rerun.

`test_crash_trials` kills the installed cardctl during `record add --commit`,
`customer set --commit` and `close` (tests/crash.py says what is checked
after each kill). CI runs 30 trials in all; the full count:

    CARDCTL_CRASH_TRIALS=200 .venv/bin/pytest tests/test_crash.py

CARDCTL_CRASH_SEED=N replays a series (the seed is printed with each
summary and with every failure). The other tests rebuild, step by step,
states the trials found, so that each fix stays tested without luck.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

import crash
from cardctl.archive import Archive
from cardctl.validate import check
from conftest import copy_base, git, make_repo, write_tree

TRIALS = int(os.environ.get("CARDCTL_CRASH_TRIALS", "30"))
SEED = os.environ.get("CARDCTL_CRASH_SEED") or str(random.SystemRandom().randrange(10**6))
COMMANDS = ["record", "customer", "close"]


@pytest.mark.crash
@pytest.mark.parametrize("command", COMMANDS)
def test_crash_trials(command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert crash.CARDCTL, "the cardctl script is not installed next to this Python"
    per = -(-TRIALS // len(COMMANDS))
    series = crash.run_series(command, per, SEED, tmp_path)
    with capsys.disabled():
        print(f"\n{series.summary()}")
    assert not series.failed, f"{len(series.failed)} of {len(series.trials)} trials failed; replay with CARDCTL_CRASH_SEED={SEED}\n" + "\n".join(
        t.describe(command, SEED) for t in series.failed)
    if per >= 30:  # a long series must have caught the command half-way, or it tested little
        assert any(t.outcome not in ("nothing written", "complete") for t in series.trials), series.summary()


# --- states the trials found, rebuilt ----------------------------------------------------

REPLY_ARGS = crash.scenarios(Path("/nonexistent"))["record"].args[:-3]  # without --attach and --commit
MOVED = "customers/KH0001/credit/2025/2024-12-20-extension-req1.yaml"


@pytest.fixture
def request_repo(tmp_path: Path) -> Path:
    """The base archive with a committed 2024 request and its scan (the crash trials' record archive)."""
    root = copy_base(tmp_path / "archive")
    crash._prepare_reply(root, tmp_path)
    return make_repo(root)


def _killed_reply(root: Path, scan: Path, steps: int) -> None:
    """What `record add` of the reply leaves when killed after `steps` of its writes, in their order."""
    folder = root / "customers/KH0001/credit"
    if steps >= 1:  # the reply's scan is copied
        (folder / "2025/files").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(scan, folder / "2025/files/批复.pdf")
    if steps >= 2:  # the request moves into the reply's year ...
        os.rename(root / crash.REQUEST, root / MOVED)
    if steps >= 3:  # ... and its scan after it
        os.rename(folder / "2024/files/申请.pdf", folder / "2025/files/申请.pdf")


@pytest.mark.parametrize("steps", [1, 2, 3], ids=["scan-copied", "request-moved", "request-and-its-scan-moved"])
def test_rerun_of_a_killed_reply_finishes_it_and_commits_it_whole(request_repo: Path, tmp_path: Path, cli, steps: int) -> None:
    root = request_repo
    scan = tmp_path / "批复.pdf"
    _killed_reply(root, scan, steps)
    result = cli(*REPLY_ARGS, "--attach", str(scan), "--commit", cwd=root)
    assert result.code == 0, result.err
    assert check(Archive(root)) == []
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""
    assert git(root, "rev-list", "--count", "HEAD") == "2\n"
    committed = git(root, "ls-tree", "-r", "-z", "--name-only", "HEAD", "customers/KH0001/credit").split("\0")[:-1]
    reply = result.out.strip()
    assert sorted(committed) == sorted([
        "customers/KH0001/credit/2025/2025-01-10-credit-approval-q7de.yaml", "customers/KH0001/credit/2025/files/scan.pdf",
        MOVED, reply, "customers/KH0001/credit/2025/files/申请.pdf", "customers/KH0001/credit/2025/files/批复.pdf"])


def test_a_scan_that_is_already_committed_is_reused_and_the_commit_stays_clean(request_repo: Path, tmp_path: Path, cli) -> None:
    """The reused-attachment path commits nothing new for the scan: `git commit --only` of an unchanged file is fine."""
    scan = tmp_path / "申请.pdf"
    scan.write_bytes((request_repo / "customers/KH0001/credit/2024/files/申请.pdf").read_bytes())
    result = cli("record", "add", "KH0001", "guarantee", "--date", "2024-12-21", "--title", "担保函", "--set", "summary=担保",
                 "--attach", str(scan), "--commit", cwd=request_repo)
    assert result.code == 0, result.err
    assert git(request_repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert git(request_repo, "show", "--name-only", "--format=", "HEAD").splitlines() == [result.out.strip()]


CARD = "customers/KH0001/card.yaml"
SET = ["customer", "set", "KH0001", "region=华南", "grade=B"]


@pytest.mark.parametrize("staged", [False, True], ids=["written", "written-and-staged"])
def test_rerun_of_a_killed_customer_set_commits_the_card(repo: Path, cli, staged: bool) -> None:
    # A run killed before its commit (or between git add and git commit) leaves the card written.
    assert cli(*SET, "--no-commit", cwd=repo).code == 0
    if staged:
        git(repo, "add", CARD)
    written = (repo / CARD).read_bytes()
    result = cli(*SET, "--commit", cwd=repo)
    assert (result.code, result.out) == (0, f"committed {CARD}: the change was written before but not committed\n")
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "log", "-1", "--format=%s") == "customer set KH0001: region, grade\n"
    assert git(repo, "show", f"HEAD:{CARD}").encode("utf-8") == written
    # once committed, the same command has nothing left to do
    again = cli(*SET, "--commit", cwd=repo)
    assert (again.code, again.out) == (0, f"{CARD} unchanged\n")
    assert git(repo, "rev-list", "--count", "HEAD") == "2\n"


def test_a_card_with_other_uncommitted_changes_is_not_committed_for_them(repo: Path, cli) -> None:
    assert cli(*SET, "--no-commit", cwd=repo).code == 0
    (repo / CARD).write_bytes((repo / CARD).read_bytes() + b"route: R09\n")
    result = cli(*SET, "--commit", cwd=repo)
    assert (result.code, result.out) == (0, f"{CARD} unchanged\n")
    assert git(repo, "status", "--porcelain") == f" M {CARD}\n" and git(repo, "rev-list", "--count", "HEAD") == "1\n"


@pytest.fixture
def close_repo(tmp_path: Path, cli) -> Path:
    """The crash trials' close archive: the base with its catalogue, all committed."""
    root = copy_base(tmp_path / "archive")
    assert cli("index", cwd=root).code == 0
    return make_repo(root)


def test_a_rerun_close_passes_over_temporary_files_a_killed_close_left(close_repo: Path, cli) -> None:
    # killed while writing its first volume, the settings and a catalogue page (no .gitignore here)
    left = ["customers/KH0001/basic/2025/.cardctl-tmp-k1ll3d", ".cardctl-tmp-s3ttng", "catalogue/.cardctl-tmp-c4tal0"]
    write_tree(close_repo, {path: "cover:\n  fonds_na" for path in left})
    result = cli("close", "2025", "--checker", "李娜", cwd=close_repo)
    assert result.code == 0, result.err
    assert git(close_repo, "tag") == "close/2025\n"
    assert not [p for p in git(close_repo, "ls-tree", "-r", "--name-only", "HEAD").splitlines() if crash.TEMP_PREFIX in p]
    assert sorted(git(close_repo, "status", "--porcelain", "--untracked-files=all").splitlines()) == sorted(f"?? {p}" for p in left)
    assert cli("validate", cwd=close_repo).code == 0 and cli("verify", cwd=close_repo).code == 0


def test_a_stale_index_lock_is_named_at_once_and_nothing_is_written(request_repo: Path, tmp_path: Path) -> None:
    """A git killed mid-commit leaves .git/index.lock; the next write command must say so, not hang, and write nothing."""
    (request_repo / ".git/index.lock").write_bytes(b"")
    try:
        done = subprocess.run([crash.CARDCTL, *REPLY_ARGS, "--commit"], cwd=request_repo, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("no answer within 120 s: a hang")
    assert done.returncode == 3 and len(done.stderr.splitlines()) == 1 and "index.lock" in done.stderr, done.stderr
    assert git(request_repo, "status", "--porcelain", "--untracked-files=all") == ""


# --- the trials' own checks can fail -------------------------------------------------------


@pytest.mark.parametrize("damage", ["half-written-card", "lost-record"])
def test_the_checks_after_a_kill_see_a_half_written_file_and_a_lost_record(tmp_path: Path, damage: str) -> None:
    runner = crash.Runner(crash.scenarios(tmp_path)["customer"], tmp_path, {})
    runner.build()
    done = runner.fresh("done")
    assert crash.run_inprocess(done, runner.s.args)[0] == 0
    runner.ref = crash.Reference(crash.files_of(runner.template)[0], crash.files_of(done)[0], 1.0, 0.5, 0.6)
    root = runner.fresh("killed")
    if damage == "half-written-card":
        (root / CARD).write_bytes(runner.ref.after[CARD][:150])
        expected = f"{CARD}: 150 bytes, neither the old nor the new content after the kill"
    else:
        (root / "customers/KH0001/basic/2025/2025-03-02-visit-7kq2.yaml").unlink()
        expected = "committed customers/KH0001/basic/2025/2025-03-02-visit-7kq2.yaml is lost: neither at its place nor where the command moves it"
    trial = crash.Trial(0, crash.Kill("start", 0.0, "group"))
    runner.after_kill(root, git(root, "rev-parse", "HEAD").strip(), trial)
    assert expected in trial.failures
