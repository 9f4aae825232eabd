"""Load dossiers for whole-archive views: validate, index, reports."""

from __future__ import annotations

from cardctl import layout
from cardctl.archive import Archive
from cardctl.model import Card
from cardctl.rules import DossierView


def load(archive: Archive, only: set[str] | None = None) -> tuple[layout.Tree, list[DossierView], list[Card]]:
    """(the scanned tree, the dossiers in scope with their records, every card of the archive)."""
    tree = layout.scan(archive.root, only=only)
    cards = {c.customer: c for c in archive.cards()}
    views = [
        DossierView(files, cards.get(cid) if files.card else None, archive.records(files))
        for cid, files in sorted(tree.dossiers.items())
    ]
    return tree, views, list(cards.values())
