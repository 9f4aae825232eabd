"""`cardctl close YEAR`: check, write the volumes and the seal, commit, tag.

Safe unattended (CI on 2 January): it refuses a dirty work tree (exit 3) and
an archive with errors, late or pending documents (exit 1) before writing
anything; it writes the volumes first and `closed_years` last, so a close
killed at any point is either not started or finished by running the same
command again; on a closed year it verifies and changes nothing.
"""

from __future__ import annotations

import fnmatch
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cardctl import catalogue, closeout, gitrepo, seal
from cardctl.archive import Archive
from cardctl.errors import CannotRun, UsageError, Unfit
from cardctl.locate import SETTINGS_FILE
from cardctl.model import as_dict, as_list
from cardctl.problems import Problem, has_errors
from cardctl.rules import DossierView
from cardctl.writes import WritePlan
from cardctl.yamlio import TEMP_PREFIX, RoundTrip, dump_generated


class Refused(Unfit):
    """The close cannot go ahead: findings or documents that must be dealt with first (exit 1)."""

    def __init__(self, message: str, problems: list[Problem] | None = None, lines: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []
        self.lines = lines or []


@dataclass
class CloseResult:
    year: int
    state: str  # closed | finished | verified | planned
    volumes: list[closeout.PlannedVolume] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    digest: str = ""
    commit: str | None = None


def own_outputs(year: int) -> list[str]:
    """Paths a close of `year` writes: a rerun may find them already there.

    Also what its commit stages, so they name the catalogue's files, not
    everything in catalogue/ (a temporary file a killed write left there must
    never be committed).
    """
    return [f"customers/*/*/{year}/VOLUME-*", seal.seal_path(year), "catalogue/register.csv", "catalogue/*.md", SETTINGS_FILE]


def _sorted_out(dirty: list[str], year: int) -> tuple[list[str], list[str]]:
    """Git's uncommitted paths as (this close's own outputs, foreign changes).

    Temporary files a killed write left are neither, and cardctl's cache is
    never a foreign change.
    """
    own, foreign = [], []
    for path in dirty:
        if os.path.basename(path).startswith(TEMP_PREFIX):
            continue
        if any(fnmatch.fnmatch(path, pat) for pat in own_outputs(year)):
            own.append(path)
        elif not fnmatch.fnmatch(path, ".cardctl/*"):
            foreign.append(path)
    return own, foreign


def _people(archive: Archive, by: str | None, checker: str | None) -> tuple[str, str]:
    compiler = (by or archive.settings.custodian or "").strip()
    if not compiler:
        raise UsageError("who compiles the volumes (立卷人)? pass --by NAME or set custodian in cardctl.yaml")
    checker = (checker or "").strip()
    if not checker:
        raise UsageError("who checks the volumes (检查人)? pass --checker NAME (another person than the compiler)")
    if checker == compiler:
        raise UsageError(f"the checker must be another person than the compiler ({compiler})")
    return compiler, checker


def close(
    archive: Archive,
    year: int,
    *,
    by: str | None,
    checker: str | None,
    today: date,
    dry_run: bool = False,
    commit: bool = True,
    sign: bool = False,
    allow_pending: bool = False,
) -> CloseResult:
    archive.require_sound_settings()
    if year >= today.year:
        raise UsageError(f"{year} has not ended yet (today is {today.isoformat()}); a year is closed after it ends")
    if year in archive.settings.closed_years:
        return _finish(archive, year, commit=commit and not dry_run, sign=sign)
    if not archive.settings.fonds:
        raise UsageError("set fonds (全宗号) in cardctl.yaml first: every reference code starts with it")
    compiler, checker = _people(archive, by, checker) if not dry_run else ("", "")
    if commit and not dry_run:
        gitrepo.check_can_commit(archive.root)
    left: list[str] = []  # outputs of an interrupted close of the year, committed with this one
    if not dry_run:
        left, foreign = _sorted_out(gitrepo.dirty_paths(archive.root), year)
        if foreign:
            shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
            raise CannotRun(f"the work tree has uncommitted changes ({shown}); commit or stash them before closing {year}")

    from cardctl.validate import check_and

    people = None if dry_run else (compiler, checker, today)

    def plan_one(arc: Archive, view: DossierView) -> closeout.DossierOutcome:
        return closeout.plan_and_render(arc, view, year, people)

    # One pass: each dossier is validated and its volumes planned while it is read.
    found, outcomes = check_and(archive, also=plan_one)
    # A rerun after an interruption finds this close's own volumes and seal:
    # they are about to be rewritten, so findings about them do not count.
    mine = own_outputs(year)[:2]
    found = [p for p in found if not any(fnmatch.fnmatch(p.path, pat) for pat in mine)]
    if has_errors(found):
        raise Refused(f"cannot close {year}: the archive has errors; fix them first", [p for p in found if p.severity == "error"])
    volumes: list[closeout.PlannedVolume] = []
    lines: list[str] = []
    for outcome in outcomes:
        volumes += outcome.volumes
        lines += [f"{late} but filed in {year}" for late in outcome.late]
        if not allow_pending:
            lines += [f"{path}: request waits for its reply (--allow-pending seals it in {year})" for path in outcome.pending]
    codes = Counter(item[1] for vol in volumes for item in vol.items)
    lines += [f"reference code {code} is given to more than one item; make the `reference` template include every field"
              for code, n in sorted(codes.items()) if n > 1]
    if lines:
        raise Refused(f"cannot close {year}: {len(lines)} document(s) must be dealt with first", lines=lines)
    if dry_run:
        return CloseResult(year, "planned", volumes)

    files: dict[str, bytes] = {path: data for vol in volumes for path, data in vol.files.items()}
    sealed = closeout.seal_document(archive, year, volumes, compiler, checker, today)
    files[seal.seal_path(year)] = dump_generated(sealed).encode("utf-8")
    # Volumes and the seal first, synced to disk in one go; closed_years last:
    # until it is written, the close has not happened.
    volumes_plan = WritePlan(archive.root, replace=files)
    volumes_plan.apply(durable=False)
    os.sync()
    rt = RoundTrip(archive.settings_doc.text or "")
    years = sorted({*archive.settings.closed_years, year})
    from ruamel.yaml.comments import CommentedSeq

    listed = rt.data.get("closed_years")
    if isinstance(listed, CommentedSeq):
        listed.clear()
        listed.extend(years)
    else:
        listed = rt.data["closed_years"] = CommentedSeq(years)
    listed.fa.set_flow_style()  # a one-line diff: closed_years: [2024, 2025]
    settings_plan = WritePlan(archive.root, replace={SETTINGS_FILE: rt.dump().encode("utf-8")})
    try:
        settings_plan.apply()
        archive = Archive(archive.root)
        refreshed = _refresh_catalogue(archive)
    except CannotRun:  # a full disk, a read-only folder: undone, the close has not happened
        settings_plan.undo()
        volumes_plan.undo()
        raise
    written = sorted(files) + [SETTINGS_FILE] + refreshed
    # What to commit is known: what it wrote and what was uncommitted before
    # (nothing else); asking git again would cost a status of 44 000 new files.
    result = _finish(archive, year, commit=commit, sign=sign, written=written, just_sealed=sealed, pending=sorted({*written, *left}))
    result.volumes = volumes
    result.state = "closed"
    return result


def _catalogue_plan(archive: Archive) -> WritePlan:
    """Bring a committed catalogue up to date with the new reference codes (nothing when there is none)."""
    if not (archive.root / catalogue.REGISTER).is_file():
        return WritePlan(archive.root)
    cat = catalogue.build(archive)
    diffs = catalogue.compare(archive.root, cat)
    return WritePlan(archive.root, replace={d.path: cat.files[d.path] for d in diffs if d.what != "obsolete"},
                     remove=[d.path for d in diffs if d.what == "obsolete"])


def _refresh_catalogue(archive: Archive) -> list[str]:
    plan = _catalogue_plan(archive)
    plan.apply()
    return plan.touched


def _own_pending(archive: Archive, year: int) -> list[str]:
    return _sorted_out(gitrepo.dirty_paths(archive.root), year)[0]


def _read_seal(archive: Archive, year: int) -> dict[str, Any] | None:
    doc = archive.read(seal.seal_path(year))
    return as_dict(doc.data) if doc.ok and isinstance(doc.data, dict) else None


def _finish(archive: Archive, year: int, *, commit: bool, sign: bool, written: list[str] | None = None,
            just_sealed: dict[str, Any] | None = None, pending: list[str] | None = None) -> CloseResult:
    """Commit and tag what a close wrote, if not yet done (an interrupted close); then verify.

    A fresh close passes the seal it has just written, every digest computed
    from the files it wrote, so the full verification is left to a rerun and
    to `cardctl verify`; and `pending`, what the commit is to stage (else
    git is asked for this close's uncommitted outputs).
    """
    written = list(written or [])
    sealed = just_sealed if just_sealed is not None else _read_seal(archive, year)
    digest = str(sealed.get("digest", "")) if sealed is not None else ""
    commit_id = None
    tag = seal.TAG.format(year=year)
    if commit and gitrepo.repo_root(archive.root) is not None:
        if pending is None:
            pending = _own_pending(archive, year)
        if pending and not written:  # finishing an interrupted close: its catalogue too
            written += _refresh_catalogue(archive)
            pending = _own_pending(archive, year)
        if (pending or not gitrepo.tag_exists(archive.root, tag)) and sealed is None:
            # Never a commit or tag that records no digest: the seal is what they vouch for.
            problems = archive.read(seal.seal_path(year)).problems
            raise Refused(f"cannot finish the close of {year}: {seal.seal_path(year)} cannot be read", problems)
        if pending:
            volumes = len(as_list(sealed.get("volumes")))
            # The work tree held nothing else (checked before writing).
            commit_id = gitrepo.commit_all_of(archive.root, pending, f"close {year}: {volumes} volumes sealed\n\nseal digest: sha256:{digest}")
        if not gitrepo.tag_exists(archive.root, tag):
            items = sealed.get("items", 0)
            gitrepo.create_tag(archive.root, tag, f"close {year}: {items} items sealed\n\nseal digest: sha256:{digest}\n", sign=sign)
    if just_sealed is not None:
        problems: list[Problem] = []
    else:
        problems = seal.verify(archive, [year]) if commit else seal.check(archive, [year])
    state = "finished" if (commit_id or written) else "verified"
    return CloseResult(year, state, [], sorted(set(written)), problems, digest, commit_id)
