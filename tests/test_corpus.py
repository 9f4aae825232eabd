"""The broken-archive corpus: each case is the valid base archive with a few files
added, replaced or removed, and the exact findings `cardctl validate` must print.

tests/corpus/cases/<case>/
    remove        optional: base paths to delete, one per line (before the overlay)
    overlay/      files copied over the base archive (byte-exact)
    expected      the findings, exactly as `cardctl validate` prints them

Cases that cannot be committed (a 50 MB file, `kh0001` beside `KH0001`, links
to outside the archive, a named pipe) are made at test time by the generator
of the same name in tests/corpus_generated.py, run after overlay and remove.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cardctl.archive import Archive
from cardctl.problems import CODES
from cardctl.render import problem_line
from cardctl.validate import check
from conftest import CORPUS, copy_base
from corpus_generated import GENERATORS

CASES = sorted(p for p in (CORPUS / "cases").iterdir() if p.is_dir())


def build_case(case: Path, dest: Path) -> Path:
    """The base archive, minus `remove`, plus `overlay` (so a file can become a folder or a link), plus a generator's files."""
    root = copy_base(dest)
    remove = case / "remove"
    if remove.is_file():
        for line in remove.read_text(encoding="utf-8").splitlines():
            if line.strip():
                target = root / line.strip()
                shutil.rmtree(target) if target.is_dir() and not target.is_symlink() else target.unlink()
    overlay = case / "overlay"
    if overlay.is_dir():
        shutil.copytree(overlay, root, symlinks=True, dirs_exist_ok=True)
    if case.name in GENERATORS:
        GENERATORS[case.name](root)
    return root


def expected_lines(case: Path) -> list[str]:
    return [line for line in (case / "expected").read_text(encoding="utf-8").splitlines() if line.strip()]


def test_base_is_valid(tmp_path: Path) -> None:
    assert check(Archive(copy_base(tmp_path / "a"))) == []


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_gives_exactly_its_findings(case: Path, tmp_path: Path) -> None:
    root = build_case(case, tmp_path / "archive")
    found = [problem_line(p) for p in check(Archive(root))]
    assert found == expected_lines(case)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_through_the_command_line(case: Path, tmp_path: Path, cli) -> None:
    root = build_case(case, tmp_path / "archive")
    expected = expected_lines(case)
    result = cli("validate", cwd=root)
    assert result.out.splitlines() == expected
    has_error = any(CODES[line.split(": ", 1)[1].split(" ", 1)[0]][0] == "error" for line in expected)
    assert result.code == (1 if has_error else 0)
    assert "Traceback" not in result.err


def test_every_code_has_a_failing_case() -> None:
    seen = {line.split(": ", 1)[1].split(" ", 1)[0] for case in CASES for line in expected_lines(case)}
    untested = sorted(set(CODES) - seen - {"F113"})  # F113 (unreadable file): tests/test_files.py
    assert untested == []


def test_every_generator_has_its_case() -> None:
    assert sorted(set(GENERATORS) - {c.name for c in CASES}) == []


def test_cases_are_byte_exact_in_git() -> None:
    """CRLF and BOM cases must not be normalised by git (tests/corpus/.gitattributes)."""
    assert "-text" in (CORPUS / ".gitattributes").read_text(encoding="utf-8")
    assert os.path.isdir(CORPUS / "cases")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fast_path_equals_plain_path(case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The schema gate and the worker pool change the speed, never the findings."""
    from cardctl import dossiers, schemas, validate

    root = build_case(case, tmp_path / "archive")
    monkeypatch.setattr(schemas, "FAST", False)
    plain = check(Archive(root))
    monkeypatch.setattr(schemas, "FAST", True)
    monkeypatch.setattr(dossiers, "POOL_MIN_DOSSIERS", 0)  # the pool even for two dossiers
    monkeypatch.setattr(validate, "GATE_MIN_DOSSIERS", 0)  # and the schema gates
    fast = check(Archive(root))
    assert fast == plain


def test_schema_gates_only_for_many_dossiers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A gate costs ~15 ms to compile and saves ~0.01 ms a document: a check of
    thousands of files gets them, a check of a few dossiers does not pay for them."""
    from cardctl import validate

    root = copy_base(tmp_path / "archive")
    few = Archive(root)
    assert check(few) == []
    assert few.schemas.gate("card") is None
    monkeypatch.setattr(validate, "GATE_MIN_DOSSIERS", 2)
    many = Archive(root)
    assert check(many) == []
    assert many.schemas.gate("card") is not None
