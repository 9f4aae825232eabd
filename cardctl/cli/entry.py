"""The `cardctl` command itself: a head start for git, then the real entry point.

Loading typer, the schemas and the YAML machinery takes about half a second;
on a large archive `validate --changed-since` then waits over a second for
`git status`. Started first, git works while Python loads (see gitstatus).
Only the one command line that needs it is recognised here; anything
unusual simply gets no head start.
"""

from __future__ import annotations

import os
import sys

from cardctl.locate import ENV_VAR


def _folder_for_changed_since(argv: list[str]) -> str | None:
    """Where `cardctl [-C PATH] validate ... --changed-since REV ...` will look for its archive; None for other lines."""
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
    if argv[i : i + 1] != ["validate"]:
        return None
    rest = argv[i + 1 :]
    if "--" in rest:
        rest = rest[: rest.index("--")]
    if any(a in ("-h", "--help") for a in rest):
        return None
    if not any(a == "--changed-since" or a.startswith("--changed-since=") for a in rest):
        return None
    return folder if os.path.isdir(folder) else None


def run() -> None:
    folder = _folder_for_changed_since(sys.argv[1:])
    if folder is not None:
        from cardctl import gitstatus

        gitstatus.begin(folder)
    from cardctl.cli.main import run as main_run

    main_run()
