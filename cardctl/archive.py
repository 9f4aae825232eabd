"""One archive on disk: its root, settings, schemas, and reading its files."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cached_property
from typing import Any
from pathlib import Path

from cardctl import layout
from cardctl.errors import CannotRun
from cardctl.gitrepo import git_blob_id
from cardctl.locate import SETTINGS_FILE, find_root
from cardctl.model import Card, Record
from cardctl.problems import has_errors
from cardctl.schemas import SchemaSet
from cardctl.settings import Settings, from_data
from cardctl.yamlio import Document, max_bytes, read_document, too_large

# Opening never waits on a FIFO or device put where a file should be.
READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


class Archive:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._root = str(root)
        # Whole-archive facts computed once per run and shared with forked workers (the seals).
        self.memo: dict[str, Any] = {}
        # When a cache needs to know exactly what was checked: path -> git content id of the bytes read.
        self.read_log: dict[str, str] | None = None

    @classmethod
    def find(cls, start: str | None = None) -> Archive:
        return cls(find_root(start))

    def read(self, rel: str) -> Document:
        """Read one archive file for checking; unreadable files become findings."""
        raw = self.read_bytes(rel)
        return raw if isinstance(raw, Document) else read_document(raw, rel)

    def read_bytes(self, rel: str) -> bytes | Document:
        """One archive file's bytes, or the Document of its finding when it cannot be read or is too large."""
        try:
            # os.read, not open(): half the time per file (no buffered file
            # object), which counts over 300 000 records. Non-blocking, so a
            # pipe put in a file's place reads as empty (a finding), not a hang.
            fd = os.open(os.path.join(self._root, rel), READ_FLAGS)
            try:
                # Never more than the limit in memory; and ask for no more than the
                # file holds (a 5 MB read buffer per file costs an mmap each time).
                size, limit = os.fstat(fd).st_size, max_bytes(rel)
                want = min(size, limit) + 1
                raw = os.read(fd, want)
                # Short reads (network and FUSE file systems): on to the file's
                # size, or past the limit, which is what makes a file too large.
                while len(raw) < min(want, size) and (more := os.read(fd, want - len(raw))):
                    raw += more
            finally:
                os.close(fd)
            if len(raw) > limit:
                return too_large(rel, max(size, len(raw)))
        except OSError as exc:
            return read_document_error(rel, exc)
        if self.read_log is not None:
            self.read_log[rel] = git_blob_id(raw)
        return raw

    @cached_property
    def settings_doc(self) -> Document:
        return self.read(SETTINGS_FILE)

    @cached_property
    def settings(self) -> Settings:
        return from_data(self.settings_doc.data)

    @cached_property
    def schemas(self) -> SchemaSet:
        return SchemaSet(self.root)

    def require_sound_settings(self) -> None:
        """Commands other than validate need settings they can trust."""
        from cardctl.rules.schema import settings_problems

        if has_errors(self.settings_doc.problems + settings_problems(self)):
            raise CannotRun(f"{SETTINGS_FILE} has errors; run `cardctl validate` to see them")

    # --- customers --------------------------------------------------------

    def customer_ids(self) -> list[str]:
        folder = self.root / "customers"
        if not folder.is_dir():
            return []
        with os.scandir(folder) as entries:  # DirEntry knows file types without a stat per entry
            return sorted(e.name for e in entries if layout.CUSTOMER_ID.match(e.name) and e.is_dir(follow_symlinks=False))

    def card(self, customer: str) -> Card:
        return Card(customer, self.read(f"customers/{customer}/card.yaml"))

    def cards(self) -> list[Card]:
        paths = ((c, self.root / "customers" / c / "card.yaml") for c in self.customer_ids())
        return [self.card(c) for c, p in paths if p.is_file() and not p.is_symlink()]

    def records(self, dossier: layout.Dossier, keep: Callable[[bytes], bool] | None = None) -> list[Record]:
        """The dossier's records; with `keep`, only those whose bytes it accepts (and those that cannot be read)."""
        found = []
        for file in dossier.records:
            raw = self.read_bytes(file.path)
            if isinstance(raw, bytes):
                if keep is not None and not keep(raw):
                    continue
                raw = read_document(raw, file.path)
            found.append(Record(file, raw))
        return found


def read_document_error(rel: str, exc: OSError) -> Document:
    from cardctl.problems import Problem

    return Document(rel, None, None, [Problem(rel, 1, 1, "F113", f"cannot read the file: {exc.strerror or exc}")])
