from __future__ import annotations

import io

import pytest

from cardctl import progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_silent_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    assert list(progress.track(range(3), 3, "x")) == [0, 1, 2]
    assert capsys.readouterr().err == ""


def test_shown_on_a_terminal_after_the_delay_and_silent_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    term = _Terminal()
    monkeypatch.setattr("sys.stderr", term)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(progress, "DELAY", 0.0)
    monkeypatch.setattr(progress, "EVERY", 0.0)
    assert list(progress.track(range(4), 4, "validating")) == [0, 1, 2, 3]
    assert "\rvalidating 4/4 (100%)" in term.getvalue() and term.getvalue().endswith("\r\033[K")
    term2 = _Terminal()
    monkeypatch.setattr("sys.stderr", term2)
    monkeypatch.setenv("CI", "true")
    list(progress.track(range(4), 4, "validating"))
    assert term2.getvalue() == ""
