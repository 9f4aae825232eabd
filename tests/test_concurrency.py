"""Many reps at one work tree at the same moment: cardctl processes of their own, all started together.

The processes are forked from one that has imported cardctl already (see
faults/forkserver.py): the same `main()` as the installed script, without a
second of start-up each, so that forty of them race for real on two cores.
tests/test_commit.py runs the installed `cardctl` script itself in parallel.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from cardctl.archive import Archive
from cardctl.validate import check
from conftest import git
from faults.client import ForkServer, fork_server, job


@pytest.fixture(scope="module")
def cardctl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ForkServer]:
    with fork_server(tmp_path_factory.mktemp("home")) as server:
        yield server


def test_forty_visits_at_once_twenty_of_them_committed(repo: Path, cardctl: ForkServer) -> None:
    """20 plain `visit add` and 20 `visit add --commit` on one customer, all started together.

    Every record lands under its own name; every --commit run queues for the
    others and commits exactly its own file (never a file of a plain run
    written meanwhile); what is left in `git status` is the plain runs' files.
    """
    runs = [(f"并发{i}", i % 2 == 1) for i in range(40)]  # interleaved: plain, commit, plain, ...
    results = cardctl.run(*(job("visit", "add", "KH0001", "--date", "2025-06-01", "--summary", summary, "--format", "json",
                                *(["--commit"] if commit else []), cwd=repo) for summary, commit in runs))
    for (summary, commit), result in zip(runs, results):
        # git's index.lock makes a parallel commit fail; cardctl queues them, so none may fail
        assert (result.code, result.err) == (0, ""), f"{summary} (--commit: {commit})"
    written = {summary: json.loads(result.out)["path"] for (summary, _), result in zip(runs, results)}
    assert len(set(written.values())) == 40
    for summary, path in written.items():
        assert f"summary: {summary}\n" in (repo / path).read_text(encoding="utf-8")

    committed = {summary: written[summary] for summary, commit in runs if commit}
    plain = {summary: written[summary] for summary, commit in runs if not commit}
    new_commits = git(repo, "rev-list", "HEAD", "^HEAD~20").split()
    assert git(repo, "rev-list", "--count", "HEAD") == "21\n"
    files_per_commit = [git(repo, "show", "--name-only", "--format=", c).split() for c in new_commits]
    assert all(len(files) == 1 for files in files_per_commit)
    assert sorted(f[0] for f in files_per_commit) == sorted(committed.values())
    status = git(repo, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert sorted(status) == sorted(f"?? {path}" for path in plain.values())
    assert check(Archive(repo)) == []


def test_customers_added_at_once_get_distinct_ids(repo: Path, cardctl: ForkServer) -> None:
    """Reps opening dossiers at the same moment: each takes the next free id, never an error."""
    results = cardctl.run(*(job("customer", "add", "--name", f"同时新增客户{i}号", *(["--commit"] if i % 2 else []), cwd=repo) for i in range(10)))
    assert [(r.code, r.err) for r in results] == [(0, "")] * 10
    ids = sorted(r.out.strip() for r in results)
    assert ids == [f"KH{n:04d}" for n in range(3, 13)]
    names = {(repo / f"customers/{cid}/card.yaml").read_text(encoding="utf-8").split("name: ")[1].split("\n")[0] for cid in ids}
    assert names == {f"同时新增客户{i}号" for i in range(10)}
    committed = git(repo, "log", "--format=", "--name-only", "HEAD~5..HEAD").split()
    assert len(committed) == 5 and git(repo, "rev-list", "--count", "HEAD") == "6\n"
    status = git(repo, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert sorted(committed + [line[3:] for line in status]) == sorted(f"customers/{cid}/card.yaml" for cid in ids)
    assert check(Archive(repo)) == []
