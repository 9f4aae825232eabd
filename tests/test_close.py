"""The yearly close-out on real git repositories: volumes, seal, tag, verify, guards, reruns."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from cardctl.archive import Archive
from cardctl.validate import check
from cardctl.yamlio import read_document
from conftest import copy_base, git, make_repo, write_tree

CHECKER = ["--checker", "李娜"]


@pytest.fixture
def repo(example: Path) -> Path:
    """The example archive as a git repository."""
    return make_repo(example)


def codes(root: Path, year: int) -> dict[str, str]:
    """record id -> reference code, from the year's volume files."""
    out = {}
    for vol in root.glob(f"customers/*/*/{year}/VOLUME-*.yaml"):
        for entry in read_document(vol.read_bytes(), vol.name).data["catalogue"]:
            out[entry["record"]] = entry["reference"]
    return out


def test_close_two_years_then_verify_rerun_and_tamper(repo: Path, cli) -> None:
    result = cli("close", "2024", *CHECKER, cwd=repo)
    assert result.code == 0, result.out + result.err
    assert result.err.startswith("closed 2024: ") and "tagged close/2024" in result.err
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "tag") == "close/2024\n"
    assert "closed_years: [2024]" in (repo / "cardctl.yaml").read_text(encoding="utf-8")
    message = git(repo, "tag", "-l", "--format=%(contents)", "close/2024")
    seal = (repo / "seals/2024.yaml").read_text(encoding="utf-8")
    digest = re.search(r"^digest: ([0-9a-f]{64})$", seal, re.MULTILINE).group(1)
    assert f"seal digest: sha256:{digest}" in message
    # one commit holds everything the close wrote
    assert git(repo, "rev-list", "--count", "HEAD") == "2\n"
    # the catalogue shows the final codes
    assert cli("index", "--check", cwd=repo).code == 0
    assert "Z109-KH·2024-D30-KH0001·2-0001" in (repo / "catalogue/KH0001.md").read_text(encoding="utf-8")

    # closing again changes nothing and says it verified
    head = git(repo, "rev-parse", "HEAD")
    again = cli("close", "2024", *CHECKER, cwd=repo)
    assert (again.code, again.err) == (0, "2024 is already closed; verified: no findings\n")
    assert git(repo, "rev-parse", "HEAD") == head and git(repo, "status", "--porcelain") == ""

    # the next year: 2024's codes and volumes do not move, every code is unique
    before = codes(repo, 2024)
    assert cli("close", "2025", *CHECKER, cwd=repo).code == 0
    assert codes(repo, 2024) == before
    assert git(repo, "diff", "close/2024", "HEAD", "--stat", "--", "customers").strip() == "" or all(
        "/2024/" not in line for line in git(repo, "diff", "close/2024", "HEAD", "--name-only", "--", "customers").splitlines())
    everything = list(codes(repo, 2024).values()) + list(codes(repo, 2025).values())
    assert len(everything) == len(set(everything)) > 200
    assert cli("verify", cwd=repo).code == 0

    # tamper one byte, delete one, add one: verify names each
    order = sorted(repo.glob("customers/KH0002/transactions/2024/*-order-*.yaml"))[0]
    order.write_bytes(order.read_bytes().replace(b"title: ", b"title: X", 1))
    visit = sorted(repo.glob("customers/KH0003/basic/2024/*-visit-*.yaml"))[0]
    visit.unlink()
    write_tree(repo, {"customers/KH0001/basic/2025/files/late.pdf": b"%PDF late\n"})
    result = cli("verify", cwd=repo)
    assert result.code == 1
    rel = lambda p: p.relative_to(repo).as_posix()  # noqa: E731
    assert [(line.split(":")[0], line.split(" ")[1]) for line in result.out.splitlines()] == [
        ("customers/KH0001/basic/2025/files/late.pdf", "C603"),
        (rel(order), "C601"),
        (rel(visit), "C602"),
    ]
    found = {(p.path, p.code) for p in check(Archive(repo))}
    assert {(rel(order), "C601"), (rel(visit), "C602"), ("customers/KH0001/basic/2025/files/late.pdf", "C603")} <= found


def test_dry_run_prints_the_plan_and_writes_nothing(repo: Path, cli) -> None:
    status = git(repo, "status", "--porcelain")
    result = cli("close", "2024", "--dry-run", cwd=repo)
    assert result.code == 0
    first = result.out.splitlines()[0]
    assert re.match(r"customers/KH0001/basic/2024/VOLUME-D30\.yaml  Z109-KH·2024-D30-KH0001·1  \d+ items, \d+ pages", first)
    assert result.out.splitlines()[1].startswith("  0001  Z109-KH·2024-D30-KH0001·1-0001  2024-")
    assert git(repo, "status", "--porcelain") == status and git(repo, "tag") == ""


def test_a_close_interrupted_at_any_stage_finishes_on_rerun(repo: Path, cli) -> None:
    # stage 1: volumes and seal written, closed_years not yet (simulated: undo the settings)
    assert cli("close", "2024", *CHECKER, "--no-commit", cwd=repo).code == 0
    git(repo, "checkout", "--", "cardctl.yaml")
    assert cli("close", "2024", *CHECKER, cwd=repo).code == 0
    assert git(repo, "tag") == "close/2024\n" and git(repo, "status", "--porcelain") == ""
    # stage 2: everything written but not committed
    assert cli("close", "2025", *CHECKER, "--no-commit", cwd=repo).code == 0
    result = cli("close", "2025", *CHECKER, cwd=repo)
    assert (result.code, result.err) == (0, "finished the close of 2025: committed and tagged close/2025\n")
    assert git(repo, "status", "--porcelain") == ""
    # stage 3: committed, not tagged
    git(repo, "tag", "-d", "close/2025")
    assert cli("verify", cwd=repo).code == 1
    assert cli("close", "2025", *CHECKER, cwd=repo).code == 0
    assert "close/2025" in git(repo, "tag") and cli("verify", cwd=repo).code == 0


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """The base archive with a 2024 year to close."""
    root = copy_base(tmp_path / "small")
    write_tree(root, {
        "customers/KH0001/credit/2024/2024-03-01-guarantee-ts01.yaml": "id: 2024-03-01-guarantee-ts01\nkind: guarantee\ndate: 2024-03-01\n"
        "title: 担保函\nauthor: 王芳\nclassification: top-secret\nretention: D30\nsummary: 法人个人担保\npages: 3\n",
        "customers/KH0001/credit/2024/2024-02-01-credit-approval-a001.yaml": "id: 2024-02-01-credit-approval-a001\nkind: credit-approval\n"
        "date: 2024-02-01\ntitle: 额度审批\nauthor: 王芳\nlimit: 100000.00\ngrade: B\napproved_by: 赵\npages: 2\n",
        "customers/KH0001/credit/2024/2024-05-01-credit-approval-a002.yaml": "id: 2024-05-01-credit-approval-a002\nkind: credit-approval\n"
        "date: 2024-05-01\ntitle: 额度调整\nauthor: 王芳\nlimit: 200000.00\ngrade: A\napproved_by: 赵\n",
    })
    return make_repo(root)


def test_top_secret_volume_continues_the_numbering(small: Path, cli) -> None:
    assert cli("close", "2024", *CHECKER, cwd=small).code == 0
    folder = small / "customers/KH0001/credit/2024"
    ordinary = (folder / "VOLUME-D30.yaml").read_text(encoding="utf-8")
    secret = (folder / "VOLUME-D30-top-secret.yaml").read_text(encoding="utf-8")
    assert "reference: Z109-KH·2024-D30-KH0001·3-0001\n" in ordinary and "reference: Z109-KH·2024-D30-KH0001·3-0002\n" in ordinary
    assert "reference: Z109-KH·2024-D30-KH0001·3-0003\n" in secret and "classification: top-secret\n" in secret
    assert "  pages: 3\n" in secret and "  items: 1\n" in secret
    assert "page: 3\n" in ordinary  # the second item starts on page 3 (the first has 2 pages)
    assert "statement: 本卷材料齐全，共2件3页。" in ordinary
    assert "compiler: 王芳\n  checker: 李娜\n" in ordinary
    printable = (folder / "VOLUME-D30.md").read_text(encoding="utf-8")
    assert "## 卷内文件目录" in printable and "## 卷内备考表" in printable and "立卷人：王芳" in printable


def test_guards(small: Path, cli, tmp_path: Path) -> None:
    assert cli("close", "2030", *CHECKER, cwd=small).code == 2
    assert cli("close", "2024", "--checker", "王芳", cwd=small).err.strip() == "cardctl: error: the checker must be another person than the compiler (王芳)"
    assert cli("close", "2024", cwd=small).code == 2
    # a dirty work tree: exit 3, nothing written
    write_tree(small, {"customers/KH0002/card.yaml": (small / "customers/KH0002/card.yaml").read_text(encoding="utf-8") + "region: 华东\n"})
    result = cli("close", "2024", *CHECKER, cwd=small)
    assert result.code == 3 and "uncommitted changes (customers/KH0002/card.yaml)" in result.err
    assert not list(small.glob("customers/*/*/2024/VOLUME-*")) and not (small / "seals").exists()
    git(small, "checkout", "--", ".")
    # validation errors: exit 1, named
    write_tree(small, {"customers/KH0001/credit/2024/2024-05-01-credit-approval-a002.yaml": "id: x\n"})
    git(small, "commit", "-qam", "broken")
    result = cli("close", "2024", *CHECKER, cwd=small)
    assert result.code == 1 and "S202 missing required key" in result.out
    assert not (small / "seals").exists()


def test_pending_request_blocks_unless_allowed(small: Path, cli) -> None:
    write_tree(small, {"customers/KH0001/credit/2024/2024-12-20-extension-req9.yaml": "id: 2024-12-20-extension-req9\nkind: extension\n"
                       "date: 2024-12-20\ntitle: 延期申请\nauthor: 王芳\nexpects_reply: true\noriginal_due: 2024-12-31\nnew_due: 2025-02-28\napproved_by: 赵\n"})
    git(small, "add", "-A")
    git(small, "commit", "-qm", "request")
    result = cli("close", "2024", *CHECKER, cwd=small)
    assert result.code == 1
    assert "customers/KH0001/credit/2024/2024-12-20-extension-req9.yaml: request waits for its reply (--allow-pending seals it in 2024)" in result.out
    assert cli("close", "2024", *CHECKER, "--allow-pending", cwd=small).code == 0
    volume = (small / "customers/KH0001/credit/2024/VOLUME-D30.yaml").read_text(encoding="utf-8")
    assert "请示《延期申请》（2024-12-20-extension-req9）至立卷时尚无批复" in volume


def test_signed_tag(small: Path, cli, tmp_path: Path) -> None:
    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    git(small, "config", "gpg.format", "ssh")
    git(small, "config", "user.signingkey", str(key) + ".pub")
    assert cli("close", "2024", *CHECKER, "--sign", cwd=small).code == 0
    assert "-----BEGIN SSH SIGNATURE-----" in git(small, "cat-file", "-p", "close/2024")


def test_verify_without_closed_years(base: Path, cli) -> None:
    result = cli("verify", cwd=base)
    assert (result.code, result.err) == (0, "verify no closed years: no findings\n")


def test_verify_names_each_closed_year_whose_seal_is_gone(repo: Path, cli) -> None:
    """Both findings point into cardctl.yaml with the same code, one per year: neither hides the other."""
    for year in ("2024", "2025"):
        assert cli("close", year, *CHECKER, cwd=repo).code == 0
    for year in ("2024", "2025"):
        (repo / f"seals/{year}.yaml").unlink()
    result = cli("verify", cwd=repo)
    assert result.code == 1
    missing = [line for line in result.out.splitlines() if line.startswith("cardctl.yaml:") and " C605 " in line]
    assert [re.search(r"C605 (\d{4}) is closed", line).group(1) for line in missing] == ["2024", "2025"], result.out


def test_ci_examples_validate_and_close() -> None:
    from conftest import PROJECT
    from cardctl.yamlio import read_document

    github = read_document((PROJECT / "examples/ci/github/archive.yml").read_bytes(), "archive.yml")
    assert github.problems == []
    steps = " ".join(str(step.get("run", "")) for job in github.data["jobs"].values() for step in job["steps"])
    assert "cardctl validate --format github" in steps and 'cardctl close "$year"' in steps and "refs/tags/close/$year" in steps
    assert github.data["on"]["schedule"] == [{"cron": "0 1 2 1 *"}]
    gitlab = read_document((PROJECT / "examples/ci/gitlab/.gitlab-ci.yml").read_bytes(), ".gitlab-ci.yml")
    assert gitlab.problems == [] and 'cardctl close "$year"' in " ".join(gitlab.data["close-year"]["script"])


def test_cardctl_cache_does_not_block_a_close(small: Path, cli) -> None:
    write_tree(small, {".cardctl/cache/identities.json": "{}"})  # no .gitignore in this archive
    assert cli("close", "2024", *CHECKER, cwd=small).code == 0


def test_texts_that_look_like_numbers_stay_text_in_volumes(small: Path, cli) -> None:
    """PyYAML quotes by YAML 1.1, so `1e3` and `0o17` were written plain and read back by 1.2 as numbers."""
    write_tree(small, {"customers/KH0001/credit/2024/2024-06-01-credit-approval-a003.yaml": "id: 2024-06-01-credit-approval-a003\n"
                       "kind: credit-approval\ndate: 2024-06-01\ntitle: '1e3'\ndoc_no: '0o17'\nauthor: 王芳\nlimit: 300000.00\ngrade: A\napproved_by: 赵\n"})
    git(small, "add", "-A")
    git(small, "commit", "-qm", "a record titled 1e3")
    assert cli("close", "2024", *CHECKER, cwd=small).code == 0
    volume = (small / "customers/KH0001/credit/2024/VOLUME-D30.yaml").read_text(encoding="utf-8")
    assert "'1e3'" in volume and "'0o17'" in volume and "!!" not in volume
    assert cli("validate", cwd=small).code == 0 and cli("verify", cwd=small).code == 0


def test_an_unreadable_seal_is_never_committed_or_tagged(small: Path, cli) -> None:
    """Finishing a close commits and tags the seal's digest; with no readable seal there is none to vouch for."""
    assert cli("close", "2024", *CHECKER, "--no-commit", cwd=small).code == 0
    (small / "seals/2024.yaml").write_text("year: [2024\n", encoding="utf-8")
    head = git(small, "rev-parse", "HEAD")
    result = cli("close", "2024", *CHECKER, cwd=small)
    assert result.code == 1
    assert "cardctl: error: cannot finish the close of 2024: seals/2024.yaml cannot be read" in result.err
    assert "seals/2024.yaml:1:" in result.out + result.err
    assert git(small, "rev-parse", "HEAD") == head and "close/2024" not in git(small, "tag")


def test_commit_and_tag_name_the_seal_digest(small: Path, cli) -> None:
    assert cli("close", "2024", *CHECKER, cwd=small).code == 0
    digest = read_document((small / "seals/2024.yaml").read_bytes(), "seals/2024.yaml").data["digest"]
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert f"seal digest: sha256:{digest}" in git(small, "log", "-1", "--format=%B")
    assert git(small, "log", "-1", "--format=%s").strip() == "close 2024: 2 volumes sealed"
    assert f"close 2024: 3 items sealed\n\nseal digest: sha256:{digest}" in git(small, "tag", "-l", "--format=%(contents)", "close/2024")


def test_the_close_commit_brings_a_committed_catalogue_up_to_date(small: Path, cli) -> None:
    assert cli("index", cwd=small).code == 0
    write_tree(small, {"catalogue/KH0099.md": "# KH0099\n"})  # a page whose dossier is gone
    git(small, "add", "-A")
    git(small, "commit", "-qm", "catalogue")
    assert cli("close", "2024", *CHECKER, cwd=small).code == 0
    assert git(small, "status", "--porcelain") == ""
    committed = git(small, "show", "--name-status", "--format=", "HEAD").splitlines()
    assert "D\tcatalogue/KH0099.md" in committed and "M\tcatalogue/KH0001.md" in committed
    assert "A\tseals/2024.yaml" in committed and "M\tcardctl.yaml" in committed
    assert cli("index", "--check", cwd=small).code == 0


def test_close_and_verify_of_an_archive_inside_a_larger_repository(tmp_path: Path, cli) -> None:
    top = tmp_path / "company"
    root = copy_base(top / "records" / "archive")
    write_tree(root, {"customers/KH0001/credit/2024/2024-02-01-credit-approval-a001.yaml": "id: 2024-02-01-credit-approval-a001\n"
                      "kind: credit-approval\ndate: 2024-02-01\ntitle: 额度审批\nauthor: 王芳\nlimit: 100000.00\ngrade: B\napproved_by: 赵\n"})
    write_tree(top, {"README.md": "other things\n"})
    make_repo(top)
    assert cli("close", "2024", *CHECKER, cwd=root / "customers").code == 0
    assert git(top, "status", "--porcelain") == ""
    result = cli("verify", cwd=root)
    assert result.code == 0 and result.err.strip() == "verify 2024: no findings"  # the tag's paths map onto the archive's
    sealed = root / "customers/KH0001/credit/2024/2024-02-01-credit-approval-a001.yaml"
    sealed.write_text(sealed.read_text(encoding="utf-8") + "pages: 2\n", encoding="utf-8")
    (sealed.parent / "2024-03-01-credit-approval-a002.yaml").write_text("late\n", encoding="utf-8")
    found = cli("-C", "records/archive", "verify", cwd=top).out
    assert "customers/KH0001/credit/2024/2024-02-01-credit-approval-a001.yaml:1:1: C601 " in found
    assert "customers/KH0001/credit/2024/2024-03-01-credit-approval-a002.yaml:1:1: C603 " in found


def test_verify_reads_each_seal_once(small: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """It was read again for every dossier: `verify` of 10 000 customers and an 8 MB seal did not end."""
    from cardctl import seal

    write_tree(small, {f"customers/KH00{n}/card.yaml": f"id: KH00{n}\nname: 客户{n}\ntype: company\nstatus: prospect\nsince: 2024-01-01\n"
                       for n in range(10, 20)})
    git(small, "add", "-A")
    git(small, "commit", "-qm", "ten more customers")
    assert cli("close", "2024", *CHECKER, cwd=small).code == 0
    reads: list[int] = []
    original = seal._read_year
    monkeypatch.setattr(seal, "_read_year", lambda archive, year: reads.append(year) or original(archive, year))
    for args in (["verify"], ["verify", "--year", "2024"], ["validate"]):
        reads.clear()
        assert cli(*args, cwd=small).code == 0
        assert reads == [2024], args


def test_verify_finds_the_same_in_the_worker_pool(repo: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """verify checks dossier by dossier in worker processes on big archives: the same findings as one by one."""
    from cardctl import dossiers, seal

    assert cli("close", "2024", *CHECKER, cwd=repo).code == 0
    order = sorted(repo.glob("customers/KH0002/transactions/2024/*-order-*.yaml"))[0]
    order.write_bytes(order.read_bytes().replace(b"title: ", b"title: X", 1))
    next(repo.glob("customers/KH0003/*/2024/VOLUME-*.md")).unlink()
    write_tree(repo, {"customers/KH0001/basic/2024/files/late.pdf": b"%PDF late\n"})
    serial = seal.verify(Archive(repo), [2024])
    monkeypatch.setattr(dossiers, "POOL_MIN_DOSSIERS", 0)
    pooled = seal.verify(Archive(repo), [2024])
    assert pooled == serial
    assert {p.code for p in pooled} >= {"C601", "C602", "C603"}


def _forge_seal(root: Path, change) -> None:
    """Edit the seal's data and recompute its digest, as a careful forger would."""
    from cardctl.closeout import seal_digest
    from cardctl.yamlio import dump_generated

    path = root / "seals/2024.yaml"
    data = read_document(path.read_bytes(), "seals/2024.yaml").data
    change(data)
    data["digest"] = seal_digest(data["volumes"])
    path.write_text(dump_generated(data), encoding="utf-8")


@pytest.mark.parametrize("change, where, says", [
    (lambda d: d["volumes"][0].update(items=d["volumes"][0]["items"] + 1), ("volumes", 0, "items"), "the seal gives items 2 for "),
    (lambda d: d["volumes"][1].update(pages=99), ("volumes", 1, "pages"), "the seal gives pages 99 for "),
    (lambda d: d["volumes"][1].update(reference="Z109-KH·2024-D30-KH0001·9"), ("volumes", 1, "reference"), "the seal gives reference 'Z109-KH·2024-D30-KH0001·9' for "),
    (lambda d: d.update(items=4), ("items",), "the seal gives 4 items in all, its volumes 3"),
    (lambda d: d.update(year=2023), ("year",), "the seal gives year 2023 but is seals/2024.yaml"),
])
def test_what_the_seal_repeats_from_the_volumes_must_agree_with_them(small: Path, cli, change, where, says) -> None:
    """The seal's digest covers the volumes' files; the numbers it lists beside them are checked against the covers."""
    assert cli("close", "2024", *CHECKER, cwd=small).code == 0
    _forge_seal(small, change)
    line = read_document((small / "seals/2024.yaml").read_bytes(), "seals/2024.yaml").locate.value(list(where))[0]
    for args in (["validate"], ["validate", "--no-cache"], ["verify"]):
        result = cli(*args, cwd=small)
        assert result.code == 1, result.out + result.err
        found = [x for x in result.out.splitlines() if x.startswith("seals/2024.yaml:")]
        assert found and all(" C604 " in x or x == "seals/2024.yaml:1:1: C601 changed since tag close/2024" for x in found), result.out
        assert any(x.startswith(f"seals/2024.yaml:{line}:") and says in x and x.endswith("the seal was altered") for x in found), result.out


def test_an_edited_volume_is_the_volume_s_finding_not_the_seal_s(small: Path, cli) -> None:
    assert cli("close", "2024", *CHECKER, cwd=small).code == 0
    volume = small / "customers/KH0001/credit/2024/VOLUME-D30.yaml"
    volume.write_text(volume.read_text(encoding="utf-8").replace("  pages: 3\n", "  pages: 7\n", 1), encoding="utf-8")
    for args in (["validate"], ["validate", "--no-cache"]):
        assert cli(*args, cwd=small).out == "customers/KH0001/credit/2024/VOLUME-D30.yaml:1:1: C604 volume file changed since it was sealed (see seals/2024.yaml)\n"
