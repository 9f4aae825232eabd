"""Reading YAML fast and by the YAML 1.2 core schema: libyaml through PyYAML.

PyYAML's C loader reads about four times faster than ruamel.yaml's, but
resolves plain scalars by YAML 1.1 (`no` is false, `010` is 8, `2025-03-02`
a timestamp). This loader swaps in the 1.2 core rules that ruamel.yaml and
the archive format use, keeps dates as text (an impossible date is then a
schema finding, not a loader crash), reads decimals as `Decimal` (money is
exact) and refuses duplicate keys, which PyYAML would silently overwrite.
The documents are identical to ruamel.yaml's safe loader (a test compares
them over every example and corpus file); ruamel.yaml stays the tool for
editing files in place.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.error import MarkedYAMLError, YAMLError
from yaml.events import MappingEndEvent, MappingStartEvent, ScalarEvent, SequenceEndEvent, SequenceStartEvent, StreamEndEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

__all__ = ["MarkedYAMLError", "YAMLError", "ReaderError", "MappingNode", "SequenceNode", "ScalarNode", "Node",
           "load", "compose", "events", "plain_tag", "STR"]


class CoreLoader(yaml.CSafeLoader):  # type: ignore[misc,name-defined]
    """libyaml's parser and composer with YAML 1.2 core resolution; `_build` makes the data."""


STR = "tag:yaml.org,2002:str"
_SEQ, _MAP = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
_FIRST: dict[str, list[tuple[str, re.Pattern[str]]]] = {}


def plain_tag(value: str, *, or_yaml11: bool = False) -> str:
    """The tag YAML 1.2 core gives `value` written as a plain scalar: str, int, float, bool or null.

    `or_yaml11`: the first of 1.2's and 1.1's (PyYAML's) that is not str, for
    writing: such a string needs quotes for readers of either version.
    """
    if value == "":
        return "tag:yaml.org,2002:null"
    for tag, pattern in (_FIRST_EITHER if or_yaml11 else _FIRST).get(value[0], ()):
        if pattern.match(value):
            return tag
    return STR


def _resolve(self: Any, kind: type, value: Any, implicit: Any) -> str:
    """YAML 1.2 core resolution, looked up by first character (PyYAML's is slower and 1.1)."""
    if kind is ScalarNode:
        return plain_tag(value) if implicit[0] else STR
    return _SEQ if kind is SequenceNode else _MAP


def _no_path(self: Any, *args: Any) -> None:
    """Path resolvers are not used; libyaml calls these for every node."""


CoreLoader.resolve = _resolve
CoreLoader.descend_resolver = _no_path
CoreLoader.ascend_resolver = _no_path
CoreLoader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^(?:[-+]?[0-9][0-9_]*|0o[0-7_]+|0x[0-9a-fA-F_]+)$", "-+0123456789"),
    ("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+.0123456789"),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
):
    for _char in _first:
        _FIRST.setdefault(_char, []).append((f"tag:yaml.org,2002:{_tag}", re.compile(_pattern)))
_FIRST_EITHER: dict[str, list[tuple[str, re.Pattern[str]]]] = {char: list(rules) for char, rules in _FIRST.items()}
for _char, _rules in yaml.resolver.Resolver.yaml_implicit_resolvers.items():
    _FIRST_EITHER.setdefault(_char, []).extend(_rules)


def _int(text: str) -> int:
    text = text.replace("_", "")
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    if text.startswith("0o"):
        return sign * int(text[2:], 8)
    if text.startswith("0x"):
        return sign * int(text[2:], 16)
    return sign * int(text)


def _float(text: str) -> Decimal | float:
    text = text.replace("_", "")
    try:
        value = Decimal(text)
    except InvalidOperation:  # .inf, .nan: floats, which the money format refuses
        return float(text.lower().replace(".inf", "inf").replace(".nan", "nan"))
    return value if value.is_finite() else float(value)


_SCALARS = {
    "tag:yaml.org,2002:str": str,
    "tag:yaml.org,2002:int": _int,
    "tag:yaml.org,2002:float": _float,
    "tag:yaml.org,2002:bool": lambda text: text in ("true", "True", "TRUE"),
    "tag:yaml.org,2002:null": lambda text: None,
}


MAX_DEPTH = 64


class TooDeep(Exception):
    """More than MAX_DEPTH levels of nesting."""


class BadValue(ValueError):
    """A scalar that resolves to a number but cannot be made into one; `mark` is where it is."""

    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.mark = mark


def _scalar(make: Any, node: Node) -> Any:
    try:
        return make(node.value)
    except ValueError:  # Python refuses to convert integers of more than 4300 digits
        digits = sum(c.isdigit() for c in node.value)
        raise BadValue(f"a number of {digits} digits is too long; put it in quotes if it is text", node.start_mark) from None


class Loaded:
    """What `load` found besides the data: whether some key is not a string,
    and the plain integers written with a leading zero (line, column, spelling):
    `010` is 10 in YAML 1.2 but 8 in YAML 1.1 tools."""

    odd_keys = False
    leading_zeros: list[tuple[int, int, str]] = []


def _build(node: Node, depth: int = 0) -> Any:
    """Plain data from composed nodes: what a safe constructor does, without its machinery."""
    if depth > MAX_DEPTH:
        raise TooDeep
    kind = type(node)
    if kind is ScalarNode:
        make = _SCALARS.get(node.tag)
        if make is None:
            raise ConstructorError(None, None, f"could not determine a constructor for the tag {node.tag!r}", node.start_mark)
        if make is _int and not node.style:  # plain (libyaml gives "", PyYAML None)
            digits = node.value.lstrip("+-")
            if len(digits) > 1 and digits[0] == "0" and digits[1] in "0123456789_":
                Loaded.leading_zeros.append((node.start_mark.line + 1, node.start_mark.column + 1, node.value))
        return _scalar(make, node)
    if kind is MappingNode:
        if node.tag != "tag:yaml.org,2002:map":
            raise ConstructorError(None, None, f"could not determine a constructor for the tag {node.tag!r}", node.start_mark)
        data: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _build(key_node, depth + 1)
            if type(key) is not str:
                Loaded.odd_keys = True
            try:
                duplicate = key in data
            except TypeError:  # a mapping or list as a key
                raise ConstructorError("while constructing a mapping", node.start_mark, "found an unhashable key", key_node.start_mark) from None
            if duplicate:
                raise ConstructorError("while constructing a mapping", node.start_mark, f'found duplicate key "{key}"', key_node.start_mark)
            data[key] = _build(value_node, depth + 1)
        return data
    if node.tag != "tag:yaml.org,2002:seq":
        raise ConstructorError(None, None, f"could not determine a constructor for the tag {node.tag!r}", node.start_mark)
    return [_build(item, depth + 1) for item in node.value]


# Above this many characters a document is built from the parser's events and
# libyaml's node tree is never held: for the 8 MB seal of 22 000 volumes the
# tree took 160 MB beside the data. Smaller files keep the node path, which the
# tests hold the event path equal to.
LEAN_FROM = 1_000_000


class _Nodes(Exception):
    """Leave the event path for the node path: an anchor, an alias, a tag, or an
    error (the node path reports it, so that every error reads the same)."""


def _from_events(loader: Any, event: Any, depth: int) -> Any:
    """Plain data from the events of one node, by the same rules as _build."""
    if depth > MAX_DEPTH or getattr(event, "anchor", None) is not None:
        raise _Nodes
    kind = type(event)
    if kind is ScalarEvent:
        if event.tag is not None and event.tag != "!":
            raise _Nodes
        make = _SCALARS[plain_tag(event.value) if event.implicit[0] else STR]
        if make is _int and not event.style:
            digits = event.value.lstrip("+-")
            if len(digits) > 1 and digits[0] == "0" and digits[1] in "0123456789_":
                Loaded.leading_zeros.append((event.start_mark.line + 1, event.start_mark.column + 1, event.value))
        try:
            return make(event.value)
        except ValueError:
            raise _Nodes from None
    if event.tag is not None and event.tag != "!":
        raise _Nodes
    if kind is MappingStartEvent:
        data: dict[Any, Any] = {}
        while not loader.check_event(MappingEndEvent):
            key = _from_events(loader, loader.get_event(), depth + 1)
            if type(key) is not str:
                Loaded.odd_keys = True
            try:
                if key in data:
                    raise _Nodes
            except TypeError:
                raise _Nodes from None
            data[key] = _from_events(loader, loader.get_event(), depth + 1)
        loader.get_event()
        return data
    if kind is SequenceStartEvent:
        items = []
        while not loader.check_event(SequenceEndEvent):
            items.append(_from_events(loader, loader.get_event(), depth + 1))
        loader.get_event()
        return items
    raise _Nodes  # an alias


def _load_lean(text: str) -> Any:
    """The one document of `text` built from events; raises _Nodes where the node path must answer."""
    loader = CoreLoader(text)
    try:
        loader.get_event()  # the stream's start
        if loader.check_event(StreamEndEvent):
            return None
        loader.get_event()  # the document's start
        data = _from_events(loader, loader.get_event(), 0)
        loader.get_event()  # the document's end
        if not loader.check_event(StreamEndEvent):
            raise _Nodes  # a second document
        return data
    finally:
        loader.dispose()


def load(text: str) -> tuple[Any, bool, list[tuple[int, int, str]]]:
    """(one document, whether some key is not a string, integers with a leading zero); raises YAMLError or TooDeep."""
    if len(text) >= LEAN_FROM:
        Loaded.odd_keys = False
        Loaded.leading_zeros = []
        try:
            return _load_lean(text), Loaded.odd_keys, Loaded.leading_zeros
        except _Nodes:
            pass
    Loaded.odd_keys = False
    Loaded.leading_zeros = []
    node = compose(text)
    return (None if node is None else _build(node)), Loaded.odd_keys, Loaded.leading_zeros


def compose(text: str) -> Node | None:
    loader = CoreLoader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def events(text: str) -> Iterator[Any]:
    loader = CoreLoader(text)
    try:
        while loader.check_event():
            yield loader.get_event()
    finally:
        loader.dispose()
