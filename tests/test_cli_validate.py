"""`cardctl validate`: formats, exit codes, scope, and that it never writes."""

from __future__ import annotations

import json
import os
from pathlib import Path

from conftest import write_tree

BAD_VISIT = "customers/KH0001/basic/2025/2025-03-02-visit-7kq2.yaml"


def _break(base: Path) -> None:
    write_tree(base, {
        BAD_VISIT: "id: 2025-03-02-visit-7kq2\nkind: visit\ndate: 2025-02-30\nauthor: 张伟\nchannel: visti\nsummary: s\n",
        "customers/KH0002/notes.txt": "stray\n",
    })


def test_clean_archive_exits_0_with_a_summary_on_stderr(base: Path, cli) -> None:
    result = cli("validate", cwd=base)
    assert (result.code, result.out, result.err) == (0, "", "archive: no findings\n")


def test_findings_text_sorted_by_path_and_line_exit_1(base: Path, cli) -> None:
    _break(base)
    result = cli("validate", cwd=base)
    assert result.code == 1
    assert result.out.splitlines() == [
        f"{BAD_VISIT}:3:7: S206 date is '2025-02-30', not a real date in the form YYYY-MM-DD",
        f"{BAD_VISIT}:5:10: S204 channel is 'visti'; allowed: visit, phone, email, wechat, meeting, event (did you mean 'visit'?)",
        "customers/KH0002/notes.txt:1:1: L301 a dossier holds card.yaml and the category folders basic, transactions, credit, trade, service; 'notes.txt' is neither",
    ]
    assert result.err == "archive: 3 errors\n"


def test_json_format(base: Path, cli) -> None:
    _break(base)
    result = cli("validate", "--format", "json", cwd=base)
    found = json.loads(result.out)
    assert found[0] == {"path": BAD_VISIT, "line": 3, "column": 7, "code": "S206", "severity": "error",
                        "message": "date is '2025-02-30', not a real date in the form YYYY-MM-DD"}
    assert len(found) == 3 and result.code == 1
    assert json.loads(cli("validate", "--format", "json", cwd=base.parent / "archive").out) == found


def test_github_format(base: Path, cli) -> None:
    _break(base)
    lines = cli("validate", "--format", "github", cwd=base).out.splitlines()
    assert lines[0] == f"::error file={BAD_VISIT},line=3,col=7,title=S206::date is '2025-02-30', not a real date in the form YYYY-MM-DD"


def test_warnings_alone_exit_0(base: Path, cli) -> None:
    write_tree(base, {"customers/KH0001/credit/2025/files/extra.pdf": b"%PDF-1.4\n"})
    result = cli("validate", cwd=base)
    assert result.code == 0
    assert result.out == "customers/KH0001/credit/2025/files/extra.pdf:1:1: L309 warning: no record lists this file among its attachments\n"
    assert result.err == "archive: 0 errors, 1 warning\n"


def test_paths_limit_the_check_to_their_dossiers(base: Path, cli) -> None:
    _break(base)
    result = cli("validate", "customers/KH0002/card.yaml", cwd=base)
    assert result.out.splitlines() == [
        "customers/KH0002/notes.txt:1:1: L301 a dossier holds card.yaml and the category folders basic, transactions, credit, trade, service; 'notes.txt' is neither",
    ]
    result = cli("validate", str(base / "customers" / "KH0001"), cwd=base.parent)
    assert [line.split(":")[0] for line in result.out.splitlines()] == [BAD_VISIT, BAD_VISIT]
    assert cli("validate", "cardctl.yaml", cwd=base).out.count("\n") == 3  # settings: the whole archive


def test_bad_paths_are_usage_errors(base: Path, tmp_path: Path, cli) -> None:
    result = cli("validate", "customers/KH0009", cwd=base)
    assert (result.code, result.err.strip()) == (2, "cardctl: error: no such file or folder: customers/KH0009")
    result = cli("validate", str(tmp_path), cwd=base)
    assert result.code == 2 and "is not inside the archive" in result.err


def test_unknown_format_is_a_usage_error(base: Path, cli) -> None:
    result = cli("validate", "--format", "xml", cwd=base)
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1


def test_validate_writes_nothing(base: Path, cli) -> None:
    _break(base)
    write_tree(base, {"cardctl.yaml": "cardctl: 1\nname: x\nbogus: 1\n", "customers/KH0002/card.yaml": b"\xef\xbb\xbfid: KH0002\r\n"})

    def snapshot() -> dict[str, tuple[int, int]]:
        return {str(p): (p.stat().st_mtime_ns, p.stat().st_size) for p in base.rglob("*")}

    before = snapshot()
    cli("validate", cwd=base)
    assert snapshot() == before


def test_settings_errors_are_findings_and_block_other_commands(base: Path, cli) -> None:
    write_tree(base, {"cardctl.yaml": "cardctl: 1\nname: 测试\nfollow_up_days: {H: 7, X: 3}\nstaf: [张伟]\n"})
    result = cli("validate", cwd=base)
    assert result.out.splitlines() == [
        "cardctl.yaml:3:24: S201 unknown key 'X'",
        "cardctl.yaml:4:1: S201 unknown key 'staf' (did you mean 'staff'?)",
    ]
    result = cli("customer", "add", "--name", "x", cwd=base)
    assert (result.code, result.err.strip()) == (3, "cardctl: error: cardctl.yaml has errors; run `cardctl validate` to see them")


def test_no_traceback_on_internal_errors(base: Path, cli, monkeypatch) -> None:
    import cardctl.validate

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(cardctl.validate, "check", boom)
    result = cli("validate", cwd=base)
    assert result.code == 3
    assert result.err.strip() == "cardctl: internal error: RuntimeError: boom (set CARDCTL_DEBUG=1 for details; please report it)"
    assert os.environ.get("CARDCTL_DEBUG") is None
