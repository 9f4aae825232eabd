"""The test side of forkserver.py: run cardctl commands as processes of their own, fast."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

IDENTITY = "[user]\n\tname = 张伟\n\temail = zhangwei@example.com\n[init]\n\tdefaultBranch = main\n"


@dataclass
class Run:
    code: int
    out: str
    err: str


def job(*argv: str, cwd: Path, env: dict[str, str | None] | None = None, fault: str | None = None, after: int = 0) -> dict[str, Any]:
    """One command: `fault` is ERRNO:/folder (see sitecustomize.py), `env` changes the child's environment."""
    return {"argv": list(argv), "cwd": str(cwd), "env": env or {}, "fault": fault, "after": after}


class ForkServer:
    def __init__(self, home: Path) -> None:
        (home / ".gitconfig").write_text(IDENTITY, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "CARDCTL_")) and k != "EMAIL"}
        path = os.pathsep.join([str(HERE), *filter(None, [os.environ.get("PYTHONPATH")])])
        env.update(HOME=str(home), GIT_CONFIG_GLOBAL=str(home / ".gitconfig"), GIT_CONFIG_NOSYSTEM="1", PYTHONPATH=path, PYTHONIOENCODING="utf-8")
        self._proc = subprocess.Popen([sys.executable, str(HERE / "forkserver.py")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      env=env, text=True, encoding="utf-8")

    def run(self, *jobs: dict[str, Any]) -> list[Run]:
        """Run the jobs at the same time, each in a process of its own; their results in order."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps(list(jobs), ensure_ascii=False) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the fork server stopped (exit {self._proc.wait()})")
        return [Run(**r) for r in json.loads(line)]

    def __call__(self, *argv: str, cwd: Path, **options: Any) -> Run:
        return self.run(job(*argv, cwd=cwd, **options))[0]

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.wait(timeout=30)


@contextmanager
def fork_server(home: Path) -> Iterator[ForkServer]:
    server = ForkServer(home)
    try:
        yield server
    finally:
        server.close()
