"""The archive layout on disk (SPEC §1): which file is what, and what does not belong.

`scan` walks the archive once, in sorted order, never following a symbolic
link, and sorts every file into its role. Files that have no place in the
layout are findings here (L301, L302, L307, L308), so that a misspelt folder
can never hide records from the checks.
"""

from __future__ import annotations

import difflib
import operator
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from cardctl.categories import CATEGORIES
from cardctl.problems import Problem
from cardctl.yamlio import TEMP_PREFIX

CUSTOMER_ID = re.compile(r"^[A-Z]{1,6}[0-9]{3,9}$")
YEAR = re.compile(r"^[0-9]{4}$")
VOLUME = re.compile(r"^VOLUME-(Y|D30|D10)(-top-secret)?\.(yaml|md|html)$")
ROOT_FOLDERS = ("customers", "schemas", "catalogue", "seals")
NOT_REGULAR = "is not a regular file or folder"
ROOT_DOCS = re.compile(r"^(README|LICENSE|CHANGELOG)([.-].*)?$|\.md$", re.IGNORECASE)


@dataclass(frozen=True)
class RecordFile:
    """Where a record file sits: customers/<customer>/<category>/<year>/<stem>.yaml."""

    path: str
    customer: str
    category: str
    year: str
    stem: str

    @property
    def folder(self) -> str:
        return f"customers/{self.customer}/{self.category}/{self.year}"


@dataclass
class Dossier:
    customer: str
    card: str | None = None
    records: list[RecordFile] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)  # paths of files under files/
    volumes: list[str] = field(default_factory=list)

    def paths(self) -> list[str]:
        """Every file of the dossier."""
        return ([self.card] if self.card else []) + [r.path for r in self.records] + self.attachments + self.volumes


@dataclass
class Tree:
    dossiers: dict[str, Dossier] = field(default_factory=dict)
    seals: list[str] = field(default_factory=list)
    catalogue: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


_NAME = operator.attrgetter("name")


def _entries(folder: str | Path) -> list[os.DirEntry[str]]:
    # Folders travel as the entries' own path strings: a Path for each of the
    # 270 000 folders of a large archive cost a tenth of a whole report.
    try:
        with os.scandir(folder) as it:
            return sorted(it, key=_NAME)
    except (NotADirectoryError, FileNotFoundError):
        return []


class _Scanner:
    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.abspath(root))  # entry paths below it are sliced, not parsed
        self._skip = len(str(self.root)) + 1
        self.tree = Tree()

    def rel(self, entry: os.DirEntry[str]) -> str:
        return entry.path[self._skip :].replace(os.sep, "/")

    def stray(self, entry: os.DirEntry[str], why: str) -> None:
        self.tree.problems.append(Problem(self.rel(entry) + ("/" if entry.is_dir(follow_symlinks=False) else ""), 1, 1, "L301", why))

    def usable(self, entry: os.DirEntry[str]) -> bool:
        """False for links and special files (reported) and cardctl's own leftover temporary files."""
        if entry.name.startswith(TEMP_PREFIX):
            return False
        if entry.is_symlink():
            self.tree.problems.append(Problem(self.rel(entry), 1, 1, "L302", "symbolic link; archive files must be real files inside the archive (replace the link by the file)"))
            return False
        if not (entry.is_file() or entry.is_dir()):
            # A FIFO or device would block or mislead any reader; never open it.
            self.stray(entry, f"{entry.name!r} {NOT_REGULAR}")
            return False
        return True

    def scan_root(self, only: set[str] | None) -> None:
        for entry in _entries(self.root):
            if entry.name.startswith(".") or not self.usable(entry):
                continue  # .git, .gitattributes, editor settings ...
            is_dir = entry.is_dir()
            if entry.name == "cardctl.yaml" and not is_dir:
                continue
            if entry.name in ROOT_FOLDERS and is_dir:
                getattr(self, f"scan_{entry.name}")(entry.path, only)
            elif not is_dir and ROOT_DOCS.search(entry.name):
                continue
            else:
                close = difflib.get_close_matches(entry.name, ROOT_FOLDERS, n=1, cutoff=0.7)
                hint = f" (did you mean {close[0]}/?)" if close else ""
                folders = ", ".join(f"{f}/" for f in ROOT_FOLDERS)
                self.stray(entry, f"{entry.name} is not part of an archive: its top level holds cardctl.yaml, {folders} and notes such as README.md{hint}")

    def scan_customers(self, folder: str | Path, only: set[str] | None) -> None:
        for entry in _entries(folder):
            if entry.name == ".gitkeep" or not self.usable(entry):
                continue
            if not entry.is_dir() or not CUSTOMER_ID.match(entry.name):
                self.tree.problems.append(Problem(self.rel(entry) + ("/" if entry.is_dir() else ""), 1, 1, "L307", f"customers/ holds only dossier folders named by customer id (like KH0042); {entry.name!r} is not one"))
                continue
            if only is None or entry.name in only:
                self.scan_dossier(entry.path, entry.name)

    def scan_dossier(self, folder: str | Path, customer: str) -> None:
        dossier = self.tree.dossiers.setdefault(customer, Dossier(customer))
        entries = _entries(folder)
        for entry in entries:
            if not self.usable(entry):
                continue
            if entry.name == "card.yaml" and entry.is_file():
                dossier.card = self.rel(entry)
            elif entry.name in CATEGORIES and entry.is_dir():
                self.scan_category(entry.path, dossier, entry.name)
            else:
                self.stray(entry, f"a dossier holds card.yaml and the category folders {', '.join(CATEGORIES)}; {entry.name!r} is neither")
        if not any(e.name == "card.yaml" for e in entries):  # a linked card is reported as a link
            self.tree.problems.append(Problem(f"customers/{customer}", 1, 1, "L308", f"dossier {customer} has no card.yaml"))

    def scan_category(self, folder: str | Path, dossier: Dossier, category: str) -> None:
        for entry in _entries(folder):
            if not self.usable(entry):
                continue
            if entry.is_dir() and YEAR.match(entry.name):
                self.scan_year(entry.path, dossier, category, entry.name)
            else:
                self.stray(entry, f"a category folder holds one folder per filing year (like 2025); {entry.name!r} is not one")

    def scan_year(self, folder: str | Path, dossier: Dossier, category: str, year: str) -> None:
        for entry in _entries(folder):
            if not self.usable(entry):
                continue
            is_dir = entry.is_dir()
            if entry.name == "files" and is_dir:
                self.scan_files(entry.path, dossier)
            elif not is_dir and VOLUME.match(entry.name):
                dossier.volumes.append(self.rel(entry))
            elif not is_dir and entry.name.endswith(".yaml") and not entry.name.startswith("."):
                dossier.records.append(RecordFile(self.rel(entry), dossier.customer, category, year, entry.name[: -len(".yaml")]))
            else:
                hint = " (record files end in .yaml)" if entry.name.endswith(".yml") else ""
                self.stray(entry, f"a year folder holds record files <id>.yaml and their files/ folder; {entry.name!r} is neither{hint}")

    def scan_files(self, folder: str | Path, dossier: Dossier) -> None:
        for entry in _entries(folder):
            if not self.usable(entry):
                continue
            if entry.is_dir():
                self.scan_files(entry.path, dossier)
            else:
                dossier.attachments.append(self.rel(entry))

    def scan_schemas(self, folder: str | Path, only: set[str] | None) -> None:
        for entry in _entries(folder):
            if not self.usable(entry):
                continue
            if not (entry.is_file() and (entry.name.endswith(".schema.json") or ROOT_DOCS.search(entry.name))):
                self.stray(entry, f"schemas/ holds the archive's own record kinds as <kind>.schema.json; {entry.name!r} is not one")

    def scan_catalogue(self, folder: str | Path, only: set[str] | None) -> None:
        for entry in _entries(folder):
            if not self.usable(entry):
                continue
            if entry.is_file() and (entry.name == "register.csv" or entry.name.endswith(".md")):
                self.tree.catalogue.append(self.rel(entry))
            else:
                self.stray(entry, f"catalogue/ holds what `cardctl index` writes (register.csv, <customer>.md); {entry.name!r} is neither")

    def scan_seals(self, folder: str | Path, only: set[str] | None) -> None:
        for entry in _entries(folder):
            if not self.usable(entry):
                continue
            if entry.is_file() and re.match(r"^[0-9]{4}\.yaml$", entry.name):
                self.tree.seals.append(self.rel(entry))
            else:
                self.stray(entry, f"seals/ holds what `cardctl close` writes (<year>.yaml); {entry.name!r} is not one")


def scan(root: Path, only: set[str] | None = None) -> Tree:
    """Walk the archive (only the dossiers in `only`, when given)."""
    scanner = _Scanner(root)
    scanner.scan_root(only)
    return scanner.tree


def scan_dossier(root: Path, customer: str) -> Dossier:
    """One dossier's files, without walking the rest of the archive."""
    return scan_one(root, customer)[0]


def scan_one(root: Path, customer: str) -> tuple[Dossier, list[Problem]]:
    """One dossier's files and what in it has no place in the layout."""
    scanner = _Scanner(root)
    folder = scanner.root / "customers" / customer
    if folder.is_dir() and not folder.is_symlink():
        scanner.scan_dossier(folder, customer)
    return scanner.tree.dossiers.get(customer, Dossier(customer)), scanner.tree.problems
