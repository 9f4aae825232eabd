"""Compute, then write: every write command builds a `WritePlan` first.

The plan is checked before anything touches the disk; `apply` then writes it
so that no reader ever sees half a file (temp file + rename in the same
folder), a new file never replaces one that appeared meanwhile (two reps
adding records at the same moment), and the record itself is written last:
an interruption leaves at worst a copied attachment, which rerunning the
command reuses.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from cardctl import gitrepo
from cardctl.errors import CannotRun
from cardctl.yamlio import AlreadyExists, atomic_write


@dataclass
class WritePlan:
    root: Path
    create: dict[str, bytes] = field(default_factory=dict)  # new files, never overwriting
    replace: dict[str, bytes] = field(default_factory=dict)  # existing files rewritten whole
    copy: dict[str, Path] = field(default_factory=dict)  # attachment copies: target -> source
    move: dict[str, str] = field(default_factory=dict)  # source -> target (a request joins its reply's year)

    @property
    def written(self) -> list[str]:
        """Every path the plan leaves new or changed, relative to the archive."""
        return sorted({*self.create, *self.replace, *self.copy, *self.move.values()})

    @property
    def touched(self) -> list[str]:
        """Written paths plus the places files moved away from (what a commit must include)."""
        return sorted({*self.written, *self.move})

    def apply(self, durable: bool = True) -> None:
        """Write everything; with `durable=False`, files are not synced one by one (call os.sync() after)."""
        try:
            for target, source in sorted(self.copy.items()):
                if not (self.root / target).exists():  # else: the same bytes, planned as a reuse
                    atomic_write(self.root / target, source.read_bytes())
            for source, target in sorted(self.move.items()):
                dest = self.root / target
                dest.parent.mkdir(parents=True, exist_ok=True)
                if dest.exists():
                    raise AlreadyExists(target)
                os.rename(self.root / source, dest)
            for target, data in sorted(self.replace.items()):
                atomic_write(self.root / target, data, durable=durable)
            for target, data in sorted(self.create.items()):
                atomic_write(self.root / target, data, exclusive=True)
        except OSError as exc:
            raise CannotRun(f"cannot write {exc.filename or 'the archive'}: {exc.strerror or exc}") from exc


def carry_out(plan: WritePlan, commit_message: str | None = None) -> str | None:
    """Write the plan and, with a message, commit exactly what it touched.

    Whether a commit is possible is checked first, so a refused commit
    leaves nothing written. Returns the commit hash, if any.
    """
    if commit_message is not None:
        gitrepo.check_can_commit(plan.root)
    plan.apply()
    if commit_message is None:
        return None
    return gitrepo.commit_paths(plan.root, plan.touched, commit_message)
