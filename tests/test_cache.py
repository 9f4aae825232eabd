"""The identity cache of partial checks: a speed-up that never changes a finding."""

from __future__ import annotations

from pathlib import Path

from cardctl.cache import FILE, HEAD_FILE
from conftest import git, write_tree

PHONE = '"+86 21 5888 0000"'


def _card(cid: str, name: str, phone: str) -> str:
    return f"id: {cid}\nname: {name}\ntype: company\nstatus: prospect\nsince: 2025-01-01\nphone: {phone}\n"


def test_partial_check_sees_duplicates_with_untouched_cards_through_the_cache(repo: Path, cli) -> None:
    write_tree(repo, {"customers/KH0003/card.yaml": _card("KH0003", "新客户", '"021-5888 0000"')})
    first = cli("validate", "customers/KH0003", cwd=repo)
    assert "customers/KH0003/card.yaml:6:8: D503 phone number 021-5888 0000 is also on the card of KH0001" in first.out
    assert (repo / FILE).is_file()
    again = cli("validate", "customers/KH0003", cwd=repo)
    assert again.out == first.out and again.code == first.code == 1


def test_a_card_changed_in_the_work_tree_is_read_afresh(repo: Path, cli) -> None:
    write_tree(repo, {"customers/KH0003/card.yaml": _card("KH0003", "新客户", '"0571-1234 5678"')})
    assert cli("validate", "customers/KH0003", cwd=repo).code == 0  # fills the cache
    card = repo / "customers/KH0002/card.yaml"
    card.write_text(card.read_text(encoding="utf-8") + 'phone: "0571-12345678"\n', encoding="utf-8")
    result = cli("validate", "customers/KH0003", cwd=repo)
    assert "D503 phone number 0571-1234 5678 is also on the card of KH0002" in result.out


def test_a_broken_or_foreign_cache_is_ignored(repo: Path, cli) -> None:
    write_tree(repo, {"customers/KH0003/card.yaml": _card("KH0003", "新客户", '"021-58880000"')})
    expected = cli("validate", "customers/KH0003", cwd=repo).out
    for junk in ("{not json", '{"stamp": "1 0.0.0 x", "entries": {}}', '{"stamp": null}', '[1, 2]'):
        (repo / FILE).write_text(junk, encoding="utf-8")
        assert cli("validate", "customers/KH0003", cwd=repo).out == expected
    # a forged entry under the right stamp cannot hide a duplicate of a card changed since
    assert "D503" in expected


def test_cache_is_not_committed(tmp_path: Path, cli) -> None:
    root = tmp_path / "arc"
    cli("init", str(root), "--fonds", "Z1", cwd=tmp_path)
    cli("customer", "add", "--name", "甲", "--phone", "021-1", cwd=root)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "a")
    cli("customer", "add", "--name", "乙", cwd=root)
    cli("validate", "customers/KH0002", cwd=root)
    assert (root / FILE).is_file()
    assert ".cardctl" not in git(root, "status", "--porcelain")


def test_a_staged_then_reverted_card_never_poisons_the_cache(repo: Path, cli) -> None:
    """A card staged and changed back is not among the files changed since REV, but differs from the index."""
    base = git(repo, "rev-parse", "HEAD").strip()
    card = repo / "customers/KH0002/card.yaml"
    original = card.read_text(encoding="utf-8")
    staged = original + 'phone: "0571-11112222"\n'
    card.write_text(staged, encoding="utf-8")
    git(repo, "add", "customers/KH0002/card.yaml")
    card.write_text(original, encoding="utf-8")  # the work tree is as at REV again; the index is not
    write_tree(repo, {"customers/KH0003/card.yaml": _card("KH0003", "新客户", '"0571-1111 2222"')})
    assert cli("validate", "--changed-since", base, cwd=repo).out == ""  # KH0002 on disk has no phone
    card.write_text(staged, encoding="utf-8")
    git(repo, "commit", "-qm", "KH0002 phone", "--", "customers/KH0002/card.yaml")
    # now the committed KH0002 has the phone: a cache entry made from the reverted file would hide it
    assert "D503 phone number 0571-1111 2222 is also on the card of KH0002" in cli("validate", "customers/KH0003", cwd=repo).out


def _parsed_files(root: Path) -> list[Path]:
    return sorted((root / ".cardctl" / "cache" / "parsed").glob("*.json"))


def test_a_seal_is_parsed_once_and_its_cache_never_changes_a_finding(example: Path, cli, monkeypatch) -> None:
    """The seal's data is kept by its bytes: a validate of a closed archive does not parse it again,
    an altered seal is parsed afresh, and a broken or foreign entry is ignored."""
    from cardctl import cache, yamlio
    from cardctl.archive import Archive
    from conftest import make_repo

    repo = make_repo(example)
    assert cli("close", "2024", "--checker", "李娜", cwd=repo).code == 0
    first = cli("validate", cwd=repo)
    assert first.code == 0 and len(_parsed_files(repo)) == 1
    parses = []
    real = yamlio.read_document
    monkeypatch.setattr(cache, "read_document", lambda raw, rel: parses.append(rel) or real(raw, rel))
    assert cache.parsed(Archive(repo), "seals/2024.yaml").data == real((repo / "seals/2024.yaml").read_bytes(), "x").data
    assert parses == []  # from the cache
    for junk in ("{not json", '{"key": "0", "data": {}}', '{"key": null}', "[1, 2]"):
        _parsed_files(repo)[0].write_text(junk, encoding="utf-8")
        assert cli("validate", cwd=repo).out == first.out
    # an altered seal: parsed afresh, and the alteration found
    seal = repo / "seals/2024.yaml"
    seal.write_text(seal.read_text(encoding="utf-8").replace("file_sha256: ", "file_sha256: 0", 1), encoding="utf-8")
    altered = cli("validate", cwd=repo)
    assert altered.code == 1 and "seals/2024.yaml" in altered.out and "C604" in altered.out
    assert cli("validate", "--no-cache", cwd=repo).out == altered.out


def test_cards_read_in_the_worker_pool_find_the_same(repo: Path, cli, monkeypatch) -> None:
    """A first partial check reads every untouched card; many are read in the pool, with the same findings."""
    from cardctl import dossiers

    write_tree(repo, {"customers/KH0003/card.yaml": _card("KH0003", "新客户", '"021-5888 0000"')})
    for args in (("validate", "customers/KH0003"), ("validate", "--changed-since", "HEAD")):
        monkeypatch.setattr(dossiers, "POOL_MIN_DOSSIERS", 400)
        one_by_one = cli(*args, cwd=repo)
        (repo / FILE).unlink(missing_ok=True)
        (repo / HEAD_FILE).unlink(missing_ok=True)
        monkeypatch.setattr(dossiers, "POOL_MIN_DOSSIERS", 0)
        pooled = cli(*args, cwd=repo)
        assert "D503 phone number 021-5888 0000 is also on the card of KH0001" in pooled.out
        assert (pooled.code, pooled.out) == (one_by_one.code, one_by_one.out) == (1, one_by_one.out)
