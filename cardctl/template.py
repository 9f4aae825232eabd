"""The commented template `record add --edit` opens, the way `git commit` opens its message."""

from __future__ import annotations

from typing import Any

from cardctl.schemas import Kind

SKIP = ("id", "kind", "attachments")
HEADER = """\
# New {kind} ({label}) for {customer}.
# Fill in the fields and save. Lines starting with # are ignored, empty fields
# are left out. An empty or unchanged file aborts: nothing is written.
"""


def _example(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    return {"string": "", "integer": "", "number": "", "boolean": "true | false"}.get(str(schema.get("type")), "")


def _field(name: str, schema: dict[str, Any], value: Any, indent: str, required: bool) -> list[str]:
    comment = f"  # {schema.get('description', '')}".rstrip()
    hint = _example(schema)
    prefix = "" if required else "# "
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict) and schema["items"].get("type") == "object":
        lines = [f"{indent}{prefix}{name}:{comment}"]
        props = schema["items"].get("properties", {})
        needed = set(schema["items"].get("required", []))
        for i, (sub, sub_schema) in enumerate(props.items()):
            lead = "- " if i == 0 else "  "
            sub_prefix = prefix if sub in needed else "# "
            sub_hint = _example(sub_schema)
            lines.append(f"{indent}  {sub_prefix}{lead}{sub}: {sub_hint}".rstrip() + f"  # {sub_schema.get('description', '')}".rstrip())
        return lines
    if schema.get("type") == "object":
        lines = [f"{indent}{prefix}{name}:{comment}"]
        for sub, sub_schema in schema.get("properties", {}).items():
            lines += _field(sub, sub_schema, None, indent + "  ", required and sub in schema.get("required", []))
        return lines
    shown = value if value is not None else hint
    return [f"{indent}{prefix}{name}: {shown}".rstrip() + comment]


def render(kind: Kind, customer: str, prefilled: dict[str, Any]) -> str:
    """A YAML template of the kind's fields: required ones open, optional ones commented out."""
    schema = kind.schema
    required = set(schema.get("required", []))
    lines = [HEADER.format(kind=kind.name, label=kind.label, customer=customer)]
    for name, sub in schema["properties"].items():
        if name in SKIP:
            continue
        lines += _field(name, sub, prefilled.get(name), "", name in required or name in prefilled)
    return "\n".join(lines) + "\n"


def prune(value: Any) -> Any:
    """Drop fields left empty in the template (null, empty mappings and lists)."""
    if isinstance(value, dict):
        pruned = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, {}, [], "")}
    if isinstance(value, list):
        items = [prune(v) for v in value]
        return [v for v in items if v not in (None, {}, [], "")]
    return value
