"""`key=value` assignments from the command line (`customer set`, `record add --set`).

Keys are dotted paths with numeric list indexes (`contacts.0.phone`,
`lines.1.qty`); a key the schema does not know is refused before anything is
read or written. Values are read as YAML scalars (`100.50` is a number,
`"007"` a string), except where the schema expects text: there the value is
taken as typed, so that `phone=13800001234` stays a phone number and is not
turned into an integer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from cardctl.errors import UsageError
from cardctl.rules.schema import suggest
from cardctl.schemas import is_date
from cardctl.yamlio import parse_scalar

_INDEX = re.compile(r"^(0|[1-9][0-9]*)$")


@dataclass(frozen=True)
class Assignment:
    path: tuple[str | int, ...]
    value: Any
    text: str

    @property
    def key(self) -> str:
        return ".".join(str(p) for p in self.path)


def _field_schema(schema: dict[str, Any], path: list[str], key: str) -> tuple[tuple[str | int, ...], dict[str, Any]]:
    """The typed path and the schema of the field it leads to; unknown fields are a usage error."""
    typed: list[str | int] = []
    node = schema
    for i, step in enumerate(path):
        where = ".".join(path[:i]) or "the top level"
        if node.get("type") == "array" or "items" in node:
            if not _INDEX.match(step):
                raise UsageError(f"{key}: {where} is a list; use a number to pick an item (e.g. {'.'.join(path[:i] + ['0'])})")
            typed.append(int(step))
            node = node.get("items", {})
        elif node.get("type") == "object" or "properties" in node:
            props = node.get("properties", {})
            if step not in props:
                allow_x = any(re.search(p, step) for p in node.get("patternProperties", {}))
                if not allow_x:
                    raise UsageError(f"unknown field '{'.'.join(path[: i + 1])}'{suggest('.'.join(path[: i + 1]), _paths(schema))}")
                node = {}
            else:
                node = props[step]
            typed.append(step)
        else:
            raise UsageError(f"{key}: {where} is a single value, not a mapping or list")
    return tuple(typed), node


def _paths(schema: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for name, sub in schema.get("properties", {}).items():
        out.append(prefix + name)
        if isinstance(sub, dict) and "properties" in sub:
            out += _paths(sub, prefix + name + ".")
    return out


def _wants_text(schema: dict[str, Any]) -> bool:
    if schema.get("type") == "string":
        return True
    enum = schema.get("enum")
    return isinstance(enum, list) and bool(enum) and all(isinstance(v, str) for v in enum)


def _value(text: str, schema: dict[str, Any]) -> Any:
    quoted = len(text) >= 2 and text[0] == text[-1] and text[0] in "'\""
    if schema.get("format") == "date" and not quoted:
        return date.fromisoformat(text) if is_date(text) else text
    if _wants_text(schema) and not quoted:
        return text
    try:
        return parse_scalar(text)
    except ValueError as exc:
        raise UsageError(f"cannot read the value {text!r}: {exc}") from None


_KEY_LIKE = re.compile(r"[A-Za-z0-9_.\-]*")


def _not_an_assignment(item: str, sep: str) -> str:
    """Why `item` is not key=value, repeating at most its field path: the rest may be personal data."""
    lead = _KEY_LIKE.match(item.strip()).group()  # type: ignore[union-attr]
    if sep:
        return "expected key=value, got nothing before '='"
    if lead == item.strip():
        return f"expected key=value, got {item!r}"
    if lead:
        return f"expected key=value, got {lead!r} followed by something other than '='"
    return "expected key=value, got an argument that does not start with a field name"


def parse(items: list[str], schema: dict[str, Any]) -> list[Assignment]:
    """Parse `key=value` items against `schema` (a flattened, standalone schema)."""
    out = []
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(_not_an_assignment(item, sep))
        parts = key.split(".")
        if any(not p for p in parts):
            raise UsageError(f"{key}: empty part in the field path")
        path, field = _field_schema(schema, parts, key)
        out.append(Assignment(path, _value(text, field), text))
    return out


def apply(data: Any, assignment: Assignment, new_map: type = dict, new_list: type = list) -> None:
    """Set one value inside nested mappings and lists, creating what is missing.

    A list index may be the current length (append), not beyond it.
    """
    node = data
    path = assignment.path
    for i, step in enumerate(path):
        last = i == len(path) - 1
        nxt = None if last else path[i + 1]
        if isinstance(step, int):
            if not isinstance(node, list):
                raise UsageError(f"{assignment.key}: {'.'.join(map(str, path[:i])) or 'it'} is not a list")
            if step > len(node):
                raise UsageError(f"{assignment.key}: there are only {len(node)} items; the next one is number {len(node)}")
            if last:
                if step == len(node):
                    node.append(assignment.value)
                else:
                    node[step] = assignment.value
                return
            if step == len(node):
                node.append(new_list() if isinstance(nxt, int) else new_map())
            node = node[step]
        else:
            if not isinstance(node, dict):
                raise UsageError(f"{assignment.key}: {'.'.join(map(str, path[:i])) or 'it'} is not a mapping")
            if last:
                node[step] = assignment.value
                return
            if not isinstance(node.get(step), (dict, list)):
                node[step] = new_list() if isinstance(nxt, int) else new_map()
            node = node[step]


def unset(data: Any, key: str) -> bool:
    """Remove the field at dotted `key`; False when it was not there."""
    node = data
    parts = key.split(".")
    for step in parts[:-1]:
        if isinstance(node, list) and _INDEX.match(step) and int(step) < len(node):
            node = node[int(step)]
        elif isinstance(node, dict) and step in node:
            node = node[step]
        else:
            return False
    last = parts[-1]
    if isinstance(node, dict) and last in node:
        del node[last]
        return True
    if isinstance(node, list) and _INDEX.match(last) and int(last) < len(node):
        del node[int(last)]
        return True
    return False
