"""A cache of card identities for partial checks (`validate PATHS`, `--changed-since`).

A partial check still compares the touched cards with every other card
(duplicate USCC, phone, name). Reading 10 000 cards for that costs more than
the check itself, so their identities are kept in `.cardctl/cache/` (ignored
by git), keyed by what git knows of each card's content: its object id in
the index (`identities`), or, when every other dossier is known unchanged
since HEAD, the object id of its dossier's folder in HEAD (`HeadIdentities`).
A card changed in the work tree, or not tracked, is always read afresh. The
cache names the code that made it; a cache from other code, or one that
cannot be read, is ignored and rebuilt, never trusted.

`parsed` keeps the data of large generated files (the seals) by their bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from cardctl import __version__, gitrepo
from cardctl.archive import READ_FLAGS, Archive
from cardctl.rules import customers
from cardctl.yamlio import Document, atomic_write, read_document

FILE = ".cardctl/cache/identities.json"
HEAD_FILE = ".cardctl/cache/identities-at-head.json"


@lru_cache(maxsize=1)
def code_digest() -> str:
    """cardctl's source and schemas, and the libraries that read and check files: what made a cache."""
    from importlib.metadata import version

    import yaml

    from cardctl.schemas import schema_dir

    h = hashlib.sha256()
    libraries = " ".join(version(name) for name in ("PyYAML", "fastjsonschema", "jsonschema"))
    h.update(f"{__version__} {sys.version} {libraries} {yaml.__with_libyaml__}\0".encode())
    package = Path(__file__).resolve().parent
    for folder, pattern in ((package, "**/*.py"), (schema_dir(), "**/*.json")):
        for path in sorted(folder.glob(pattern)):
            h.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _stamp() -> str:
    return f"3 {code_digest()}"


def load_entries(path: Path, stamp: str) -> dict[str, Any]:
    """The entries of a cache file written by store_entries with this stamp; {} for any other file."""
    data = load(path)
    if not isinstance(data, dict) or data.get("stamp") != stamp or not isinstance(data.get("entries"), dict):
        return {}
    return data["entries"]


def _encode(who: customers.Identity) -> list[str]:
    """An identity as a flat list of strings: [name_key, field, value, field, value ...]."""
    return [who.name_key, *(x for pair in who.values for x in pair)]


def _sound(flat: Any) -> bool:
    """Whether a cache entry has the shape `_encode` gives (a foreign or damaged cache may not)."""
    return type(flat) is list and len(flat) % 2 == 1 and set(map(type, flat)) <= {str}


def _decode(customer: str, flat: list[str]) -> customers.Identity:
    return customers.Identity(customer, tuple(zip(flat[1::2], flat[2::2])), flat[0])


def _read(archive: Archive, customer: str) -> tuple[customers.Identity, str | None] | None:
    """The identity on a readable card, with git's id of the very bytes parsed; None if there is none."""
    if not (archive.root / "customers" / customer / "card.yaml").is_file():
        return None
    log = archive.read_log
    archive.read_log = read = {}
    try:
        card = archive.card(customer)
    finally:
        archive.read_log = log
    return (customers.identity(card), read.get(f"customers/{customer}/card.yaml")) if card.doc.ok else None


def _read_all(archive: Archive, ids: list[str]) -> Iterator[tuple[customers.Identity, str | None] | None]:
    """_read for each of `ids`, in order: in the worker pool when there are many
    (a first run after a clone reads 10 000 cards, 3 s in one process)."""
    from cardctl import dossiers

    return dossiers.each(archive, ids, _read, label="reading cards")


def store_entries(root: Path, rel: str, stamp: str, entries: dict[str, Any]) -> None:
    """Keep `entries` under `stamp` (what they depend on) in the cache file `rel`."""
    save(root, rel, dump({"stamp": stamp, "entries": entries}))


def identities(archive: Archive, skip: set[str]) -> list[customers.Identity]:
    """Identities of every readable card except those of `skip` (git is asked which cards changed)."""
    root = archive.root
    blobs = gitrepo.card_blobs(root)
    fresh = gitrepo.changed_cards(root) if blobs else set()
    stamp = _stamp()
    cached = load_entries(root / FILE, stamp) if blobs else {}
    entries: dict[str, Any] = {}
    found = []
    keys: dict[str, str | None] = {}
    for customer in archive.customer_ids():
        if customer not in skip:
            card_path = f"customers/{customer}/card.yaml"
            blob = blobs.get(card_path)
            keys[customer] = f"{blob}:{customer}" if blob and card_path not in fresh else None
    hits = {c: key for c, key in keys.items() if key and _sound(cached.get(key))}
    unread = [c for c in keys if c not in hits]
    reads = dict(zip(unread, _read_all(archive, unread)))
    for customer, key in keys.items():
        if (hit := hits.get(customer)) is not None:
            found.append(_decode(customer, cached[hit]))
            entries[hit] = cached[hit]
            continue
        if (read := reads[customer]) is None:
            continue
        who = read[0]
        found.append(who)
        if key:
            entries[key] = _encode(who)
    if blobs and entries != cached:
        store_entries(root, FILE, stamp, entries)
    return found


class HeadIdentities:
    """Identities of the cards as HEAD has them, for a caller that will know which
    dossiers are unchanged since HEAD, staged or not (--changed-since: all those
    neither `git status` nor the commits since REV touched).

    A dossier whose folder in HEAD is the same git tree as when its card was
    read holds the same card: one `git ls-tree` of customers/ stands for
    10 000 card reads. Made while git still looks at the work tree; `others`
    then reads only the cards the cache does not hold (git is asked which of
    those are tracked) and makes only the identities the duplicate rules can
    pair with the checked ones.
    """

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.place = gitrepo.where(archive.root)
        self.trees = gitrepo.dossier_trees(*self.place) if self.place is not None else {}
        self.stamp = _stamp()
        self.cached = load_entries(archive.root / HEAD_FILE, self.stamp) if self.trees else {}

    def others(self, ids: list[str], skip: set[str], like: list[customers.Identity]) -> list[customers.Identity]:
        """The identities, among the readable cards of `ids` (the archive's customers, as the
        caller listed them) outside `skip` (all unchanged since HEAD), that share an id,
        USCC, phone or name with one of `like`."""
        archive, trees, cached = self.archive, self.trees, self.cached
        values = {pair for who in like for pair in who.values}
        names = {who.name_key for who in like if who.name_key}
        found: list[customers.Identity] = []
        entries: dict[str, Any] = {}
        unread = []
        for customer in ids:
            if customer in skip:
                continue
            hit = cached.get(customer)  # [tree, *_encode(identity)]
            if type(hit) is not list or not hit or hit[0] != trees.get(customer) or not _sound(flat := hit[1:]):
                unread.append(customer)  # not cached, changed since, or a damaged entry
                continue
            entries[customer] = hit
            if flat[0] in names or any(pair in values for pair in zip(flat[1::2], flat[2::2])):
                found.append(_decode(customer, flat))
        misses = [trees[c] for c in unread if c in trees]
        tracked = gitrepo.cards_in(self.place[0], misses) if self.place is not None and misses else {}
        for customer, read in zip(unread, _read_all(archive, unread)):
            if read is None:
                continue
            who, parsed = read
            if who.name_key in names or any(pair in values for pair in who.values):
                found.append(who)
            # Kept only if the bytes parsed are HEAD's card: not an untracked (ignored)
            # card, which no tree vouches for, nor one edited since git looked.
            if (blob := tracked.get(trees.get(customer, ""))) is not None and parsed == blob:
                entries[customer] = [trees[customer], *_encode(who)]
        if trees and entries != cached:
            store_entries(archive.root, HEAD_FILE, self.stamp, entries)
        return sorted(found)


def load(path: Path) -> Any:
    """A cache file's JSON, or None if it cannot be what dump() wrote.

    The file's first line is the sha256 of the rest: a byte changed on disk
    that leaves valid JSON (a digit, say) would otherwise be trusted. Whatever
    is at the path is read only if it is a regular file, opened without
    waiting: a FIFO or a device put there must not hang the run. JSON nested
    deeper than Python's stack is as unreadable as a broken file.
    """
    try:
        with os.fdopen(os.open(path, READ_FLAGS), "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return None
            raw = f.read()
    except OSError:
        return None
    return loads(raw)


def loads(raw: bytes) -> Any:
    """The JSON of a cache file's bytes, or None if they are not what dump() wrote (see load)."""
    digest, newline, body = raw.partition(b"\n")
    if not newline or hashlib.sha256(body).hexdigest().encode() != digest:
        return None
    try:
        return json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        return None


def dump(value: Any) -> bytes:
    """`value` as a cache file's bytes: the sha256 of its JSON on a line, then the JSON (see load).

    Kept readable (CJK as is) unless a string cannot be UTF-8: a file name
    that is not (held as surrogates) is then escaped, and comes back the same.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        body = text.encode("utf-8")
    except UnicodeEncodeError:
        body = json.dumps(value, separators=(",", ":")).encode("ascii")
    return hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def save(root: Path, rel: str, data: bytes) -> None:
    """Write a cache file under .cardctl/, which ignores itself in git (as .pytest_cache does),
    so that no archive ever shows it as a change, whatever its .gitignore says."""
    try:
        ignore = root / ".cardctl" / ".gitignore"
        if not ignore.is_file():
            atomic_write(ignore, b"# cardctl's cache: never committed\n*\n", durable=False)
        atomic_write(root / rel, data, durable=False)
    except OSError:
        pass  # a read-only archive still validates, just without the cache


def parsed(archive: Archive, rel: str) -> Document:
    """archive.read(rel), the data kept under .cardctl/cache/ keyed by the bytes parsed and the code that parsed them.

    For the seals: one of 22 000 volumes has 650 000 values and takes 4-5 s
    to parse, and every validate of a closed archive reads it. Only a file
    that parsed without a finding into plain JSON data is kept; an entry
    whose key differs, or that cannot be read, is ignored.
    """
    raw = archive.read_bytes(rel)
    if isinstance(raw, Document):
        return raw
    key = hashlib.sha256(f"{code_digest()}\0{rel}\0".encode() + raw).hexdigest()
    file = archive.root / ".cardctl" / "cache" / "parsed" / (hashlib.sha256(rel.encode()).hexdigest()[:16] + ".json")
    held = load(file)
    if isinstance(held, dict) and held.get("key") == key and isinstance(held.get("data"), dict):
        return Document(rel, raw.decode("utf-8"), held["data"], [])
    doc = read_document(raw, rel)
    if doc.ok and not doc.problems and not doc.leading_zeros:
        try:
            data = dump({"key": key, "data": doc.data})
        except (TypeError, ValueError, RecursionError):  # a Decimal, an int too long to print: JSON would not give it back
            return doc
        if loads(data)["data"] == doc.data:
            save(archive.root, file.relative_to(archive.root).as_posix(), data)
    return doc
