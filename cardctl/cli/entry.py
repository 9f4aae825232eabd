"""The `cardctl` command itself: a head start for git, then the real entry point.

Loading typer, the schemas and the YAML machinery takes about half a second;
on a large archive `validate`, `index` and the reports then wait about a
second for `git status` (whole-archive runs ask it what the cache may vouch
for, `--changed-since` what was touched). Started first, git works while Python loads (see
gitstatus). Only the command lines that need it are recognised here;
anything unusual simply gets no head start.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys

from cardctl.locate import ENV_VAR

_TAKES_VALUE = ("--format", "--changed-since")  # validate's options that take a value


def _folder_for_status(argv: list[str]) -> str | None:
    """Where `cardctl [-C PATH] validate|index|report ...` will look for its archive, if it will ask `git status`; None for other lines.

    That is `validate --changed-since REV` (with or without paths), a
    whole-archive `validate` that uses the cache (no paths, no --no-cache),
    `index [--check]`, and a report that uses its cache.
    """
    folder = os.environ.get(ENV_VAR) or "."
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        arg = argv[i]
        if arg in ("-C", "--archive") and i + 1 < len(argv):
            folder, i = argv[i + 1], i + 2
        elif arg.startswith("--archive="):
            folder, i = arg.split("=", 1)[1], i + 1
        else:
            return None  # --help, --version, or something the real parser will explain
    if argv[i : i + 1] == ["index"] and all(a == "--check" for a in argv[i + 1 :]):
        return folder if os.path.isdir(folder) else None
    if argv[i : i + 1] == ["report"] and len(argv) > i + 1 and not {"-h", "--help", "--no-cache"} & set(argv[i + 1 :]):
        return folder if os.path.isdir(folder) else None
    if argv[i : i + 1] != ["validate"]:
        return None
    rest = argv[i + 1 :]
    since = paths = no_cache = False
    j = 0
    while j < len(rest):
        arg = rest[j]
        if arg == "--":
            paths = paths or j + 1 < len(rest)
            break
        if arg in ("-h", "--help"):
            return None
        if arg in _TAKES_VALUE:
            since, j = since or arg == "--changed-since", j + 2
            continue
        since = since or arg.startswith("--changed-since=")
        no_cache = no_cache or arg == "--no-cache"
        paths = paths or not arg.startswith("-")
        j += 1
    if not since and (paths or no_cache):
        return None
    return folder if os.path.isdir(folder) else None


def run() -> None:
    # At exit Python collects its garbage once more, walking every object the
    # command made (typer, the schemas, the YAML machinery) only to free memory
    # the system takes back anyway: 25-30 ms of a 0.2 s `validate` on a small
    # archive, 13 ms of `--help` (docs/performance.md). Registered first, this
    # runs after every other exit handler, when each command has closed what it
    # wrote; module teardown and the last flush of the standard streams still
    # happen.
    atexit.register(gc.freeze)
    folder = _folder_for_status(sys.argv[1:])
    if folder is not None:
        from cardctl import gitstatus

        gitstatus.begin(folder)
    from cardctl.cli.main import run as main_run

    main_run()
