"""The only module that touches git (through GitPython)."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cardctl.errors import CannotRun

LOCK_WAIT_SECONDS = 60.0


def _git() -> Any:
    try:
        import git
    except ImportError as exc:  # GitPython refuses to import without a git executable
        raise CannotRun("git is not installed or not on PATH; install git (or use --no-git where offered)") from exc
    return git


def _repo(path: Path) -> Any:
    git = _git()
    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None


def work_tree_of(path: Path) -> Path | None:
    """The root of the git work tree holding `path`, or None."""
    repo = _repo(path)
    return Path(repo.working_tree_dir) if repo is not None and repo.working_tree_dir else None


def init(path: Path) -> None:
    git = _git()
    try:
        git.Repo.init(path)
    except git.GitCommandError as exc:
        raise CannotRun(f"git init failed: {exc.stderr.strip() or exc}") from exc


def user_name(path: Path) -> str | None:
    """git's user.name for the repository at `path` (or the global one)."""
    git = _git()
    repo = _repo(path)
    try:
        value = repo.git.config("user.name") if repo is not None else git.Git().config("user.name")
    except git.GitCommandError:
        return None
    return value.strip() or None


def _with_lock_retry(action: Any) -> Any:
    """Run a git command, waiting while another process holds the index lock."""
    git = _git()
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            return action()
        except git.GitCommandError as exc:
            if "index.lock" not in str(exc.stderr) or time.monotonic() > deadline:
                raise
            time.sleep(0.05 + random.random() * 0.2)


def check_can_commit(root: Path) -> None:
    """Refuse (exit 3) before anything is written when a commit would fail."""
    git = _git()
    repo = _repo(root)
    if repo is None or repo.working_tree_dir is None:
        raise CannotRun(f"{root} is not in a git repository; run `git init` or leave out --commit")
    try:
        repo.git.var("GIT_AUTHOR_IDENT")
    except git.GitCommandError:
        raise CannotRun("git does not know who you are: set git config user.name and user.email") from None
    git_dir = Path(repo.git_dir)
    for marker, what in (("MERGE_HEAD", "a merge"), ("rebase-merge", "a rebase"), ("rebase-apply", "a rebase"), ("CHERRY_PICK_HEAD", "a cherry-pick")):
        if (git_dir / marker).exists():
            raise CannotRun(f"{what} is in progress in {repo.working_tree_dir}; finish it before cardctl commits")


def commit_paths(root: Path, paths: Sequence[str], message: str) -> str:
    """Commit exactly `paths` (relative to `root`), leaving any other staged or modified file alone.

    Returns the new commit's hash.
    """
    git = _git()
    repo = _repo(root)
    if repo is None or repo.working_tree_dir is None:
        raise CannotRun(f"{root} is not in a git repository; run `git init` or leave out --commit")
    top = Path(repo.working_tree_dir)
    rel = [os.path.relpath(root / p, top) for p in paths]
    present = [r for r in rel if (top / r).exists()]
    try:
        if present:
            _with_lock_retry(lambda: repo.git.add("--", *present))
        # --only: a commit of these paths alone, whatever else is staged.
        _with_lock_retry(lambda: repo.git.commit("--only", "-q", "-m", message, "--", *rel))
    except git.GitCommandError as exc:
        detail = " ".join(str(exc.stderr or exc.stdout or exc).split())
        if "Please tell me who you are" in detail or "user.email" in detail or "user.name" in detail:
            raise CannotRun("git does not know who you are: set git config user.name and user.email") from exc
        raise CannotRun(f"git commit failed: {detail}") from exc
    return str(repo.head.commit.hexsha)
