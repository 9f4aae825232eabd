"""The only module that touches git (through GitPython, and git itself where speed counts), with gitstatus."""

from __future__ import annotations

import os
import random
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from cardctl.errors import CannotRun

LOCK_WAIT_SECONDS = 60.0


def _git() -> Any:
    try:
        import git
    except ImportError as exc:  # GitPython refuses to import without a git executable
        raise CannotRun("git is not installed or not on PATH; install git, or work without it (leave out --commit; init --no-git)") from exc
    return git


def _repo(path: Path) -> Any:
    git = _git()
    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None


def repo_root(path: Path) -> Path | None:
    """The root of the git work tree holding `path`, or None."""
    repo = _repo(path)
    return Path(repo.working_tree_dir) if repo is not None and repo.working_tree_dir else None


def init(path: Path) -> None:
    git = _git()
    try:
        git.Repo.init(path)
    except git.GitCommandError as exc:
        raise CannotRun(f"git init failed: {exc.stderr.strip() or exc}") from exc


def set_config(path: Path, key: str, value: str) -> None:
    repo = _repo(path)
    if repo is not None:
        with repo.config_writer() as config:
            section, _, option = key.rpartition(".")
            head, _, sub = section.partition(".")
            config.set_value(f'{head} "{sub}"' if sub else head, option, value)


def user_name(path: Path) -> str | None:
    """git's user.name for the repository at `path` (or the global one)."""
    git = _git()
    repo = _repo(path)
    try:
        value = repo.git.config("user.name") if repo is not None else git.Git().config("user.name")
    except git.GitCommandError:
        return None
    return value.strip() or None


def _with_lock_retry(action: Any) -> Any:
    """Run a git command, waiting while another process holds the index lock."""
    git = _git()
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            return action()
        except git.GitCommandError as exc:
            if "index.lock" not in str(exc.stderr) or time.monotonic() > deadline:
                raise
            time.sleep(0.05 + random.random() * 0.2)


def commit_all_of(root: Path, paths: Sequence[str], message: str) -> str:
    """Stage `paths` (relative to `root`; gone ones are removed) and commit the index.

    For a close, whose work tree was checked to hold nothing but its own tens
    of thousands of outputs: `git add` would match every path given against
    every entry of the index, so the paths go to `update-index` one per line.
    """
    import tempfile

    git = _git()
    repo = _repo(root)
    top = Path(repo.working_tree_dir)
    with tempfile.TemporaryFile() as listing:
        listing.write("".join(os.path.relpath(root / p, top) + "\0" for p in paths).encode("utf-8", "surrogateescape"))

        def stage() -> None:
            listing.seek(0)
            repo.git.update_index("--add", "--remove", "-z", "--stdin", istream=listing)

        try:
            _with_lock_retry(stage)
            _with_lock_retry(lambda: repo.git.commit("-q", "-m", message))
        except git.GitCommandError as exc:
            raise CannotRun(f"git commit failed: {' '.join(str(exc.stderr or exc).split())}") from exc
    return str(repo.head.commit.hexsha)


def check_can_commit(root: Path) -> None:
    """Refuse (exit 3) before anything is written when a commit would fail."""
    git = _git()
    repo = _repo(root)
    if repo is None or repo.working_tree_dir is None:
        raise CannotRun(f"{root} is not in a git repository; run `git init` or leave out --commit")
    try:
        repo.git.var("GIT_AUTHOR_IDENT")
    except git.GitCommandError:
        raise CannotRun("git does not know who you are: set git config user.name and user.email") from None
    if repo.head.is_detached:
        # A commit here belongs to no branch: the next `git switch` leaves it behind, unseen.
        raise CannotRun("HEAD is detached (no branch is checked out), so a commit would belong to no branch; "
                        "switch to a branch first (git switch main), or leave out --commit")
    git_dir = Path(repo.git_dir)
    for marker, what in (("MERGE_HEAD", "a merge"), ("rebase-merge", "a rebase"), ("rebase-apply", "a rebase"), ("CHERRY_PICK_HEAD", "a cherry-pick")):
        if (git_dir / marker).exists():
            raise CannotRun(f"{what} is in progress in {repo.working_tree_dir}; finish it before cardctl commits")
    lock = _held_lock(repo)
    if lock is not None:
        raise CannotRun(f"git is locked: {lock} exists; another git command is running, or one was interrupted "
                        f"(if none is running, delete {lock} and run the command again)")


LOCK_GRACE_SECONDS = 2.0  # a running git holds its locks for milliseconds; a killed one leaves them for good


def _held_lock(repo: Any) -> Path | None:
    """A lock left by a git that died: one that stays, the very same file, for the whole grace.

    A running git takes and drops its locks within milliseconds (other
    cardctl runs, an editor's `git status`): those are waited out by the
    commit itself. Only a lock that never changes is reported.
    """
    locks = [Path(repo.git_dir) / "index.lock", Path(repo.git_dir) / "HEAD.lock"]
    if not repo.head.is_detached:
        locks.append(Path(repo.common_dir) / f"{repo.head.ref.path}.lock")  # refs/heads/main.lock

    def seen() -> dict[Path, tuple[int, int]]:
        found = {}
        for lock in locks:
            try:
                st = lock.stat()
            except OSError:
                continue
            found[lock] = (st.st_ino, st.st_mtime_ns)
        return found

    first = seen()
    deadline = time.monotonic() + LOCK_GRACE_SECONDS
    while first and time.monotonic() < deadline:
        time.sleep(0.05)
        now = seen()
        first = {lock: ident for lock, ident in first.items() if now.get(lock) == ident}
    return next(iter(first), None)


def commit_paths(root: Path, paths: Sequence[str], message: str) -> str:
    """Commit exactly `paths` (relative to `root`), leaving any other staged or modified file alone.

    Returns the new commit's hash.
    """
    git = _git()
    repo = _repo(root)
    if repo is None or repo.working_tree_dir is None:
        raise CannotRun(f"{root} is not in a git repository; run `git init` or leave out --commit")
    top = Path(repo.working_tree_dir)
    rel = [os.path.relpath(root / p, top) for p in paths]
    present = [r for r in rel if (top / r).exists()]
    gone = [r for r in rel if r not in present]
    if gone:  # a moved request that was never committed: git knows nothing to remove
        known = set(repo.git.ls_files("-z", "--", *gone).split("\0"))
        rel = present + [r for r in gone if r in known]
    try:
        if present:
            _with_lock_retry(lambda: repo.git.add("--", *present))
        # --only: a commit of these paths alone, whatever else is staged.
        _with_lock_retry(lambda: repo.git.commit("--only", "-q", "-m", message, "--", *rel))
    except git.GitCommandError as exc:
        # Leave git's index as it was (a hook or a signing failure refused the
        # commit): what was written stays in the work tree, unstaged.
        try:
            repo.git.reset("-q", "--", *rel)
        except git.GitCommandError:
            pass
        detail = " ".join(str(exc.stderr or exc.stdout or exc).split()).removeprefix("stderr: ").strip("'")
        if "Please tell me who you are" in detail or "user.email" in detail or "user.name" in detail:
            raise CannotRun("git does not know who you are: set git config user.name and user.email") from exc
        raise CannotRun(f"git commit failed: {detail}") from exc
    return str(repo.head.commit.hexsha)


def _status(top: Path, prefix: str) -> list[str]:
    """Paths (from the top) that `git status` lists as changed, staged or untracked; untracked folders end in "/".

    No pathspec and untracked folders shown as folders: that is what git's
    untracked cache serves (1.5 s against 5 s for a pathspec or
    --untracked-files=all on 300 000 files). Only an archive inside a larger
    repository is looked at through its folder.
    """
    import subprocess

    from cardctl.gitstatus import ARGS

    found = subprocess.run(ARGS + (["--", f":(literal){prefix}"] if prefix else []), cwd=top, capture_output=True)
    _check(found, found.stderr)
    return [e[3:] for e in found.stdout.decode("utf-8", "surrogateescape").split("\0") if len(e) > 3 and e[3:].startswith(prefix)]


def dirty_paths(root: Path) -> list[str]:
    """Changed, staged or untracked (not ignored) paths, relative to `root` (the archive), file by file."""
    import subprocess

    place = where(root)
    if place is None:
        return []
    top, prefix = place
    entries = _status(top, prefix)
    paths = [e for e in entries if not e.endswith("/")]
    folders = [f":(literal){e}" for e in entries if e.endswith("/")]
    if folders:  # few: a new dossier, a first seal
        listed = subprocess.run(["git", "ls-files", "-z", "--others", "--exclude-standard", "--full-name", "--", *folders], cwd=top, capture_output=True)
        _check(listed, listed.stderr)
        paths += [p for p in listed.stdout.decode("utf-8", "surrogateescape").split("\0") if p]
    return sorted(p[len(prefix) :] for p in paths)


def tag_exists(root: Path, name: str) -> bool:
    repo = _repo(root)
    return repo is not None and any(t.name == name for t in repo.tags)


def tag_message(root: Path, name: str) -> str | None:
    repo = _repo(root)
    if repo is None:
        return None
    try:
        tag = repo.tags[name]
    except (IndexError, KeyError):
        return None
    return tag.tag.message if tag.tag is not None else None


def create_tag(root: Path, name: str, message: str, sign: bool = False) -> None:
    git = _git()
    repo = _repo(root)
    try:
        repo.git.tag("-s" if sign else "-a", name, "-m", message)
    except git.GitCommandError as exc:
        detail = " ".join(str(exc.stderr or exc).split())
        raise CannotRun(f"git tag {name} failed: {detail}") from exc


def tree_blobs(root: Path, rev: str, prefix: str, containing: str = "") -> dict[str, str]:
    """Blob ids at `rev` of the files under `prefix` whose path has `containing` in it, keyed by path relative to the archive root.

    The filter runs over git's output before anything is decoded: a closed
    year's files are a tenth of the 350 000 under customers/.
    """
    import subprocess
    import tempfile

    place = where(root)
    if place is None:
        return {}
    top, lead = place
    lead_b, containing_b = (re.escape(text.encode("utf-8", "surrogateescape")) for text in (lead, containing))
    entry = re.compile(rb"[0-7]+ blob ([0-9a-f]+)\t" + lead_b + rb"([^\0]*" + containing_b + rb"[^\0]*)\0")
    found: dict[str, str] = {}
    # Read as it comes: the listing of 350 000 paths is 40 MB, the year's part a tenth.
    # Its errors go to a file: a full stderr pipe, unread while stdout is, would stop git for good.
    with tempfile.TemporaryFile() as errors, subprocess.Popen(
            ["git", "ls-tree", "-r", "-z", "--full-tree", rev, "--", f"{lead}{prefix}"], cwd=top, stdout=subprocess.PIPE, stderr=errors) as proc:
        assert proc.stdout is not None
        rest = b""
        while chunk := proc.stdout.read(1 << 20):
            chunk = rest + chunk
            end = chunk.rfind(b"\0") + 1
            found.update((m.group(2).decode("utf-8", "surrogateescape"), m.group(1).decode()) for m in entry.finditer(chunk, 0, end))
            rest = chunk[end:]
        proc.wait()
        errors.seek(0)
        stderr = errors.read()
    _check(proc, stderr)
    return found


def blob_id(path: Path) -> str:
    """git's object id of a file's content (sha1 repositories)."""
    return git_blob_id(path.read_bytes())


def git_blob_id(data: bytes) -> str:
    """git's object id of some content (sha1 repositories), computed without git."""
    import hashlib

    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def resolve(root: Path, rev: str) -> str:
    """The commit id of `rev`; a usage error when git does not know it."""
    place = where(root)
    if place is None:
        raise CannotRun(f"{root} is not in a git repository")
    commit = rev_parse(place[0], f"{rev}^{{commit}}")
    if commit is None:
        from cardctl.errors import UsageError

        raise UsageError(f"unknown revision {rev!r}")
    return commit


def changed_files(root: Path, base: str, target: str | None) -> list[tuple[str, str, str | None]]:
    """(status A|M|D|R, path, old path for renames) between two commits, or a commit and the work tree.

    Paths are relative to the archive root; files outside it are left out.
    Untracked files count as added when comparing with the work tree.
    """
    import subprocess

    top = repo_root(root)
    if top is None:
        raise CannotRun(f"{root} is not in a git repository")
    args = ["--name-status", "-z", "-M", base] + ([target] if target else []) + ["--", str(root)]
    # With the work tree, the untracked files are listed at the same time: on
    # a large archive both take about as long as a `git status`.
    jobs = [["git", "diff", *args]] + ([["git", "ls-files", "--others", "--exclude-standard", "-z", "--full-name", "--", str(root)]] if target is None else [])
    try:
        running = [subprocess.Popen(job, cwd=top, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for job in jobs]
        outputs = [(proc, *proc.communicate()) for proc in running]
    except OSError as exc:
        raise CannotRun(f"cannot run git: {exc}") from exc
    for proc, _, err in outputs:
        _check(proc, err)
    parts = outputs[0][1].decode("utf-8", "surrogateescape").split("\0")
    changes: list[tuple[str, str, str | None]] = []
    i = 0
    while i < len(parts) and parts[i]:
        status = parts[i][0]
        if status in "RC":
            old, new = parts[i + 1], parts[i + 2]
            changes.append(("R" if status == "R" else "A", new, old))
            i += 3
        else:
            changes.append((status if status in "AMD" else "M", parts[i + 1], None))
            i += 2
    if target is None:
        changes += [("A", p, None) for p in outputs[1][1].decode("utf-8", "surrogateescape").split("\0") if p]

    def rel(p: str | None) -> str | None:
        return None if p is None else os.path.relpath(top / p, root)

    return [(s, rel(p) or "", rel(o)) for s, p, o in changes if not (rel(p) or "").startswith("..")]


def _check(proc: Any, err: bytes) -> None:
    """A finished git command's failure as one line: the last line git wrote, or its exit code."""
    if proc.returncode:
        raise CannotRun(f"git failed: {err.decode('utf-8', 'replace').strip().splitlines()[-1] if err.strip() else proc.returncode}")


class TouchedSince:
    """Every path (relative to the archive) that may differ between commit `base` and the work tree.

    A superset is enough for choosing what to check, so two cheap questions
    are asked side by side instead of one costly one: which paths the commits
    since `base` changed (HEAD's tree against `base`'s: no file is looked at)
    and what `git status` sees staged, changed or untracked against HEAD. The
    `cardctl` command starts that status before Python loads (see gitstatus);
    git works in the background until `paths()` is asked.
    """

    def __init__(self, root: Path, base: str) -> None:
        import subprocess

        from cardctl import gitstatus

        place = where(root)
        if place is None:
            raise CannotRun(f"{root} is not in a git repository")
        self.root, self.top = root, place[0]
        try:
            self.running = [gitstatus.start(self.top)]
            head = rev_parse(self.top, "HEAD")
            job = None
            if head is None:  # an unborn branch: compare with the index instead
                job = ["git", "diff", "--cached", "--name-only", "-z", "--no-renames", base]
            elif head != base:
                job = ["git", "diff-tree", "-r", "--name-only", "-z", "--no-renames", base, head]
            if job is not None:
                self.running.append(subprocess.Popen(job, cwd=self.top, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        except OSError as exc:
            raise CannotRun(f"cannot run git: {exc}") from exc

    def paths(self) -> set[str]:
        outputs = [proc.communicate() for proc in self.running]
        for proc, (_, err) in zip(self.running, outputs):
            _check(proc, err)
        status = outputs[0][0].decode("utf-8", "surrogateescape").split("\0")
        paths = [e[3:] for e in status if len(e) > 3]
        for out, _ in outputs[1:]:
            paths += [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]
        inside = Path(os.path.abspath(self.root))
        found = set()
        for path in paths:
            rel = os.path.relpath(self.top / path, inside)
            if not rel.startswith(".."):
                found.add(rel.replace(os.sep, "/"))
        return found


def where(root: Path) -> tuple[Path, str] | None:
    """The top of the work tree holding `root`, and `root`'s folder inside it ("" or "a/b/"); None outside git."""
    import subprocess

    try:
        found = subprocess.run(["git", "rev-parse", "--show-toplevel", "--show-prefix"], cwd=root, capture_output=True)
    except OSError:
        return None
    lines = found.stdout.decode("utf-8", "surrogateescape").split("\n")
    if found.returncode or len(lines) < 2 or not lines[0]:
        return None
    return Path(lines[0]), lines[1]


def rev_parse(top: Path, rev: str) -> str | None:
    """The object id `rev` names, or None (an unborn HEAD, a path not in the tree)."""
    import subprocess

    found = subprocess.run(["git", "rev-parse", "--verify", "--quiet", rev], cwd=top, capture_output=True)
    return found.stdout.decode().strip() if found.returncode == 0 else None


def tree_entries(top: Path, treeish: str) -> list[tuple[str, str, str]]:
    """(kind, object id, name) of each entry of one tree, such as `HEAD:customers` ([] if there is no such tree)."""
    import subprocess

    from cardctl import gitstatus

    listed = subprocess.run(["git", "ls-tree", "-z", treeish], cwd=top, env=gitstatus.no_locks(), capture_output=True)
    found = []
    if listed.returncode == 0:
        for entry in listed.stdout.decode("utf-8", "surrogateescape").split("\0"):
            meta, _, name = entry.partition("\t")
            kind_id = meta.split(" ")
            if len(kind_id) == 3:
                found.append((kind_id[1], kind_id[2], name))
    return found


def dossier_trees(top: Path, prefix: str, rev: str = "HEAD") -> dict[str, str]:
    """customer id -> git's object id of that dossier's folder in `rev` ({} on an unborn branch)."""
    return {name: oid for kind, oid, name in tree_entries(top, f"{rev}:{prefix}customers") if kind == "tree"}


def cards_in(top: Path, trees: Sequence[str]) -> dict[str, str]:
    """dossier tree id -> git's object id of the card.yaml in it (trees without a card are left out)."""
    import subprocess

    if not trees:
        return {}
    # "<tree>:card.yaml" looks in one small tree; "HEAD:customers/X/card.yaml"
    # would scan the 10 000-entry customers folder once per card.
    asked = "".join(f"{tree}:card.yaml {tree}\n" for tree in trees).encode()
    found = subprocess.run(["git", "cat-file", "--batch-check=%(objectname) %(objecttype) %(rest)"], cwd=top, input=asked, capture_output=True)
    blobs = {}
    for line in found.stdout.decode().splitlines():
        parts = line.split(" ")
        if len(parts) == 3 and parts[1] == "blob":
            blobs[parts[2]] = parts[0]
    return blobs


def read_at(root: Path, rev: str | None, path: str) -> bytes | None:
    """A file's bytes at `rev` (None: the work tree); None when it does not exist there."""
    if rev is None:
        target = root / path
        return target.read_bytes() if target.is_file() else None
    repo = _repo(root)
    top = Path(repo.working_tree_dir)
    inner = os.path.relpath(root / path, top)
    try:
        return bytes(repo.commit(rev).tree[inner].data_stream.read())
    except KeyError:
        return None


def history(root: Path, path: str) -> list[dict[str, str]]:
    """Commits touching `path` (relative to the archive), newest first: id, parent, date, author, subject."""
    repo = _repo(root)
    out = repo.git.log("--format=%H%x00%P%x00%ad%x00%an%x00%s%x1e", "--date=short", "--", str(root / path))
    commits = []
    for entry in out.split("\x1e"):
        entry = entry.strip("\n")
        if not entry:
            continue
        sha, parents, day, author, subject = entry.split("\0")
        commits.append({"id": sha, "parent": parents.split(" ")[0] if parents else EMPTY_TREE, "date": day, "author": author, "subject": subject})
    return commits


def card_blobs(root: Path) -> dict[str, str]:
    """customers/<id>/card.yaml -> git's object id of its committed or staged content.

    The whole index is listed and the cards picked out: a pathspec glob would
    be matched against every one of 300 000 paths, which is slower.
    """
    import subprocess

    place = where(root)
    if place is None:
        return {}
    top, prefix = place[0], place[1] + "customers/"
    listed = subprocess.run(["git", "ls-files", "-s", "-z", "--full-name"], cwd=top, capture_output=True).stdout
    # The pattern starts with a literal tab, so the search skips ahead quickly;
    # the entry's "mode blob stage" lies just before it.
    pattern = re.compile(rb"\t" + re.escape(prefix.encode("utf-8", "surrogateescape")) + rb"([^/\0]+)/card\.yaml\0")
    blobs = {}
    for m in pattern.finditer(listed):
        meta = listed[listed.rfind(b"\0", 0, m.start()) + 1 : m.start()].split(b" ")
        blobs[f"customers/{m.group(1).decode('utf-8', 'surrogateescape')}/card.yaml"] = meta[1].decode()
    return blobs


def changed_cards(root: Path) -> set[str]:
    """Cards whose work-tree content may differ from the index: modified or untracked.

    (A card in an untracked dossier folder is not in the index either, so the
    folder need not be listed file by file.)
    """
    place = where(root)
    if place is None:
        return set()
    top, prefix = place
    card = re.compile(re.escape(prefix) + r"(customers/[^/]+/card\.yaml)$")
    return {m.group(1) for e in _status(top, prefix) if (m := card.match(e))}


@dataclass
class Snapshot:
    """Git's view of the dossiers and the catalogue: enough to know what is unchanged.

    A dossier that `git status` finds clean (nothing staged, modified,
    untracked or ignored under it) holds exactly what HEAD holds, so HEAD's
    tree id for its folder names its content: `trees` comes from one
    `git ls-tree` of customers/, 10 000 lines where git's index lists 300 000
    files. The files one by one (`blobs`) are listed only when a dossier is
    read afresh. Every question is asked of one commit, `head`, so a commit
    made meanwhile cannot pair one content's tree id with another's files.
    `dirty`: customers with anything HEAD does not vouch for; `all_dirty`
    when customers/ itself is.
    """

    top: Path
    prefix: str  # the archive's folder inside the repository ("" at the top)
    head: str  # the commit HEAD named ("" before the first commit)
    trees: dict[str, str]  # customer -> the tree id of customers/<customer> in `head`
    head_pages: dict[str, str]  # catalogue file -> its content id in `head`
    dirty: set[str]
    all_dirty: bool
    catalogue_dirty: set[str] = field(default_factory=set)  # changed catalogue files; {"*"}: all of them

    def clean(self, customer: str) -> bool:
        return not self.all_dirty and customer not in self.dirty and customer in self.trees

    @cached_property
    def listing(self) -> bytes:
        """`git ls-tree -r` of customers/ in `head`, as git printed it: a dossier's entries are one contiguous slice."""
        import subprocess

        from cardctl import gitstatus

        found = subprocess.run(["git", "ls-tree", "-r", "-z", f"{self.head}:{self.prefix}customers"], cwd=self.top,
                               env=gitstatus.no_locks(), capture_output=True)
        return found.stdout if found.returncode == 0 and self.head else b""

    @cached_property
    def _spans(self) -> dict[str, tuple[int, int]]:
        """customer -> where its entries lie in `listing`: one pass over it (searching per
        dossier from the start would cost the buffer's length for each of 10 000)."""
        pattern = re.compile(rb"\t([^/\0]+)/[^\0]*\0")
        spans: dict[str, tuple[int, int]] = {}
        current, start, end = b"", 0, 0
        for m in pattern.finditer(self.listing):
            if m.group(1) != current:
                if current:
                    spans[current.decode("utf-8", "surrogateescape")] = (start, end)
                current, start = m.group(1), self.listing.rfind(b"\0", 0, m.start()) + 1
            end = m.end()
        if current:
            spans[current.decode("utf-8", "surrogateescape")] = (start, end)
        return spans

    def blobs(self, customer: str) -> dict[str, str]:
        """path (relative to the archive) -> content id of one dossier's files in `head`."""
        start, end = self._spans.get(customer, (0, 0))
        out = {}
        for entry in self.listing[start:end].decode("utf-8", "surrogateescape").split("\0"):
            if entry:
                meta, path = entry.split("\t", 1)
                out[f"customers/{path}"] = meta.split(" ")[2]
        return out

    @cached_property
    def pages(self) -> dict[str, str]:
        """catalogue file -> content id, for those unchanged in the work tree."""
        if self.catalogue_dirty == {"*"}:
            return {}
        return {page: blob for page, blob in self.head_pages.items() if page not in self.catalogue_dirty}


def snapshot(root: Path) -> Snapshot | None:
    """HEAD's folders and files under customers/ and catalogue/, and the work tree's changes (None outside git, or if git fails).

    `status` compares HEAD, the index and the work tree, the way `git status`
    does (stat data first, content when in doubt), with no pathspec: matching
    one against every path costs more than it saves. While it looks, HEAD's
    trees of customers/ and catalogue/ are read (no file is looked at).
    """
    import subprocess

    from cardctl import gitstatus

    def status(ignored: bool) -> subprocess.Popen[bytes]:
        # An ignored file in a dossier is still in the dossier; listing ignored
        # files costs about half a status more, so only when a rule may reach one.
        return subprocess.Popen(gitstatus.ARGS + (["--ignored=matching"] if ignored else []), cwd=top, env=gitstatus.no_locks(),
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    place = where(root)
    if place is None:
        return None
    top, prefix = place
    try:
        ignored = _ignore_rules_may_reach(top, root)
        looking = gitstatus.take(top)  # started as the command began (see gitstatus), without --ignored
        if looking is None or ignored:
            gitstatus.stop(looking)
            looking = status(ignored)
        head = rev_parse(top, "HEAD") or ""  # before the first commit nothing is vouched for
        in_customers = tree_entries(top, f"{head}:{prefix}customers") if head else []
        trees = {name: oid for kind, oid, name in in_customers if kind == "tree"}
        head_pages = {f"catalogue/{name}": oid for kind, oid, name in (tree_entries(top, f"{head}:{prefix}catalogue") if head else [])
                      if kind == "blob"}
        if ("blob", ".gitignore") in {(kind, name) for kind, _, name in in_customers} and not ignored:
            # A tracked customers/.gitignore: its rules may hide files in any dossier.
            # (One inside a dossier keeps that dossier out of the cache: see dossier_cache.)
            gitstatus.stop(looking)
            looking = status(True)
        changed, _ = looking.communicate()
    except OSError:
        return None
    if looking.returncode:
        return None
    dirty: set[str] = set()
    catalogue_dirty: set[str] = set()
    all_dirty = False
    for entry in changed.decode("utf-8", "surrogateescape").split("\0"):
        if len(entry) <= 3 or not entry[3:].startswith(prefix):
            continue
        path = entry[3 + len(prefix) :]
        if path.startswith("catalogue/"):
            catalogue_dirty.add(path if path != "catalogue/" else "*")
        elif path.startswith("customers/") or path == "customers":
            parts = path.split("/", 2)
            if len(parts) > 2 and parts[1]:
                dirty.add(parts[1])
            else:
                all_dirty = True  # customers/ itself, or a file in it (a .gitignore there bears on every dossier)
    return Snapshot(top, prefix, head, trees, head_pages, dirty, all_dirty, catalogue_dirty)


# What cardctl itself writes into .gitignore: these hide nothing the checks read
# (the scanner passes over cardctl's temporary files anyway).
_OWN_IGNORES = {".cardctl/", ".cardctl", "/.cardctl/", "/.cardctl"}


def _ignore_rules_may_reach(top: Path, root: Path) -> bool:
    """Whether an ignore file has a rule that could hide a file under customers/ from `git status`.

    A rule anchored to another folder than the one leading to customers/
    cannot; neither can cardctl's own. Any other rule, or an ignore file that
    cannot be read, counts as reaching the dossiers, and so does any
    customers/.gitignore (one that ignores itself shows nowhere else). One
    inside a dossier keeps that dossier out of the cache (see dossier_cache).
    """
    import subprocess

    from cardctl.yamlio import TEMP_PREFIX

    target = Path(os.path.abspath(root)) / "customers"
    if os.path.lexists(target / ".gitignore"):
        return True
    git_dir = top / ".git"
    if not git_dir.is_dir():
        # A linked worktree (or a submodule): .git is a file naming the real
        # folder, and info/exclude is in the repository's common folder.
        try:
            found = subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-common-dir"], cwd=top, capture_output=True, text=True)
        except OSError:
            return True
        if found.returncode or not found.stdout.strip():
            return True
        git_dir = Path(found.stdout.strip())
    sources = [(git_dir / "info" / "exclude", top)]
    folder = top
    sources.append((folder / ".gitignore", folder))
    for part in target.relative_to(top).parts[:-1]:
        folder = folder / part
        sources.append((folder / ".gitignore", folder))
    try:
        configured = subprocess.run(["git", "config", "--path", "--get", "core.excludesFile"], cwd=top, capture_output=True, text=True).stdout.strip()
    except OSError:
        return True
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    sources.append((Path(configured) if configured else Path(xdg) / "git" / "ignore", top))
    for source, base in sources:
        try:
            lines = source.read_text(encoding="utf-8").splitlines()
        except (FileNotFoundError, NotADirectoryError):
            continue
        except (OSError, UnicodeDecodeError):
            return True
        towards = target.relative_to(base).parts[0]  # the folder under `base` that holds the dossiers
        for raw in lines:
            rule = raw.strip()
            if not rule or rule.startswith("#") or rule in _OWN_IGNORES or rule == f"{TEMP_PREFIX}*":
                continue
            anchored = "/" in rule.rstrip("/")  # a slash at the start or in the middle ties it to `base`
            head = rule.lstrip("/").split("/")[0]
            if anchored and not any(c in head for c in "*?[\\!") and head != towards:
                continue
            return True
    return False
