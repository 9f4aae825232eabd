"""`validate --changed-since`: what counts as touched, the head start the `cardctl`
command gives git, and the identities of the untouched cards (cache.HeadIdentities).

The installed script is run where the head start matters: it only exists there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cardctl import cache
from cardctl.archive import Archive
from cardctl.cli.entry import _folder_for_status
from cardctl.rules.customers import Identity
from conftest import copy_base, git, make_repo, write_tree

CARDCTL = str(Path(sys.executable).parent / "cardctl")


def installed(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CARDCTL, *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, **env})


def _card(cid: str, name: str, phone: str, extra: str = "") -> str:
    return f"id: {cid}\nname: {name}\ntype: company\nstatus: prospect\nsince: 2025-01-01\nphone: {phone}\n{extra}"


def _files(result: subprocess.CompletedProcess[str]) -> list[str]:
    return sorted({p["path"] for p in json.loads(result.stdout)})


def _touch_every_way(repo: Path) -> str:
    """Four dossiers touched four ways since the returned commit, one left alone; each touch an error."""
    write_tree(repo, {f"customers/KH000{i}/card.yaml": _card(f"KH000{i}", f"客户{i}", f'"0571-8800 000{i}"') for i in (3, 4, 5, 6)})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "more customers")
    base = git(repo, "rev-parse", "HEAD").strip()
    for i, how in ((3, "committed"), (4, "staged"), (5, "unstaged")):
        card = repo / f"customers/KH000{i}/card.yaml"
        card.write_text(card.read_text(encoding="utf-8") + "grade: E\n", encoding="utf-8")
        if how != "unstaged":
            git(repo, "add", str(card))
        if how == "committed":
            git(repo, "commit", "-qm", "KH0003")
    write_tree(repo, {"customers/KH0007/card.yaml": _card("KH0007", "新客户", '"0571-8800 0009"', "grade: E\n")})  # untracked
    return base


def test_every_kind_of_touch_is_checked_and_nothing_else(repo: Path) -> None:
    base = _touch_every_way(repo)
    (repo / "customers/KH0006/card.yaml").write_text(_card("KH0006", "客户6", '"0571-8800 0006"', "grade: E\n"), encoding="utf-8")
    git(repo, "commit", "-qm", "KH0006: committed since base too", "--", "customers/KH0006/card.yaml")
    result = installed("validate", "--changed-since", base, "--format", "json", cwd=repo)
    assert result.returncode == 1, result.stderr
    assert _files(result) == [f"customers/KH000{i}/card.yaml" for i in (3, 4, 5, 6, 7)]
    since_head = installed("validate", "--changed-since", "HEAD", "--format", "json", cwd=repo)
    assert _files(since_head) == [f"customers/KH000{i}/card.yaml" for i in (4, 5, 7)]
    # the same findings as the whole archive has for those dossiers
    whole = json.loads(installed("validate", "--format", "json", cwd=repo).stdout)
    assert json.loads(since_head.stdout) == [p for p in whole if p["path"].split("/")[1] in {"KH0004", "KH0005", "KH0007"}]


def test_from_a_subfolder_of_an_archive_inside_a_larger_repository(tmp_path: Path) -> None:
    top = tmp_path / "company"
    arc = copy_base(top / "records" / "archive")
    write_tree(top, {"README.md": "not the archive\n"})
    make_repo(top)
    (top / "README.md").write_text("changed, but outside the archive\n", encoding="utf-8")
    visit = arc / "customers/KH0001/basic/2025/2025-03-02-visit-7kq2.yaml"
    visit.write_text(visit.read_text(encoding="utf-8").replace("channel: visit", "channel: vist"), encoding="utf-8")
    result = installed("validate", "--changed-since", "HEAD", "--format", "json", cwd=arc / "customers" / "KH0002")
    assert result.returncode == 1, result.stderr
    assert _files(result) == ["customers/KH0001/basic/2025/2025-03-02-visit-7kq2.yaml"]


@pytest.mark.parametrize("how", ["-C", "--archive=", "CARDCTL_ARCHIVE"])
def test_a_head_start_in_another_repository_is_not_used(tmp_path: Path, how: str) -> None:
    """git starts in the working folder; the archive named elsewhere gets its own status."""
    here = make_repo(copy_base(tmp_path / "here"))
    there = make_repo(copy_base(tmp_path / "there"))
    write_tree(here, {"customers/KH0009/card.yaml": "id: KH0009\n"})  # untracked here, broken: must not show
    card = there / "customers/KH0002/card.yaml"
    card.write_text(card.read_text(encoding="utf-8") + "grade: E\n", encoding="utf-8")
    if how == "CARDCTL_ARCHIVE":
        result = installed("validate", "--changed-since", "HEAD", "--format", "json", cwd=here, CARDCTL_ARCHIVE=str(there))
    elif how == "-C":
        result = installed("-C", str(there), "validate", "--changed-since", "HEAD", "--format", "json", cwd=here)
    else:
        result = installed(f"--archive={there}", "validate", "--changed-since", "HEAD", "--format", "json", cwd=here)
    assert _files(result) == ["customers/KH0002/card.yaml"], result.stderr


def test_a_refused_command_line_leaves_git_as_it_was(repo: Path) -> None:
    before = (repo / ".git" / "index").read_bytes()
    result = installed("validate", "--changed-since", "no-such-rev", cwd=repo)
    assert (result.returncode, result.stderr) == (2, "cardctl: error: unknown revision 'no-such-rev'\n")
    wrong = installed("validate", "--changed-since", "HEAD", "--format", "yaml", cwd=repo)
    assert wrong.returncode == 2 and wrong.stderr.count("\n") == 1
    assert not (repo / ".git" / "index.lock").exists()
    assert (repo / ".git" / "index").read_bytes() == before or git(repo, "status", "--porcelain") == ""


def test_on_a_branch_with_no_commit_yet(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "--orphan", "fresh")  # HEAD names no commit; the index still holds everything
    card = repo / "customers/KH0002/card.yaml"
    card.write_text(card.read_text(encoding="utf-8") + "grade: E\n", encoding="utf-8")
    result = installed("validate", "--changed-since", base, "--format", "json", cwd=repo)
    assert _files(result) == ["customers/KH0002/card.yaml"], result.stderr


@pytest.mark.parametrize(("argv", "folder"), [
    (["validate", "--changed-since", "HEAD"], "."),
    (["validate", "--changed-since=main", "customers/KH1"], "."),
    (["-C", "{tmp}", "validate", "--format", "json", "--changed-since", "HEAD"], "{tmp}"),
    (["--archive={tmp}", "validate", "--changed-since", "HEAD"], "{tmp}"),
    (["validate"], "."),  # a whole-archive check asks git what its cache may vouch for
    (["validate", "--format", "json"], "."),
    (["validate", "--format", "json", "customers/KH1"], None),  # a partial check uses no cache
    (["validate", "--no-cache"], None),
    (["validate", "--no-cache", "--changed-since", "HEAD"], "."),
    (["validate", "--help", "--changed-since", "HEAD"], None),
    (["validate", "--", "--changed-since"], None),
    (["validate", "--", "--help"], None),
    (["validate", "--"], "."),
    (["--version", "validate", "--changed-since", "HEAD"], None),
    (["index", "--changed-since", "HEAD"], None),
    (["index"], "."),
    (["-C", "{tmp}", "index", "--check"], "{tmp}"),
    (["index", "--help"], None),
    (["report", "due", "--as-of", "2025-12-01"], "."),  # a report asks git what its cache may vouch for
    (["-C", "{tmp}", "report", "credit", "--format", "json"], "{tmp}"),
    (["report", "due", "--no-cache"], None),
    (["report", "due", "--help"], None),
    (["report"], None),
    (["-C", "{tmp}/nowhere", "validate", "--changed-since", "HEAD"], None),
])
def test_which_command_lines_get_a_head_start(tmp_path: Path, argv: list[str], folder: str | None) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert _folder_for_status(args) == (None if folder is None else folder.replace("{tmp}", str(tmp_path)))


# --- the identities of the untouched cards ----------------------------------------------------


def _with_phones(repo: Path) -> str:
    write_tree(repo, {"customers/KH0003/card.yaml": _card("KH0003", "老客户", '"0571-1234 5678"'),
                      "customers/KH0004/card.yaml": _card("KH0004", "别的客户", '"0571-2222 3333"')})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "customers with phones")
    return git(repo, "rev-parse", "HEAD").strip()


def test_a_touched_card_is_compared_with_every_untouched_one_cold_and_warm(repo: Path) -> None:
    _with_phones(repo)
    write_tree(repo, {"customers/KH0005/card.yaml": _card("KH0005", "新客户", '"0571-12345678"')})
    cold = installed("validate", "--changed-since", "HEAD", cwd=repo)
    assert "D503 phone number 0571-12345678 is also on the card of KH0003" in cold.stdout
    assert (repo / cache.HEAD_FILE).is_file()
    warm = installed("validate", "--changed-since", "HEAD", cwd=repo)
    assert (warm.returncode, warm.stdout) == (cold.returncode, cold.stdout) == (1, cold.stdout)
    assert ".cardctl" not in git(repo, "status", "--porcelain")


def test_an_untouched_card_changed_by_a_later_commit_is_read_again(repo: Path) -> None:
    _with_phones(repo)
    write_tree(repo, {"customers/KH0005/card.yaml": _card("KH0005", "新客户", '"0571-9999 0000"')})
    assert installed("validate", "--changed-since", "HEAD", cwd=repo).returncode == 0  # fills the cache
    card = repo / "customers/KH0004/card.yaml"
    card.write_text(_card("KH0004", "别的客户", '"0571-99990000"'), encoding="utf-8")
    git(repo, "commit", "-qm", "KH0004 new phone", "--", str(card))
    result = installed("validate", "--changed-since", "HEAD", cwd=repo)
    assert "D503 phone number 0571-9999 0000 is also on the card of KH0004" in result.stdout


def test_an_ignored_card_is_never_vouched_for_by_its_folder(repo: Path) -> None:
    """A card git does not track is read every time: no tree id speaks for its content."""
    _with_phones(repo)
    git(repo, "rm", "-q", "--cached", "customers/KH0004/card.yaml")
    write_tree(repo, {".gitignore": "customers/KH0004/card.yaml\n"})
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-qm", "KH0004's card no longer tracked")
    write_tree(repo, {"customers/KH0005/card.yaml": _card("KH0005", "新客户", '"0571-7777 0000"')})
    assert "D503" not in installed("validate", "--changed-since", "HEAD", cwd=repo).stdout
    (repo / "customers/KH0004/card.yaml").write_text(_card("KH0004", "别的客户", '"0571-77770000"'), encoding="utf-8")
    assert "D503 phone number 0571-7777 0000 is also on the card of KH0004" in installed("validate", "--changed-since", "HEAD", cwd=repo).stdout


def test_a_card_read_after_it_changed_is_not_kept(repo: Path) -> None:
    """Edited between git's look and the read (a race): used for this run, never stored."""
    _with_phones(repo)
    archive = Archive(repo)
    heads = cache.HeadIdentities(archive)
    card = repo / "customers/KH0004/card.yaml"
    card.write_text(_card("KH0004", "别的客户", '"0571-55550000"'), encoding="utf-8")
    like = [Identity("KH0099", (("phone", "57155550000"),), "")]
    found = {who.customer: who for who in heads.others(archive.customer_ids(), skip=set(), like=like)}
    assert found["KH0004"].get("phone") == "57155550000"
    stored = cache.load(repo / cache.HEAD_FILE)["entries"]
    assert "KH0004" not in stored and "KH0003" in stored


@pytest.mark.parametrize("junk", ["{not json", '{"stamp": "x", "entries": {}}', "[1]",
                                  '{"stamp": "@", "entries": {"KH0003": ["@", 5, "id"], "KH0004": "x", "KH0001": ["@", "k", "id"]}}'])
def test_a_broken_or_foreign_cache_is_ignored(repo: Path, junk: str) -> None:
    _with_phones(repo)
    write_tree(repo, {"customers/KH0005/card.yaml": _card("KH0005", "新客户", '"0571-12345678"')})
    expected = installed("validate", "--changed-since", "HEAD", cwd=repo)
    stamp = cache.load(repo / cache.HEAD_FILE)["stamp"]
    trees = {line.split("\t")[1]: line.split()[2] for line in git(repo, "ls-tree", "HEAD:customers").splitlines()}
    forged = junk.replace('"stamp": "@"', json.dumps({"stamp": stamp})[1:-1])
    for customer, tree in trees.items():
        forged = forged.replace(f'"{customer}": ["@"', f'"{customer}": ["{tree}"')
    try:  # a forged file carries a right digest, or its entries would never be looked at
        (repo / cache.HEAD_FILE).write_bytes(cache.dump(json.loads(forged)))
    except ValueError:
        (repo / cache.HEAD_FILE).write_text(forged, encoding="utf-8")
    again = installed("validate", "--changed-since", "HEAD", cwd=repo)
    assert (again.returncode, again.stdout, again.stderr) == (expected.returncode, expected.stdout, expected.stderr)


# --- the head start itself ---------------------------------------------------------------------


def test_a_head_start_is_taken_only_for_its_own_work_tree(tmp_path: Path) -> None:
    from cardctl import gitstatus

    here = make_repo(copy_base(tmp_path / "here"))
    there = make_repo(copy_base(tmp_path / "there"))
    gitstatus.begin(str(here / "customers"))
    early = gitstatus._early
    assert early is not None
    assert gitstatus.take(there) is None  # another work tree: stopped, not used
    assert early.status.poll() is not None and gitstatus._early is None
    gitstatus.begin(str(here / "customers"))
    taken = gitstatus.take(here)
    assert taken is not None and taken.communicate()[0] == b""  # a clean tree
    assert gitstatus.take(here) is None  # used once


def test_outside_git_the_head_start_is_dropped_and_the_error_is_cardctls(tmp_path: Path) -> None:
    arc = copy_base(tmp_path / "plain")
    result = installed("validate", "--changed-since", "HEAD", cwd=arc)
    assert result.returncode == 3
    assert result.stderr.startswith("cardctl: error: --changed-since needs a git repository") and result.stderr.count("\n") == 1
