"""The fast reader gives exactly ruamel.yaml's documents (YAML 1.2 core), on every file we have."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from hypothesis import given, settings
from hypothesis import strategies as st

from cardctl import yamlcore
from cardctl.yamlio import dump_generated
from conftest import CORPUS, EXAMPLE


class _Reference(SafeConstructor):
    def construct_decimal(self, node):  # type: ignore[no-untyped-def]
        try:
            value = Decimal(str(node.value).replace("_", ""))
        except InvalidOperation:
            return SafeConstructor.construct_yaml_float(self, node)
        return value if value.is_finite() else float(value)


_Reference.add_constructor("tag:yaml.org,2002:timestamp", SafeConstructor.construct_yaml_str)
_Reference.add_constructor("tag:yaml.org,2002:float", _Reference.construct_decimal)
RUAMEL = YAML(typ="safe", pure=False)
RUAMEL.Constructor = _Reference

FILES = sorted(p for root in (EXAMPLE, CORPUS) for p in root.rglob("*.yaml") if p.is_file() and not p.is_symlink())


def _read(loader, text: str):  # type: ignore[no-untyped-def]
    try:
        return ("ok", loader(text))
    except yamlcore.TooDeep:  # cardctl's own limit (F112); ruamel reads on
        return ("deep", None)
    except Exception as exc:  # both raise for the same broken files
        return ("error", type(exc).__name__ == "DuplicateKeyError" or "duplicate" in str(exc))


def _has_alias(text: str) -> bool:
    try:
        return any(type(event).__name__ == "AliasEvent" for event in yamlcore.events(text))
    except Exception:  # a broken file: both loaders fail on it
        return False


@pytest.mark.parametrize("path", FILES, ids=[p.relative_to(p.parents[3]).as_posix() for p in FILES])
def test_same_document_as_ruamel(path: Path) -> None:
    try:
        text = path.read_bytes().decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n")
    except UnicodeDecodeError:
        pytest.skip("not UTF-8: stopped before any loader")
    if _has_alias(text):
        pytest.skip("aliases are refused before any loader runs; ruamel.yaml would expand a 'billion laughs'")
    if "<<" in text:
        pytest.skip("a merge key (YAML 1.1) is a plain key to cardctl, hence a finding (S201); ruamel.yaml merges it")
    ours, theirs = _read(lambda t: yamlcore.load(t)[0], text), _read(RUAMEL.load, text)
    if ours[0] == "ok" and theirs[0] == "ok":
        assert repr(ours[1]) == repr(theirs[1])
    elif "&" in text or "*" in text or "!" in text or ours[0] == "deep":
        pass  # anchors, aliases and tags are refused before either loader runs
    else:
        assert ours[0] == theirs[0]


@pytest.mark.parametrize(("text", "value"), [
    ("a: no", "no"), ("a: on", "on"), ("a: 010", 10), ("a: 0o10", 8), ("a: 0x1F", 31), ("a: 1_000", 1000), ("a: 2025-03-02", "2025-03-02"),
    ("a: 1.50", Decimal("1.50")), ("a: ~", None), ("a: True", True), ("a: yes", "yes"), ("a: 1e3", Decimal("1E+3")), ("a: 12:30", "12:30"),
])
def test_core_schema_scalars(text: str, value: object) -> None:
    assert yamlcore.load(text)[0] == {"a": value}
    assert repr(yamlcore.load(text)[0]) == repr(RUAMEL.load(text))



SCALAR_TEXTS = ["1e3", "0o17", "0x1F", ".5", "+1", "1_000", "yes", "no", "010", "Null", "~", "", "TRUE", "-.inf", ".NaN",
                "2025-01-01", "1:20", "0b101", "on", "12.50", "7"]


@pytest.mark.parametrize("text", SCALAR_TEXTS)
def test_generated_files_read_back_as_written(text: str) -> None:
    """dump_generated (volumes, seals) quotes every string that YAML 1.1 or 1.2 would read as something else."""
    data = {"text": text, "list": [text], "amount": Decimal("100"), "price": Decimal("12.50")}
    out = dump_generated(data)
    assert "!!" not in out and yamlcore.load(out)[0] == data
    assert YAML(typ="safe", pure=True).load(out)["text"] == text  # ruamel reads it the same


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789eE.+-_oxabnulrtf~: "), max_size=8))
def test_generated_text_of_number_like_characters_round_trips(value: str) -> None:
    assert yamlcore.load(dump_generated({"v": value}))[0] == {"v": value}


def test_generated_files_repeat_values_without_anchors() -> None:
    """The same object in two places is written twice: anchors and aliases are refused in the archive (F106)."""
    amount, lines = Decimal("1.50"), ["a", "b"]
    out = dump_generated({"x": amount, "y": amount, "l1": lines, "l2": lines, "n": None, "ok": True, "count": 3})
    assert "&" not in out and "*" not in out
    assert out == "x: 1.50\ny: 1.50\nl1:\n- a\n- b\nl2:\n- a\n- b\nn: null\nok: true\ncount: 3\n"


def test_generated_files_refuse_what_they_cannot_write_plainly() -> None:
    with pytest.raises(TypeError, match="float"):
        dump_generated({"x": 1.5})


def _outcome(text: str, lean_from: int) -> tuple[str, object]:
    saved = yamlcore.LEAN_FROM
    yamlcore.LEAN_FROM = lean_from
    try:
        return ("ok", repr(yamlcore.load(text)))
    except Exception as exc:  # the same error, word for word and at the same place
        return (type(exc).__name__, str(exc))
    finally:
        yamlcore.LEAN_FROM = saved


ODD_TEXTS = [
    "", "# only a comment\n", "a: 1\n---\nb: 2\n", "a: 1\na: 2\n", "? [1, 2]\n: x\n", "a: &x 1\nb: *x\n", "a: !!str 010\n",
    "a: !local x\n", "1: one\n", "a: 010\nb: [0_7, '010', 00]\n", "a: " + "[" * 70 + "]" * 70 + "\n", "a: " + "9" * 5000 + "\n",
    "a: [1, 2\n", "a: 1\n  b: 2\n", "- a\n- {b: c, d: [e, f]}\n", "a: 1\nb:\n  c: 1\n  c: 2\n  d: [\n",
]


@pytest.mark.parametrize("text", [p.read_bytes().decode("utf-8", "replace") for p in FILES] + ODD_TEXTS)
def test_large_files_built_from_events_read_as_from_nodes(text: str) -> None:
    """Big files (seals) are built from events to save memory; the data, the leading zeros and every error are the same."""
    if _has_alias(text) and text.count("*") > 20:
        pytest.skip("a 'billion laughs' expands on either path; read_document refuses aliases before loading")
    lean = _outcome(text, 0)
    assert lean == _outcome(text, 10**9)


def test_big_documents_never_compose_a_node_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    """A seal of 22 000 volumes (8 MB) took 160 MB as libyaml's node tree; from events, a fifth of that."""
    volumes = [{"path": f"customers/KH{i:05}/basic/2016/VOLUME-D10.yaml", "sha256": f"{i:064x}", "items": i, "pages": Decimal("1")}
               for i in range(12_000)]
    text = dump_generated({"year": 2016, "volumes": volumes})
    assert len(text) >= yamlcore.LEAN_FROM
    from_nodes = _outcome(text, 10**9)

    def no_tree(text: str) -> None:
        raise AssertionError("composed a node tree")

    monkeypatch.setattr(yamlcore, "compose", no_tree)
    data, odd_keys, zeros = yamlcore.load(text)
    assert data["volumes"][11_999] == volumes[11_999] and not odd_keys and not zeros
    assert ("ok", repr((data, odd_keys, zeros))) == from_nodes
