"""Compute, then write: every write command builds a `WritePlan` first.

The plan is checked before anything touches the disk; `apply` then writes it
so that no reader ever sees half a file (temp file + rename in the same
folder), a new file never replaces one that appeared meanwhile (two reps
adding records at the same moment), and the record itself is written last.
A plan is written whole or not at all: when a step fails (a full disk, a
folder that cannot be written), the steps already taken are undone, folders
it made included, and the error names the file and what to do.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cardctl import gitrepo
from cardctl.errors import CannotRun
from cardctl.yamlio import AlreadyExists, atomic_write

# What to do about the operating-system errors a user can meet while cardctl writes.
_ADVICE = {
    errno.ENOSPC: "free some disk space and run the command again",
    errno.EDQUOT: "your disk quota is used up; free some space and run the command again",
    errno.EACCES: "you may not write there; check the folder's permissions",
    errno.EPERM: "you may not write there; check the folder's permissions",
    errno.EROFS: "the disk is mounted read-only",
}


def os_reason(exc: OSError) -> str:
    """`no space left on device`: the system's reason, in lower case, without the file name."""
    reason = exc.strerror or str(exc)
    return reason[:1].lower() + reason[1:]


def os_advice(exc: OSError) -> str:
    return _ADVICE.get(exc.errno or 0, "")


class NameTaken(CannotRun):
    """A file the plan creates appeared meanwhile: another command wrote it at the same moment."""


@dataclass
class WritePlan:
    root: Path
    create: dict[str, bytes] = field(default_factory=dict)  # new files, never overwriting
    replace: dict[str, bytes] = field(default_factory=dict)  # existing files rewritten whole
    copy: dict[str, Path] = field(default_factory=dict)  # attachment copies: target -> source
    move: dict[str, str] = field(default_factory=dict)  # source -> target (a request joins its reply's year)
    remove: list[str] = field(default_factory=list)  # files deleted (an obsolete catalogue page)
    _undo: list[Callable[[], None]] = field(default_factory=list, init=False, repr=False, compare=False)

    @property
    def written(self) -> list[str]:
        """Every path the plan leaves new or changed, relative to the archive."""
        return sorted({*self.create, *self.replace, *self.copy, *self.move.values()})

    @property
    def touched(self) -> list[str]:
        """Written paths plus the places files moved away from or removed (what a commit must include)."""
        return sorted({*self.written, *self.move, *self.remove})

    def apply(self, durable: bool = True) -> None:
        """Write everything or nothing; with `durable=False`, files are not synced one by one (call os.sync() after).

        On failure every step taken is undone and CannotRun (exit 3) names the
        file and the reason; `undo()` reverts a plan that was applied.
        """
        self._undo = []
        step = ""
        try:
            for step, source in sorted(self.copy.items()):
                if not (self.root / step).exists():  # else: the same bytes, planned as a reuse
                    self._new_file(step, lambda path, source=source: atomic_write(path, source.read_bytes()))
            for source, step in sorted(self.move.items()):
                dest = self._folders_for(step)
                if dest.exists():
                    raise AlreadyExists(step)
                os.rename(self.root / source, dest)
                self._undo.append(lambda dest=dest, source=source: os.rename(dest, self.root / source))
            for step, data in sorted(self.replace.items()):
                path = self.root / step
                old = path.read_bytes() if path.is_file() else None
                if old is None:
                    self._new_file(step, lambda path, data=data: atomic_write(path, data, durable=durable))
                else:
                    atomic_write(path, data, durable=durable)
                    self._undo.append(lambda path=path, old=old: atomic_write(path, old))
            for step, data in sorted(self.create.items()):
                self._new_file(step, lambda path, data=data: atomic_write(path, data, exclusive=True))
            for step in sorted(self.remove):
                path = self.root / step
                old = path.read_bytes()
                path.unlink()
                self._undo.append(lambda path=path, old=old: atomic_write(path, old))
        except AlreadyExists:
            left = self.undo()
            raise NameTaken(f"{step} was created by another command at the same moment; {_nothing(left)}; run the command again") from None
        except OSError as exc:
            left = self.undo()
            advice = os_advice(exc)
            raise CannotRun(f"cannot write {step}: {os_reason(exc)}; {_nothing(left)}" + (f"; {advice}" if advice else "")) from exc

    def undo(self) -> list[str]:
        """Revert the steps `apply` took, newest first; returns the paths that could not be put back."""
        left = []
        while self._undo:
            step = self._undo.pop()
            try:
                step()
            except OSError as exc:
                name = os.fspath(exc.filename) if exc.filename else "?"
                left.append(os.path.relpath(name, self.root) if os.path.isabs(name) else name)
        return left

    def _folders_for(self, rel: str) -> Path:
        """Make the folders `rel` needs, remembering the ones this plan made (undo removes them if empty)."""
        path = self.root / rel
        missing = []
        parent = path.parent
        while parent != self.root and not parent.is_dir() and self.root in parent.parents:
            missing.append(parent)
            parent = parent.parent
        for folder in reversed(missing):
            try:
                os.mkdir(folder)
            except FileExistsError:
                continue  # made by another command meanwhile: not ours to remove
            self._undo.append(lambda folder=folder: _remove_folder(folder))
        return path

    def _new_file(self, rel: str, write: Callable[[Path], None]) -> None:
        path = self._folders_for(rel)
        write(path)
        self._undo.append(path.unlink)


def _remove_folder(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError as exc:
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT):  # someone else's files: leave it
            raise


def _nothing(left: list[str]) -> str:
    return "nothing was written" if not left else f"what was written could not all be undone ({', '.join(left)})"


LOCK_WAIT_SECONDS = 120.0


@contextmanager
def commit_lock(root: Path) -> Iterator[None]:
    """One committing cardctl at a time per work tree.

    git's index.lock alone is not enough: `git commit --only` reads the index
    before it takes the lock, so a `git add` of another process in between is
    lost from the index and that process's commit fails ("pathspec did not
    match"). Held from the check to the commit, so a refused commit writes
    nothing. A lock on the work tree's folder needs no file of its own.
    """
    try:
        import fcntl
    except ImportError:  # Windows: git's own lock and gitrepo's retries
        yield
        return
    top = gitrepo.repo_root(root) or root
    fd = os.open(top, os.O_RDONLY)
    try:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise CannotRun(f"another cardctl has been committing in {top} for {LOCK_WAIT_SECONDS:.0f} s; nothing was written; try again") from None
                time.sleep(0.02)
        yield
    finally:
        os.close(fd)  # releases the lock


def carry_out(plan: WritePlan, commit_message: str | None = None) -> str | None:
    """Write the plan and, with a message, commit exactly what it touched.

    Whether a commit is possible is checked first, so a refused commit
    leaves nothing written. Returns the commit hash, if any.
    """
    if commit_message is None:
        plan.apply()
        return None
    with commit_lock(plan.root):
        gitrepo.check_can_commit(plan.root)
        plan.apply()
        try:
            return gitrepo.commit_paths(plan.root, plan.touched, commit_message)
        except CannotRun as exc:
            raise CannotRun(f"{exc}; written but not committed: {', '.join(plan.written)}") from exc
