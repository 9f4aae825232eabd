"""The cardctl benchmark: every target of issue 7 measured in one run.

    .venv/bin/python bench/run.py            # 10 000 customers, 300 000 records
    .venv/bin/python bench/run.py --small    # 1 000 customers, 30 000 records, for a quick look
    .venv/bin/python bench/run.py --write-docs   # also record the table in docs/performance.md

The archives are generated once under bench/.data/ (git-ignored) and kept as
git repositories; every measurement is the median of --repeat runs of the
installed `cardctl` as a user runs it, and ratios compare numbers of the same
run on the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
BIN = Path(sys.executable).parent
CARDCTL = str(BIN / "cardctl")
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402


def sh(args: list[str], cwd: Path, check: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env)
    if check and result.returncode not in (0,):
        raise SystemExit(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return result


# Peak resident memory of each cardctl command the benchmark runs (MB): its own
# processes (itself and its workers), and with the git commands it runs.
PEAKS: dict[str, float] = {}
PEAKS_WITH_GIT: dict[str, float] = {}


def _processes(pid: int) -> list[int]:
    """`pid` and all its descendants, from /proc (Linux)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            continue  # gone meanwhile
    return found


def _own_peak_mb(pid: int) -> float:
    """The largest high-water mark (VmHWM) among `pid`'s processes that are not git."""
    peak = 0.0
    for proc in _processes(pid):
        try:
            with open(f"/proc/{proc}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        if fields.get("Name", "").strip() != "git" and "VmHWM" in fields:
            peak = max(peak, int(fields["VmHWM"].split()[0]) / 1024)
    return peak


def run_measured(args: list[str], cwd: Path) -> tuple[int, str, float, float]:
    """Run a command: exit code, stderr, peak memory of its own processes, and of all of them with git (MB).

    The first is polled every 50 ms (a worker's high-water mark as last seen
    before it ends); the second comes from wait4, exact, and counts git's own
    memory (about 200 MB for this archive's 58 MB index) as cardctl's.
    """
    import threading

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(args, cwd=cwd, stdout=out, stderr=err)
        own = [0.0]
        done = threading.Event()

        def poll() -> None:
            while not done.wait(0.05):
                own[0] = max(own[0], _own_peak_mb(proc.pid))

        watcher = threading.Thread(target=poll, daemon=True)
        watcher.start()
        # wait4 gives this child's own resource use, its waited-for workers included.
        _, status, usage = os.wait4(proc.pid, 0)
        done.set()
        watcher.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        return proc.returncode, err.read().decode("utf-8", "replace"), own[0], usage.ru_maxrss / 1024


def cpu_model() -> str:
    """The processor's name as Linux gives it: runs on machines of the same kind have differed twofold in speed."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "unknown processor")
    except OSError:
        return "unknown processor"


def once(args: list[str], cwd: Path, ok: tuple[int, ...] = (0,)) -> float:
    """Wall time of one run of a command (seconds); a cardctl command's peak memory goes to PEAKS."""
    start = time.perf_counter()
    code, stderr, peak, with_git = run_measured(args, cwd)
    elapsed = time.perf_counter() - start
    if code not in ok:
        raise SystemExit(f"{' '.join(args)} failed ({code}): {stderr[-1500:]}")
    if args[0] == CARDCTL:
        name = " ".join(a for a in args[1:3] if not a.startswith("-") and not a.isupper() and not a.isdigit()) or args[1]
        PEAKS[name] = max(PEAKS.get(name, 0.0), peak)
        PEAKS_WITH_GIT[name] = max(PEAKS_WITH_GIT.get(name, 0.0), with_git)
    return elapsed


def timed(args: list[str], cwd: Path, repeat: int) -> float:
    """Median wall time of a command (seconds)."""
    return statistics.median([once(args, cwd) for _ in range(repeat)])


class Job(NamedTuple):
    """One command timed by timed_side_by_side; `before` and `after` (given the round's number) are not timed."""

    args: list[str] | Callable[[], None]  # a command, or a function that runs several
    cwd: Path
    before: Callable[[int], object] | None = None
    after: Callable[[int], object] | None = None


def timed_side_by_side(jobs: dict[str, Job | tuple[list[str], Path]], repeat: int) -> dict[str, float]:
    """Median wall times of commands whose ratio is a target, run in turn round by round:
    a few seconds (or minutes) of load from elsewhere on a shared machine then slows all, not one."""
    times: dict[str, list[float]] = {name: [] for name in jobs}
    for round_no in range(repeat):
        for name, job in jobs.items():
            job = Job(*job)
            if job.before is not None:
                job.before(round_no)
            if callable(job.args):
                start = time.perf_counter()
                job.args()
                times[name].append(time.perf_counter() - start)
            else:
                times[name].append(once(job.args, job.cwd))
            if job.after is not None:
                job.after(round_no)
    return {name: statistics.median(t) for name, t in times.items()}


def prepare(root: Path, customers: int, records: int) -> Path:
    archive = root / "archive"
    if (archive / ".git").is_dir():
        return archive
    if root.exists():
        shutil.rmtree(root)
    print(f"generating {customers} customers / {records} records in {archive} ...", flush=True)
    generate(archive, customers, records)
    sh(["git", "init", "-q"], archive)
    sh(["git", "config", "user.name", "王芳"], archive)
    sh(["git", "config", "user.email", "bench@example.com"], archive)
    sh(["git", "config", "core.untrackedCache", "true"], archive)  # as `cardctl init` sets it
    sh(["git", "add", "-A"], archive)
    sh(["git", "commit", "-qm", "benchmark archive"], archive)
    return archive


def record_files(archive: Path) -> list[Path]:
    return sorted(p for p in (archive / "customers").glob("*/*/*/*.yaml") if not p.name.startswith("VOLUME-"))


def floor_rate(archive: Path, files: list[Path]) -> float:
    """Read + parse every record file, one process: the floor any validator stands on."""
    listing = archive.parent / "files.txt"
    listing.write_text("\n".join(map(str, files)), encoding="utf-8")
    script = ("import sys, time; from cardctl import yamlcore\n"
              "paths = open(sys.argv[1], encoding='utf-8').read().split('\\n')\n"
              "t = time.perf_counter()\n"
              "for p in paths:\n    yamlcore.load(open(p, 'rb').read().decode('utf-8'))\n"
              "print(len(paths) / (time.perf_counter() - t))")
    return float(sh([sys.executable, "-c", script, str(listing)], archive).stdout)


def check_jsonschema_run(archive: Path, files: list[Path], sample: int) -> tuple[Callable[[], None], int]:
    """check-jsonschema (one process at a time) on `sample` record files with cardctl's schemas:
    (a run of it, to be timed; the number of files it checks)."""
    exe = BIN / "check-jsonschema"
    if not exe.exists():
        raise SystemExit("check-jsonschema is not installed: pip install -e '.[bench]'")
    schema_dir = archive.parent / "schemas"
    schema_dir.mkdir(exist_ok=True)
    from cardctl.schemas import SchemaSet

    for name, schema in SchemaSet().editor_schemas().items():
        (schema_dir / name).write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    chosen = files[:: max(1, len(files) // sample)][:sample]
    by_kind: dict[str, list[str]] = {}
    for path in chosen:
        kind = re.match(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}-(.+)-[0-9a-z]+$", path.stem).group(1)  # type: ignore[union-attr]
        by_kind.setdefault(kind, []).append(str(path))

    def run() -> None:
        for kind, paths in by_kind.items():
            for i in range(0, len(paths), 2000):
                subprocess.run([str(exe), "--schemafile", str(schema_dir / f"{kind}.schema.json"), *paths[i : i + 2000]],
                               cwd=archive, capture_output=True, text=True)

    return run, len(chosen)


def touch_three(archive: Path) -> list[Path]:
    files = record_files(archive)
    chosen = [files[len(files) // 4], files[len(files) // 2], files[3 * len(files) // 4]]
    for path in chosen:
        path.write_text(path.read_text(encoding="utf-8") + "notes: 基准测试改动\n", encoding="utf-8")
    return chosen


def forget_cache(archive: Path) -> None:
    shutil.rmtree(archive / ".cardctl" / "cache", ignore_errors=True)


def restore(archive: Path) -> None:
    sh(["git", "checkout", "-q", "--", "customers"], archive)
    sh(["git", "clean", "-qfd", "--", "customers"], archive)


def back_to_start(archive: Path) -> None:
    """The generated archive as first committed: a run stopped halfway (Ctrl-C) may have left a close, a catalogue or changes."""
    first = sh(["git", "rev-list", "--max-parents=0", "HEAD"], archive).stdout.split()[0]
    sh(["git", "reset", "-q", "--hard", first], archive)
    for tag in sh(["git", "tag", "--list", "close/*"], archive).stdout.split():
        sh(["git", "tag", "-d", tag], archive)
    sh(["git", "clean", "-qfd", "--", "customers", "seals", "catalogue"], archive)
    fsmonitor_off(archive)  # every run starts with plain git


def against_git(big: Path, small: Path, r: int, label: str) -> dict[str, float]:
    """The measurements whose goals compare with git's look at the work tree (`label` names git's setup)."""
    m: dict[str, float] = {}
    sh([CARDCTL, "validate"], big)  # warm: nothing changed since the last run
    m.update(timed_side_by_side({f"git status{label}": (["git", "status", "--porcelain"], big),
                                 f"validate warm{label}": ([CARDCTL, "validate"], big)}, max(r, 5)))
    touch_three(big)
    if not label:
        # The first run after a clone (as in CI) reads every card once; later ones, at any HEAD, only the changed.
        (big / ".cardctl" / "cache" / "identities-at-head.json").unlink(missing_ok=True)
        m["validate --changed-since, first run (no cache)"] = timed([CARDCTL, "validate", "--changed-since", "HEAD"], big, 1)
    sh([CARDCTL, "validate"], small)  # its cache up to date, as the big archive's is
    m.update(timed_side_by_side({f"validate, 10 customers{label}": ([CARDCTL, "validate"], small),
                                 f"validate --changed-since (3 files){label}": ([CARDCTL, "validate", "--changed-since", "HEAD"], big)},
                                max(r, 5)))
    # cardctl's own status never writes git's index (it takes no lock), so above
    # git looks again at what changed since the index was last written. Any git
    # command that writes it (a `git status`, a shell prompt showing the branch)
    # spares it that: with the monitor, the three folders are back in git's
    # untracked cache. Both states are a user's; the table shows both.
    sh(["git", "status", "--porcelain"], big)
    refreshed = timed_side_by_side({"small": ([CARDCTL, "validate"], small),
                                    "since": ([CARDCTL, "validate", "--changed-since", "HEAD"], big)}, max(r, 5))
    m[f"validate, 10 customers, again{label}"] = refreshed["small"]
    m[f"validate --changed-since (3 files), index written since{label}"] = refreshed["since"]
    restore(big)
    # The catalogue is committed (SPEC §1); then three records change.
    sh([CARDCTL, "index"], big)
    sh(["git", "add", "catalogue"], big)
    sh(["git", "commit", "-qm", "catalogue"], big)
    touch_three(big)
    sh([CARDCTL, "index"], big)  # the three pages rewritten: what every later index finds
    # Beside git status of the same work tree, taking turns: run L compared it with the
    # status timed minutes earlier (3.47x), where by hand, in turns, it was 2.0x.
    m.update(timed_side_by_side({f"git status, 3 files changed{label}": (["git", "status", "--porcelain"], big),
                                 f"index after 3 changes{label}": ([CARDCTL, "index"], big)}, max(r, 5)))
    restore(big)
    sh(["git", "reset", "-q", "--hard", "HEAD~1"], big)
    shutil.rmtree(big / "catalogue", ignore_errors=True)
    return m


HOOK = Path(".git") / "hooks" / "fsmonitor-watchman"


def fsmonitor_on(archive: Path) -> str:
    """Turn on git's file-system monitor with watchman, as docs/performance.md advises for large
    archives; "" when it is on, else why not (the measurements with it are then left out)."""
    if shutil.which("watchman") is None:
        return "no fsmonitor measurements: watchman is not installed (docs/performance.md says how)"
    sample = archive / ".git" / "hooks" / "fsmonitor-watchman.sample"  # git's own hook, from its templates
    if not sample.is_file():
        return f"no fsmonitor measurements: {sample} is missing"
    shutil.copy(sample, archive / HOOK)
    (archive / HOOK).chmod(0o755)
    print("watchman watch (its first crawl of the archive takes minutes) ...", flush=True)
    watched = sh(["watchman", "watch", str(archive)], archive, check=False)
    if watched.returncode != 0 or '"error"' in watched.stdout:
        return f"no fsmonitor measurements: watchman could not watch the archive: {(watched.stdout + watched.stderr).strip()[-500:]}"
    sh(["git", "config", "core.fsmonitor", HOOK.as_posix()], archive)
    sh(["git", "status", "--porcelain"], archive)  # the first query only learns watchman's clock
    return ""


def fsmonitor_off(archive: Path) -> None:
    sh(["git", "config", "--unset", "core.fsmonitor"], archive, check=False)
    if shutil.which("watchman") is not None:
        sh(["watchman", "watch-del", str(archive)], archive, check=False)


def main() -> None:
    # No abbreviations: `--write` must not quietly mean --write-docs and rewrite the docs.
    parser = argparse.ArgumentParser(description="cardctl benchmark", allow_abbrev=False)
    parser.add_argument("--small", action="store_true", help="1 000 customers / 30 000 records")
    parser.add_argument("--customers", type=int)
    parser.add_argument("--records", type=int)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sample", type=int, default=20000, help="record files given to check-jsonschema")
    parser.add_argument("--write-docs", action="store_true", help="write the table into docs/performance.md")
    args = parser.parse_args()
    customers = args.customers or (1000 if args.small else 10_000)
    records = args.records or (30_000 if args.small else 300_000)
    data = HERE / ".data"
    big = prepare(data / f"{customers}x{records}", customers, records)
    small = prepare(data / "10x300", 10, 300)
    for root in (big, small):
        back_to_start(root)
        sh(["git", "config", "core.untrackedCache", "true"], root)  # archives generated before `cardctl init` set it
    files = record_files(big)
    r = args.repeat
    # Measure cardctl as an install leaves it: with its bytecode compiled. An
    # editable install under PYTHONDONTWRITEBYTECODE (as on this machine) would
    # otherwise compile every changed module again on every run.
    sh([sys.executable, "-m", "compileall", "-q", str(PROJECT / "cardctl")], PROJECT)
    print(f"measuring on {len(files)} record files ...", flush=True)

    if sh([CARDCTL, "validate"], big, check=False).returncode != 0:
        raise SystemExit("the benchmark archive does not validate clean; regenerate it (delete bench/.data)")
    m: dict[str, float] = {}
    sh(["git", "status", "--porcelain"], big)  # let git refresh its index once, as any user's first status does
    m["read+parse floor, files/s"] = floor_rate(big, files)
    check_jsonschema, sampled = check_jsonschema_run(big, files, args.sample)

    closed: dict[str, float] = {}

    def after_close(round_no: int) -> None:
        if round_no == 0:
            # What a close writes must check out: a seal too big to read once made
            # every later verify and validate fail, and the tag carried no digest.
            closed["verify of the closed year"] = timed([CARDCTL, "verify", "--year", "2016"], big, 1)
            if sh([CARDCTL, "validate"], big, check=False).returncode != 0:
                raise SystemExit("the archive does not validate clean after the close")
            # Every archive after its first year is closed: the seal (8 MB here) is read by every validate.
            closed["validate warm, after the close"] = timed([CARDCTL, "validate"], big, r)
        sh(["git", "reset", "-q", "--hard", "HEAD~1"], big)
        sh(["git", "tag", "-d", "close/2016"], big)

    # The commands that read the whole archive, compared with each other and
    # with check-jsonschema: they take a minute or more each, and the machine's
    # speed drifts (by 2x in one hour of run K) over the quarter of an hour they
    # take together, so they take turns round by round.
    # Cold: no cache under .cardctl/ (as on a fresh clone).
    no_catalogue = lambda _round: shutil.rmtree(big / "catalogue", ignore_errors=True)  # noqa: E731
    m.update(timed_side_by_side({
        "check-jsonschema": Job(check_jsonschema, big),
        "validate cold": Job([CARDCTL, "validate"], big, before=lambda _round: forget_cache(big)),
        "index": Job([CARDCTL, "index"], big, before=lambda _round: (no_catalogue(_round), forget_cache(big)), after=no_catalogue),
        "close one year": Job([CARDCTL, "close", "2016", "--checker", "李娜"], big, after=after_close),
    }, r))
    m.update(closed)
    m["check-jsonschema, files/s"] = sampled / m.pop("check-jsonschema")
    m["validate, files/s"] = len(files) / m["validate cold"]
    m.update(against_git(big, small, r, ""))
    monitor = fsmonitor_on(big)
    if monitor:
        print(monitor, flush=True)
    else:
        m.update(against_git(big, small, r, " (fsmonitor)"))
        fsmonitor_off(big)
    writes: dict[str, tuple[list[str], Path]] = {}
    for name, root, customer in (("big", big, "KH00001"), ("small", small, "KH00002")):
        writes[f"visit add ({name})"] = ([CARDCTL, "visit", "add", customer, "--date", "2025-06-01", "--summary", "基准拜访", "--by", "王芳"], root)
        writes[f"record add ({name})"] = ([CARDCTL, "record", "add", customer, "complaint", "--date", "2025-06-02",
                                           "--title", "基准投诉", "--set", "summary=测试", "--by", "王芳"], root)
    m.update(timed_side_by_side(writes, max(r, 7)))
    restore(big)
    restore(small)
    # Reports have no goal. The first run reads every dossier and parses the records of its kinds;
    # it keeps what it read of each dossier, and later runs read only the dossiers git finds changed.
    for report in ("due", "credit"):
        forget_cache(big)  # as after a clone: .cardctl/ is not committed
        m[f"report {report}, first run (no goal)"] = timed([CARDCTL, "report", report, "--format", "csv"], big, 1)
        m[f"report {report}, from its cache (no goal)"] = timed([CARDCTL, "report", report, "--format", "csv"], big, r)
    # A tenth of a second each: a slow moment of the machine moves the ratio most here, so they take turns too.
    m.update(timed_side_by_side({"cardctl --help": ([CARDCTL, "--help"], big),
                                 "python -c 'import typer'": ([sys.executable, "-c", "import typer"], big)}, max(r, 9)))
    # Every cardctl command above, on either archive: the largest of their peaks.
    worst = max(PEAKS, key=PEAKS.__getitem__)
    worst_git = max(PEAKS_WITH_GIT, key=PEAKS_WITH_GIT.__getitem__)
    m[f"peak memory of cardctl, MB (largest: {worst})"] = PEAKS[worst]
    m[f"peak memory with git's, MB (largest: {worst_git})"] = PEAKS_WITH_GIT[worst_git]

    setups = ["", " (fsmonitor)"] if not monitor else [""]
    targets = [
        ("cold validate vs check-jsonschema (files/s)", m["validate, files/s"] / m["check-jsonschema, files/s"], ">=", 8.0),
        *((f"warm validate / git status{label}", m[f"validate warm{label}"] / m[f"git status{label}"], "<=", 3.0)
          for label in setups),
        *((f"--changed-since (3 files) / validate of 10 customers{label}",
           m[f"validate --changed-since (3 files){label}"] / m[f"validate, 10 customers{label}"], "<=", 2.0) for label in setups),
        *((f"--changed-since (3 files), index written since / validate of 10 customers{label}",
           m[f"validate --changed-since (3 files), index written since{label}"] / m[f"validate, 10 customers, again{label}"], "<=", 2.0)
          for label in setups),
        ("visit add: big / 10 customers", m["visit add (big)"] / m["visit add (small)"], "<=", 1.2),
        ("record add: big / 10 customers", m["record add (big)"] / m["record add (small)"], "<=", 1.2),
        ("index / cold validate", m["index"] / m["validate cold"], "<=", 2.0),
        ("close / cold validate", m["close one year"] / m["validate cold"], "<=", 2.0),
        *((f"index after 3 changes / git status{label}", m[f"index after 3 changes{label}"] / m[f"git status, 3 files changed{label}"], "<=", 3.0)
          for label in setups),
        ("cardctl --help / import typer", m["cardctl --help"] / m["python -c 'import typer'"], "<=", 2.0),
        (f"peak memory of cardctl, any command (MB; {worst})", PEAKS[worst], "<=", 300.0),
    ]
    lines = [f"Benchmark of {len(files)} record files ({customers} customers), {platform.machine()} {os.cpu_count()} cores ({cpu_model()}), "
             f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}; medians of {r} runs "
             f"(check-jsonschema, cold validate, index and close taking turns; {max(r, 5)}, {max(r, 7)} and {max(r, 9)}, "
             f"taking turns, for the other pairs a target compares); "
             f"check-jsonschema on {sampled} of the files. "
             + ("Rows marked (fsmonitor) were measured again with git's file-system monitor (watchman) on the big archive."
                if not monitor else monitor + "."), "",
             "| measurement | value |", "|---|---|"]
    lines += [f"| {k} | {v:.3f} |" if v < 100 else f"| {k} | {v:,.0f} |" for k, v in m.items()]
    lines += ["", "| target | ratio | goal | holds |", "|---|---|---|---|"]
    for name, value, op, goal in targets:
        holds = value >= goal if op == ">=" else value <= goal
        lines.append(f"| {name} | {value:.2f} | {op} {goal:g} | {'yes' if holds else '**no**'} |")
    table = "\n".join(lines)
    print(table)
    if args.write_docs:
        doc = PROJECT / "docs" / "performance.md"
        text = doc.read_text(encoding="utf-8")
        start, end = "<!-- bench:start -->", "<!-- bench:end -->"
        text = text.split(start)[0] + f"{start}\n{table}\n{end}" + text.split(end)[1]
        doc.write_text(text, encoding="utf-8")
        print(f"wrote {doc}")


if __name__ == "__main__":
    main()
