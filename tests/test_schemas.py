"""The JSON Schemas: well-formed, documented, and what validation and editors use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from cardctl.schemas import SchemaSet, schema_dir
from conftest import PROJECT

FILES = sorted((PROJECT / "schemas").rglob("*.schema.json"))


def _properties(node: Any, trail: str = "") -> list[tuple[str, dict[str, Any]]]:
    out = []
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            out.append((f"{trail}.{name}", sub))
        for key, sub in node.items():
            if key in ("properties", "$defs"):
                for name, inner in sub.items():
                    out += _properties(inner, f"{trail}.{name}")
            elif isinstance(sub, (dict, list)):
                out += _properties(sub, trail)
    elif isinstance(node, list):
        for sub in node:
            out += _properties(sub, trail)
    return out


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_schema_is_draft_2020_12_with_id_title_and_descriptions(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(path.name)
    assert schema["title"]
    undocumented = [trail for trail, sub in _properties(schema) if not sub.get("description")]
    assert undocumented == []


def test_every_record_kind_of_the_spec_has_a_schema() -> None:
    kinds = SchemaSet().kinds
    spec = {
        "basic": ["licence", "tax-registration", "visit", "report"],
        "transactions": ["contract", "order"],
        "credit": ["credit-approval", "arrears", "repayment-agreement", "extension", "repayment-plan", "guarantee"],
        "trade": ["shipment", "trade-report", "export-docs"],
        "service": ["return", "discount", "approval", "responsibility", "complaint", "service-call", "survey"],
    }
    assert {k: sorted(n for n, v in kinds.items() if v.category == k) for k in spec} == {k: sorted(v) for k, v in spec.items()}


def test_flattened_kind_is_standalone_and_allows_only_x_extras() -> None:
    schema = SchemaSet().kinds["order"].schema
    assert "$ref" not in json.dumps(schema)
    validator = Draft202012Validator(schema)
    record = {"id": "2025-04-01-order-m3xa", "kind": "order", "date": "2025-04-01", "author": "张伟", "title": "t",
              "order_no": "1", "lines": [{"product": "p", "qty": 1, "unit_price": 1, "amount": 1}], "amount": 1}
    assert list(validator.iter_errors({**record, "x-erp-id": 7})) == []
    assert [e.validator for e in validator.iter_errors({**record, "erp_id": 7})] == ["additionalProperties"]


def test_schemas_are_found_from_the_package() -> None:
    assert (schema_dir() / "kinds" / "visit.schema.json").is_file()


def test_own_kind_extends_the_envelope(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "tasting.schema.json").write_text(json.dumps({
        "x-category": "basic",
        "properties": {"wine": {"type": "string", "description": "Wine."}, "price": {"$ref": "defs.schema.json#/$defs/money", "description": "Price."}},
        "required": ["wine"],
    }), encoding="utf-8")
    kinds = SchemaSet(tmp_path)
    assert kinds.problems == []
    schema = kinds.kinds["tasting"].schema
    assert list(schema["properties"])[:5] == ["id", "kind", "date", "title", "author"]
    assert schema["required"] == ["id", "kind", "date", "author", "wine"]
    assert schema["properties"]["price"]["format"] == "money"
