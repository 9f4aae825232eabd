"""JSON Schemas: the built-in ones shipped with cardctl and an archive's own kinds.

The schema files are the contract and stay readable: kind schemas extend the
record envelope with `allOf` and share value types through `$ref`. For
validation (and for editors) each is flattened once into a standalone schema:
references inlined, the envelope's properties merged in, and extra keys
allowed only with an `x-` prefix.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from cardctl.categories import CATEGORIES
from cardctl.errors import CannotRun
from cardctl.model import FIRST_YEAR
from cardctl.problems import Problem

BASE = "https://cardctl.example/schemas/v1/"
KIND_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
STRUCTURAL = ("defs", "settings", "card", "record")


def schema_dir() -> Path:
    """Installed: cardctl/schemas inside the package; from a checkout: ./schemas."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "schemas", here.parent / "schemas"):
        if (candidate / "record.schema.json").is_file():
            return candidate
    raise CannotRun("cardctl's schemas are missing from its installation; reinstall cardctl")


# --- formats ----------------------------------------------------------------

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE.match(value):
        return False
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return False
    return day.year >= FIRST_YEAR


def is_money(value: object) -> bool:
    if isinstance(value, bool) or isinstance(value, int):
        return True
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        return isinstance(exponent, int) and exponent >= -2
    if isinstance(value, float):
        return False  # only .inf / .nan load as float
    return True


def is_email(value: object) -> bool:
    return not isinstance(value, str) or bool(_EMAIL.match(value))


def _format_checker() -> Any:
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    checker.checks("date")(is_date)
    checker.checks("money")(is_money)
    checker.checks("email")(is_email)
    return checker


# --- loading and flattening -------------------------------------------------


def _read_json(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("a schema is a JSON object")
    return data


def _builtin_documents() -> dict[str, dict[str, Any]]:
    """Every built-in schema by file name stem (kinds as `kinds/<name>`)."""
    root = schema_dir()
    docs = {p.name.removesuffix(".schema.json"): _read_json(p) for p in sorted(root.glob("*.schema.json"))}
    for p in sorted((root / "kinds").glob("*.schema.json")):
        docs["kinds/" + p.name.removesuffix(".schema.json")] = _read_json(p)
    return docs


def _registry(documents: dict[str, dict[str, Any]]) -> Any:
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resources = []
    for stem, doc in documents.items():
        resource = Resource.from_contents(doc, default_specification=DRAFT202012)
        resources.append((doc["$id"], resource))
        # An archive's own schema may refer to ours by the short file name.
        if not stem.startswith("kinds/"):
            resources.append((stem + ".schema.json", resource))
    return Registry().with_resources(resources)


class SchemaProblem(Exception):
    pass


def _inline(node: Any, resolver: Any, depth: int = 0) -> Any:
    """Replace every `$ref` by the schema it points to (siblings win, e.g. a description)."""
    if depth > 40:
        raise SchemaProblem("$ref nesting too deep (a recursive schema?)")
    if isinstance(node, dict):
        if "$ref" in node:
            try:
                resolved = resolver.lookup(node["$ref"])
            except Exception as exc:  # referencing raises several unrelated types
                raise SchemaProblem(f"cannot resolve $ref {node['$ref']!r}") from exc
            target = _inline(resolved.contents, resolved.resolver, depth + 1)
            merged = {k: v for k, v in target.items() if k not in ("$id", "$schema", "$defs")}
            merged.update({k: _inline(v, resolver, depth + 1) for k, v in node.items() if k != "$ref"})
            return merged
        return {k: _inline(v, resolver, depth + 1) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, resolver, depth + 1) for v in node]
    return node


def _merge_envelope(kind_schema: dict[str, Any], envelope: dict[str, Any]) -> dict[str, Any]:
    """One standalone schema: envelope fields first, then the kind's; x- keys allowed."""
    flat = {k: v for k, v in kind_schema.items() if k not in ("allOf", "unevaluatedProperties", "properties", "required", "patternProperties", "additionalProperties")}
    properties = dict(envelope.get("properties", {}))
    properties.update(kind_schema.get("properties", {}))
    required = list(envelope.get("required", []))
    required += [r for r in kind_schema.get("required", []) if r not in required]
    flat.update(
        type="object",
        properties=properties,
        required=required,
        patternProperties={"^x-": {"description": "An archive's own extra field."}},
        additionalProperties=False,
    )
    return flat


@dataclass(frozen=True)
class Kind:
    """A record kind: where it files and how it is checked."""

    name: str
    category: str
    label: str
    retention: str
    schema: dict[str, Any] = field(repr=False)  # flattened, standalone
    source: str = "builtin"


class SchemaSet:
    """The schemas in force for one archive: built-in plus the archive's own kinds.

    The built-in part is read, flattened and compiled once per process and
    shared (it never changes while cardctl runs); own kinds are per archive.
    """

    def __init__(self, archive_root: Path | None = None) -> None:
        builtin = _builtin()
        self.documents = builtin.documents
        self.registry = builtin.registry
        self.envelope = builtin.envelope
        self.problems: list[Problem] = []
        self.bulk = False  # a check of many dossiers switches the gates on (validate.GATE_MIN_DOSSIERS)
        self.kinds: dict[str, Kind] = dict(builtin.kinds)
        self._validators = builtin.validators if archive_root is None or not (archive_root / "schemas").is_dir() else dict(builtin.validators)
        if archive_root is not None:
            self._load_own_kinds(archive_root)

    def _resolver(self, uri: str) -> Any:
        return self.registry.resolver(base_uri=uri)

    def flatten(self, doc: dict[str, Any]) -> dict[str, Any]:
        """`doc` with every `$ref` inlined."""
        return _inline(doc, self._resolver(doc.get("$id", "")))

    def _add_kind(self, name: str, doc: dict[str, Any], source: str) -> None:
        self.kinds[name] = _make_kind(name, doc, source, self.flatten, self.envelope)

    def _load_own_kinds(self, root: Path) -> None:
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError

        folder = root / "schemas"
        if not folder.is_dir():
            return
        for path in sorted(folder.glob("*.schema.json")):
            rel = path.relative_to(root).as_posix()
            name = path.name.removesuffix(".schema.json")
            if path.is_symlink() or not path.is_file():
                continue  # the layout check reports it (L302, L301); never follow or open it
            try:
                if path.stat().st_size > MAX_SCHEMA_BYTES:
                    raise ValueError(f"the file is larger than {MAX_SCHEMA_BYTES} bytes")
                doc = json.loads(path.read_bytes().decode("utf-8"), parse_constant=_no_constant, object_pairs_hook=_no_duplicates)
            except UnicodeDecodeError:
                self.problems.append(Problem(rel, 1, 1, "S211", "schema file is not valid UTF-8"))
                continue
            except json.JSONDecodeError as exc:
                self.problems.append(Problem(rel, exc.lineno, exc.colno, "S211", f"not valid JSON: {exc.msg}"))
                continue
            except RecursionError:
                self.problems.append(Problem(rel, 1, 1, "S211", "not valid JSON here: nested too deeply"))
                continue
            except (ValueError, OSError) as exc:  # a number of thousands of digits, NaN, unreadable
                why = "a number has more than 4300 digits" if "integer string conversion" in str(exc) else str(exc)
                self.problems.append(Problem(rel, 1, 1, "S211", f"not valid JSON here: {why}"))
                continue
            reason = _own_kind_problem(name, doc, self.kinds)
            if reason is None:
                try:
                    Draft202012Validator.check_schema(doc)
                    self._add_kind(name, doc, rel)
                except SchemaError as exc:
                    reason = f"not a valid JSON Schema: {exc.message}"
                except SchemaProblem as exc:
                    reason = str(exc)
            if reason is not None:
                self.problems.append(Problem(rel, 1, 1, "S211", reason))

    # --- validators -----------------------------------------------------

    @cached_property
    def _formats(self) -> Any:
        return _format_checker()

    def validator(self, name: str) -> Any:
        """A reusable validator for `settings`, `card`, `envelope` or a kind name."""
        if name not in self._validators:
            from jsonschema import Draft202012Validator

            if name == "envelope":
                schema = self.envelope
            elif name in ("settings", "card"):
                schema = self.flatten(self.documents[name])
            else:
                schema = self.kinds[name].schema
            self._validators[name] = Draft202012Validator(schema, format_checker=self._formats)
        return self._validators[name]

    def gate(self, name: str) -> Any:
        """A fast pass/fail check for `name` (see `Gate`), for bulk checks; None otherwise.

        Compiling one costs about 15 ms: worth it for thousands of files (see
        validate.GATE_MIN_DOSSIERS), not for the few of a write command or a small check.
        """
        if not FAST or not self.bulk:
            return None
        key = f"gate:{name}"
        if key not in self._validators:
            self._validators[key] = Gate(self.validator(name).schema)
        return self._validators[key]

    def editor_schemas(self) -> dict[str, dict[str, Any]]:
        """Standalone schemas for editors (yaml-language-server), by file name."""
        out = {
            "settings.schema.json": self.flatten(self.documents["settings"]),
            "card.schema.json": self.flatten(self.documents["card"]),
        }
        for kind in self.kinds.values():
            out[f"{kind.name}.schema.json"] = kind.schema
        return out


MAX_SCHEMA_BYTES = 1024 * 1024


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise ValueError(f"key {twice[0]!r} appears twice in one object")
    return dict(pairs)


# The fast paths (this gate, and the worker pool of validate) can be switched
# off: tests run the broken corpus both ways and compare the findings.
FAST = True


class Gate:
    """fastjsonschema as a pass/fail gate in front of jsonschema's full error reports.

    It passes a document only when jsonschema would find nothing: fastjsonschema
    checks everything our schemas say except a `format` on a number, so the
    money fields are checked here as well. A document that fails the gate is
    validated again by jsonschema for its located, explained findings.
    """

    def __init__(self, schema: dict[str, Any]) -> None:
        import fastjsonschema

        plain = {k: v for k, v in schema.items() if k != "$schema"}  # the 2020-12 subset we use is draft-07 too
        self._check = fastjsonschema.compile(plain, formats={"date": is_date, "email": is_email, "money": is_money})
        self._error = fastjsonschema.JsonSchemaException
        self._money = _money_paths(schema)

    def passes(self, data: Any) -> bool:
        try:
            self._check(data)
        except self._error:
            return False
        return all(is_money(v) for path in self._money for v in _at(data, path))


def _money_paths(schema: dict[str, Any], path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path] if schema.get("format") == "money" else []
    for name, sub in schema.get("properties", {}).items():
        found += _money_paths(sub, (*path, name)) if isinstance(sub, dict) else []
    items = schema.get("items")
    if isinstance(items, dict):
        found += _money_paths(items, (*path, "*"))
    return found


def _at(data: Any, path: tuple[str, ...]) -> list[Any]:
    if not path:
        return [data]
    head, rest = path[0], path[1:]
    if head == "*":
        return [v for item in data for v in _at(item, rest)] if isinstance(data, list) else []
    return _at(data[head], rest) if isinstance(data, dict) and head in data else []


def _make_kind(name: str, doc: dict[str, Any], source: str, flatten: Any, envelope: dict[str, Any]) -> Kind:
    # A kind's allOf names the envelope; merging it in makes the schema standalone.
    own = {k: v for k, v in doc.items() if k != "allOf"}
    flat = _merge_envelope(flatten(own), envelope)
    flat["properties"]["kind"] = {"const": name, "description": f"Always {name}."}
    return Kind(
        name=name,
        category=doc["x-category"],
        label=doc.get("x-label", name),
        retention=doc.get("x-retention", "D10"),
        schema=flat,
        source=source,
    )


@dataclass
class _Builtin:
    documents: dict[str, dict[str, Any]]
    registry: Any
    envelope: dict[str, Any]
    kinds: dict[str, Kind]
    validators: dict[str, Any]


@lru_cache(maxsize=1)
def _builtin() -> _Builtin:
    documents = _builtin_documents()
    registry = _registry(documents)

    def flatten(doc: dict[str, Any]) -> dict[str, Any]:
        return _inline(doc, registry.resolver(base_uri=doc.get("$id", "")))

    envelope = flatten(documents["record"])
    kinds = {
        stem.removeprefix("kinds/"): _make_kind(stem.removeprefix("kinds/"), doc, "builtin", flatten, envelope)
        for stem, doc in documents.items()
        if stem.startswith("kinds/")
    }
    return _Builtin(documents, registry, envelope, kinds, {})


def _own_kind_problem(name: str, doc: Any, kinds: dict[str, Kind]) -> str | None:
    if not isinstance(doc, dict):
        return "a kind schema is a JSON object"
    if not KIND_NAME.match(name):
        return f"kind name {name!r} must be lower-case letters, digits and single hyphens"
    if name in kinds or name in STRUCTURAL:
        return f"kind {name!r} is built into cardctl; give your kind another name"
    category = doc.get("x-category")
    if category not in CATEGORIES:
        return f"x-category must be one of {', '.join(CATEGORIES)} (the category folder of this kind)"
    retention = doc.get("x-retention", "D10")
    if retention not in ("Y", "D30", "D10"):
        return "x-retention must be Y, D30 or D10"
    for pattern in _patterns(doc):
        if _nested_repeat(pattern):
            return f"pattern {pattern!r} repeats a repetition (like (a+)+): matching it can take forever; simplify it"
    return None


def _patterns(schema: Any) -> list[str]:
    """Every regular expression in a schema (`pattern`, keys of `patternProperties`)."""
    found: list[str] = []
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "pattern" and isinstance(value, str):
                found.append(value)
            elif key == "patternProperties" and isinstance(value, dict):
                found += [k for k in value if isinstance(k, str)]
            found += _patterns(value)
    elif isinstance(schema, list):
        for value in schema:
            found += _patterns(value)
    return found


def _nested_repeat(pattern: str) -> bool:
    """Does an unbounded repeat contain another (`(a+)+`, `(a*b?)*`)? Python's re then backtracks exponentially."""
    try:
        from re import _constants as c, _parser as sre  # type: ignore[attr-defined]
    except ImportError:  # Python 3.10
        import sre_constants as c  # type: ignore[no-redef]
        import sre_parse as sre  # type: ignore[no-redef]
    MAX_REPEAT, MAXREPEAT, MIN_REPEAT, SUBPATTERN, BRANCH = c.MAX_REPEAT, c.MAXREPEAT, c.MIN_REPEAT, c.SUBPATTERN, c.BRANCH

    def walk(items: Any, inside: bool) -> bool:
        for op, arg in items:
            if op in (MAX_REPEAT, MIN_REPEAT):
                low, high, sub = arg
                unbounded = high == MAXREPEAT or high > 100
                if unbounded and inside:
                    return True
                if walk(sub, inside or unbounded):
                    return True
            elif op is SUBPATTERN and walk(arg[-1], inside):
                return True
            elif op is BRANCH and any(walk(b, inside) for b in arg[1]):
                return True
        return False

    try:
        return walk(sre.parse(pattern), False)
    except Exception:  # not a valid regex: the meta-schema check reports it
        return False
