"""Shared test helpers: isolated git, file trees, and running the CLI in-process."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from cardctl.cli.main import main

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
CORPUS = HERE / "corpus"
EXAMPLE = PROJECT / "examples" / "archive"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own git identity and config, and no archive from the environment."""
    home = tmp_path_factory.mktemp("home")
    (home / ".gitconfig").write_text("[user]\n\tname = 张伟\n\temail = zhangwei@example.com\n[init]\n\tdefaultBranch = main\n", encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("CARDCTL_ARCHIVE", raising=False)
    monkeypatch.delenv("CARDCTL_DEBUG", raising=False)


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write {relative path: text or bytes} under root; text is written as UTF-8 with LF."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))
    return root


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """Run `cardctl ARGS` in-process: cli("validate", cwd=path) -> Result(code, out, err)."""

    def run(*args: str, cwd: Path | None = None) -> Result:
        old = Path.cwd()
        capsys.readouterr()
        try:
            if cwd is not None:
                os.chdir(cwd)
            code = main(list(args))
        finally:
            os.chdir(old)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def copy_base(dest: Path) -> Path:
    """A copy of the valid base archive of the corpus."""
    shutil.copytree(CORPUS / "base", dest, symlinks=True)
    return dest


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return copy_base(tmp_path / "archive")


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A private copy of examples/archive (tests never write to the original)."""
    dest = tmp_path / "example"
    # Not .cardctl/: caches a run of the README's command may have left there.
    shutil.copytree(EXAMPLE, dest, symlinks=True, ignore=shutil.ignore_patterns(".cardctl"))
    return dest


def spy_on(monkeypatch: pytest.MonkeyPatch, owner: object, name: str, which=lambda args: args[1]) -> list:
    """Let every call of `owner.name` through, and record `which` of its positional arguments (by default the second:
    the customer, after the archive) in the list returned: which dossiers a run really read, checked or rendered."""
    seen: list = []
    real = getattr(owner, name)

    def spying(*args, **kwargs):
        seen.append(which(args))
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, spying)
    return seen


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def make_repo(root: Path, message: str = "archive") -> Path:
    """Make `root` a git repository with everything committed."""
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)
    return root


@pytest.fixture
def repo(base: Path) -> Path:
    """The base archive as a git repository with one commit."""
    return make_repo(base)
