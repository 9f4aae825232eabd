"""Fault injection for tests that run cardctl in a process of its own.

With this folder on PYTHONPATH and CARDCTL_TEST_FAULT=ERRNO:/abs/folder set
(or `install()` called), the process's attempts to change anything under
that folder fail with the given errno, the way the kernel reports it:

* ENOSPC (a full disk): files can still be created, but a write fails after
  half of its bytes went out, which is where a full disk is noticed; making
  a folder fails too. Renames, links and removals, which need no new space,
  still work.
* any other errno (EACCES, EPERM, EROFS: a folder that cannot be written):
  creating, opening for writing, mkdir, link, rename and unlink fail.

CARDCTL_TEST_FAULT_AFTER=N lets the first N such operations succeed, so that
a command fails half way through. Reading is never affected, nor are other
processes (git). Tests use it where the real condition cannot be arranged: a
full disk, and a read-only folder when the tests run as root (chmod does not
stop root).
"""

from __future__ import annotations

import builtins
import errno
import io
import os
from typing import Any


def install(spec: str, after: int = 0) -> None:
    """Make changes under a folder fail; `spec` is ERRNO:/abs/folder."""
    name, _, folder = spec.partition(":")
    code = getattr(errno, name)
    top = os.path.realpath(folder)
    writing = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    budget = [after]
    real_open, real_mkdir, real_fdopen, real_io_open, real_write = os.open, os.mkdir, os.fdopen, io.open, os.write

    def under(path: Any) -> bool:
        if isinstance(path, int):
            return False
        full = os.path.realpath(os.path.abspath(os.fsdecode(path)))
        return full == top or full.startswith(top + os.sep)

    def strikes(*paths: Any) -> bool:
        """Does this operation fail? The first `after` that would, do not."""
        if not any(under(p) for p in paths):
            return False
        budget[0] -= 1
        return budget[0] < 0

    def fail(path: Any) -> OSError:
        return OSError(code, os.strerror(code), None if isinstance(path, int) else os.fsdecode(path))

    class FullDisk(io.RawIOBase):
        """A file on a full disk: half of the first write lands, then ENOSPC."""

        def __init__(self, raw: Any) -> None:
            self._raw = raw

        def writable(self) -> bool:
            return True

        def write(self, data: Any) -> int:
            self._raw.write(bytes(data)[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def fileno(self) -> int:
            return int(self._raw.fileno())

        def close(self) -> None:
            self._raw.close()
            super().close()

    def fd_path(fd: int) -> str:
        try:
            return os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            return ""

    def guard_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if code != errno.ENOSPC and flags & writing and strikes(path):
            raise fail(path)
        return real_open(path, flags, *args, **kwargs)

    def guard_fdopen(fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if code == errno.ENOSPC and any(c in mode for c in "wax+") and strikes(fd_path(fd)):
            return io.BufferedWriter(FullDisk(real_io_open(fd, "wb", buffering=0)))
        return real_fdopen(fd, mode, *args, **kwargs)

    def guard_write(fd: int, data: Any) -> int:
        if code == errno.ENOSPC and strikes(fd_path(fd)):
            real_write(fd, bytes(data)[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    def guard_io_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if not isinstance(file, int) and any(c in mode for c in "wax+") and strikes(file):
            if code != errno.ENOSPC:
                raise fail(file)
            return io.BufferedWriter(FullDisk(real_io_open(file, "wb", buffering=0)))
        return real_io_open(file, mode, *args, **kwargs)

    def guard_mkdir(path: Any, *args: Any, **kwargs: Any) -> None:
        if not os.path.lexists(path) and strikes(path):  # an existing folder: EEXIST, as the kernel says first
            raise fail(path)
        real_mkdir(path, *args, **kwargs)

    def guard(real: Any, count: int) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if strikes(*args[:count]):
                raise fail(args[count - 1])
            return real(*args, **kwargs)

        return wrapper

    os.open = guard_open
    os.fdopen = guard_fdopen
    os.write = guard_write
    os.mkdir = guard_mkdir
    if code != errno.ENOSPC:  # a read-only folder refuses these too
        os.link = guard(os.link, 2)
        os.rename = guard(os.rename, 2)
        os.replace = guard(os.replace, 2)
        os.unlink = guard(os.unlink, 1)
        os.rmdir = guard(os.rmdir, 1)
    io.open = guard_io_open
    builtins.open = guard_io_open


if os.environ.get("CARDCTL_TEST_FAULT"):
    install(os.environ["CARDCTL_TEST_FAULT"], int(os.environ.get("CARDCTL_TEST_FAULT_AFTER", "0")))
