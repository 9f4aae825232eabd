"""`cardctl validate`: every check of SPEC §5.1, all findings of one run together.

Pipeline: scan the layout -> read files -> schema checks -> dossier rules ->
archive-wide rules -> sorted findings. Nothing here writes a file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any
from dataclasses import dataclass
from pathlib import Path

from cardctl import dossier_cache, dossiers, gitrepo, layout, seal
from cardctl.archive import Archive
from cardctl.errors import CannotRun, UsageError
from cardctl.problems import Problem
from cardctl.model import Card
from cardctl.rules import Context, DossierView, amounts, customers, people, placement, references
from cardctl.rules.schema import card_problems, record_problems, settings_problems

DossierRule = Callable[[Context, DossierView], Iterable[Problem]]
ArchiveRule = Callable[[list[customers.Identity], customers.CardOf], Iterable[Problem]]

DOSSIER_RULES: tuple[DossierRule, ...] = (
    placement.card_in_its_folder,
    placement.record_names,
    placement.category_folder,
    placement.year_folder,
    references.unique_ids,
    references.related_records,
    references.attachments,
    people.staff_listed,
    customers.uscc_check_character,
    amounts.order_totals,
    amounts.period_order,
)
# Rules across customers see only each card's identity (not the records):
# 10 000 of them fit in memory, and they are collected from the workers.
ARCHIVE_RULES: tuple[ArchiveRule, ...] = (
    customers.duplicate_identities,
    customers.similar_names,
)


def scope_of(archive: Archive, paths: Sequence[str]) -> set[str] | None:
    """The dossiers named by `paths` (files or folders), or None for the whole archive."""
    scope: set[str] = set()
    for raw in paths:
        path = Path(raw).resolve()
        try:
            parts = path.relative_to(archive.root).parts
        except ValueError:
            raise UsageError(f"{raw} is not inside the archive at {archive.root}") from None
        if not path.exists():
            raise UsageError(f"no such file or folder: {raw}")
        if len(parts) >= 2 and parts[0] == "customers":
            scope.add(parts[1])
        else:
            return None  # settings, schemas, the root: everything depends on them
    return scope


def _dossier_of(path: str) -> str | None:
    parts = path.split("/")
    return parts[1] if len(parts) >= 2 and parts[0] == "customers" else None


def check_dossier(ctx: Context, view: DossierView, schema_for: set[str] | None = None) -> list[Problem]:
    """Findings of one dossier; with `schema_for`, only those files get the per-file checks
    (a write command checks what it writes; the cross-file rules see the whole dossier)."""
    archive = ctx.archive
    problems: list[Problem] = []
    if view.card is not None and (schema_for is None or view.card.path in schema_for):
        problems += view.card.doc.problems + card_problems(archive, view.card)
    for rec in view.records:
        if schema_for is None or rec.path in schema_for:
            problems += rec.doc.problems + record_problems(archive, rec)
    for rule in DOSSIER_RULES:
        problems += rule(ctx, view)
    return problems


@dataclass
class DossierResult:
    """What the main process keeps of one checked dossier."""

    customer: str
    problems: list[Problem]
    identity: customers.Identity | None
    extra: Any = None  # what `also` made of the dossier (the close plans its volumes in the same pass)
    cache: tuple[str, Any] | None = None  # (key, value) for the findings cache, when the dossier may be cached


Also = Callable[[Archive, DossierView], Any]


def _check_one(archive: Archive, customer: str, also: Also | None = None, store: dossier_cache.Store | None = None) -> DossierResult:
    if store is not None:
        store.watch(archive)
    view, problems = dossiers.view(archive, customer)
    problems += check_dossier(Context(archive), view)
    problems += seal.dossier_problems(archive, view.files)
    card = view.card
    who = customers.identity(card) if card is not None and card.doc.ok else None
    extra = also(archive, view) if also is not None else None
    cache = None
    if store is not None:
        key = store.seen(archive, customer, view.files)
        value = dossier_cache.Findings(problems, who).encode()
        cache = (key, value) if key is not None and value is not None and not _git_blind(problems) else None
    return DossierResult(customer, problems, who, extra, cache)


def _git_blind(problems: list[Problem]) -> bool:
    """Findings git cannot vouch for staying true: about links, special files and folders
    (git tracks no empty folder and no FIFO), so such a dossier is never cached."""
    return any(p.code == "L302" or p.path.endswith("/") or layout.NOT_REGULAR in p.message for p in problems)


# The schema gates (schemas.Gate) for a check of at least this many dossiers
# (about 30 files each). Compiling one costs about 15 ms and saves about
# 0.012 ms a document over jsonschema alone (measured on the benchmark
# archive): worth it for thousands of files, a loss for the few dossiers of
# `--changed-since` or a small archive.
GATE_MIN_DOSSIERS = 400


def prepare(archive: Archive) -> None:
    """What every worker needs, built once before they fork: schema gates and the seals."""
    for name in ["card", *archive.schemas.kinds]:
        archive.schemas.gate(name)
    seal.sealed(archive)


def scope_since(archive: Archive, rev: str) -> gitrepo.TouchedSince:
    """What git finds touched since `rev` (commits, staged, unstaged and untracked files),
    asked now and answered in the background (see dossiers_touched)."""
    if gitrepo.where(archive.root) is None:
        raise CannotRun(f"--changed-since needs a git repository; {archive.root} is not in one")
    return gitrepo.TouchedSince(archive.root, gitrepo.resolve(archive.root, rev))


def dossiers_touched(archive: Archive, paths: set[str]) -> set[str] | None:
    """The dossiers holding these paths; None (the whole archive) when anything outside
    the dossiers changed: settings and schemas bear on every file."""
    found: set[str] = set()
    for path in paths:
        parts = path.split("/")
        if parts[0] == "customers" and (len(parts) >= 3 or len(parts) == 2 and (archive.root / path).is_dir()):
            found.add(parts[1])  # a file in it, or a whole new (untracked) dossier
        elif parts[0] != "catalogue" and not path.startswith("."):
            return None
    return found


def check(archive: Archive, paths: Sequence[str] = (), changed_since: str | None = None, cached: bool = False) -> list[Problem]:
    """All findings for the archive, or for the dossiers under `paths` / touched since a revision."""
    return check_and(archive, paths, changed_since, cached=cached)[0]


def check_and(archive: Archive, paths: Sequence[str] = (), changed_since: str | None = None, also: Also | None = None,
              cached: bool = False) -> tuple[list[Problem], list[Any]]:
    """check(), and `also(archive, dossier)` for each dossier while it is read anyway.

    `cached`: reuse the findings of dossiers unchanged since an earlier check
    (in a git work tree; see findings_cache) and keep the new ones.
    """
    from cardctl import cache

    scope = scope_of(archive, paths) if paths else None
    touched = scope_since(archive, changed_since) if changed_since is not None else None
    tree = layout.scan(archive.root, only=set())  # the top level; dossiers are walked by their workers
    problems = list(tree.problems)
    problems += archive.settings_doc.problems + settings_problems(archive)
    problems += archive.schemas.problems
    all_ids = archive.customer_ids()
    heads = None
    if touched is not None:
        heads = cache.HeadIdentities(archive)  # while git still looks at the work tree
        since = dossiers_touched(archive, touched.paths())
        scope = None if since is None or (paths and scope is None) else (since | (scope or set()))
    ids = [c for c in all_ids if scope is None or c in scope]
    found: list[customers.Identity] = []
    extras: list[Any] = []
    # Only whole-archive checks: a partial one checks what changed, which the cache cannot hold.
    store = dossier_cache.open_store(archive, dossier_cache.FINDINGS) if cached and also is None and scope is None else None
    results: dict[str, DossierResult] = {}
    if store is not None:
        for customer in ids:
            if (entry := dossier_cache.Findings.decode(store.get(customer))) is not None:
                results[customer] = DossierResult(customer, entry.problems, entry.identity)
    todo = [c for c in ids if c not in results]
    archive.schemas.bulk = len(todo) >= GATE_MIN_DOSSIERS

    def one(arc: Archive, customer: str) -> DossierResult:
        return _check_one(arc, customer, also, store)

    for result in dossiers.each(archive, todo, one, prepare=lambda: prepare(archive), label="validating"):
        results[result.customer] = result
        if store is not None:
            store.put(result.customer, *(result.cache or (None, None)))
    if store is not None:
        if scope is None:
            store.forget_others(ids)
        store.save()
    for customer in ids:  # in id order, whichever came from the cache
        result = results[customer]
        problems += result.problems
        if also is not None:
            extras.append(result.extra)
        if result.identity is not None:
            found.append(result.identity)
    in_scope = set(ids)
    if scope is not None:
        # Since REV, every dossier out of scope is as HEAD has it; from paths
        # alone, git must be asked which cards changed.
        found += cache.identities(archive, skip=in_scope) if heads is None else heads.others(all_ids, skip=in_scope, like=found)
    cards: dict[str, Card] = {}

    def card_of(customer: str) -> Card:
        return cards.setdefault(customer, archive.card(customer))

    for rule in ARCHIVE_RULES:
        problems += rule(found, card_of)
    problems += seal.archive_problems(archive, set(all_ids), only=scope)
    if scope is not None:
        problems = [p for p in problems if _dossier_of(p.path) in scope]
    return sorted(set(problems)), extras
