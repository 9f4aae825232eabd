"""A cache of card identities for partial checks (`validate PATHS`, `--changed-since`).

A partial check still compares the touched cards with every other card
(duplicate USCC, phone, name). Reading 10 000 cards for that costs more than
the check itself, so their identities are kept in `.cardctl/cache/` (ignored
by git), keyed by git's object id of each card's content: a card changed in
the work tree, or not tracked, is always read afresh. The cache names the
code that made it; a cache from another version, or one that cannot be read,
is ignored and rebuilt, never trusted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cardctl import __version__, gitrepo
from cardctl.archive import Archive
from cardctl.digest import sha256_file
from cardctl.rules import customers
from cardctl.yamlio import atomic_write

FILE = ".cardctl/cache/identities.json"


def _stamp() -> str:
    """Which code made the entries: the identity rules can change between releases."""
    return f"1 {__version__} {sha256_file(Path(customers.__file__))[:16]}"


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("stamp") != _stamp() or not isinstance(data.get("entries"), dict):
        return {}
    return data["entries"]


def identities(archive: Archive, skip: set[str], fresh: set[str] | None = None) -> list[customers.Identity]:
    """Identities of every readable card except those of `skip`.

    `fresh`: cards the caller knows to be new or changed (with their untracked
    ones); git is then asked only for tracked cards changed in the work tree.
    """
    root = archive.root
    blobs = gitrepo.card_blobs(root) if gitrepo.repo_root(root) is not None else {}
    if not blobs:
        fresh = set()
    elif fresh is None:
        fresh = gitrepo.changed_cards(root)
    else:
        fresh = fresh | gitrepo.changed_cards(root, untracked=False)
    path = root / FILE
    cached = _load(path) if blobs else {}
    entries: dict[str, Any] = {}
    found = []
    for customer in archive.customer_ids():
        if customer in skip:
            continue
        card_path = f"customers/{customer}/card.yaml"
        blob = blobs.get(card_path)
        key = f"{blob}:{customer}" if blob and card_path not in fresh else None
        if key and key in cached:
            values, name_key = cached[key]
            found.append(customers.Identity(customer, tuple(tuple(v) for v in values), name_key))
            entries[key] = cached[key]
            continue
        if not (root / card_path).is_file():
            continue
        card = archive.card(customer)
        if not card.doc.ok:
            continue
        who = customers.identity(card)
        found.append(who)
        if key:
            entries[key] = [list(map(list, who.values)), who.name_key]
    if blobs and entries != cached:
        save(root, FILE, json.dumps({"stamp": _stamp(), "entries": entries}, ensure_ascii=False).encode("utf-8"))
    return found


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
