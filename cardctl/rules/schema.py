"""Schema checks of settings, cards and records, as findings at the offending key or value.

jsonschema's errors carry a path into the data; the document's locator turns
that path into a line and column. Each error family gets its own stable code
and a message that says what is expected and, where it helps, how to fix it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cardctl.model import FIRST_YEAR, Card, Record
from cardctl.problems import Problem
from cardctl.yamlio import Document

if TYPE_CHECKING:
    from cardctl.archive import Archive

_TYPE_NAMES = {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false", "object": "a mapping", "array": "a list", "null": "empty"}


def dotted(trail: Iterable[Any]) -> str:
    return ".".join(str(step) for step in trail)


def show(value: Any) -> str:
    """A value as the user typed it, shortened."""
    if isinstance(value, Decimal):
        text = str(value)
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        return "empty"
    elif isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    else:
        text = str(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"'{text}'" if isinstance(value, str) else text


def personal(trail: list[Any]) -> bool:
    """A contact's personal notes, or a contact that is not a mapping and may hold them (SPEC §3: personal data).

    Findings about them say where and what is wrong, never what they say.
    """
    return bool(trail) and trail[0] == "contacts" and (len(trail) <= 2 or trail[2] == "personal")


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, Decimal, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "empty"


def suggest(word: str, choices: Iterable[Any], cutoff: float = 0.6) -> str:
    names = [str(c) for c in choices]
    close = difflib.get_close_matches(str(word), names, n=1, cutoff=cutoff)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _expected(validator_value: Any) -> str:
    names = validator_value if isinstance(validator_value, list) else [validator_value]
    return " or ".join(_TYPE_NAMES.get(n, n) for n in names)


def _describe(schema: dict[str, Any]) -> str:
    text = schema.get("description", "")
    return f" ({text.rstrip('.')})" if text else ""


def _unknown_keys(doc: Document, error: Any, allow_x: bool) -> list[Problem]:
    instance, schema = error.instance, error.schema
    if not isinstance(instance, dict):
        return []
    known = list(schema.get("properties", {}))
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    trail = list(error.absolute_path)
    problems = []
    for key in instance:
        if key in known or any(p.search(str(key)) for p in patterns):
            continue
        hint = suggest(key, known)
        if not hint and allow_x:
            hint = "; an archive's own fields start with x-"
        problems.append(doc.at(trail + [key], "S201", f"unknown key '{key}'{hint}", key=True))
    return problems


def required_at(root: dict[str, Any], trail: list[Any]) -> bool:
    """Is the field at `trail` required by its parent in schema `root`?"""
    node = root
    for step in trail[:-1]:
        node = node.get("items", {}) if isinstance(step, int) else node.get("properties", {}).get(step, {})
    return bool(trail) and trail[-1] in node.get("required", [])


def _error_problems(doc: Document, error: Any, allow_x: bool, root: dict[str, Any]) -> list[Problem]:
    kind = error.validator
    trail = list(error.absolute_path)
    field = dotted(trail) or "the file"
    value = error.instance
    schema = error.schema if isinstance(error.schema, dict) else {}
    if kind in ("additionalProperties", "unevaluatedProperties"):
        return _unknown_keys(doc, error, allow_x)
    if kind == "required":
        match = re.match(r"^'(.+)' is a required property$", error.message)
        name = match.group(1) if match else str(error.message)
        where = doc.locate.key(trail) if trail else (1, 1)
        owner = f" in {field}" if trail else ""
        prop = schema.get("properties", {}).get(name, {})
        return [Problem(doc.path, *where, "S202", f"missing required key '{name}'{owner}{_describe(prop)}")]
    if kind == "type":
        hint = ""
        if "string" in (error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]) and isinstance(value, (int, Decimal, bool)):
            hint = "; put the value in quotes to keep it as text"
        written = doc.locate.source(trail) if isinstance(value, (int, Decimal, bool, float)) else None
        shown = f" {written}" if written else (f" {show(value)}" if isinstance(value, (str, int, Decimal, bool, float)) else "")
        if personal(trail):
            shown = ""
        return [doc.at(trail, "S203", f"{field} must be {_expected(error.validator_value)}, not {_kind_of(value)}{shown}{hint}")]
    if kind == "enum":
        choices = error.validator_value
        return [doc.at(trail, "S204", f"{field} is {show(value)}; allowed: {', '.join(map(str, choices))}{suggest(str(value), choices)}")]
    if kind == "const":
        return [doc.at(trail, "S204", f"{field} must be {show(error.validator_value)}, not {show(value)}")]
    if kind == "format":
        fmt = error.validator_value
        if fmt == "date":
            if _early_date(value):
                return [doc.at(trail, "S206", f"{field} is {show(value)}; dates before the year {FIRST_YEAR} are not accepted (a mistyped year?)")]
            return [doc.at(trail, "S206", f"{field} is {show(value)}, not a real date in the form YYYY-MM-DD")]
        if fmt == "money":
            if isinstance(value, float):
                return [doc.at(trail, "S207", f"{field} is {show(value)}, not an amount of money")]
            return [doc.at(trail, "S207", f"{field} is {show(value)}: amounts of money have at most two decimals")]
        return [doc.at(trail, "S205", f"{field} is {show(value)}, not a valid {fmt}")]
    if kind == "pattern":
        form = f": {schema['description']}" if schema.get("description") else ""
        return [doc.at(trail, "S205", f"{field} is {show(value)}, which does not have the expected form{form}")]
    if kind in ("minLength",) and value == "":
        advice = "it is required, fill it in" if required_at(root, trail) else "fill it in or leave the key out"
        return [doc.at(trail, "S205", f"{field} is empty; {advice}")]
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        bound = {"minimum": "at least", "maximum": "at most", "exclusiveMinimum": "more than", "exclusiveMaximum": "less than"}[kind]
        return [doc.at(trail, "S208", f"{field} is {show(value)}; it must be {bound} {error.validator_value}")]
    if kind == "minItems":
        return [doc.at(trail, "S210", f"{field} needs at least {error.validator_value} item(s)")]
    if kind == "uniqueItems":
        return [doc.at(trail, "S210", f"{field} lists the same item twice")]
    return [doc.at(trail, "S210", f"{field}: {error.message}")]


def validate_document(doc: Document, validator: Any, *, allow_x: bool = False, gate: Any = None) -> list[Problem]:
    """Every schema finding of one loaded document (the gate, when given, lets valid ones through fast)."""
    if not doc.ok:
        return []
    problems: list[Problem] = []
    if gate is None or not gate.passes(doc.data):
        for error in validator.iter_errors(doc.data):
            problems += _error_problems(doc, error, allow_x, validator.schema)
    if doc.leading_zeros:
        problems += _leading_zeros(doc, {(p.line, p.column) for p in problems + doc.problems})
    return problems


def _leading_zeros(doc: Document, reported: set[tuple[int, int]]) -> list[Problem]:
    """F114: `010` is 10 to cardctl (YAML 1.2) but 8 to YAML 1.1 tools such as PyYAML.

    Where the schema wants text, S203 at the same place already says "quote it".
    """
    problems = []
    for line, col, written in doc.leading_zeros:
        if (line, col) in reported:
            continue
        digits = written.replace("_", "")
        value = int(digits)
        octal = digits.lstrip("+-")
        if set(octal) <= set("01234567"):
            if int(digits, 8) == value:
                continue  # 007 is 7 either way
            other = str(int(digits, 8))
        else:
            other = f"the text '{written}'"
        problems.append(Problem(doc.path, line, col, "F114", f"{written} has a leading zero: it is {value} here but {other} to YAML 1.1 tools; write {value}, or quote it if it is text"))
    return problems


def _early_date(value: Any) -> bool:
    """A real date whose year is before FIRST_YEAR (0025-03-02 for 2025-03-02)."""
    try:
        return isinstance(value, str) and len(value) == 10 and date.fromisoformat(value).year < FIRST_YEAR
    except ValueError:
        return False


def settings_problems(archive: Archive) -> list[Problem]:
    doc = archive.settings_doc
    problems = validate_document(doc, archive.schemas.validator("settings"))
    kinds = archive.schemas.kinds
    retention = doc.data.get("retention") if doc.ok else None
    if isinstance(retention, dict):
        for kind in retention:
            if kind not in kinds:
                problems.append(doc.at(["retention", kind], "D509", f"retention is set for '{kind}', which is not a record kind{suggest(str(kind), kinds)}", key=True))
    template = doc.data.get("reference") if doc.ok else None
    if isinstance(template, str) and template:
        wrong = reference_template_problem(template)
        if wrong:
            problems.append(doc.at(["reference"], "S205", f"reference is {show(template)}: {wrong}"))
    return problems


REFERENCE_FIELDS = ("fonds", "year", "retention", "customer", "category_no", "item")


def reference_template_problem(template: str) -> str | None:
    """Why the reference-code template (settings `reference`) cannot make unique codes, or None."""
    from string import Formatter

    from cardctl.closeout import reference, volume_reference

    fields = "fields: " + " ".join("{" + f + "}" for f in REFERENCE_FIELDS)
    sample = {"fonds": "Z109", "year": 2025, "retention": "D30", "customer": "KH0001", "category_no": 1}
    try:
        names = {name.split(".")[0].split("[")[0] for _, name, _, _ in Formatter().parse(template) if name is not None}
        unknown = sorted(names - set(REFERENCE_FIELDS))
        if unknown:
            return f"unknown field {{{unknown[0]}}}; {fields}"
        reference(template, item=1, **sample)
        volume_reference(template, **sample)
    except (KeyError, IndexError, ValueError, AttributeError, TypeError):
        return f"it is not a valid template; {fields}"
    missing = [f for f in REFERENCE_FIELDS[1:] if f not in names]
    if missing:
        return f"it lacks {' '.join('{' + f + '}' for f in missing)}, so codes would repeat; {fields}"
    return None


def card_problems(archive: Archive, card: Card) -> list[Problem]:
    return validate_document(card.doc, archive.schemas.validator("card"), gate=archive.schemas.gate("card"))


def record_problems(archive: Archive, record: Record) -> list[Problem]:
    doc = record.doc
    if not doc.ok:
        return []
    kinds = archive.schemas.kinds
    kind = record.data.get("kind")
    if isinstance(kind, str) and kind in kinds:
        return validate_document(doc, archive.schemas.validator(kind), allow_x=True, gate=archive.schemas.gate(kind))
    problems = validate_document(doc, archive.schemas.validator("envelope"), allow_x=True)
    if isinstance(kind, str):
        own = f"schemas/{kind}.schema.json"
        if (archive.root / own).is_file():
            problems.append(doc.at(["kind"], "S209", f"record kind '{kind}' cannot be checked: {own} has errors (S211)"))
        else:
            problems.append(doc.at(["kind"], "S209", f"unknown record kind '{kind}'{suggest(kind, kinds)}; kinds: {', '.join(sorted(kinds))}"))
    return problems
