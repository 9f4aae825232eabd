"""Corpus cases made at test time: too big to commit (a 50 MB file), or with
names some file systems cannot hold side by side (`kh0001` beside `KH0001`,
NFC beside NFD), links to outside the archive, special files.

tests/corpus/cases/<name>/ holds `expected` (and optionally overlay/ and
remove) as for every case; GENERATORS[<name>](root) then adds its files to
the built archive. `root.parent` is a private temporary folder: what a case
needs "outside the archive" goes there.
"""

from __future__ import annotations

import os
import shutil
import unicodedata
from collections.abc import Callable
from pathlib import Path

VISIT = "customers/KH0001/basic/2025/2025-03-02-visit-7kq2.yaml"
CREDIT = "customers/KH0001/credit/2025"
APPROVAL = f"{CREDIT}/2025-01-10-credit-approval-q7de.yaml"


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_bytes(text.replace(old, new).encode("utf-8"))


def file_of_50_mb(root: Path) -> None:
    """A record of 50 MB (one long note): refused by its size, never parsed."""
    with open(root / VISIT, "ab") as handle:
        handle.write(b"notes: ")
        chunk = "很长的备注".encode("utf-8") * 10_000
        for _ in range(50 * 1024 * 1024 // len(chunk) + 1):
            handle.write(chunk)
        handle.write(b"\n")


def nested_10000_levels(root: Path) -> None:
    """A value nested 10 000 levels deep: refused at 64 levels, without recursion."""
    with open(root / VISIT, "ab") as handle:
        handle.write(b"x-deep: " + b"[" * 10_000 + b"1" + b"]" * 10_000 + b"\n")


def nested_10000_levels_in_block_style(root: Path) -> None:
    """Block lists 10 000 levels deep on one line (`- - - … 1`)."""
    with open(root / VISIT, "ab") as handle:
        handle.write(b"x-deep:\n  " + b"- " * 10_000 + b"1\n")


def line_of_a_million_characters(root: Path) -> None:
    """A summary on one line of a million characters, with a syntax error at its end."""
    _replace(root / VISIT, "summary: 客户计划二季度增加阀门采购。", "summary: " + "客户计划二季度增加阀门采购。" * 71_429 + " notes: 括号未闭合 [")


def dossier_folder_in_lower_case(root: Path) -> None:
    """customers/kh0002 beside customers/KH0002 (one folder on macOS and Windows)."""
    shutil.copytree(root / "customers" / "KH0002", root / "customers" / "kh0002")


def record_files_differing_by_case(root: Path) -> None:
    """Two record files whose names differ only in letter case."""
    folder = root / VISIT.rsplit("/", 1)[0]
    text = (root / VISIT).read_text(encoding="utf-8")
    (folder / "2025-03-02-visit-7KQ2.yaml").write_bytes(text.replace("7kq2", "7KQ2").encode("utf-8"))


def attachment_name_nfd_on_disk(root: Path) -> None:
    """The record lists 扫描件-café.pdf in NFC; the file on disk is named in NFD (as old macOS wrote it)."""
    name = "扫描件-café.pdf"
    (root / CREDIT / "files" / "scan.pdf").rename(root / CREDIT / "files" / unicodedata.normalize("NFD", name))
    _replace(root / APPROVAL, "files/scan.pdf", "files/" + unicodedata.normalize("NFC", name))


def symlink_dossier_out_of_archive(root: Path) -> None:
    """customers/KH0003 is a link to a complete dossier outside the archive."""
    outside = root.parent / "outside" / "KH0003"
    shutil.copytree(root / "customers" / "KH0002", outside)
    _replace(outside / "card.yaml", "id: KH0002", "id: KH0003")
    os.symlink(outside, root / "customers" / "KH0003")


def symlink_files_folder_out_of_archive(root: Path) -> None:
    """files/ of a year folder is a link to a folder outside the archive holding the scan."""
    outside = root.parent / "outside-files"
    shutil.move(root / CREDIT / "files", outside)
    os.symlink(outside, root / CREDIT / "files")


def symlink_year_folder(root: Path) -> None:
    """basic/2024 is a link to basic/2025 (the same records twice)."""
    os.symlink("2025", root / "customers" / "KH0001" / "basic" / "2024")


def fifo_as_record(root: Path) -> None:
    """A named pipe where a record should be: reading it would block forever."""
    os.mkfifo(root / "customers" / "KH0001" / "basic" / "2025" / "2025-03-09-visit-p4r5.yaml")


GENERATORS: dict[str, Callable[[Path], None]] = {
    "file-of-50-mb": file_of_50_mb,
    "nested-10000-levels": nested_10000_levels,
    "nested-10000-levels-block-style": nested_10000_levels_in_block_style,
    "line-of-a-million-characters": line_of_a_million_characters,
    "dossier-folder-in-lower-case": dossier_folder_in_lower_case,
    "record-files-differing-by-case": record_files_differing_by_case,
    "attachment-name-nfd-on-disk": attachment_name_nfd_on_disk,
    "symlink-dossier-out-of-archive": symlink_dossier_out_of_archive,
    "symlink-files-folder-out-of-archive": symlink_files_folder_out_of_archive,
    "symlink-year-folder": symlink_year_folder,
    "fifo-as-record": fifo_as_record,
}
