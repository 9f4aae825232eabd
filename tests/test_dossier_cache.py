"""The findings cache: a warm validate gives exactly the findings of a fresh one.

Every case of the broken corpus is checked in a git repository three times
(plain, cached cold, cached warm) and after edits that the cache must notice.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cardctl import cache
from cardctl.archive import Archive
from cardctl.dossier_cache import FINDINGS as FILE
from cardctl.render import problem_line
from cardctl.validate import check
from conftest import git, make_repo, spy_on
from test_corpus import CASES, build_case, expected_lines


def lines(root: Path, cached: bool) -> list[str]:
    return [problem_line(p) for p in check(Archive(root), cached=cached)]


def entries(root: Path) -> dict:
    return cache.load(root / FILE)["entries"]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cold_and_warm_runs_give_the_corpus_findings(case: Path, tmp_path: Path) -> None:
    root = build_case(case, tmp_path / "archive")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "case", "--no-verify")
    expected = expected_lines(case)
    assert lines(root, cached=True) == expected
    assert (root / FILE).is_file()
    assert lines(root, cached=True) == expected
    assert lines(root, cached=False) == expected


def test_warm_run_reuses_entries_and_sees_every_kind_of_change(repo: Path) -> None:
    assert lines(repo, cached=True) == []
    cached = entries(repo)
    assert set(cached) == {p.name for p in (repo / "customers").iterdir()}
    record = next((repo / "customers/KH0001").rglob("*-visit-*.yaml"))
    rel = record.relative_to(repo).as_posix()
    original = record.read_text(encoding="utf-8")

    record.write_text(original.replace("channel: ", "channel: carrier-pigeon-", 1), encoding="utf-8")  # unstaged edit
    assert any(rel in line and "S2" in line for line in lines(repo, cached=True))
    git(repo, "add", rel)  # staged: the index now holds the broken content
    assert any(rel in line for line in lines(repo, cached=True))
    git(repo, "commit", "-qm", "broken")
    broken = lines(repo, cached=True)
    assert broken == lines(repo, cached=False) and any(rel in line for line in broken)
    assert lines(repo, cached=True) == broken  # from the cache now

    record.write_text(original, encoding="utf-8")  # back to the valid content, not committed
    assert lines(repo, cached=True) == []
    git(repo, "commit", "-qam", "fixed")
    assert lines(repo, cached=True) == [] == lines(repo, cached=False)


def test_new_untracked_and_ignored_files_are_seen(repo: Path) -> None:
    assert lines(repo, cached=True) == []
    folder = next((repo / "customers/KH0001").glob("basic/*"))
    (folder / "notes.txt").write_text("x\n", encoding="utf-8")
    found = lines(repo, cached=True)
    assert any("notes.txt" in line and "L301" in line for line in found)
    (repo / ".gitignore").write_text("*.txt\n", encoding="utf-8")  # ignored by git, still not archive material
    assert lines(repo, cached=True) == found
    (folder / "notes.txt").unlink()
    assert lines(repo, cached=True) == []


def test_a_settings_change_invalidates_every_entry(repo: Path) -> None:
    assert lines(repo, cached=True) == []
    settings = repo / "cardctl.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text("".join("staff: [无名]\n" if line.startswith("staff:") else line for line in text.splitlines(keepends=True)), encoding="utf-8")
    git(repo, "commit", "-qam", "staff")
    found = lines(repo, cached=True)
    assert found == lines(repo, cached=False) and any("L3" in line or "not in staff" in line or "staff" in line for line in found)


def test_a_dossier_with_folder_findings_is_never_cached(repo: Path) -> None:
    stray = repo / "customers/KH0001/notes"
    stray.mkdir()  # git does not see an empty folder
    first = lines(repo, cached=True)
    assert "customers/KH0001/notes/:1:1: L301" in " ".join(first)
    assert "KH0001" not in entries(repo)
    stray.rmdir()
    assert lines(repo, cached=True) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_reported_and_never_cached(repo: Path) -> None:
    fifo = repo / "customers/KH0001/card.pipe"
    os.mkfifo(fifo)
    assert any("card.pipe" in line and "not a regular file" in line for line in lines(repo, cached=True))
    assert "KH0001" not in entries(repo)
    fifo.unlink()
    assert lines(repo, cached=True) == []


@pytest.mark.parametrize("junk", ["{not json", "[]", '{"stamp": "x", "entries": {}}', '{"stamp": null, "entries": 5}'])
def test_a_broken_or_foreign_cache_is_ignored(repo: Path, junk: str) -> None:
    record = next((repo / "customers/KH0001").rglob("*-visit-*.yaml"))
    record.write_text(record.read_text(encoding="utf-8").replace("channel: ", "channel: x", 1), encoding="utf-8")
    git(repo, "commit", "-qam", "broken")
    expected = lines(repo, cached=False)
    assert expected
    (repo / FILE).parent.mkdir(parents=True, exist_ok=True)
    (repo / FILE).write_text(junk, encoding="utf-8")
    assert lines(repo, cached=True) == expected


def test_an_entry_under_another_key_is_not_trusted(repo: Path) -> None:
    record = next((repo / "customers/KH0001").rglob("*-visit-*.yaml"))
    record.write_text(record.read_text(encoding="utf-8").replace("channel: ", "channel: x", 1), encoding="utf-8")
    git(repo, "commit", "-qam", "broken")
    expected = lines(repo, cached=True)
    data = cache.load(repo / FILE)
    data["entries"]["KH0001"][0] = "0" * 64  # as if made for other contents
    data["entries"]["KH0001"][1][0] = []
    (repo / FILE).write_bytes(cache.dump(data))
    assert lines(repo, cached=True) == expected


def test_the_cache_never_shows_as_a_change_and_outside_git_there_is_none(base: Path, cli) -> None:
    assert cli("validate", cwd=base).code == 0
    assert not (base / ".cardctl").exists()  # no git: nothing to key the cache on
    make_repo(base)
    (base / ".gitignore").unlink(missing_ok=True)
    assert cli("validate", cwd=base).code == 0
    assert (base / FILE).is_file()
    assert git(base, "status", "--porcelain") == ""


def test_no_cache_flag_neither_reads_nor_writes(repo: Path, cli) -> None:
    assert cli("validate", "--no-cache", cwd=repo).code == 0
    assert not (repo / FILE).exists()
    assert cli("validate", cwd=repo).code == 0 and (repo / FILE).exists()


def _indexed_example(example: Path, cli) -> Path:
    make_repo(example)
    assert cli("index", cwd=example).code == 0
    git(example, "add", "-A")
    git(example, "commit", "-qm", "index", "--allow-empty")
    return example


def test_index_from_the_cache_writes_the_same_bytes(example: Path, cli) -> None:
    from cardctl import catalogue

    root = _indexed_example(example, cli)
    assert cli("index", "--check", cwd=root).code == 0  # fills the cache
    assert (root / ".cardctl/cache/catalogue.json").is_file()
    warm = catalogue.build(Archive(root), cached=True)
    plain = catalogue.build(Archive(root))
    assert warm.current and not set(warm.current) & set(warm.files)
    assert warm.files[catalogue.REGISTER] == plain.files[catalogue.REGISTER]
    for page in warm.current:
        assert (root / page).read_bytes() == plain.files[page]
    assert catalogue.compare(root, warm) == [] == catalogue.compare(root, plain)


def test_index_sees_changed_records_and_hand_edited_pages(example: Path, cli) -> None:
    root = _indexed_example(example, cli)
    assert cli("index", "--check", cwd=root).code == 0
    record = next(p for p in sorted((root / "customers").rglob("*.yaml")) if p.name != "card.yaml" and "\ntitle: " in p.read_text(encoding="utf-8"))
    customer = record.relative_to(root).parts[1]
    record.write_text(record.read_text(encoding="utf-8").replace("\ntitle: ", "\ntitle: 改 ", 1), encoding="utf-8")
    result = cli("index", "--check", cwd=root)
    assert result.code == 1 and result.out.strip() == f"catalogue/{customer}.md: stale"
    git(root, "checkout", "-q", "--", ".")
    assert cli("index", "--check", cwd=root).code == 0

    page = root / f"catalogue/{customer}.md"
    page.write_text(page.read_text(encoding="utf-8") + "hand-made line\n", encoding="utf-8")
    result = cli("index", "--check", cwd=root)
    assert result.code == 1 and result.out.strip() == f"catalogue/{customer}.md: stale"
    assert cli("index", cwd=root).code == 0
    assert git(root, "status", "--porcelain") == ""


def test_a_warm_run_reads_only_what_changed(repo: Path, monkeypatch) -> None:
    from cardctl import validate

    checked = spy_on(monkeypatch, validate, "_check_one")
    assert lines(repo, cached=True) == []
    everyone = sorted(checked)
    assert everyone == sorted(p.name for p in (repo / "customers").iterdir())
    checked.clear()
    assert lines(repo, cached=True) == []
    assert checked == []
    card = repo / f"customers/{everyone[0]}/card.yaml"
    card.write_text(card.read_text(encoding="utf-8") + "notes: 改\n", encoding="utf-8")
    assert lines(repo, cached=True) == []
    assert checked == [everyone[0]]


def test_index_after_a_change_renders_only_that_dossier(example: Path, cli, monkeypatch) -> None:
    from cardctl import catalogue

    root = _indexed_example(example, cli)
    assert cli("index", cwd=root).code == 0  # fills the cache
    rendered = spy_on(monkeypatch, catalogue, "dossier_markdown", lambda args: args[1].customer)
    assert cli("index", "--check", cwd=root).code == 0
    assert rendered == []
    card = next((root / "customers").iterdir()) / "card.yaml"
    card.write_text(card.read_text(encoding="utf-8") + "notes: 改\n", encoding="utf-8")
    cli("index", "--check", cwd=root)
    assert rendered == [card.parent.name]


def _attachment(repo: Path) -> Path:
    return next(p for p in (repo / "customers").rglob("files/*") if p.is_file())


@pytest.mark.parametrize("where, rule", [(".gitignore", "*.pdf\n"), ("customers/.gitignore", "*.pdf\n"), ("customers/KH0001/.gitignore", "*.pdf\n"),
                                         (".git/info/exclude", "**/files/\n"), ("<beside an attachment>/.gitignore", "*.pdf\n")])
def test_a_new_ignored_file_in_a_dossier_is_seen(repo: Path, where: str, rule: str) -> None:
    """git status does not list ignored files unless asked: cardctl asks whenever a rule may reach the dossiers,
    and keeps a dossier with a .gitignore of its own out of the cache."""
    scan = _attachment(repo)
    (scan.parent / ".gitignore" if where.startswith("<") else repo / where).write_text(rule, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "ignore rule", "--allow-empty")
    before = lines(repo, cached=True)  # a .gitignore among the dossiers is itself a stray file (L301)
    assert before == lines(repo, cached=False) and all(".gitignore" in line for line in before)
    extra = scan.parent / "extra.pdf"  # new, and ignored: only `status --ignored` lists it
    extra.write_bytes(b"%PDF")
    found = lines(repo, cached=True)
    assert found == lines(repo, cached=False)
    assert any("extra.pdf" in line for line in found)


def test_rules_that_cannot_reach_the_dossiers_need_no_ignored_listing(repo: Path) -> None:
    from cardctl.gitrepo import _ignore_rules_may_reach
    from cardctl.scaffold import GITIGNORE

    (repo / ".gitignore").write_text(GITIGNORE + "/build/\n/catalogue/*.tmp\n# a comment\n", encoding="utf-8")
    assert not _ignore_rules_may_reach(repo, repo)
    for reaching in ("*.pdf", "files/", "/customers/KH0001/", "/c*/", "!keep.yaml"):
        (repo / ".gitignore").write_text(GITIGNORE + reaching + "\n", encoding="utf-8")
        assert _ignore_rules_may_reach(repo, repo), reaching


def test_a_file_staged_after_git_status_looked_is_not_cached_under_heads_tree(repo: Path) -> None:
    """The key is the dossier's tree in HEAD: an entry is kept only for exactly HEAD's files.

    git status may look before a file is staged (another terminal, an editor's
    git integration): the dossier then counts as clean, yet what the checks
    read is the staged content, not HEAD's. Keeping it under HEAD's tree id
    would give the staged content's findings for HEAD's files later.
    """
    from cardctl import dossier_cache
    from cardctl.validate import _check_one

    record = next((repo / "customers/KH0001").rglob("*-visit-*.yaml"))
    record.write_text(record.read_text(encoding="utf-8").replace("channel: ", "channel: carrier-pigeon-", 1), encoding="utf-8")
    git(repo, "add", record.relative_to(repo).as_posix())
    archive = Archive(repo)
    store = dossier_cache.open_store(archive, FILE)
    assert store is not None and "KH0001" in store.git.dirty
    store.git.dirty.clear()  # as a status taken a moment before the staging found it
    result = _check_one(archive, "KH0001", None, store)
    assert result.problems  # the staged content, broken, was read
    assert result.cache is None
    unchanged = _check_one(archive, "KH0002", None, store)
    assert unchanged.cache is not None and unchanged.cache[0] == store.key("KH0002")


def test_a_file_git_is_told_not_to_look_at_is_for_the_cache_what_head_holds(repo: Path) -> None:
    """The README's caveat, as it stands: `--assume-unchanged` hides an edit from git status, so
    only --no-cache (the plain path) reads the file as it is on disk."""
    assert lines(repo, cached=True) == []
    card = next((repo / "customers").iterdir()) / "card.yaml"
    git(repo, "update-index", "--assume-unchanged", card.relative_to(repo).as_posix())
    card.write_text(card.read_text(encoding="utf-8") + "name: 重复\n", encoding="utf-8")
    assert lines(repo, cached=True) == []
    assert [line.split(" ")[1] for line in lines(repo, cached=False)] == ["F105"]


def test_a_customers_gitignore_that_ignores_itself_is_still_heeded(repo: Path) -> None:
    """Untracked and ignoring itself, it shows in no `git status`; only its being there tells."""
    assert lines(repo, cached=True) == []
    (repo / "customers/.gitignore").write_text("*\n", encoding="utf-8")
    assert git(repo, "status", "--porcelain") == ""
    (_attachment(repo).parent / "extra.pdf").write_bytes(b"%PDF")
    found = lines(repo, cached=True)
    assert found == lines(repo, cached=False) and any("extra.pdf" in line for line in found)


def test_in_a_linked_worktree_the_repositorys_exclude_rules_are_heeded(repo: Path, tmp_path: Path) -> None:
    """There .git is a file; the rules of .git/info/exclude live in the repository's common folder."""
    tree = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", str(tree))
    (repo / ".git/info/exclude").write_text("*.pdf\n", encoding="utf-8")
    assert lines(tree, cached=True) == []
    (_attachment(tree).parent / "extra.pdf").write_bytes(b"%PDF")
    assert git(tree, "status", "--porcelain") == ""
    found = lines(tree, cached=True)
    assert found == lines(tree, cached=False) and any("extra.pdf" in line for line in found)
