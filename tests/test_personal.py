"""Personal data (SPEC §3): a contact's `personal` notes appear only where asked for with --personal.

Not in `customer list` or `customer show` in any format, not in findings or
error messages, not in commit messages, not with CARDCTL_DEBUG set.
`diff` and `log` say that personal notes changed but show them only with
--personal: their output ends up in CI logs and pull-request descriptions.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import git, write_tree

SECRET = "喜欢钓鱼，孩子读初中"  # as in the SPEC's example card


@pytest.fixture
def archive(repo: Path) -> Path:
    card = repo / "customers/KH0001/card.yaml"
    card.write_text(card.read_text(encoding="utf-8").replace("personal: 喜欢钓鱼", f"personal: {SECRET}"), encoding="utf-8")
    git(repo, "commit", "-qam", "personal notes")
    return repo


@pytest.mark.parametrize("fmt", ["text", "json", "csv"])
def test_list_never_shows_personal_notes(archive: Path, cli, fmt: str) -> None:
    result = cli("customer", "list", "--format", fmt, cwd=archive)
    assert result.code == 0 and "KH0001" in result.out
    assert SECRET not in result.out + result.err


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_show_personal_notes_only_with_personal(archive: Path, cli, fmt: str) -> None:
    plain = cli("customer", "show", "KH0001", "--format", fmt, cwd=archive)
    assert plain.code == 0 and "李强" in plain.out  # the contact is shown ...
    assert SECRET not in plain.out + plain.err  # ... without the notes
    asked = cli("customer", "show", "KH0001", "--personal", "--format", fmt, cwd=archive)
    assert asked.code == 0 and SECRET in asked.out
    if fmt == "json":
        assert json.loads(asked.out)["card"]["contacts"][0]["personal"] == SECRET
        assert "personal" not in json.loads(plain.out)["card"]["contacts"][0]


def test_debug_mode_shows_no_more(archive: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARDCTL_DEBUG", "1")
    for args in (("customer", "show", "KH0001"), ("customer", "list", "--format", "json"), ("customer", "show", "KH0001", "--format", "json")):
        result = cli(*args, cwd=archive)
        assert result.code == 0 and SECRET not in result.out + result.err


@pytest.mark.parametrize("written, kind", [("1975", "a number"), ("45", "a number"), ("0123", "a number"), ("true", "true/false")])
@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_findings_about_personal_notes_do_not_repeat_them(archive: Path, cli, written: str, kind: str, fmt: str) -> None:
    """`personal: 1975` (a birth year) is a number where text is wanted: say so, and where, not what it says."""
    card = archive / "customers/KH0001/card.yaml"
    card.write_text(card.read_text(encoding="utf-8").replace(f"personal: {SECRET}", f"personal: {written}"), encoding="utf-8")
    result = cli("validate", "--format", fmt, cwd=archive)
    assert result.code == 1
    finding = [line for line in result.out.splitlines() if "contacts.0.personal" in line]
    assert len(finding) == 1
    message = f"contacts.0.personal must be text, not {kind}; put the value in quotes to keep it as text"
    assert message in finding[0]
    assert written not in finding[0].replace(message, "")
    assert written not in cli("customer", "show", "KH0001", cwd=archive).out


def test_a_contact_written_as_one_line_of_text_is_not_repeated(archive: Path, cli) -> None:
    """A contact typed as free text may hold personal notes: the finding says what is wrong, not what it says."""
    card = archive / "customers/KH0001/card.yaml"
    text = card.read_text(encoding="utf-8")
    write_tree(archive, {"customers/KH0002/card.yaml": (archive / "customers/KH0002/card.yaml").read_text(encoding="utf-8")
                         + f"contacts:\n  - 王经理 {SECRET}\n"})
    result = cli("validate", cwd=archive)
    assert result.code == 1 and "customers/KH0002/card.yaml" in result.out
    assert SECRET not in result.out + result.err
    assert card.read_text(encoding="utf-8") == text


@pytest.mark.parametrize("assignment", [f"contacts.3.personal={SECRET}", f"contacts.0.personal.note={SECRET}",
                                        f"contacts.0.personality={SECRET}", "contacts.0.personal=",
                                        f"contacts.0.personal {SECRET}", f"contacts.0.personal:{SECRET}", f"={SECRET}", SECRET])
def test_customer_set_errors_do_not_repeat_personal_notes(archive: Path, cli, assignment: str) -> None:
    before = (archive / "customers/KH0001/card.yaml").read_bytes()
    result = cli("customer", "set", "KH0001", assignment, cwd=archive)
    assert result.code == 2 and result.err.startswith(("cardctl: error:", "customers/KH0001/card.yaml"))
    assert SECRET not in result.out + result.err
    assert (archive / "customers/KH0001/card.yaml").read_bytes() == before


def test_commit_messages_name_the_field_not_the_notes(archive: Path, cli) -> None:
    result = cli("customer", "set", "KH0001", "contacts.0.personal=爱好网球，女儿读高中", "--commit", "--format", "json", cwd=archive)
    assert result.code == 0, result.err
    assert "爱好网球" not in result.out + result.err
    assert git(archive, "log", "-1", "--format=%B").strip() == "customer set KH0001: contacts.0.personal"


def test_diff_and_log_mask_personal_notes_unless_asked(archive: Path, cli) -> None:
    assert cli("customer", "set", "KH0001", "contacts.0.personal=爱好网球", "--commit", cwd=archive).code == 0
    for args in (("log", "KH0001"), ("diff", "HEAD~1", "HEAD")):
        for fmt in ("text", "json") + (("markdown",) if args[0] == "diff" else ()):
            shown = cli(*args, "--format", fmt, cwd=archive)
            assert shown.code == 0 and "爱好网球" not in shown.out
            assert "contacts.0.personal" in shown.out and "personal data: --personal shows it" in shown.out
        assert "爱好网球" in cli(*args, "--personal", cwd=archive).out