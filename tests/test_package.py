"""What users install: the wheel ships the schemas, and the console script runs."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import PROJECT, copy_base


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", str(PROJECT), "-w", str(out)],
        check=True, capture_output=True,
    )
    (built,) = out.glob("cardctl-*.whl")
    return built


def test_wheel_ships_every_schema(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = sorted(p.relative_to(PROJECT).as_posix() for p in (PROJECT / "schemas").rglob("*.schema.json"))
    assert sources and all(f"cardctl/{s}" in names for s in sources)


def test_installed_cardctl_finds_its_schemas_from_any_folder(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    archive = copy_base(tmp_path / "archive")
    env = {**os.environ, "PYTHONPATH": str(site)}
    code = "import cardctl, sys; from cardctl.cli.main import main; print(cardctl.__file__); sys.exit(main(['-C', sys.argv[1], 'validate']))"
    result = subprocess.run([sys.executable, "-c", code, str(archive)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.stdout.strip() == str(site / "cardctl" / "__init__.py")
    assert (result.returncode, result.stderr) == (0, "archive: no findings\n")


def test_console_script_runs_end_to_end(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "cardctl"
    archive = copy_base(tmp_path / "archive")
    result = subprocess.run([str(exe), "customer", "list", "--format", "csv"], cwd=archive, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith("KH0001,上海华润贸易有限公司")
    bad = subprocess.run([str(exe), "customer", "show", "KH9999"], cwd=archive, capture_output=True, text=True)
    assert (bad.returncode, bad.stdout) == (2, "")
    assert bad.stderr == "cardctl: error: unknown customer 'KH9999' (no such customer id); `cardctl customer list` shows them all\n"
