"""Progress on long runs: a line on the terminal after a second and a half.

Nothing at all when stderr is not a terminal or CI is set, so logs and
captured output stay clean.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
DELAY = 1.5  # seconds before anything is shown
EVERY = 0.2  # seconds between updates


def shown() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


def track(items: Iterable[T], total: int, label: str) -> Iterator[T]:
    """Yield `items`, showing `label done/total` on the terminal while it takes long."""
    if not shown():
        yield from items
        return
    start = last = time.monotonic()
    done = 0
    drawn = False
    for item in items:
        yield item
        done += 1
        now = time.monotonic()
        if now - start >= DELAY and now - last >= EVERY:
            sys.stderr.write(f"\r{label} {done}/{total} ({100 * done // max(total, 1)}%)")
            sys.stderr.flush()
            last, drawn = now, True
    if drawn:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()
