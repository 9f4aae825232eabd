"""Crash trials: kill `cardctl` with SIGKILL at random moments and check what a user is left with.

Each trial copies a small archive that is a git repository, starts one write
command of the installed `cardctl` as a subprocess, kills it with SIGKILL
after a random delay, and then checks what a user would see. Two complete
runs are timed first: a quarter of the kills fall anywhere in the run, the
rest in the window from its first write to its last change in git (a few
tens of milliseconds at the end of a run of seconds), counted from the
moment the trial sees the first write. After each kill:

* right after the kill: every file holds its old bytes or the bytes a
  complete run writes (no half-written file under a real name); every
  committed record is still there, or at the place a reply moved it to;
  `validate` never names a temporary or unreadable file; `git fsck` and
  `git status` work;
* after the documented recovery (below): `validate` exits 0, the work tree
  is exactly what a complete run leaves, `git status` shows nothing but
  leftover `.cardctl-tmp-*` files, and HEAD holds one new commit (and, for a
  close, the tag) with everything the command writes.

Recovery, as a user is told to do it:

* a lock git left behind (`.git/index.lock`, `HEAD.lock`, a ref's `.lock`;
  git or cardctl names it): no git command is running, so delete it;
* `customer set` and `close`: run the same command again;
* `record add`: if the new record file is there, the write is done (a rerun
  would file a second record): stage and commit what `git status` lists,
  leaving out `.cardctl-tmp-*` files; otherwise run the same command again.

Two kill modes alternate: `process` kills cardctl alone (a git it started
runs to its end, as when the OOM killer picks cardctl), `group` kills cardctl
and the git it runs together (`kill -9 -PGID`; the nearest a test gets to a
machine that stops).

Run it directly (`python tests/crash.py --trials 200`) or through
tests/test_crash.py (CARDCTL_CRASH_TRIALS=200 .venv/bin/pytest tests/test_crash.py).
A seed fixes the modes and the delays as fractions of the measured times;
timing on a busy machine still varies, so a replay hits the same phase of
the command, not always the same instruction.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
BASE = HERE / "corpus" / "base"
TEMP_PREFIX = ".cardctl-tmp-"  # cardctl.yamlio.TEMP_PREFIX, spelt out: this is what a user sees
CARDCTL = shutil.which("cardctl", path=str(Path(sys.executable).parent)) or shutil.which("cardctl")


# --- the archive and the git around it -------------------------------------------------


def git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=check)


def make_repo(root: Path) -> None:
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "archive")


def files_of(root: Path) -> tuple[dict[str, bytes], list[str]]:
    """The work tree a user sees ({path: bytes}), and the leftover temporary files, apart."""
    found: dict[str, bytes] = {}
    temps: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        if rel_dir == ".":
            dirnames[:] = [d for d in dirnames if d not in (".git", ".cardctl")]
        for name in filenames:
            rel = os.path.normpath(os.path.join(rel_dir, name)).replace(os.sep, "/")
            if name.startswith(TEMP_PREFIX):
                temps.append(rel)
            else:
                found[rel] = (Path(dirpath) / name).read_bytes()
    return found, sorted(temps)


def stale_locks(root: Path) -> list[str]:
    """git's lock files a killed git left (its own next-index-*.lock leftovers are harmless and ignored by git)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root / ".git"):
        dirnames[:] = [d for d in dirnames if d != "objects"]
        for name in filenames:
            if name.endswith(".lock") and not name.startswith("next-index-"):
                found.append(os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/"))
    return sorted(found)


def git_env(home: Path) -> dict[str, str]:
    """An isolated git identity (张伟 is on the staff list of the base archive)."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / ".gitconfig"
    config.write_text("[user]\n\tname = 张伟\n\temail = zhangwei@example.com\n[init]\n\tdefaultBranch = main\n", encoding="utf-8")
    env = {"HOME": str(home), "GIT_CONFIG_GLOBAL": str(config), "GIT_CONFIG_NOSYSTEM": "1"}
    return env


def folder_stamps(root: Path, with_git: bool = False) -> dict[str, int]:
    """Modification times of the folders: any file created, renamed or removed changes one (git's too: it renames its locks)."""
    stamps = {}
    for dirpath, dirnames, _ in os.walk(root):
        if dirpath == str(root):
            dirnames[:] = [d for d in dirnames if d != ".cardctl" and (with_git or d != ".git")]
        try:
            stamps[dirpath] = os.stat(dirpath).st_mtime_ns
        except FileNotFoundError:
            pass
    return stamps


def watch_writes(root: Path, proc: subprocess.Popen[bytes]) -> tuple[float | None, float | None]:
    """When the running command first changes the work tree and last changes anything (git included)."""
    tree, everything = folder_stamps(root), folder_stamps(root, with_git=True)
    first = last = None
    while proc.poll() is None:
        now = time.monotonic()
        if first is None and folder_stamps(root) != tree:
            first = now
        seen = folder_stamps(root, with_git=True)
        if seen != everything:
            everything, last = seen, now
        time.sleep(0.001)
    return first, last


def watch_first_write(root: Path, proc: subprocess.Popen[bytes], idle: float = 0.0) -> float | None:
    """The moment (time.monotonic) the running command first changes the work tree; None if it ended first.

    `idle`: seconds to wait before looking (the command is still starting up), to leave the cores to it.
    """
    before = folder_stamps(root)
    time.sleep(idle)
    while proc.poll() is None:
        if folder_stamps(root) != before:
            return time.monotonic()
        time.sleep(0.001)
    return None


_IN_PROCESS = threading.Lock()  # standard output is one per process: one in-process run at a time


def run_inprocess(root: Path, args: list[str]) -> tuple[int, str, str]:
    """`cardctl -C ROOT ARGS` in this process (the same entry point as the installed script, without its start-up time)."""
    from cardctl.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with _IN_PROCESS, redirect_stdout(out), redirect_stderr(err):
        code = main(["-C", str(root), *args])
    return code, out.getvalue(), err.getvalue()


# --- the three commands ----------------------------------------------------------


@dataclass
class Scenario:
    name: str
    args: list[str]
    prepare: Callable[[Path, Path], None]  # (archive, work folder): make the archive ready to commit
    new_record: re.Pattern[str] | None = None  # id of a record the command files (random suffix)
    tagged: str | None = None  # the tag a complete run creates

    def normal(self, text: str) -> str:
        return self.new_record.sub(self.new_record.pattern.split("-[")[0] + "-XXXX", text) if self.new_record else text


REQUEST = "customers/KH0001/credit/2024/2024-12-20-extension-req1.yaml"


def _prepare_reply(root: Path, work: Path) -> None:
    """A 2024 request with a scan, which the reply moves into 2025 (SPEC §4), and a scan to attach."""
    import hashlib

    scan = b"%PDF request scan\n" * 50
    (root / "customers/KH0001/credit/2024/files").mkdir(parents=True)
    (root / "customers/KH0001/credit/2024/files/申请.pdf").write_bytes(scan)
    (root / REQUEST).write_text(
        "id: 2024-12-20-extension-req1\nkind: extension\ndate: 2024-12-20\ntitle: 延期付款申请\nauthor: 王芳\n"
        "expects_reply: true\noriginal_due: 2024-12-31\nnew_due: 2025-03-31\napproved_by: 赵经理\n"
        f"attachments:\n  - path: files/申请.pdf\n    sha256: {hashlib.sha256(scan).hexdigest()}\n", encoding="utf-8")
    (work / "批复.pdf").write_bytes(b"%PDF reply scan\n" * 50)


def _prepare_nothing(root: Path, work: Path) -> None:
    pass


def _prepare_catalogue(root: Path, work: Path) -> None:
    """A committed catalogue, which the close brings up to date with the new codes."""
    code, _, err = run_inprocess(root, ["index"])
    assert code == 0, err


def scenarios(work: Path) -> dict[str, Scenario]:
    return {
        "record": Scenario(
            "record",
            ["record", "add", "KH0001", "extension", "--date", "2025-01-06", "--title", "延期付款批复",
             "--set", "original_due=2024-12-31", "--set", "new_due=2025-03-31", "--set", "approved_by=赵经理",
             "--set", "relation.type=reply", "--set", "relation.of=2024-12-20-extension-req1",
             "--attach", str(work / "批复.pdf"), "--commit"],
            _prepare_reply,
            new_record=re.compile(r"2025-01-06-extension-[a-z0-9]{4}"),
        ),
        "customer": Scenario(
            "customer",
            ["customer", "set", "KH0001", "region=华南", "grade=B", "credit.limit=80000", "contacts.0.phone=13800001234", "--commit"],
            _prepare_nothing,
        ),
        "close": Scenario("close", ["close", "2025", "--checker", "李娜"], _prepare_catalogue, tagged="close/2025"),
    }


# --- one trial -------------------------------------------------------------------


@dataclass
class Reference:
    """The archive before the command (committed) and after one complete run."""

    before: dict[str, bytes]
    after: dict[str, bytes]  # paths and bytes with the new record id normalised
    seconds: float  # a complete run
    first_write: float  # from the start to its first change in the work tree
    last_write: float  # ... to its last change of anything (the commit or tag)


@dataclass
class Kill:
    """When and how a trial kills the command."""

    after: str  # "start" or "first write" (the first change the command makes in the work tree)
    delay: float  # seconds after that
    mode: str  # "process" (cardctl alone) or "group" (cardctl and the git it runs)

    def __str__(self) -> str:
        return f"SIGKILL to the {self.mode} {self.delay:.3f}s after {self.after}"


@dataclass
class Trial:
    number: int
    kill: Kill
    outcome: str = ""
    temps: list[str] = field(default_factory=list)
    locks: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    folder: Path | None = None

    def describe(self, scenario: str, seed: object) -> str:
        head = f"{scenario} trial {self.number} (seed {seed}: {self.kill}; outcome {self.outcome}; kept in {self.folder})"
        return head + "".join(f"\n    - {f}" for f in self.failures)


class Runner:
    def __init__(self, scenario: Scenario, work: Path, env: dict[str, str]) -> None:
        self.s = scenario
        self.work = work
        self.env = env
        self.template = work / f"template-{scenario.name}"
        self.ref: Reference | None = None

    # -- setting up

    def build(self) -> None:
        shutil.copytree(BASE, self.template, symlinks=True)
        self.s.prepare(self.template, self.work)
        make_repo(self.template)
        code, out, err = run_inprocess(self.template, ["validate"])
        assert code == 0, f"the {self.s.name} template does not validate:\n{out}{err}"

    def fresh(self, name: str) -> Path:
        dest = self.work / name
        shutil.copytree(self.template, dest, symlinks=True)
        return dest

    def normalised(self, files: dict[str, bytes]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for path, data in files.items():
            key = self.s.normal(path)
            if key in out:  # two new records where one was asked for
                key += " (a second one)"
            out[key] = self.s.normal(data.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")
        return out

    def measure(self, runs: int = 2, jobs: int = 1) -> Reference:
        """Run the command to its end (twice, side by side as the trials run): its times, and the archive it leaves."""
        with ThreadPoolExecutor(jobs) as pool:
            done = list(pool.map(self._complete_run, range(runs)))
        before, _ = files_of(self.template)
        self.ref = Reference(before, done[-1][3], *(statistics.median(d[i] for d in done) for i in range(3)))
        return self.ref

    def _complete_run(self, i: int) -> tuple[float, float, float, dict[str, bytes]]:
        """(seconds, first write, last write, normalised files) of one complete run."""
        root = self.fresh(f"{self.s.name}-reference-{i}")
        start = time.monotonic()
        proc = subprocess.Popen([CARDCTL, *self.s.args], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        first, last = watch_writes(root, proc)
        out, err = proc.communicate(timeout=120)
        seconds = time.monotonic() - start
        assert proc.returncode == 0, f"{self.s.name}: the complete run failed ({proc.returncode}):\n{out.decode()}{err.decode()}"
        assert first is not None and last is not None, f"{self.s.name}: a complete run wrote nothing"
        files, temps = files_of(root)
        assert not temps, f"a complete run left {temps}"
        shutil.rmtree(root)
        return seconds, first - start, last - start, self.normalised(files)

    # -- the trial

    def trial(self, number: int, plan: Kill) -> Trial:
        assert self.ref is not None
        t = Trial(number, plan)
        root = t.folder = self.fresh(f"{self.s.name}-{number:04d}")
        start = git(root, "rev-parse", "HEAD").stdout.strip()
        proc = subprocess.Popen([CARDCTL, *self.s.args], cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        if plan.after == "first write":
            watch_first_write(root, proc, idle=self.ref.first_write / 2)
        time.sleep(plan.delay)
        try:
            if plan.mode == "group":
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
        except ProcessLookupError:
            pass
        _, err = proc.communicate()
        killed = proc.returncode == -signal.SIGKILL
        self._wait_for_orphans(proc.pid, t)
        if not killed and (proc.returncode != 0 or b"Traceback" in err):
            t.failures.append(f"the command was not killed but ended with {proc.returncode}: {err.decode('utf-8', 'replace')}")
        self.after_kill(root, start, t)
        if not t.failures:
            self.recover(root, t)
        if not t.failures:
            self.after_recovery(root, start, t)
        if not t.failures:
            shutil.rmtree(root)
            t.folder = None
        return t

    def _wait_for_orphans(self, pgid: int, t: Trial) -> None:
        """A git started by a killed cardctl runs on (mode `process`): wait until it is done."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.01)
        t.failures.append("processes of the killed command were still running after 60 s")

    def after_kill(self, root: Path, start: str, t: Trial) -> None:
        ref = self.ref
        assert ref is not None
        raw, t.temps = files_of(root)
        now = self.normalised(raw)
        t.locks = stale_locks(root)
        # no half-written file: each path holds its old bytes or the bytes of a complete run
        for path in sorted(set(now) | set(ref.before) | set(ref.after)):
            if now.get(path) not in (ref.before.get(path), ref.after.get(path)):
                state = "missing" if path not in now else f"{len(now[path])} bytes, neither the old nor the new content"
                t.failures.append(f"{path}: {state} after the kill")
        # every committed file is still there, or where a complete run puts it (a moved request)
        for path, data in ref.before.items():
            if now.get(path) in (data, ref.after.get(path)):
                continue
            if path not in ref.after and any(now.get(q) == data for q in ref.after if q not in ref.before):
                continue
            t.failures.append(f"committed {path} is lost: neither at its place nor where the command moves it")
        # git is sound
        for args in (["fsck", "--no-progress", "--no-dangling"], ["status", "--porcelain"]):
            done = git(root, *args, check=False)
            if done.returncode != 0:
                t.failures.append(f"git {' '.join(args)} exit {done.returncode}: {done.stderr.strip()}")
        head = git(root, "rev-parse", "HEAD").stdout.strip()
        # what validate says now: never a half-written or temporary file
        code, out, err = run_inprocess(root, ["validate", "--format", "json"])
        findings = json.loads(out) if out.strip() else []
        for f in findings:
            if f["code"].startswith("F1") or TEMP_PREFIX in f["path"]:
                t.failures.append(f"validate after the kill: {f['path']}: {f['code']} {f['message']}")
        if code not in (0, 1) or "internal error" in err:
            t.failures.append(f"validate after the kill: exit {code}: {err.strip()}")
        t.outcome = self.classify(now, head, start, root, t.temps)
        if t.outcome in ("nothing written", "temp file only", "written", "committed", "complete") and code != 0:
            t.failures.append(f"validate exit {code} with the archive {t.outcome}: " + "; ".join(f"{f['path']} {f['code']}" for f in findings))

    def classify(self, now: dict[str, bytes], head: str, start: str, root: Path, temps: list[str]) -> str:
        """How far the killed command got: nothing written, temp file only, partly written, written, committed, complete."""
        ref = self.ref
        assert ref is not None
        if now == ref.before:
            if head != start:
                return "?? committed, files as before"
            return "temp file only" if temps else "nothing written"
        if now != ref.after:
            return "partly written"
        if head == start:
            return "written"
        if self.s.tagged and git(root, "tag", "-l", self.s.tagged).stdout.strip() == "":
            return "committed"
        return "complete"

    def recover(self, root: Path, t: Trial) -> None:
        """What the user is told to do after an interrupted command."""
        for lock in t.locks:
            # git's message (or cardctl's, see test_crash.py) names the lock; no git is running: the user deletes it.
            (root / lock).unlink()
        if self.s.new_record is not None and t.outcome in ("written", "committed", "complete"):
            # The record is there, so the write is done: what git status still lists, the user commits.
            status = git(root, "status", "--porcelain", "-z", "--untracked-files=all").stdout.split("\0")
            paths = [e[3:] for e in status if len(e) > 3 and TEMP_PREFIX not in e]
            if paths:
                git(root, "add", "-A", "--", *paths)
            if git(root, "diff", "--cached", "--quiet", check=False).returncode:
                git(root, "commit", "-qm", "record add (finished by hand)")
            return
        code, out, err = run_inprocess(root, self.s.args)
        if code != 0:
            t.failures.append(f"rerun: exit {code}: {out.strip()} {err.strip()}")

    def after_recovery(self, root: Path, start: str, t: Trial) -> None:
        ref = self.ref
        assert ref is not None
        code, out, err = run_inprocess(root, ["validate"])
        if code != 0:
            t.failures.append(f"validate after recovery: exit {code}: {out.strip()}")
        raw, temps = files_of(root)
        now = self.normalised(raw)
        for path in sorted(set(now) | set(ref.after)):
            if now.get(path) != ref.after.get(path):
                t.failures.append(f"after recovery {path} differs from a complete run ({'missing' if path not in now else 'extra' if path not in ref.after else 'other bytes'})")
        status = [line for line in git(root, "status", "--porcelain", "--untracked-files=all").stdout.splitlines() if TEMP_PREFIX not in line]
        if status:
            t.failures.append(f"after recovery git status shows {status}")
        commits = git(root, "rev-list", "--count", f"{start}..HEAD").stdout.strip()
        if commits != "1":
            t.failures.append(f"after recovery {commits} new commits instead of 1")
        committed = git(root, "ls-tree", "-r", "--name-only", "HEAD").stdout.splitlines()
        if any(TEMP_PREFIX in p for p in committed):
            t.failures.append(f"a temporary file was committed: {[p for p in committed if TEMP_PREFIX in p]}")
        if self.s.tagged:
            tag = git(root, "rev-parse", "--verify", "-q", f"{self.s.tagged}^{{commit}}", check=False).stdout.strip()
            if tag != git(root, "rev-parse", "HEAD").stdout.strip():
                t.failures.append(f"tag {self.s.tagged} does not point at HEAD after recovery")
            code, out, err = run_inprocess(root, ["verify"])
            if code != 0:
                t.failures.append(f"verify after recovery: exit {code}: {out.strip()} {err.strip()}")
        done = git(root, "fsck", "--no-progress", "--no-dangling", check=False)
        if done.returncode != 0:
            t.failures.append(f"git fsck after recovery: {done.stderr.strip()}")


# --- a series of trials -----------------------------------------------------------


def kills(rng: random.Random, ref: Reference, count: int) -> list[Kill]:
    """A quarter of the trials die anywhere in the run; the rest between its first and last write (git's included).

    Start-up (imports, reading and checking the archive) takes most of a
    run, and leaving the interpreter most of the rest; the writes and git
    take a few tens of milliseconds. Counting the delay from the first
    write puts most kills into that window, however slow the machine is at
    the moment. The files are written in its first few milliseconds, git
    takes the rest: squaring the random fraction crowds the kills towards
    the start of the window without leaving any of it out.
    """
    out = []
    for i in range(count):
        mode = "group" if rng.random() < 0.5 else "process"
        if i % 4 == 0:
            out.append(Kill("start", rng.uniform(0.0, 1.05) * ref.seconds, mode))
        else:
            out.append(Kill("first write", rng.uniform(0.0, 1.1) ** 2 * max(ref.last_write - ref.first_write, 0.02), mode))
    return out


@dataclass
class Series:
    scenario: str
    seed: object
    seconds: float
    first_write: float
    last_write: float
    trials: list[Trial]
    wall: float
    jobs: int = 1

    @property
    def failed(self) -> list[Trial]:
        return [t for t in self.trials if t.failures]

    def summary(self) -> str:
        outcomes = Counter(t.outcome for t in self.trials)
        temps = sum(1 for t in self.trials if t.temps)
        locks = Counter(lock for t in self.trials for lock in t.locks)
        shown = ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items()))
        return (f"crash {self.scenario}: {len(self.trials)} trials ({self.jobs} at a time, seed {self.seed}, run {self.seconds:.2f}s, writes from {self.first_write:.2f}s to {self.last_write:.2f}s, {self.wall:.0f}s in all), "
                f"{len(self.failed)} failed; {shown}; leftover temp files in {temps} trials; stale git locks: {dict(locks) or 'none'}")


def default_jobs() -> int:
    """Trials side by side: one per core, at most two (CARDCTL_CRASH_JOBS overrides)."""
    return int(os.environ.get("CARDCTL_CRASH_JOBS") or min(2, os.cpu_count() or 1))


def run_series(name: str, count: int, seed: object, work: Path, env: dict[str, str] | None = None, jobs: int | None = None) -> Series:
    """`count` trials of one command; `jobs` of them at a time (each kill is timed from its own command's first write)."""
    began = time.monotonic()
    jobs = jobs or default_jobs()
    old = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        runner = Runner(scenarios(work)[name], work, env or {})
        runner.build()
        ref = runner.measure(jobs=jobs)
        rng = random.Random(f"{seed}:{name}")
        with ThreadPoolExecutor(jobs) as pool:
            trials = list(pool.map(lambda numbered: runner.trial(*numbered), enumerate(kills(rng, ref, count))))
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return Series(name, seed, ref.seconds, ref.first_write, ref.last_write, trials, time.monotonic() - began, jobs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=200, help="trials in all, shared by the commands (default 200)")
    parser.add_argument("--seed", default=None, help="replay a series")
    parser.add_argument("--only", choices=["record", "customer", "close"], action="append", help="run only these commands")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--jobs", type=int, default=None, help="trials side by side (default: one per core, at most 2)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else str(random.SystemRandom().randrange(10**6))
    names = args.only or ["record", "customer", "close"]
    per = -(-args.trials // len(names))
    work = Path(tempfile.mkdtemp(prefix="cardctl-crash-"))
    print(f"crash trials: seed {seed}, {per} per command, in {work}", flush=True)
    env = git_env(work / "home")
    for name in ("CARDCTL_ARCHIVE", "CARDCTL_DEBUG"):  # the trials find their archives themselves; no tracebacks
        os.environ.pop(name, None)
    failed = 0
    for name in names:
        series = run_series(name, per, seed, work, env, jobs=args.jobs)
        print(series.summary(), flush=True)
        for t in series.failed:
            print("  " + t.describe(name, seed), flush=True)
        failed += len(series.failed)
    if not failed and not args.keep:
        shutil.rmtree(work)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
