"""Bad input on the command line: exit 2 (or 3) with one error line, and nothing written.

Each case is data: the arguments, the exit code, and a fragment of the
`cardctl: error: ...` line on stderr. `{tmp}` in an argument is a private
folder outside the archive holding the input files made below. A write
command that refuses an invalid record or card first prints its findings
(`path:line:col: CODE message`), one per line; `findings` is how many.
Every case runs in a clean git repository: afterwards the work tree is
unchanged (`git status` empty) and no file appeared outside it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import git, make_repo, write_tree

FINDING = re.compile(r"^\S+:\d+:\d+: [A-Z][0-9]{3} ")


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    code: int
    error: str  # a fragment of the one `cardctl: error:` line
    findings: int = 0


def case(id: str, argv: str | tuple[str, ...], code: int, error: str, findings: int = 0) -> Case:
    return Case(id, tuple(argv.split()) if isinstance(argv, str) else argv, code, error, findings)


ORDER = ("record", "add", "KH0001", "order", "--title", "订单")
INJECTIONS = ("$(touch {tmp}/pwned)", "; touch {tmp}/pwned", "`touch {tmp}/pwned`", "KH0001 && touch {tmp}/pwned", "| touch {tmp}/pwned")

CASES = [
    # dates
    case("date-february-30", ORDER + ("--date", "2025-02-30"), 2, "'2025-02-30' is not a real date in the form YYYY-MM-DD"),
    case("date-tomorrow", ORDER + ("--date", "tomorrow"), 2, "'tomorrow' is not a real date"),
    case("date-month-13", "visit add KH0001 --date 2025-13-01 --by 张伟 --summary 电话", 2, "'2025-13-01' is not a real date"),
    case("date-not-zero-padded", ORDER + ("--date", "2025-3-2"), 2, "'2025-3-2' is not a real date"),
    case("date-before-year-1000", ORDER + ("--date", "0999-01-01"), 2, "dates before the year 1000 are not accepted"),
    case("date-as-of", "report due --as-of 2025-02-30", 2, "Invalid value for '--as-of'"),
    case("date-next-contact", "visit add KH0001 --date 2025-03-01 --by 张伟 --summary 电话 --next 2025-04-31", 2, "'2025-04-31' is not a real date"),
    case("date-since", "customer add --name 新客户 --since 2025-02-30", 2, "Invalid value for '--since'"),
    # customers: unknown, ambiguous, path-like, shell metacharacters (plain text, never run)
    case("customer-unknown-id", "customer show KH0099", 2, "unknown customer 'KH0099'"),
    case("customer-unknown-name", "customer show 北京", 2, "unknown customer '北京'"),
    case("customer-ambiguous-name", "customer show 华润", 2, "KH0001"),
    case("customer-dotdot", "customer show ../KH0001", 2, "unknown customer '../KH0001'"),
    case("customer-dotdot-in-record-add", ORDER[:2] + ("../../customers/KH0001",) + ORDER[3:], 2, "unknown customer '../../customers/KH0001'"),
    case("customer-absolute-path", "customer show /etc/passwd", 2, "unknown customer '/etc/passwd'"),
    case("customer-absolute-path-in-log", "log /tmp", 2, "unknown customer '/tmp'"),
    *[case(f"customer-shell-{i}", ("customer", "show", text), 2, "unknown customer") for i, text in enumerate(INJECTIONS)],
    *[case(f"record-add-shell-{i}", ("record", "add", text, "order"), 2, "unknown customer") for i, text in enumerate(INJECTIONS)],
    case("customer-add-id-dotdot", "customer add --name 新客户 --id ../KH0009", 2, "is not of the form KH0042"),
    case("customer-add-id-absolute", "customer add --name 新客户 --id /etc/kh0009", 2, "customer id '/etc/kh0009' is not of the form KH0042"),
    case("customer-add-duplicate-uscc", "customer add --name 新客户 --uscc 91350100M000100Y43", 2, "already on the card of KH0001"),
    case("customer-add-empty-name", ("customer", "add", "--name", ""), 2, "--name is required and must not be empty"),
    # kinds
    case("kind-unknown", "record add KH0001 vist", 2, "unknown record kind 'vist' (did you mean 'visit'?)"),
    case("kind-dotdot", "record add KH0001 ../../visit", 2, "unknown record kind '../../visit'"),
    case("kind-absolute", "record add KH0001 /etc/passwd", 2, "unknown record kind '/etc/passwd'"),
    case("kind-shell", ("record", "add", "KH0001", "$(touch {tmp}/pwned)"), 2, "unknown record kind"),
    case("kind-differs-from-input", ORDER + ("--set", "kind=visit"), 2, "the input says kind 'visit'"),
    # --set paths and values
    case("set-list-index-not-a-number", ORDER + ("--set", "lines.x.qty=3"), 2, "lines is a list; use a number to pick an item"),
    case("set-list-index-too-far", ORDER + ("--set", "lines.99.qty=3"), 2, "lines.99.qty: there are only 0 items"),
    case("set-empty-key", ORDER + ("--set", "=5"), 2, "got nothing before '='"),
    case("set-without-equals", ORDER + ("--set", "amount"), 2, "expected key=value, got 'amount'"),
    case("set-empty-path-part", ORDER + ("--set", "lines..qty=3"), 2, "empty part in the field path"),
    case("set-id", ORDER + ("--set", "id=../../etc/passwd"), 2, "the record id is assigned by cardctl"),
    case("set-makes-invalid-record", ORDER + ("--set", "order_no=DD-1", "--set", "amount=-5", "--set", "lines.0.product=阀门",
                                              "--set", "lines.0.qty=1", "--set", "lines.0.unit_price=1", "--set", "lines.0.amount=1"),
         2, "the new order is invalid; nothing was written", findings=1),
    case("set-attachment-outside", ORDER + ("--set", "order_no=DD-1", "--set", "amount=1", "--set", "lines.0.product=阀门", "--set", "lines.0.qty=1",
                                            "--set", "lines.0.unit_price=1", "--set", "lines.0.amount=1", "--set", "attachments.0.path=/etc/passwd",
                                            "--set", "attachments.0.sha256=" + "0" * 64),
         2, "the new order is invalid; nothing was written", findings=2),
    # --from and --attach
    case("from-missing-file", ORDER + ("--from", "{tmp}/missing.yaml"), 2, "--from {tmp}/missing.yaml: No such file or directory"),
    case("from-a-folder", ORDER + ("--from", "{tmp}"), 2, "Is a directory"),
    case("from-not-utf8", ORDER + ("--from", "{tmp}/latin1.yaml"), 2, "cannot read {tmp}/latin1.yaml; nothing was written", findings=1),
    case("from-a-list", ORDER + ("--from", "{tmp}/list.yaml"), 2, "cannot read {tmp}/list.yaml; nothing was written", findings=1),
    case("from-two-documents", ORDER + ("--from", "{tmp}/two.yaml"), 2, "cannot read {tmp}/two.yaml; nothing was written", findings=1),
    case("from-empty-file", ORDER + ("--from", "{tmp}/empty.yaml"), 2, "cannot read {tmp}/empty.yaml; nothing was written", findings=1),
    case("from-with-alias", ORDER + ("--from", "{tmp}/alias.yaml"), 2, "cannot read {tmp}/alias.yaml; nothing was written", findings=2),
    case("attach-missing-file", "record add KH0001 guarantee --title 担保 --set summary=担保函 --attach {tmp}/missing.pdf", 2, "--attach {tmp}/missing.pdf: no such file"),
    case("attach-a-folder", "record add KH0001 guarantee --title 担保 --set summary=担保函 --attach {tmp}", 2, "--attach {tmp}: is a folder"),
    # customer set
    case("customer-set-unknown-key", "customer set KH0001 colour=red", 2, "unknown field 'colour'"),
    case("customer-set-invalid-value", "customer set KH0001 status=happy", 2, "the change would make the card of KH0001 invalid", findings=1),
    case("customer-set-impossible-date", "customer set KH0001 since=2025-02-30", 2, "the change would make the card of KH0001 invalid", findings=1),
    case("customer-set-id", "customer set KH0001 id=../KH0002", 2, "the customer id cannot be changed"),
    case("customer-set-no-value", "customer set KH0001 owner", 2, "expected key=value, got 'owner'"),
    case("customer-set-index-too-far", "customer set KH0001 contacts.5.name=王五", 2, "contacts.5.name: there are only 1 items"),
    # close, reports, formats, validate
    case("close-not-a-year", "close 20x5", 2, "Invalid value for 'year'"),
    case("close-year-not-ended", "close 9999", 2, "9999 has not ended yet"),
    # years have four digits, as in dates; 0 is not "this year"
    case("close-year-zero", "close 0 --dry-run", 2, "Invalid value for 'year': '0' is not a year; give four digits, such as 2024"),
    case("close-year-five-digits", "close 20255", 2, "Invalid value for 'year': '20255' is not a year"),
    case("verify-year-zero", "verify --year 0", 2, "Invalid value for '--year': '0' is not a year"),
    case("verify-year-not-a-number", "verify --year abc", 2, "Invalid value for '--year': 'abc' is not a year; give four digits, such as 2024"),
    case("verify-year-full-width-digits", "verify --year ２０２４", 2, "'２０２４' is not a year"),
    # an unsealed year has nothing to verify; exit 0 would tell a script it checked out
    case("verify-year-not-closed", "verify --year 2024", 2, "2024 is not closed (no year is closed yet); there is nothing of it to verify"),
    case("report-year-zero", "report composition --year 0", 2, "Invalid value for '--year': '0' is not a year"),
    case("report-year-five-digits", "report composition --year 99999", 2, "Invalid value for '--year'"),
    case("report-year-negative", "report satisfaction --year=-5", 2, "Invalid value for '--year'"),
    case("report-year-leading-zero", "report satisfaction --year 0999", 2, "'0999' is not a year"),
    case("report-unknown", "report nope", 2, "No such command 'nope'"),
    case("report-by-unknown", "report composition --by colour", 2, "'colour' is not one of 'grade', 'region', 'product', 'type'"),
    case("format-unknown", "validate --format xml", 2, "'xml' is not one of 'text', 'json', 'github'"),
    case("format-unknown-report", "report due --format xml", 2, "'xml' is not one of 'text', 'csv', 'json'"),
    case("validate-path-outside", "validate {tmp}", 2, "is not inside the archive"),
    case("validate-bad-revision", ("validate", "--changed-since", "HEAD; touch {tmp}/pwned"), 2, "unknown revision 'HEAD; touch {tmp}/pwned'"),
    case("command-unknown", "nosuchcommand", 2, "No such command 'nosuchcommand'"),
    case("option-without-value", "report due --as-of", 2, "Option '--as-of' requires an argument. (see 'cardctl report due --help')"),
    case("option-without-value-after-archive", "-C . validate --changed-since", 2, "requires an argument. (see 'cardctl validate --help')"),
    case("root-option-without-value", "-C", 2, "Option '-C' requires an argument. (see 'cardctl --help')"),
    case("flag-with-value", "close 2024 --dry-run=yes", 2, "Option '--dry-run' does not take a value. (see 'cardctl close --help')"),
    # where the archive is
    case("archive-not-an-archive", "-C {tmp} validate", 3, "no archive found: no cardctl.yaml in {tmp}"),
    case("archive-no-such-folder", "-C {tmp}/missing validate", 2, "no such folder: {tmp}/missing"),
    case("archive-a-file", "-C {tmp}/list.yaml validate", 2, "not a folder: {tmp}/list.yaml"),
]


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "inputs"
    return write_tree(folder, {
        "latin1.yaml": b"order_no: caf\xe9\n",
        "list.yaml": "- order_no: DD-1\n- amount: 5\n",
        "two.yaml": "order_no: DD-1\n---\namount: 5\n",
        "empty.yaml": "",
        "alias.yaml": "order_no: &n DD-1\nnotes: *n\n",
    })


@pytest.fixture
def archive(base: Path) -> Path:
    """The corpus base archive plus a customer whose name shares 华润 with KH0001, committed."""
    card = (base / "customers" / "KH0002" / "card.yaml").read_text(encoding="utf-8")
    write_tree(base, {"customers/KH0003/card.yaml": card.replace("KH0002", "KH0003").replace("杭州西湖百货商店", "华润物流（杭州）有限公司")})
    return make_repo(base)


def _fill(text: str, tmp: Path) -> str:
    return text.replace("{tmp}", str(tmp))


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_bad_command_line(c: Case, archive: Path, inputs: Path, cli) -> None:
    result = cli(*[_fill(a, inputs) for a in c.argv], cwd=archive)
    assert result.code == c.code, result.err
    lines = result.err.splitlines()
    assert lines and lines[-1].startswith("cardctl: error: "), result.err
    assert _fill(c.error, inputs) in lines[-1]
    assert len(lines) == c.findings + 1 and all(FINDING.match(line) for line in lines[:-1]), result.err
    assert "Traceback" not in result.err and "internal error" not in result.err
    assert git(archive, "status", "--porcelain", "--untracked-files=all") == ""  # nothing written
    assert sorted(p.name for p in inputs.iterdir()) == ["alias.yaml", "empty.yaml", "latin1.yaml", "list.yaml", "two.yaml"]  # no pwned


def test_the_ambiguous_name_lists_every_match(archive: Path, cli) -> None:
    result = cli("customer", "show", "华润", cwd=archive)
    assert result.code == 2
    assert "KH0001" in result.err and "KH0003" in result.err and "KH0002" not in result.err


def test_shell_metacharacters_in_a_name_are_kept_as_text(archive: Path, tmp_path: Path, cli) -> None:
    name = f"$(touch {tmp_path}/pwned); `reboot` | ../../etc && 商店 > /dev/null"
    result = cli("customer", "add", "--name", name, "--format", "json", cwd=archive)
    assert result.code == 0, result.err
    written = json.loads(result.out)
    assert written["files"] == ["customers/KH0004/card.yaml"]
    shown = cli("customer", "show", "KH0004", "--format", "json", cwd=archive)
    assert json.loads(shown.out)["name"] == name
    assert not (tmp_path / "pwned").exists()
    assert cli("validate", cwd=archive).code == 0


def test_an_archive_without_its_settings_is_no_archive(archive: Path, cli) -> None:
    """cardctl.yaml deleted: every command says there is no archive (exit 3) and how to make or find one."""
    (archive / "cardctl.yaml").unlink()
    for argv in (("validate",), ("customer", "list"), ("record", "add", "KH0001", "order")):
        result = cli(*argv, cwd=archive / "customers")
        assert result.code == 3
        assert result.err == (f"cardctl: error: no archive found: no cardctl.yaml in {archive / 'customers'} or any folder above it "
                              "(create one with `cardctl init`, or pass -C PATH)\n")
