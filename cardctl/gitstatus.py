"""`git status` of a work tree, which can be started before Python has loaded cardctl.

On a 300 000-file archive `git status` takes about a second: it looks at
every file and folder of the work tree. `validate` cannot do without it
(`--changed-since`: unstaged and untracked records count as touched; a
whole-archive check: the cache trusts only dossiers git finds clean), but
nothing it asks depends on cardctl's own code, so the `cardctl` command starts
it first (`begin`), in the folder the command will look for its archive from,
and the check later takes its output (`take`) if it is about the same
repository. Anything else (another archive, an error before the check) stops
it unused.

Every status cardctl runs only looks: GIT_OPTIONAL_LOCKS=0 keeps it from
taking index.lock to refresh git's index, so a `git commit` or a
`cardctl visit add --commit` started meanwhile is never refused.
"""

from __future__ import annotations

import atexit
import os
import subprocess
from pathlib import Path

# Porcelain paths are relative to the top of the work tree, wherever git runs.
ARGS = ["git", "status", "--porcelain=v1", "-z", "--no-renames", "--untracked-files=normal"]


def no_locks() -> dict[str, str]:
    """The environment for git's looks: this process's, never taking index.lock."""
    return {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}


class Early:
    """A status started ahead, with the question of which work tree it is about."""

    def __init__(self, folder: str) -> None:
        pipe = {"cwd": folder, "env": no_locks(), "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
        # Both at once: the top is known in milliseconds, the status much later.
        self.top = subprocess.Popen(["git", "rev-parse", "--show-toplevel"], **pipe)  # type: ignore[call-overload]
        self.status = subprocess.Popen(ARGS, **pipe)  # type: ignore[call-overload]

    def about(self) -> Path | None:
        out, _ = self.top.communicate()
        return Path(os.path.realpath(out.decode("utf-8", "surrogateescape").rstrip("\n"))) if self.top.returncode == 0 else None

    def stop(self) -> None:
        for proc in (self.top, self.status):
            stop(proc)


_early: Early | None = None


def begin(folder: str) -> None:
    """Start `git status` in `folder` now; a later `take` for the same work tree uses it."""
    global _early
    if _early is not None:
        return
    try:
        _early = Early(folder)
    except OSError:  # no git, no such folder: the check will say so in its own words
        return
    atexit.register(_stop_unused)


def take(top: Path) -> subprocess.Popen[bytes] | None:
    """The status started by `begin`, if it is about the work tree at `top`; else None (and it is stopped)."""
    global _early
    early, _early = _early, None
    if early is None:
        return None
    if early.about() != Path(os.path.realpath(top)):
        early.stop()
        return None
    return early.status


def start(top: Path) -> subprocess.Popen[bytes]:
    """The status of the work tree at `top`: the one started ahead if it is about it, else a new one."""
    return take(top) or subprocess.Popen(ARGS, cwd=top, env=no_locks(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    """Stop a status nobody will read (None: nothing to stop)."""
    if proc is not None:
        if proc.poll() is None:
            proc.terminate()
        proc.communicate()


def _stop_unused() -> None:
    global _early
    if _early is not None:
        _early.stop()
        _early = None
