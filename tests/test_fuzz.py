"""Fuzzing: validate only ever returns findings, and what `record add` accepts, validate accepts.

Three properties, driven by hypothesis:

* bytes: a real file of examples/archive (settings, a card or a record) with
  bits flipped, bytes inserted (often YAML's own troublemakers: NUL, BOM, CR,
  tabs, U+2028, `&a`/`*a`, `!!python/object`, `---`, deep brackets), ranges
  deleted, the end cut off, or spliced with another file;
* structure: a record or card read with cardctl's own reader, a value changed
  (text, numbers of any size, NaN, impossible dates, lists, mappings, deep
  nesting), deleted, retyped or a key added (also keys that are numbers or
  booleans), and written back as YAML;
* records: random field sets for several kinds go through `record add --from
  FILE`; when it exits 0, `validate` exits 0 too; otherwise it exits 2 with
  its error line last and nothing written.

The mutated file is put in place in a copy of examples/archive and only its
own dossier is checked, with validate's dossier-level entry points
(`dossiers.view`, `check_dossier`, plus the settings check and the archive-wide
rules for that card), so an example takes milliseconds. "Never an exception":
anything but a list of findings (code known, line and column >= 1, a path
inside the archive, file defects F1xx only for the mutated file) fails.
"Never a hang": a watchdog alarm (120 s, where an example takes milliseconds)
turns a real hang into a failure. The ci profile has no hypothesis deadline:
on a starved CI machine one example once took 8.9 s and 21 ms on replay, and
a timing limit that flakes is no test. The long profile, run by hand, keeps a
5 s deadline to point at slow inputs.

Budget: the default profile ("ci") runs about 20-30 s with derandomize=True
(the same examples on every run, no .hypothesis/ database). A long run:

    HYPOTHESIS_PROFILE=long .venv/bin/pytest tests/test_fuzz.py

("long": 20x the examples, random, with the example database, so failures
found are replayed; .hypothesis/ is git-ignored.)
"""

from __future__ import annotations

import json
import os
import shutil
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cardctl import dossiers
from cardctl.archive import Archive
from cardctl.problems import CODES, Problem
from cardctl.render import problem_line
from cardctl.rules import Context
from cardctl.rules.customers import identity
from cardctl.rules.schema import settings_problems
from cardctl.validate import ARCHIVE_RULES, check_dossier
from cardctl.yamlio import dump_new, read_document
from conftest import CORPUS, EXAMPLE

BASE_EXAMPLES = 400  # per property in the ci profile; "long" runs 20x as many
settings.register_profile(
    "ci", max_examples=BASE_EXAMPLES, derandomize=True, database=None, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "long", max_examples=20 * BASE_EXAMPLES, deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
WATCHDOG_SECONDS = 120

FILES = sorted(p.relative_to(EXAMPLE).as_posix() for p in EXAMPLE.rglob("*.yaml") if p.is_file())
RECORDS = [f for f in FILES if f.count("/") == 4]
CARDS = [f for f in FILES if f.endswith("/card.yaml")]


@contextmanager
def watchdog(seconds: int = WATCHDOG_SECONDS) -> Iterator[None]:
    """Fail instead of hanging: SIGALRM raises in the main thread after `seconds`."""

    if not hasattr(signal, "SIGALRM"):  # Windows: the deadline alone
        yield
        return

    def hang(signum: int, frame: Any) -> None:
        raise TimeoutError(f"no answer after {seconds} s: a hang")

    old = signal.signal(signal.SIGALRM, hang)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


# --- the archive the mutated files are checked in --------------------------------


class Workbench:
    """A copy of examples/archive; `check(rel, raw)` puts `raw` at `rel`, checks its dossier and restores the file."""

    def __init__(self, root: Path) -> None:
        shutil.copytree(EXAMPLE, root)
        self.root = root
        self.archive = Archive(root)
        self.archive.schemas.bulk = True  # the schema gates, as `cardctl validate` uses them
        self.original = {rel: (root / rel).read_bytes() for rel in FILES}

    def check(self, rel: str, raw: bytes) -> list[Problem]:
        path = self.root / rel
        path.write_bytes(raw)
        try:
            with watchdog():
                return self._findings(rel)
        finally:
            path.write_bytes(self.original[rel])
            self._forget_settings()

    def _forget_settings(self) -> None:
        for cached in ("settings_doc", "settings"):
            self.archive.__dict__.pop(cached, None)

    def _findings(self, rel: str) -> list[Problem]:
        archive = self.archive
        self._forget_settings()
        customer = rel.split("/")[1] if rel.startswith("customers/") else "KH0009"
        problems: list[Problem] = []
        if rel == "cardctl.yaml":
            problems += archive.settings_doc.problems + settings_problems(archive)
        view, found = dossiers.view(archive, customer)
        problems += found + check_dossier(Context(archive), view)
        if view.card is not None and view.card.doc.ok:
            others = [identity(archive.card(c)) for c in ("KH0001", "KH0002") if c != customer]
            for rule in ARCHIVE_RULES:
                problems += rule([identity(view.card), *others], archive.card)
        return problems


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Workbench:
    return Workbench(tmp_path_factory.mktemp("fuzz") / "archive")


def assert_only_findings(problems: Any, rel: str) -> None:
    assert isinstance(problems, list)
    for p in problems:
        assert isinstance(p, Problem) and p.code in CODES
        assert p.line >= 1 and p.column >= 1 and isinstance(p.message, str) and p.message
        assert p.path and not p.path.startswith("/") and ".." not in p.path.split("/"), p
        if p.code.startswith("F"):
            assert p.path == rel, p  # only the mutated file can have defects of its own
        problem_line(p)  # renders


# --- bytes ---------------------------------------------------------------------------

TOKENS = [
    b"\x00", b"\xef\xbb\xbf", b"\r", b"\r\n", b"\t", b"\xe2\x80\xa8", b"\xc2\x85", b"\xff", b"\xc3", b"\x7f",
    b"&a ", b"*a", b"!!python/object/apply:os.system ", b"!x ", b"---\n", b"...\n", b"%YAML 1.1\n",
    b"[" * 80, b"{" * 80, b"- " * 80, b": ", b"- ", b"? ", b"'", b'"', b"|", b">", b"#", b",", b"\\",
    b"010", b"1e999999999", b"9" * 5000, b".nan", b"2025-02-30", b"0000-00-00", b"yes", b"~", b"<<: ",
    "客户".encode(), "\u0301".encode(), b"\n", b"\n  ", b" " * 40,
]


@st.composite
def byte_mutation(draw: st.DrawFn) -> tuple[str, bytes]:
    rel = draw(st.sampled_from(FILES))
    raw = bytearray(_example(rel))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "insert", "token", "delete", "truncate", "splice", "repeat-line"]))
        at = draw(st.integers(0, len(raw)))
        if op == "flip" and raw:
            i = min(at, len(raw) - 1)
            raw[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            raw[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "token":
            raw[at:at] = draw(st.sampled_from(TOKENS))
        elif op == "delete":
            del raw[at : at + draw(st.integers(1, 40))]
        elif op == "truncate":
            del raw[at:]
        elif op == "splice":
            other = _example(draw(st.sampled_from(FILES)))
            raw[at:] = other[draw(st.integers(0, len(other))):]
        elif op == "repeat-line":
            lines = bytes(raw).split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            raw = bytearray(b"\n".join(lines[: i + 1] + lines[i:]))
    return rel, bytes(raw)


def _example(rel: str) -> bytes:
    return (EXAMPLE / rel).read_bytes()


def _only_findings(bench: Workbench, mutation: tuple[str, bytes]) -> None:
    """Check one mutated file: findings only, never a crash; their codes go to hypothesis' statistics."""
    rel, raw = mutation
    found = bench.check(rel, raw)
    assert_only_findings(found, rel)
    event("findings: " + (" ".join(sorted({p.code for p in found})) or "none"))


@settings(parent=PROFILE)
@given(mutation=byte_mutation())
def test_mutated_bytes_give_findings_only(bench: Workbench, mutation: tuple[str, bytes]) -> None:
    _only_findings(bench, mutation)


# --- structure -----------------------------------------------------------------------

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
SCALARS = st.one_of(
    TEXT,
    st.sampled_from(["", " ", "2025-02-30", "2025-13-01", "0000-01-01", "9999-12-31", "10000-01-01", "2025-3-2",
                     "no", "on", "yes", "~", "null", "../../etc/passwd", "/etc/passwd", "$(rm -rf /)", "files/../../x",
                     "0" * 18, "91350100M000100Y43", "2025-03-02-visit-7kq2", "满意", "visit", "\u2028", "\x00"]),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, -1, 10**15, 10**4000, 2**63]),
    *[st.decimals(allow_nan=False, allow_infinity=False, places=places) for places in (0, 1, 2, 3, 9)],
    st.sampled_from([Decimal("1E+9999"), Decimal("1E-9999"), float("nan"), float("inf"), -float("inf")]),
    st.booleans(),
    st.none(),
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4), max_leaves=12)
KEYS = st.one_of(TEXT, st.sampled_from(["id", "kind", "date", "title", "author", "x-note", "attachments", "relation", "lines",
                                        "amount", "pages", "contacts", "credit", "registration", "<<"]),
                 st.integers(-2, 2), st.booleans())


def _paths(value: Any, trail: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place inside a document: keys of mappings and indexes of lists."""
    found = [trail] if trail else []
    if isinstance(value, dict):
        for k, v in value.items():
            found += _paths(v, (*trail, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _paths(v, (*trail, i))
    return found


def _parent(data: Any, trail: tuple[Any, ...]) -> Any:
    for step in trail[:-1]:
        data = data[step]
    return data


def _deep(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


@st.composite
def structure_mutation(draw: st.DrawFn) -> tuple[str, bytes]:
    rel = draw(st.sampled_from(RECORDS + CARDS + ["cardctl.yaml"]))
    data = read_document(_example(rel), rel).data
    assert isinstance(data, dict)
    for _ in range(draw(st.integers(1, 3))):
        places = _paths(data)
        trail = draw(st.sampled_from(places)) if places else ()
        op = draw(st.sampled_from(["change", "delete", "retype", "add", "deep"]))
        holder = _parent(data, trail) if trail else data
        last = trail[-1] if trail else None
        if op == "add" or last is None:
            target = holder if isinstance(holder, dict) else data
            target[draw(KEYS)] = draw(VALUES)
        elif op == "change":
            holder[last] = draw(VALUES)
        elif op == "delete":
            del holder[last]
        elif op == "retype":
            old = holder[last]
            holder[last] = draw(st.sampled_from([str(old), [old], {"value": old}, None]))
        elif op == "deep":
            holder[last] = _deep(draw(st.sampled_from([3, 63, 64, 65, 100])))
    return rel, dump_new(data).encode("utf-8")


@settings(parent=PROFILE)
@given(mutation=structure_mutation())
def test_mutated_structure_gives_findings_only(bench: Workbench, mutation: tuple[str, bytes]) -> None:
    _only_findings(bench, mutation)


# --- random records through `record add` ------------------------------------------------

# Each field is mostly a value the kind allows, now and then one it does not
# (ODD): the property needs many records that `record add` accepts.
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=20)  # control characters, U+2028, RTL marks ...
WORDS = st.one_of(st.sampled_from(["阀门", "交货期", "二季度订单", "../x", "$(id)", "a;b", "`id`", "O'Brien", "100%"]), ANY_TEXT)
DAY = st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 12, 31)).map(date.isoformat)
CENTS = st.decimals(min_value=0, max_value=10**7, places=2)
ODD = st.one_of(VALUES, st.sampled_from(["2025-02-30", "tomorrow", "0999-01-01", "9999-12-31", Decimal("0.005"), Decimal("1E+20"),
                                         -1, 0, "五十万", "", None, [], {}, "../../etc/passwd", 10**15]))
STAFF = st.sampled_from(["张伟", "李娜", "王芳"])
RECORD_ID = st.sampled_from(["2025-03-02-visit-7kq2", "2025-04-01-order-m3xa", "2025-04-10-shipment-b2c3", "2025-05-20-survey-k9m1",
                             "2025-01-10-credit-approval-q7de"])


@st.composite
def order_line(draw: st.DrawFn) -> dict[str, Any]:
    qty = draw(st.integers(1, 500))
    price = draw(CENTS)
    amount = qty * price if draw(st.integers(0, 4)) else draw(CENTS)  # now and then a line that does not add up (a warning)
    return {"product": draw(WORDS), "qty": qty, "unit_price": price, "amount": amount}


KINDS: dict[str, dict[str, Any]] = {
    "visit": {"channel": st.sampled_from(["visit", "phone", "email", "wechat", "meeting", "event"]), "summary": WORDS,
              "contacts": st.lists(WORDS, max_size=2), "intent": st.sampled_from(["H", "A", "B", "C"]), "next_contact": DAY,
              "urgent": st.booleans(), "purpose": WORDS},
    "order": {"title": WORDS, "order_no": WORDS, "lines": st.lists(order_line(), min_size=1, max_size=3), "amount": CENTS},
    "contract": {"title": WORDS, "contract_no": WORDS, "amount": CENTS},
    "arrears": {"title": WORDS, "entry": st.sampled_from(["invoice", "payment", "write-off"]), "amount": CENTS, "due": DAY},
    "shipment": {"title": WORDS, "direction": st.sampled_from(["out", "return"]),
                 "lines": st.lists(st.fixed_dictionaries({"product": WORDS, "qty": st.integers(1, 500)}), min_size=1, max_size=3)},
    "survey": {"title": WORDS, "survey_type": st.sampled_from(["after-sale", "after-service", "visit"]),
               "items": st.lists(st.fixed_dictionaries({"item": WORDS, "rating": st.sampled_from(["满意", "比较满意", "不满意", 5, 1])}),
                                 min_size=1, max_size=3)},
    "credit-approval": {"title": WORDS, "limit": CENTS, "grade": st.sampled_from(["A", "B", "C"]), "approved_by": STAFF},
    "complaint": {"title": WORDS, "summary": WORDS,
                  "relation": st.fixed_dictionaries({"type": st.sampled_from(["follow-up", "reply", "attachment", "draft"]), "of": RECORD_ID})},
}
OPTIONAL = {"title": WORDS, "pages": st.integers(1, 20), "notes": WORDS, "doc_no": WORDS, "retention": st.sampled_from(["Y", "D30", "D10"]),
            "x-extra": VALUES, "expects_reply": st.booleans(), "classification": st.sampled_from(["internal", "confidential", "secret"]),
            "date": DAY, "period": st.fixed_dictionaries({"start": DAY, "end": DAY, "rule": st.sampled_from(["first", "last", "opening"])})}


@st.composite
def random_record(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
    kind = draw(st.sampled_from(sorted(KINDS)))
    optional = draw(st.lists(st.sampled_from(sorted(OPTIONAL)), max_size=3, unique=True))
    fields = {name: draw(strategy) for name, strategy in {**KINDS[kind], **{k: OPTIONAL[k] for k in optional}}.items()}
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):  # most records as the kind wants them
        name = draw(st.sampled_from(sorted(fields) + ["x-more", "unknown_key"]))
        if draw(st.booleans()) and name in fields:
            del fields[name]
        else:
            fields[name] = draw(ODD)
    return draw(st.sampled_from(["KH0001", "KH0002"])), kind, fields


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    root = tmp_path_factory.mktemp("record-add") / "archive"
    shutil.copytree(CORPUS / "base", root)
    return root, _snapshot(root)


def _restore(root: Path, snapshot: dict[str, bytes]) -> list[str]:
    """Put the archive back as it was; the paths that had changed."""
    changed = []
    for path in sorted(root.rglob("*"), reverse=True):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and snapshot.get(rel) != path.read_bytes():
            changed.append(rel)
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    for rel, raw in snapshot.items():
        if not (root / rel).exists():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(raw)
    return changed


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    if isinstance(value, Decimal):  # JSON has no decimals: a float when it is the same number
        return float(value) if value.is_finite() and Decimal(repr(float(value))) == value else str(value)
    return value


@settings(parent=PROFILE)
@given(record=random_record(), as_json=st.booleans())
def test_what_record_add_accepts_validate_accepts(small: tuple[Path, dict[str, bytes]], record: tuple[str, str, dict[str, Any]],
                                                    as_json: bool, cli) -> None:
    root, snapshot = small
    customer, kind, fields = record
    source = root.parent / "input.yaml"
    source.write_text(json.dumps(_json_ready(fields), ensure_ascii=False) if as_json else dump_new(fields), encoding="utf-8")
    try:
        with watchdog():
            added = cli("record", "add", customer, kind, "--from", str(source), "--by", "张伟", "--format", "json", cwd=root)
            assert "Traceback" not in added.err and "internal error" not in added.err, added.err
            event(f"record add exit {added.code}")
            if added.code == 0:
                checked = cli("validate", cwd=root)
                assert checked.code == 0, f"record add wrote {json.loads(added.out)['files']}, validate says:\n{checked.out}"
            else:
                assert added.code == 2, added.err
                assert added.err.splitlines()[-1].startswith("cardctl: error: "), added.err
    finally:
        changed = _restore(root, snapshot)
    if added.code != 0:
        assert changed == []  # nothing written
