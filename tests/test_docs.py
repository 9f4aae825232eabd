"""The docs promise what the code does: codes documented, README's commands are CI's."""

from __future__ import annotations

import re

from cardctl.problems import CODES
from conftest import PROJECT


def test_every_code_is_documented_with_its_severity() -> None:
    text = (PROJECT / "docs" / "codes.md").read_text(encoding="utf-8")
    documented = dict(re.findall(r"^## ([A-Z][0-9]{3}) .*\((error|warning)\)$", text, re.MULTILINE))
    assert documented == {code: severity for code, (severity, _) in CODES.items()}


def test_every_documented_code_shows_a_fix() -> None:
    text = (PROJECT / "docs" / "codes.md").read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.MULTILINE)[1:]
    assert sections and all("**Rule.**" in s and "**Fix.**" in s for s in sections)


def test_readme_starts_with_the_two_commands_and_ci_runs_the_second() -> None:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:sh|bash)?\n(.*?)```", readme, re.DOTALL)
    install_and_run, install_and_test = blocks[0].strip(), blocks[1].strip()
    assert "examples/archive" in install_and_run and "validate" in install_and_run
    assert "pytest" in install_and_test
    ci = (PROJECT / ".ci" / "run").read_text(encoding="utf-8")
    assert install_and_test in ci.splitlines()
