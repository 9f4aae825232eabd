"""Fixity of closed years: recompute manifests and digests, compare with the tag.

Every finding names the file: all changed, missing and added files are
reported, not the first. `validate` runs `check` (no git needed); `verify`
adds the comparison with the tagged commit `close/YEAR`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cardctl import cache, gitrepo, layout
from cardctl.archive import Archive
from cardctl.closeout import manifest_digest, seal_digest
from cardctl.digest import sha256_file
from cardctl.locate import SETTINGS_FILE
from cardctl.model import as_dict, as_list, as_str
from cardctl.problems import Problem
from cardctl.rules.schema import show
from cardctl.yamlio import Document

TAG = "close/{year}"


def seal_path(year: int) -> str:
    return f"seals/{year}.yaml"


def sealed_years(archive: Archive) -> set[int]:
    folder = archive.root / "seals"
    found = {int(p.stem) for p in folder.glob("[0-9][0-9][0-9][0-9].yaml")} if folder.is_dir() else set()
    return found | set(archive.settings.closed_years)


def _file(path: str, code: str, message: str) -> Problem:
    return Problem(path, 1, 1, code, message)


def check(archive: Archive, years: Iterable[int] | None = None) -> list[Problem]:
    """Findings for the closed years: the seal, the volumes, every sealed and every added file.

    Dossier by dossier, in the worker pool (which inherits the seals, read
    first): a closed year of 10 000 customers has 75 000 files to hash, and
    the whole archive's file list need not be held at once.
    """
    from cardctl import dossiers

    chosen = [y.year for y in _chosen(archive, years)]
    ids = archive.customer_ids()
    problems = archive_problems(archive, set(ids), chosen)

    def one(arc: Archive, customer: str) -> list[Problem]:
        return dossier_problems(arc, layout.scan_dossier(arc.root, customer), chosen)

    for found in dossiers.each(archive, ids, one, label="verifying"):
        problems += found
    return problems


@dataclass
class _Year:
    """One sealed year as its seal file states it; `entries` is empty when the seal cannot be used."""

    year: int
    problems: list[Problem]
    seal: Document | None = None
    entries: list[dict[str, Any]] = field(default_factory=list)
    by_customer: dict[str | None, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for i, entry in enumerate(self.entries):
            self.by_customer.setdefault(_customer_of(entry), []).append(i)

    def of(self, customer: str) -> list[tuple[int, dict[str, Any]]]:
        return [(i, self.entries[i]) for i in self.by_customer.get(customer, [])]


def _customer_of(entry: dict[str, Any]) -> str | None:
    parts = (as_str(entry.get("path")) or "").split("/")
    return parts[1] if len(parts) > 1 else None


def sealed(archive: Archive) -> dict[int, _Year]:
    """Every sealed year, read once per run (the workers inherit it)."""
    if "seals" not in archive.memo:
        archive.memo["seals"] = {year: _year(archive, year) for year in sorted(sealed_years(archive))}
    return archive.memo["seals"]


def _read_year(archive: Archive, year: int) -> _Year:
    spath = seal_path(year)
    listed = year in set(archive.settings.closed_years)
    if not (archive.root / spath).is_file():
        if listed:
            trail = ["closed_years", sorted(archive.settings.closed_years).index(year)]
            return _Year(year, [archive.settings_doc.at(trail, "C605", f"{year} is closed but {spath} is missing; restore it from git or run `cardctl close {year}`")])
        return _Year(year, [])
    problems: list[Problem] = []
    if not listed:
        problems.append(_file(spath, "C605", f"{year} is sealed but not in closed_years of {SETTINGS_FILE}; run `cardctl close {year}` to finish the close"))
    seal = cache.parsed(archive, spath)  # 4-5 s to parse 22 000 volumes; every validate needs it
    if not seal.ok:
        return _Year(year, problems + seal.problems + [_file(spath, "C604", "the seal cannot be read")])
    entries = [as_dict(v) for v in as_list(seal.data.get("volumes"))]
    if seal_digest(entries) != seal.data.get("digest"):
        problems.append(seal.at(["digest"], "C604", "the seal's digest does not match its volumes: the seal was altered"))
    if not _same(seal.data.get("year"), year):
        problems.append(seal.at(["year"], "C604", f"the seal gives year {show(seal.data.get('year'))} but is {spath}: the seal was altered"))
    counts = [entry.get("items") for entry in entries]
    if all(type(n) is int for n in counts) and not _same(seal.data.get("items"), sum(counts)):  # else its volumes' covers tell
        problems.append(seal.at(["items"], "C604", f"the seal gives {show(seal.data.get('items'))} items in all, "
                                                   f"its volumes {sum(counts)}: the seal was altered"))
    return _Year(year, problems, seal, entries)


def _same(a: Any, b: Any) -> bool:
    """Equal and of one type: YAML's `true` is not the count 1, nor "3" the number 3."""
    return type(a) is type(b) and a == b


def _chosen(archive: Archive, years: Iterable[int] | None) -> list[_Year]:
    """All sealed years, or the given years: each read once per run (it is asked once per dossier)."""
    if years is None:
        return list(sealed(archive).values())
    return [_year(archive, y) for y in sorted(years)]


def _year(archive: Archive, year: int) -> _Year:
    read = archive.memo.setdefault("seal-years", {})
    if year not in read:
        read[year] = _read_year(archive, year)
    return read[year]


def archive_problems(archive: Archive, present: set[str], years: Iterable[int] | None = None, only: set[str] | None = None) -> list[Problem]:
    """The seals themselves, and the volumes of dossiers that are gone (not in `present`)."""
    problems: list[Problem] = []
    for year in _chosen(archive, years):
        problems += year.problems
        for i, entry in enumerate(year.entries):
            customer = _customer_of(entry)
            if customer not in present and (only is None or customer in only):
                problems += _check_volume(archive, year.seal, i, entry, set())
    return problems


def dossier_problems(archive: Archive, dossier: layout.Dossier, years: Iterable[int] | None = None) -> list[Problem]:
    """One dossier's sealed volumes and files, and anything added to its closed years."""
    problems: list[Problem] = []
    for year in _chosen(archive, years):
        if year.seal is None:
            continue
        sealed: set[str] = set()
        for i, entry in year.of(dossier.customer):
            problems += _check_volume(archive, year.seal, i, entry, sealed)
        prefix = f"/{year.year}/"
        for path in [r.path for r in dossier.records] + dossier.attachments + dossier.volumes:
            if prefix in path and path not in sealed:
                problems.append(_file(path, "C603", f"{year.year} is closed; file late documents in the current year with a note naming the sealed volume"))
    return problems


def _check_volume(archive: Archive, seal: Document, i: int, entry: dict[str, Any], sealed: set[str]) -> list[Problem]:
    root = archive.root
    path = as_str(entry.get("path")) or ""
    folder = path.rsplit("/", 1)[0]
    rendering = path[: -len(".yaml")] + ".md"
    sealed.update({path, rendering})
    problems: list[Problem] = []
    for rel, key in ((path, "file_sha256"), (rendering, "rendering_sha256")):
        target = root / rel
        if not target.is_file():
            problems.append(_file(rel, "C602", f"sealed volume file is missing (listed in {seal.path})"))
        elif sha256_file(target) != entry.get(key):
            problems.append(_file(rel, "C604", f"volume file changed since it was sealed (see {seal.path})"))
    volume = archive.read(path) if (root / path).is_file() else None
    if volume is None or not volume.ok:
        return problems
    # The seal's digest covers each volume's files, not the numbers the seal
    # repeats from its cover: while the volume is as sealed, they must agree.
    cover = as_dict(volume.data.get("cover"))
    as_sealed = not any(p.path == path for p in problems)
    for key in ("reference", "items", "pages"):
        if as_sealed and not _same(entry.get(key), cover.get(key)):
            problems.append(seal.at(["volumes", i, key], "C604", f"the seal gives {key} {show(entry.get(key))} for {path}, "
                                                               f"its cover {show(cover.get(key))}: the seal was altered"))
    listed = {str(k): str(v) for k, v in as_dict(volume.data.get("manifest")).items()}
    if manifest_digest(listed) != entry.get("digest") or volume.data.get("digest") != entry.get("digest"):
        problems.append(volume.at(["manifest"], "C604", f"the manifest of this volume differs from the one sealed in {seal.path}"))
    reference = as_str(as_dict(volume.data.get("cover")).get("reference")) or path
    for rel, digest in listed.items():
        full = f"{folder}/{rel}"
        sealed.add(full)
        target = root / full
        if not target.is_file() or target.is_symlink():
            problems.append(_file(full, "C602", f"missing from sealed volume {reference}"))
        elif sha256_file(target) != digest:
            problems.append(_file(full, "C601", f"changed since it was sealed in volume {reference}"))
    return problems


def verify(archive: Archive, years: Iterable[int] | None = None) -> list[Problem]:
    """`cardctl verify`: check() plus the tag of each closed year and the tree it points at."""
    chosen = sorted(sealed_years(archive) if years is None else years)
    problems = check(archive, chosen)
    for year in chosen:
        problems += _against_tag(archive, year)
    # check() and the tag can both find the same fault; report it once. The
    # place and the code are what make two findings the same: two closed years
    # whose seals are gone are two lines of cardctl.yaml, not one.
    seen: set[tuple[str, int, int, str]] = set()
    unique = []
    for p in sorted(problems):
        key = (p.path, p.line, p.column, p.code)
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def _against_tag(archive: Archive, year: int) -> list[Problem]:
    root = archive.root
    tag = TAG.format(year=year)
    spath = seal_path(year)
    if gitrepo.repo_root(root) is None:
        return []
    message = gitrepo.tag_message(root, tag)
    if message is None:
        return [_file(spath, "C604", f"tag {tag} is missing; run `cardctl close {year}` to finish the close")]
    problems = []
    seal = archive.read(spath) if (root / spath).is_file() else None
    found = re.search(r"sha256:([0-9a-f]{64})", message)
    if seal is not None and seal.ok and (found is None or found.group(1) != seal.data.get("digest")):
        problems.append(_file(spath, "C604", f"the seal's digest differs from the one in tag {tag}"))
    tagged = gitrepo.tree_blobs(root, tag, "customers", containing=f"/{year}/")
    tagged.update(gitrepo.tree_blobs(root, tag, spath))
    for path, blob in sorted(tagged.items()):
        target = root / path
        if not target.is_file():
            problems.append(_file(path, "C602", f"missing: it is in tag {tag}"))
        elif gitrepo.blob_id(target) != blob:
            problems.append(_file(path, "C601", f"changed since tag {tag}"))
    for folder in sorted({p.rsplit("/", 1)[0] for p in tagged if p.startswith("customers/")}):
        for target in sorted(Path(root / folder).rglob("*")):
            rel = target.relative_to(root).as_posix()
            if target.is_file() and rel not in tagged and not target.name.startswith("."):
                problems.append(_file(rel, "C603", f"added after tag {tag}; {year} is closed"))
    return problems
