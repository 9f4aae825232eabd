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


def repo_root(root: Path) -> Path | None:
    repo = _repo(root)
    return Path(repo.working_tree_dir) if repo is not None and repo.working_tree_dir else None


def dirty_paths(root: Path) -> list[str]:
    """Changed, staged or untracked (not ignored) paths, relative to `root` (the archive)."""
    repo = _repo(root)
    if repo is None or repo.working_tree_dir is None:
        return []
    top = Path(repo.working_tree_dir)
    out = repo.git.status("--porcelain=v1", "-z", "--untracked-files=all", "--", str(root))
    paths = []
    parts = out.split("\0")
    i = 0
    while i < len(parts):
        entry = parts[i]
        i += 1
        if len(entry) < 4:
            continue
        status, path = entry[:2], entry[3:]
        if "R" in status or "C" in status:
            i += 1  # the rename's source follows
        paths.append(os.path.relpath(top / path, root))
    return sorted(paths)


def tag_exists(root: Path, name: str) -> bool:
    repo = _repo(root)
    return repo is not None and any(t.name == name for t in repo.tags)


def tag_message(root: Path, name: str) -> str | None:
    repo = _repo(root)
    if repo is None:
        return None
    try:
        tag = repo.tags[name]
    except (IndexError, KeyError):
        return None
    return tag.tag.message if tag.tag is not None else None


def create_tag(root: Path, name: str, message: str, sign: bool = False) -> None:
    git = _git()
    repo = _repo(root)
    try:
        repo.git.tag("-s" if sign else "-a", name, "-m", message)
    except git.GitCommandError as exc:
        detail = " ".join(str(exc.stderr or exc).split())
        raise CannotRun(f"git tag {name} failed: {detail}") from exc


def tree_blobs(root: Path, rev: str, prefix: str) -> dict[str, str]:
    """Blob ids at `rev` of the files under `prefix`, keyed by path relative to the archive root."""
    repo = _repo(root)
    if repo is None or repo.working_tree_dir is None:
        return {}
    top = Path(repo.working_tree_dir)
    base = os.path.relpath(root, top)
    where = prefix if base == "." else f"{base}/{prefix}"
    out = repo.git.ls_tree("-r", "-z", rev, "--", where)
    blobs = {}
    for entry in out.split("\0"):
        if not entry:
            continue
        meta, path = entry.split("\t", 1)
        blobs[os.path.relpath(top / path, root)] = meta.split()[2]
    return blobs


def blob_id(path: Path) -> str:
    """git's object id of a file's content (sha1 repositories)."""
    import hashlib

    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
