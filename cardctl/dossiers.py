"""Dossiers for whole-archive work: load them, or run a function over each in worker processes."""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from cardctl import layout
from cardctl.archive import Archive
from cardctl.rules import DossierView

T = TypeVar("T")
# Below this many dossiers, starting worker processes costs more than it saves.
POOL_MIN_DOSSIERS = 400

_JOB: tuple[Archive, Callable[..., Any]] | None = None  # inherited by the forked workers


def view(archive: Archive, customer: str, keep: Callable[[bytes], bool] | None = None) -> tuple[DossierView, list[Any]]:
    """One dossier read from disk (with `keep`, only the records whose bytes it accepts), and what in it has no place in the layout."""
    files, problems = layout.scan_one(archive.root, customer)
    card = archive.card(customer) if files.card else None
    return DossierView(files, card, archive.records(files, keep)), problems


def _run(customer: str) -> Any:
    assert _JOB is not None
    archive, func = _JOB
    return func(archive, customer)


def each(archive: Archive, ids: list[str], func: Callable[[Archive, str], T], prepare: Callable[[], None] | None = None,
         label: str = "dossiers") -> Iterator[T]:
    """func(archive, customer) for every id, with progress on a terminal for long runs."""
    from cardctl.progress import track

    yield from track(_each(archive, ids, func, prepare), len(ids), label)


def _each(archive: Archive, ids: list[str], func: Callable[[Archive, str], T], prepare: Callable[[], None] | None) -> Iterator[T]:
    """func(archive, customer) for every id, in order; in a pool of worker processes for many dossiers.

    Only the results travel back, so memory stays flat however large the
    archive. `prepare` runs once before the workers start (they inherit what
    it builds, e.g. compiled schema gates).
    """
    from cardctl import schemas

    global _JOB
    _JOB = (archive, func)
    workers = min(os.cpu_count() or 1, 8)
    if not schemas.FAST or len(ids) < POOL_MIN_DOSSIERS or workers < 2 or "fork" not in mp.get_all_start_methods():
        yield from (func(archive, c) for c in ids)
        return
    if prepare is not None:
        prepare()
    with mp.get_context("fork").Pool(workers) as pool:
        yield from pool.imap(_run, ids, chunksize=32)


def load(archive: Archive) -> list[DossierView]:
    """Every dossier with its card and records, in memory."""
    return [view(archive, customer)[0] for customer in archive.customer_ids()]
