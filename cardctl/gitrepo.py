"""The only module that touches git (through GitPython)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cardctl.errors import CannotRun


def _git() -> Any:
    try:
        import git
    except ImportError as exc:  # GitPython refuses to import without a git executable
        raise CannotRun("git is not installed or not on PATH; install git (or use --no-git where offered)") from exc
    return git


def work_tree_of(path: Path) -> Path | None:
    """The root of the git work tree holding `path`, or None."""
    git = _git()
    try:
        repo = git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    return Path(repo.working_tree_dir) if repo.working_tree_dir else None


def init(path: Path) -> None:
    git = _git()
    try:
        git.Repo.init(path)
    except git.GitCommandError as exc:
        raise CannotRun(f"git init failed: {exc.stderr.strip() or exc}") from exc
