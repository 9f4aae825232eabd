"""What a report sees of each dossier, and the cache that keeps it.

A report names what its rows depend on (`Needs`): the words (kinds and
relation types) a record must be able to spell to matter, and the fields it
reads of cards and records. Each dossier is read in a worker process and cut
down to that: only the records that may name a word are parsed (see
may_name), and of each card and record only the named fields are kept.

The cut-down dossier travels as JSON text, from the worker and, for a
dossier git finds unchanged, from `.cardctl/cache/report-<name>.json`
(keyed like validate's findings, see dossier_cache). Both paths build the
report's view from the same text, so a cached dossier gives exactly the
answer a fresh read gives. Reading a field the report did not name fails
loudly (`Fields`): the tests of each report would catch a field forgotten.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from cardctl import dossiers
from cardctl.archive import Archive
from cardctl.layout import Dossier, RecordFile
from cardctl.model import Card, Record
from cardctl.rules import DossierView
from cardctl.yamlio import Document

# Every record keeps these: Record.id, .kind and .date read them.
ALWAYS = ("id", "kind", "date")


@dataclass(frozen=True)
class Needs:
    """What a report reads: its name (for its cache), the words its rows depend on, the fields it reads."""

    name: str
    words: tuple[str, ...]
    fields: tuple[str, ...]  # of cards and records, at the top level (nested values are kept whole)

    @functools.cached_property
    def keep(self) -> frozenset[str]:
        return frozenset((*ALWAYS, *self.fields))


class Fields(dict):  # type: ignore[type-arg]
    """A card's or record's fields cut down to those its report named.

    Asking for another one is a bug in the report's `Needs`, not a missing
    field: it raises instead of answering None.
    """

    __slots__ = ("named",)

    def __init__(self, values: dict[str, Any], named: frozenset[str]) -> None:
        super().__init__(values)
        self.named = named

    def _asked(self, key: object) -> None:
        if key not in self.named:
            raise LookupError(f"the report reads {key!r}, which its Needs do not name")

    def get(self, key: Any, default: Any = None) -> Any:
        self._asked(key)
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self._asked(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self._asked(key)
        return super().__contains__(key)


def may_name(raw: bytes, words: Sequence[bytes]) -> bool:
    """Whether a file's bytes may hold one of `words` as a YAML value.

    Only where they appear as they are, or where an escape in a double-quoted
    string could spell them ("\\x76isit" is "visit"), or a stray byte order
    mark could split them: YAML has no other way to write a string.
    """
    return b"\\" in raw or b"\xef\xbb\xbf" in raw or any(word in raw for word in words)


# --- the cut-down dossier as JSON -------------------------------------------
# Values are those the YAML loader makes: str, int, bool and None go as they
# are; everything else as a one-key object, so that no value is mistaken for
# another ("d": Decimal, "f": float (inf, nan), "l": list, "m": mapping, whose
# keys may be numbers or null; "x": an int too long for Python to print in
# decimal, which YAML's 0x and 0o forms can spell, in hexadecimal).
LONG_INT_BITS = 13_000  # about 3 900 decimal digits: under Python's limit of 4 300


def _value(v: Any) -> Any:
    if type(v) is int and v.bit_length() > LONG_INT_BITS:
        return {"x": hex(v)}
    if v is None or isinstance(v, (str, int)):  # bool is an int
        return v
    if isinstance(v, Decimal):
        return {"d": str(v)}
    if isinstance(v, float):
        return {"f": repr(v)}
    if isinstance(v, list):
        return {"l": [_value(x) for x in v]}
    if isinstance(v, dict):
        return {"m": [[_value(k), _value(x)] for k, x in v.items()]}
    raise TypeError(f"no JSON form for {type(v).__name__}")


def _unvalue(v: Any) -> Any:
    if not isinstance(v, dict):
        return v
    ((tag, x),) = v.items()
    if tag == "d":
        return Decimal(x)
    if tag == "f":
        return float(x)
    if tag == "x":
        return int(x, 16)
    if tag == "l":
        return [_unvalue(i) for i in x]
    if tag == "m":
        return {_unvalue(k): _unvalue(i) for k, i in x}
    raise ValueError(f"unknown tag {tag!r}")


def _cut(data: Any, keep: frozenset[str]) -> dict[str, Any] | None:
    """The named fields of a mapping (None for a file that holds no mapping: the report skips it either way)."""
    if not isinstance(data, dict):
        return None
    return {k: _value(v) for k, v in data.items() if k in keep}


def encode(view: DossierView, needs: Needs) -> str:
    card = None if view.card is None else _cut(view.card.doc.data, needs.keep)
    records = [[r.path, _cut(r.doc.data, needs.keep)] for r in view.records]
    return json.dumps([view.files.card, card, records], ensure_ascii=False, separators=(",", ":"))


def decode(customer: str, text: str, needs: Needs) -> DossierView | None:
    """The view `encode` cut down; None if the text is not such a view (a damaged cache)."""

    def fields(raw: Any) -> Fields | None:
        # Most values are strings: only the tagged objects need unpacking.
        return None if raw is None else Fields({k: _unvalue(v) if type(v) is dict else v for k, v in raw.items()}, needs.keep)

    try:
        card_path, card_data, records_raw = json.loads(text)
        if card_path is not None and card_path != f"customers/{customer}/card.yaml":
            return None
        card = None if card_path is None else Card(customer, Document(card_path, None, fields(card_data), []))
        records, files = [], []
        for path, data in records_raw:
            _, folder, category, year, name = path.split("/")
            if folder != customer or not name.endswith(".yaml"):
                return None
            file = RecordFile(path, customer, category, year, name[: -len(".yaml")])
            files.append(file)
            records.append(Record(file, Document(path, None, fields(data), [])))
    except (ValueError, TypeError, AttributeError, InvalidOperation, RecursionError):
        return None
    return DossierView(Dossier(customer, card_path, files), card, records)


def _read(archive: Archive, customer: str, needs: Needs, store: Any) -> tuple[str, str, str | None]:
    """In a worker: one dossier read and cut down, and its cache key if it may be kept."""
    if store is not None:
        store.watch(archive)
    words = [w.encode() for w in needs.words]
    view = dossiers.view(archive, customer, functools.partial(may_name, words=words))[0]
    text = encode(view, needs)
    key = store.seen(archive, customer, view.files) if store is not None else None
    return customer, text, key


def stream(archive: Archive, needs: Needs, cached: bool = True) -> Iterator[DossierView]:
    """Every dossier as the report sees it, in id order, one at a time (memory stays flat).

    Dossiers git finds unchanged come from the cache; the others are read by
    worker processes. `cached=False` reads every dossier and leaves the cache alone.
    """
    from cardctl import dossier_cache

    ids = archive.customer_ids()
    store = dossier_cache.open_store(archive, f".cardctl/cache/report-{needs.name}.json") if cached else None
    held: dict[str, str] = {}
    for customer in ids if store is not None else []:
        if isinstance(text := store.get(customer), str):
            held[customer] = text
    read = functools.partial(_read, needs=needs, store=store)
    fresh = dossiers.each(archive, [c for c in ids if c not in held], read, label="reading dossiers")
    for customer in ids:
        view = decode(customer, held[customer], needs) if customer in held else None
        if view is None:
            # A damaged entry is read afresh here; the others come from the workers, in order.
            _, text, key = read(archive, customer) if customer in held else next(fresh)
            if store is not None:
                store.put(customer, key, text)
            view = decode(customer, text, needs)
            assert view is not None  # what encode wrote, decode reads
        yield view
    if store is not None:
        store.forget_others(ids)
        store.save()
