"""Golden outputs of the reports on examples/archive, reviewed as plain text.

Regenerate after an intended change, then read the diff:
    CARDCTL_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden.py
"""

from __future__ import annotations

import os

import pytest

from conftest import HERE

GOLDEN = HERE / "golden"
CASES = {
    "report-due.txt": ["report", "due", "--as-of", "2026-11-22"],
    "report-composition-grade-2025.txt": ["report", "composition", "--by", "grade", "--year", "2025"],
    "report-composition-region-2025.txt": ["report", "composition", "--by", "region", "--year", "2025"],
    "report-credit.txt": ["report", "credit", "--as-of", "2026-11-22"],
    "report-risk.txt": ["report", "risk", "--as-of", "2026-11-22"],
    "report-satisfaction.txt": ["report", "satisfaction"],
    "customer-list.txt": ["customer", "list"],
    "customer-show-KH0003.txt": ["customer", "show", "KH0003"],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str, cli, example) -> None:
    result = cli(*CASES[name], cwd=example)  # a copy: the reports write no cache into the original
    assert result.code == 0, result.err
    path = GOLDEN / name
    if os.environ.get("CARDCTL_UPDATE_GOLDEN"):
        path.write_text(result.out, encoding="utf-8")
    assert result.out == path.read_text(encoding="utf-8")
