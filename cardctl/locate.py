"""Find the archive root the way git finds `.git` (SPEC §1)."""

from __future__ import annotations

import os
from pathlib import Path

from cardctl.errors import CannotRun, UsageError

SETTINGS_FILE = "cardctl.yaml"
ENV_VAR = "CARDCTL_ARCHIVE"


def find_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The nearest folder at or above `start` (or $CARDCTL_ARCHIVE, or the cwd) holding cardctl.yaml."""
    origin = start if start is not None else os.environ.get(ENV_VAR) or None
    where = Path(origin) if origin is not None else Path.cwd()
    if not where.exists():
        raise UsageError(f"no such folder: {where}")
    if not where.is_dir():
        raise UsageError(f"not a folder: {where}")
    where = where.resolve()
    for folder in (where, *where.parents):
        if (folder / SETTINGS_FILE).is_file():
            return folder
    raise CannotRun(f"no archive found: no {SETTINGS_FILE} in {where} or any folder above it (create one with `cardctl init`, or pass -C PATH)")
