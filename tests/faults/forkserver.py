"""Run many `cardctl` commands as processes of their own, without paying Python's start-up each time.

A real `cardctl` spends most of a second importing its libraries; a test of
forty broken environments would spend most of a minute on that. This server
imports them once, then forks one child per command: a process of its own
with its own working folder, environment, standard output and error, and
exit code, running the same `main()` as the installed `cardctl` script.
GitPython is *not* imported here: it looks for git when imported, so each
child finds git (or not) on its own PATH.

Protocol: one JSON list of jobs per line on stdin; one JSON list of results
per line on stdout. A job: {"argv", "cwd", "env": {name: value or null},
"fault": "ERRNO:/folder" or null, "after": N}; a result: {"code", "out", "err"}.
The jobs of one line run at the same time.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback

import sitecustomize  # this folder's fault injection

from cardctl.cli import main as cli_main

# What the commands import lazily; git stays out (see above).
import cardctl.catalogue  # noqa: F401
import cardctl.changes  # noqa: F401
import cardctl.closing  # noqa: F401
import cardctl.customers  # noqa: F401
import cardctl.records  # noqa: F401
import cardctl.scaffold  # noqa: F401
import cardctl.seal  # noqa: F401
import cardctl.validate  # noqa: F401
import cardctl.visits  # noqa: F401
import cardctl.writes  # noqa: F401



def _warm_up() -> None:
    """Let typer build what it builds on first use: each command's options parsed once, in no archive."""
    saved = os.dup(2)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            for argv in (["visit", "add", "X", "--summary", "s", "--date", "2025-01-01", "--by", "b", "--commit"],
                         ["record", "add", "X", "complaint", "--set", "a=b", "--commit"], ["customer", "add", "--name", "n"],
                         ["customer", "set", "X", "a=b"], ["customer", "show", "X"], ["customer", "list", "--format", "csv"],
                         ["index"], ["close", "2024"], ["validate"], ["diff"], ["log", "X"]):
                cli_main.main(["-C", "/nonexistent", *argv])
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


_warm_up()
assert "git" not in sys.modules, "GitPython must be imported by each child, on its own PATH"


def child(job: dict, out_path: str, err_path: str) -> None:
    code = 1
    try:
        for fd, path in ((1, out_path), (2, err_path)):
            target = os.open(path, os.O_WRONLY | os.O_TRUNC)
            os.dup2(target, fd)
            os.close(target)
        os.chdir(job["cwd"])
        for name, value in (job.get("env") or {}).items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if job.get("fault"):
            sitecustomize.install(job["fault"], job.get("after", 0))
        code = cli_main.main(list(job["argv"]))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()  # what an uncaught exception in the real script would show
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def run(jobs: list[dict]) -> list[dict]:
    started = []
    for job in jobs:
        files = [tempfile.mkstemp(prefix="cardctl-forkserver-")[1] for _ in range(2)]
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            child(job, *files)
        started.append((pid, files))
    results = []
    for pid, files in started:
        _, status = os.waitpid(pid, 0)
        texts = []
        for path in files:
            with open(path, encoding="utf-8", errors="replace") as handle:
                texts.append(handle.read())
            os.unlink(path)
        results.append({"code": os.waitstatus_to_exitcode(status), "out": texts[0], "err": texts[1]})
    return results


def serve() -> None:
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(run(json.loads(line)), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    serve()
