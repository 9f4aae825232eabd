"""YAML files of the archive: reading them for checks, editing them in place, writing them.

Three jobs:

* `read_document` reads an archive file into plain, JSON-shaped data with the
  libyaml core loader of yamlcore.py (YAML 1.2: `no` stays a string): dates stay ISO strings
  so that an impossible date such as 2025-02-30 is a finding from the schema,
  not a crash in the loader, and decimals load as `Decimal` so that money is
  exact. Everything wrong with the file itself becomes a `Problem`.
* `Locator` maps a path inside the data (`["lines", 1, "qty"]`) back to a
  line and column, composing the file only when a finding needs a position.
* `RoundTrip` edits a file in place with comments, key order and quoting kept;
  a file loaded and dumped without a change comes back byte-identical.

`atomic_write` is the only way cardctl writes a file.
"""

from __future__ import annotations

import io
import itertools
import os
import re
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError as RoundTripError

import yaml
from yaml import events as _events

from cardctl import yamlcore
from cardctl.problems import Problem
from cardctl.yamlcore import MappingNode, MarkedYAMLError, Node, ReaderError, SequenceNode, YAMLError

# A record is a few hundred bytes; a file this large is an attack or an accident.
MAX_BYTES = 5 * 1024 * 1024
# What a close writes grows with the archive: a seal lists every volume of its
# year (8 MB for 10 000 customers), a volume every item of a customer's year.
GENERATED_MAX_BYTES = 256 * 1024 * 1024
_GENERATED = re.compile(r"^seals/[^/]+$|(?:^|/)VOLUME-[^/]+$")
MAX_DEPTH = yamlcore.MAX_DEPTH
MAX_SCANNED = 10  # anchors, aliases and tags listed one by one


def max_bytes(path: str) -> int:
    """The size limit of the archive file at `path` (relative to the archive root)."""
    return GENERATED_MAX_BYTES if _GENERATED.search(path) else MAX_BYTES


def _pos(offset_text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line = offset_text.count("\n", 0, offset) + 1
    col = offset - (offset_text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def _mark(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def decode(raw: bytes, path: str) -> tuple[str | None, list[Problem]]:
    """Strict UTF-8 without BOM and with LF line ends, as SPEC §1 requires.

    A BOM or CRLF is reported and tolerated (the rest of the file is still
    checked); bytes that are not UTF-8 stop the file here.
    """
    problems: list[Problem] = []
    if raw.startswith(b"\xef\xbb\xbf"):
        problems.append(Problem(path, 1, 1, "F102", "file starts with a UTF-8 byte order mark; save it as UTF-8 without BOM"))
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        head = raw[: exc.start]
        line = head.count(b"\n") + 1
        col = len(head[head.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        problems.append(Problem(path, line, col, "F101", f"byte 0x{raw[exc.start]:02x} is not valid UTF-8; save the file as UTF-8"))
        return None, problems
    crlf = text.find("\r\n")
    if crlf >= 0:
        line, _ = _pos(text, crlf)
        problems.append(Problem(path, line, 1, "F103", "CRLF line ends; archive files use LF (\\n) line ends"))
        text = text.replace("\r\n", "\n")
    cr = text.find("\r")
    if cr >= 0:  # old Mac line ends: YAML reads a lone CR as a line break, and so do the positions here
        line, _ = _pos(text, cr)
        problems.append(Problem(path, line, 1, "F103", "CR line ends (\\r without \\n); archive files use LF (\\n) line ends"))
        text = text.replace("\r", "\n")
    bom = text.find("\ufeff")
    if bom >= 0:  # usually two files joined together; invisible, and it breaks the YAML of its line
        line, col = _pos(text, bom)
        problems.append(Problem(path, line, col, "F102", "byte order mark U+FEFF inside the file (two files joined?); delete it"))
        text = text.replace("\ufeff", "")
    return text, problems


# YAML 1.1 (libyaml) reads these as line breaks, an editor does not: values would
# change silently and every position after them would be off.
_ODD_BREAK = re.compile("[\x85\u2028\u2029]")
_ODD_BREAK_NAMES = {"\x85": "next line", "\u2028": "line separator", "\u2029": "paragraph separator"}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _short_tag(tag: str) -> str:
    return "!!" + tag[len("tag:yaml.org,2002:") :] if tag.startswith("tag:yaml.org,2002:") else tag


def _char_at(text: str, mark: Any) -> str:
    lines = text.split("\n")
    if 0 <= mark.line < len(lines) and 0 <= mark.column < len(lines[mark.line]):
        return lines[mark.line][mark.column]
    return ""


def _syntax_problem(path: str, text: str, exc: YAMLError) -> Problem:
    if isinstance(exc, ReaderError):
        # The C reader counts UTF-8 bytes, not characters.
        offset = len(text.encode("utf-8")[: exc.position].decode("utf-8", "ignore"))
        line, col = _pos(text, offset)
        return Problem(path, line, col, "F104", f"character U+{exc.character:04X} is not allowed in YAML: {exc.reason}")
    if isinstance(exc, MarkedYAMLError):
        context = _one_line(exc.context or "")
        problem = _one_line(exc.problem or "")
        if exc.context_mark is not None and context.startswith(("while scanning a quoted scalar", "while parsing a flow sequence", "while parsing a flow mapping")):
            # The parser notices only at the end; the mistake is where it opened.
            line, col = _mark(exc.context_mark)
            what = "quoted value" if "quoted" in context else "flow " + context.rsplit(" ", 1)[-1]
            return Problem(path, line, col, "F104", f"YAML syntax error: this {what} is never closed ({problem})")
        mark = exc.problem_mark or exc.context_mark
        if context.startswith("while scanning a simple key") and exc.context_mark is not None:
            mark = exc.context_mark  # the line that lacks its ':', not the line after it
        line, col = _mark(mark)
        if exc.problem_mark is not None and ("mapping values are not allowed" in problem or "could not find expected ':'" in problem):
            rows = text.split("\n")
            row = rows[exc.problem_mark.line] if exc.problem_mark.line < len(rows) else ""  # the mark can be past the end
            key = row[: exc.problem_mark.column].strip().lstrip("- ")
            if len(key) > 1024 and ": " not in key:
                return Problem(path, line, col, "F104", f"YAML syntax error: a key of {len(key)} characters; YAML allows keys of at most 1024")
        if exc.problem_mark is not None and "cannot start any token" in problem and _char_at(text, exc.problem_mark) == "\t":
            return Problem(path, line, col, "F104", "YAML syntax error: tab character in indentation; indent YAML with spaces")
        if "found duplicate key" in problem or type(exc).__name__ == "DuplicateKeyError":
            key = problem.split('"')[1] if problem.count('"') >= 2 else ""
            key = {"True": "true", "False": "false", "None": "null"}.get(key, key)
            hint = " (true and 1, false and 0 are the same key to YAML)" if key in ("true", "false") else ""
            return Problem(path, line, col, "F105", f"duplicate key '{key}'; each key may appear once in a mapping{hint}")
        if "expected a single document" in (exc.context or "") + problem:
            return Problem(path, line, col, "F109", "more than one YAML document; an archive file holds exactly one")
        context = f" ({_one_line(exc.context)})" if exc.context else ""
        return Problem(path, line, col, "F104", f"YAML syntax error: {problem}{context}")
    return Problem(path, 1, 1, "F104", f"YAML syntax error: {_one_line(str(exc))}")


def _scan_events(text: str, path: str) -> list[Problem]:
    """Anchors, aliases and explicit tags, which the safe loader would accept."""
    problems: list[Problem] = []
    for event in yamlcore.events(text):
        anchor = getattr(event, "anchor", None)
        name = type(event).__name__
        if name == "AliasEvent":
            problems.append(Problem(path, *_mark(event.start_mark), "F106", f"YAML alias *{anchor} not allowed; write the value out"))
        elif anchor is not None:
            problems.append(Problem(path, *_mark(event.start_mark), "F106", f"YAML anchor &{anchor} not allowed; write the value out"))
        tag = getattr(event, "tag", None)
        if tag is not None and name in ("ScalarEvent", "MappingStartEvent", "SequenceStartEvent"):
            problems.append(Problem(path, *_mark(event.start_mark), "F107", f"YAML tag {_short_tag(tag)} not allowed; archive files hold plain values"))
    return problems


def yaml_spelling(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _deep_position(text: str) -> tuple[int, int]:
    """Where the top-level value that nests too deeply starts (the parser itself is not recursive)."""
    depth, start = 0, (1, 1)
    for event in yamlcore.events(text):
        name = type(event).__name__
        if name in ("MappingStartEvent", "SequenceStartEvent"):
            depth += 1
            if depth == 2:
                start = _mark(event.start_mark)
            if depth > MAX_DEPTH:
                return start
        elif name in ("MappingEndEvent", "SequenceEndEvent"):
            depth -= 1
    return start


def _check_keys(data: Any, path: str, locate: Locator, trail: list[Any]) -> list[Problem]:
    """Keys must be strings: `1:` beside `"1":` are not the same key to a reader.

    A key that is not a string is reported and dropped, so that the checks
    after this one see only the keys a person would call by name.
    """
    problems: list[Problem] = []
    if isinstance(data, dict):
        for key in [k for k in data if not isinstance(k, str)]:
            problems.append(Problem(path, *locate.key(trail + [key]), "F111", f"key {yaml_spelling(key)} is not a string; quote it"))
            del data[key]
        for key, value in data.items():
            problems += _check_keys(value, path, locate, trail + [key])
    elif isinstance(data, list):
        for i, value in enumerate(data):
            problems += _check_keys(value, path, locate, trail + [i])
    return problems


class Document:
    """One YAML file of the archive, read for checking."""

    def __init__(self, path: str, text: str | None, data: Any, problems: list[Problem]) -> None:
        self.path = path
        self.text = text
        self.data = data
        self.problems = problems
        self.leading_zeros: list[tuple[int, int, str]] = []  # see yamlcore.Loaded; the schema checks report them
        self._locator: Locator | None = None

    @property
    def ok(self) -> bool:
        """True when the file parsed into a mapping that rules can look at."""
        return isinstance(self.data, dict)

    @property
    def locate(self) -> Locator:
        if self._locator is None:
            self._locator = Locator(self.text or "")
        return self._locator

    def at(self, trail: Sequence[Any], problem_code: str, message: str, *, key: bool = False) -> Problem:
        """A problem located at the value (or key) that `trail` leads to."""
        line, col = self.locate.key(trail) if key else self.locate.value(trail)
        return Problem(self.path, line, col, problem_code, message)


def too_large(path: str, size: int) -> Document:
    limit = max_bytes(path)
    what = "files a close writes" if limit == GENERATED_MAX_BYTES else "archive files"
    return Document(path, None, None, [Problem(path, 1, 1, "F112", f"file is {size} bytes; {what} are at most {limit} bytes")])


def read_document(raw: bytes, path: str) -> Document:
    """Parse one archive file; never raises for anything the file contains."""
    if len(raw) > max_bytes(path):
        return too_large(path, len(raw))
    text, problems = decode(raw, path)
    if text is None:
        return Document(path, None, None, problems)
    odd = _ODD_BREAK.search(text)
    if odd is not None:
        line, col = _pos(text, odd.start())
        name = _ODD_BREAK_NAMES[odd.group()]
        problems.append(Problem(path, line, col, "F104", f"character U+{ord(odd.group()):04X} ({name}) is read as a line break by YAML; replace it by a space or a real line break"))
        return Document(path, text, None, problems)
    if all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        problems.append(Problem(path, 1, 1, "F108", "file holds only comments" if text.strip() else "file is empty"))
        return Document(path, text, None, problems)
    data: Any = None
    try:
        # Anchors, aliases and tags are rare: scan events only when the bytes
        # that introduce them appear at all. Aliases are rejected before the
        # document is built ("billion laughs" never expands).
        if "&" in text or "*" in text or "!" in text:
            scanned = _scan_events(text, path)
            if len(scanned) > MAX_SCANNED:  # "billion laughs": a few lines, not thousands
                more = scanned[MAX_SCANNED]
                rest = Problem(path, more.line, more.column, more.code, f"{len(scanned) - MAX_SCANNED} more anchors, aliases or tags from here on; none are allowed")
                scanned = scanned[:MAX_SCANNED] + [rest]
            if scanned:
                return Document(path, text, None, problems + scanned)
        data, odd_keys, leading_zeros = yamlcore.load(text)
    except YAMLError as exc:
        return Document(path, text, None, problems + [_syntax_problem(path, text, exc)])
    except (RecursionError, yamlcore.TooDeep):
        line, col = _deep_position(text)
        return Document(path, text, None, problems + [Problem(path, line, col, "F112", f"nested more than {MAX_DEPTH} levels deep")])
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a number too large
        line, col = _mark(getattr(exc, "mark", None))
        return Document(path, text, None, problems + [Problem(path, line, col, "F104", f"YAML value cannot be read: {exc}")])
    doc = Document(path, text, data, problems)
    doc.leading_zeros = leading_zeros
    if data is None:
        problems.append(Problem(path, 1, 1, "F108", "file holds no data"))
    elif not isinstance(data, dict):
        problems.append(Problem(path, 1, 1, "F110", f"top level is a {_type_name(data)}; an archive file holds a mapping of keys to values"))
        doc.data = None
    elif odd_keys:
        problems += _check_keys(data, path, doc.locate, [])
    return doc


def _type_name(value: Any) -> str:
    return {list: "list", str: "string", int: "number", Decimal: "number", bool: "boolean"}.get(type(value), type(value).__name__)


def _same_key(node: Node, step: Any) -> bool:
    """Does the key node spell `step`? `"1"` (text) and `1` (a number) are different keys."""
    tag = str(node.tag).rsplit(":", 1)[-1]
    if isinstance(step, str):
        return tag == "str" and node.value == step
    if tag == "str":
        return False
    if step is None or isinstance(step, bool):
        return yaml_spelling(step) == str(node.value).lower() or (step is None and node.value in ("~", ""))
    return str(node.value).lstrip("+").lstrip("0") == str(step).lstrip("0") or str(node.value) == str(step)


class Locator:
    """Line and column (1-based) of a key or value inside a YAML text.

    The text is composed (nodes with marks, no construction) only when a
    finding asks for a position; a path that does not exist in the file
    resolves to the deepest part that does.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._root: Node | None = None
        self._composed = False

    def _compose(self) -> Node | None:
        if not self._composed:
            self._composed = True
            try:
                self._root = yamlcore.compose(self._text)
            except (YAMLError, RecursionError):
                self._root = None
        return self._root

    def _walk(self, trail: Sequence[Any]) -> tuple[Node | None, Node | None]:
        """(key node, value node) at the end of `trail`, or of its longest existing prefix."""
        node = self._compose()
        key_node: Node | None = None
        for step in trail:
            if isinstance(node, MappingNode):
                for k, v in node.value:
                    if _same_key(k, step):
                        key_node, node = k, v
                        break
                else:
                    return key_node, node
            elif isinstance(node, SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
                key_node, node = None, node.value[step]
            else:
                return key_node, node
        return key_node, node

    def source(self, trail: Sequence[Any]) -> str | None:
        """The scalar at `trail` as written in the file (`01012345678`, not 1012345678)."""
        _, node = self._walk(trail)
        return node.value if node is not None and isinstance(node.value, str) else None

    def value(self, trail: Sequence[Any]) -> tuple[int, int]:
        _, node = self._walk(trail)
        return _mark(node.start_mark) if node is not None else (1, 1)

    def key(self, trail: Sequence[Any]) -> tuple[int, int]:
        key_node, node = self._walk(trail)
        target = key_node if key_node is not None else node
        return _mark(target.start_mark) if target is not None else (1, 1)


# --- round trip -----------------------------------------------------------


class RoundTrip:
    """Edit a YAML file keeping comments, key order, quoting and indentation."""

    def __init__(self, text: str) -> None:
        self.yaml = rt_yaml(*guess_indent(text))
        self.data = self.yaml.load(text)

    def dump(self) -> str:
        return dump_rt(self.yaml, self.data)


def guess_indent(text: str) -> tuple[int, int]:
    """(mapping indent, offset of `- ` under its key) as the file uses them.

    Mappings and lists are indented independently in most hand-written YAML
    (`registration:\n  uscc:` beside `contacts:\n  - name:`), so each is
    taken from the first block that shows it. Unknown parts default to
    cardctl's own style: two spaces, lists indented under their key.
    """
    mapping = offset = None
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    for line, following in zip(lines, lines[1:]):
        if not line.rstrip().endswith(":"):
            continue  # only a block key opens an indented block
        parent = len(line) - len(line.lstrip(" -"))
        child = len(following) - len(following.lstrip(" "))
        if following.lstrip().startswith("- "):
            offset = child - parent if offset is None and child >= parent else offset
        elif mapping is None and child > parent:
            mapping = child - parent
        if mapping is not None and offset is not None:
            break
    return mapping or 2, 2 if offset is None else offset


def rt_yaml(mapping: int = 2, offset: int = 2) -> YAML:
    """Round-trip YAML writing mappings indented by `mapping` and `- ` items `offset` under their key."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long Chinese lines
    yaml.allow_unicode = True
    yaml.indent(mapping=mapping, sequence=mapping + offset, offset=offset)
    return yaml


def dump_rt(yaml: YAML, data: Any) -> str:
    buf = io.StringIO()
    yaml.dump(data, buf)
    return buf.getvalue()


def parse_scalar(text: str) -> Any:
    """A command-line value read the way YAML reads it (`100.50` a number, `"007"` a string)."""
    yaml = rt_yaml()
    try:
        return yaml.load(text) if text.strip() else None
    except RoundTripError as exc:
        raise ValueError(str(getattr(exc, "problem", None) or exc)) from None


# --- writing ----------------------------------------------------------------

TEMP_PREFIX = ".cardctl-tmp-"


class AlreadyExists(Exception):
    """A file written with `exclusive=True` appeared before it could be written."""


_TEMP_NAMES = itertools.count()
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def _open_temp(folder: str) -> tuple[int, str]:
    """A new temporary file in `folder` (made if missing), with the mode a plain open() gives."""
    made = False
    while True:
        tmp = os.path.join(folder, f"{TEMP_PREFIX}{os.getpid()}-{next(_TEMP_NAMES)}")
        try:
            return os.open(tmp, _CREATE, 0o666), tmp
        except FileExistsError:
            continue  # left by a killed process that had the same pid
        except FileNotFoundError:
            if made:
                raise  # the folder vanished again: say so rather than loop
            os.makedirs(folder, exist_ok=True)
            made = True


def atomic_write(path: Path, data: bytes, *, exclusive: bool = False, durable: bool = True) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never half.

    The temporary file lives in the same folder (so the rename is atomic) and
    is flushed to disk before it takes the name. With `exclusive`, the name
    must be free: the finished file is hard-linked to it, which fails if the
    name was taken meanwhile (two reps adding records at the same moment),
    where a rename would silently replace the other file. A replaced file
    keeps its mode. Plain system calls: a close writes 44 000 files.
    """
    target = os.fspath(path)
    try:
        mode = None if exclusive else os.stat(target).st_mode & 0o777
    except FileNotFoundError:
        mode = None
    fd, tmp = _open_temp(os.path.dirname(target))
    try:
        try:
            if mode is not None:
                os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if durable:  # bulk writers sync once at the end instead
                os.fsync(fd)
        finally:
            os.close(fd)
        if exclusive:
            try:
                os.link(tmp, target)
            except FileExistsError:
                raise AlreadyExists(target) from None
            os.unlink(tmp)
        else:
            os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


# --- new files --------------------------------------------------------------


def _represent_decimal(representer: Any, value: Decimal) -> Any:
    # 1E+3 is written 1000: tagged as a float, the emitter would add `!!float` (F107).
    text = format(value, "f")
    return representer.represent_scalar("tag:yaml.org,2002:float" if "." in text else "tag:yaml.org,2002:int", text)


_DATE_TEXT = __import__("re").compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _plain_dates(value: Any) -> Any:
    """ISO date strings become dates so they are written unquoted, as people write them."""
    from datetime import date

    if isinstance(value, dict):
        return {k: _plain_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_dates(v) for v in value]
    if isinstance(value, str) and _DATE_TEXT.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def dump_new(data: dict[str, Any]) -> str:
    """Text of a file cardctl writes: block style, keys in the given order, lists indented under their key."""
    yaml = rt_yaml(2, 2)
    yaml.representer.add_representer(Decimal, _represent_decimal)
    return dump_rt(yaml, _plain_dates(data))


# A plain scalar of each type, as the YAML 1.2 core schema (and 1.1) reads it back.
_PLAIN_TEXT: dict[type, Any] = {
    bool: lambda v: "true" if v else "false",
    int: str,
    Decimal: lambda v: format(v, "f"),  # 1E+3 is written 1000
    type(None): lambda v: "null",
}


def _generated_events(value: Any) -> Iterator[Any]:
    """libyaml events for plain data (dicts, lists, strings, numbers, booleans, null).

    Straight to the emitter, without PyYAML's representer and serializer
    (most of the time a close spends rendering its 22 000 volumes), and never
    an anchor or a tag. A string that YAML 1.2 or PyYAML's 1.1 would read as
    something else (`1e3`, `0o17`, `no`, `2025-03-02`) may not be plain, so
    the emitter quotes it; a number, boolean or null is written plain.
    """
    if isinstance(value, dict):
        yield _events.MappingStartEvent(None, None, True, flow_style=False)
        for key, item in value.items():
            yield from _generated_events(key)
            yield from _generated_events(item)
        yield _events.MappingEndEvent()
    elif isinstance(value, (list, tuple)):
        yield _events.SequenceStartEvent(None, None, True, flow_style=False)
        for item in value:
            yield from _generated_events(item)
        yield _events.SequenceEndEvent()
    elif isinstance(value, str):
        yield _events.ScalarEvent(None, None, (yamlcore.plain_tag(value, or_yaml11=True) == yamlcore.STR, True), value)
    else:
        text = _PLAIN_TEXT.get(type(value))
        if text is None:
            raise TypeError(f"cannot write a {type(value).__name__} into a generated file")
        yield _events.ScalarEvent(None, None, (True, False), text(value))


def dump_generated(data: dict[str, Any]) -> str:
    """Generated files (thousands at a close): libyaml's emitter, block style, keys in order."""
    stream = [_events.StreamStartEvent(), _events.DocumentStartEvent(explicit=False), *_generated_events(data),
              _events.DocumentEndEvent(explicit=False), _events.StreamEndEvent()]
    return yaml.emit(stream, Dumper=yaml.CSafeDumper, allow_unicode=True, width=4096)
