"""`cardctl init` and finding the archive."""

from __future__ import annotations

import json
from pathlib import Path

from cardctl.archive import Archive
from cardctl.validate import check
from conftest import git


def test_init_makes_a_valid_git_archive(tmp_path: Path, cli) -> None:
    result = cli("init", str(tmp_path / "arc"), "--name", "华东: 销售部", "--fonds", "Z109")
    assert result.code == 0, result.err
    root = tmp_path / "arc"
    assert (root / ".git").is_dir()
    assert check(Archive(root)) == []
    settings = (root / "cardctl.yaml").read_text(encoding="utf-8")
    assert "name: '华东: 销售部'" in settings and "fonds: Z109" in settings
    assert "*.yaml text eol=lf" in (root / ".gitattributes").read_text(encoding="utf-8")
    assert ".cardctl/" in (root / ".gitignore").read_text(encoding="utf-8")
    assert git(root, "config", "--get", "core.untrackedCache").strip() == "true"  # git status on 300 000 files
    git(root, "add", "-A")
    assert "cardctl.yaml" in git(root, "status", "--short")


def test_init_writes_editor_schemas_for_every_file_kind(tmp_path: Path, cli) -> None:
    root = tmp_path / "arc"
    assert cli("init", str(root), "--no-git").code == 0
    assert not (root / ".git").exists()
    editor = json.loads((root / ".vscode" / "settings.json").read_text(encoding="utf-8"))
    mapping = editor["yaml.schemas"]
    assert mapping["./.cardctl-schemas/card.schema.json"] == ["customers/*/card.yaml"]
    assert mapping["./.cardctl-schemas/visit.schema.json"] == ["customers/*/basic/*/*-visit-*.yaml"]
    for schema_path in mapping:
        schema = json.loads((root / schema_path).read_text(encoding="utf-8"))
        assert "$ref" not in json.dumps(schema)  # standalone: editors need no network


def test_init_refuses_an_existing_archive(tmp_path: Path, cli) -> None:
    assert cli("init", str(tmp_path), "--no-git").code == 0
    before = (tmp_path / "cardctl.yaml").read_bytes()
    result = cli("init", str(tmp_path), "--no-git", "--name", "other")
    assert result.code == 2
    assert result.err.strip() == f"cardctl: error: {tmp_path} already holds an archive (cardctl.yaml exists)"
    assert (tmp_path / "cardctl.yaml").read_bytes() == before


def test_init_inside_a_repository_does_not_nest_a_repository(tmp_path: Path, cli) -> None:
    git(tmp_path, "init", "-q")
    assert cli("init", str(tmp_path / "archive")).code == 0
    assert not (tmp_path / "archive" / ".git").exists()


def test_archive_is_found_by_walking_up(base: Path, cli) -> None:
    deep = base / "customers" / "KH0001" / "basic"
    assert cli("customer", "show", "KH0001", "--format", "json", cwd=deep).code == 0


def test_archive_option_and_environment(base: Path, tmp_path: Path, cli, monkeypatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert cli("-C", str(base), "validate", cwd=elsewhere).code == 0
    assert cli("--archive", str(base / "customers"), "validate", cwd=elsewhere).code == 0
    monkeypatch.setenv("CARDCTL_ARCHIVE", str(base))
    assert cli("validate", cwd=elsewhere).code == 0


def test_no_archive_is_exit_3(tmp_path: Path, cli) -> None:
    result = cli("validate", cwd=tmp_path)
    assert result.code == 3
    assert result.err.startswith("cardctl: error: no archive found: no cardctl.yaml in ")
    assert len(result.err.strip().splitlines()) == 1


def test_missing_archive_path_is_exit_2(tmp_path: Path, cli) -> None:
    result = cli("-C", str(tmp_path / "nope"), "validate")
    assert (result.code, result.err.strip()) == (2, f"cardctl: error: no such folder: {tmp_path / 'nope'}")


def test_version_and_help(cli) -> None:
    assert cli("--version").out.startswith("cardctl ")
    result = cli("--help")
    assert result.code == 0
    for command in ("init", "customer", "validate"):
        assert command in result.out
