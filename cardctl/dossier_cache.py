"""A cache of what is worked out per dossier (validate's findings, index's catalogue
page), so that checking or indexing an unchanged archive is quick.

An entry is keyed by what the result depends on, never by modification times:

- the dossier's files as HEAD's tree for its folder records them (paths,
  modes, content ids), trusted only when `git status` finds nothing staged,
  changed, untracked or ignored under the dossier, and only after the checker
  has hashed the files it read and found exactly the contents that tree
  holds (a dossier with its own .gitignore is never kept: its rules could
  hide a file from `git status`);
- everything outside the dossier that its checks read: the settings, the
  archive's own schemas, the seals;
- the code that made it: cardctl's own source and schemas, and the
  versions of the libraries that read and check files.

A cache that cannot be read, or that was made by other code, is ignored and
rebuilt. Git does not track empty folders or special files (FIFOs, sockets):
one created inside an unchanged dossier is found by the next check without
the cache (`validate --no-cache`), or once anything in the dossier changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cardctl import cache, gitrepo
from cardctl.archive import Archive
from cardctl.layout import Dossier
from cardctl.problems import Problem
from cardctl.rules.customers import Identity

FINDINGS = ".cardctl/cache/findings.json"
CATALOGUE = ".cardctl/cache/catalogue.json"
FORMAT = 1


def _archive_digest(archive: Archive) -> str:
    """The files outside the dossiers that a dossier's checks read."""
    h = hashlib.sha256()
    root = archive.root
    paths = [root / "cardctl.yaml"]
    for folder in ("schemas", "seals"):
        if (root / folder).is_dir():
            paths += sorted((root / folder).iterdir())
    for path in paths:
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        try:
            h.update(path.read_bytes() if path.is_file() else b"<not a file>")
        except OSError:
            h.update(b"<unreadable>")
        h.update(b"\0")
    return h.hexdigest()


@dataclass
class Findings:
    """validate's result for one dossier."""

    problems: list[Problem]
    identity: Identity | None

    def encode(self) -> list[Any] | None:
        """JSON for the cache; None when something would not come back unchanged."""
        who = self.identity
        if who is not None and not all(isinstance(k, str) and isinstance(v, str) for k, v in who.values):
            return None
        return [[[p.path, p.line, p.column, p.code, p.message] for p in self.problems],
                None if who is None else [who.customer, [list(v) for v in who.values], who.name_key]]

    @staticmethod
    def decode(raw: Any) -> Findings | None:
        try:
            problems_raw, who = raw
            problems = [Problem(str(a), int(b), int(c), str(d), str(e)) for a, b, c, d, e in problems_raw]
            identity = None if who is None else Identity(str(who[0]), tuple((str(k), str(v)) for k, v in who[1]), str(who[2]))
        except (TypeError, ValueError):
            return None
        return Findings(problems, identity)


@dataclass
class Store:
    """The cache for one run: look entries up before checking, offer new ones after."""

    archive: Archive
    git: gitrepo.Snapshot
    file: str
    stamp: str
    entries: dict[str, list[Any]] = field(default_factory=dict)  # customer -> [key, encoded entry]
    changed: bool = False

    def key(self, customer: str) -> str:
        return hashlib.sha256(f"{self.stamp}\0{customer}\0{self.git.trees[customer]}".encode()).hexdigest()

    def get(self, customer: str) -> Any:
        """The value kept for an unchanged dossier (None if there is none)."""
        if not self.git.clean(customer):
            return None
        held = self.entries.get(customer)
        if not isinstance(held, list) or len(held) != 2 or held[0] != self.key(customer):
            # It will be read afresh, and seen() compares what is read with
            # HEAD's files: list them now, before the worker processes fork,
            # so that they share one listing.
            self.git.listing  # noqa: B018
            return None
        return held[1]

    def put(self, customer: str, key: str | None, value: Any) -> None:
        """Keep `value` (JSON) under the key seen() gave; None for either drops the entry."""
        if key is None or value is None:
            if customer in self.entries:
                del self.entries[customer]
                self.changed = True
            return
        self.entries[customer] = [key, value]
        self.changed = True

    def watch(self, archive: Archive) -> None:
        """Before a worker reads a dossier: note the content id of every file it reads."""
        archive.read_log = {}

    def seen(self, archive: Archive, customer: str, files: Dossier) -> str | None:
        """After it: the entry's key if the files it checked are exactly what the key's tree holds, else None.

        Taken from the very bytes that were parsed, so a file changed
        mid-run is never cached under the other content's id. Files the
        checks read another way (attachments, volumes) are hashed now. Done
        in the worker, so the main process only collects.
        """
        log, archive.read_log = archive.read_log or {}, None
        if not self.git.clean(customer):
            return None
        paths = files.paths()
        rest = file_blobs(archive.root, [p for p in paths if p not in log])
        committed = self.git.blobs(customer)
        if rest is None or {p: log.get(p) or rest[p] for p in paths} != committed or any(p.endswith("/.gitignore") for p in committed):
            return None
        return self.key(customer)

    def forget_others(self, present: list[str]) -> None:
        """Drop the entries of dossiers that are gone (after a whole-archive run)."""
        keep = set(present)
        for customer in [c for c in self.entries if c not in keep]:
            del self.entries[customer]
            self.changed = True

    def save(self) -> None:
        if not self.changed:
            return
        cache.store_entries(self.archive.root, self.file, self.stamp, self.entries)


def open_store(archive: Archive, file: str) -> Store | None:
    """One of the caches of an archive in git (None elsewhere: without git nothing can vouch for a file)."""
    git = gitrepo.snapshot(archive.root)
    if git is None:
        return None
    stamp = hashlib.sha256(f"{FORMAT}\0{cache.code_digest()}\0{_archive_digest(archive)}".encode()).hexdigest()
    return Store(archive, git, file, stamp, cache.load_entries(archive.root / file, stamp))


def file_blobs(root: Path, paths: list[str]) -> dict[str, str] | None:
    """git's content id of each file, as read now (None if one cannot be read)."""
    try:
        return {rel: gitrepo.blob_id(root / rel) for rel in paths}
    except OSError:
        return None
