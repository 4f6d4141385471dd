"""Cold builds: doit-assets against make and hand-written doit, where each
materialization's time goes, and what ``-n 2`` gains on sleep-bound work.

    python benchmarks/cold_bench.py                        # N = 2000, 10000
    python benchmarks/cold_bench.py --sizes 2000 --repeat 3
    python benchmarks/cold_bench.py --skip-cold --sleep-assets 200

Three parts, written to benchmarks/results/cold.md:

(a) ``cold``: the generated fan graph (generate.py) of N shell assets built
    from nothing by ``make``, by ``doit -f dodo_plain.py`` (hand-written
    tasks) and by ``doit`` with the one-line dodo.py, the three taking turns
    in each repetition; medians and ratios to make from the same run.
(b) ``breakdown``: one cold build of ``--profile-size`` assets (2 000) under
    cProfile, its functions summed into phases (spawn, staging, fsync, the
    history row, doit's state commit, ...) and shown as µs per asset. cProfile
    was chosen over timers in the code: it needs no hook that every run would
    pay for, and it sees doit's own per-task work too. It inflates Python-heavy
    phases (each call costs more under the profiler), not system calls; the
    un-profiled overhead per asset beyond make, from (a), is the number to
    compare with.
(c) ``parallel``: ``--sleep-assets`` independent assets of ``sleep 0.05``,
    built with one worker and with ``-n 2``, the speed-up of the second.

``run.py`` can import ``bench_cold``, ``cold_breakdown`` and ``bench_parallel``.
"""

from __future__ import annotations

import argparse
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import write_project

RESULTS = Path(__file__).parent / "results"
BIN = Path(sys.executable).parent
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

COLD_TOOLS = {
    "make": ["make", "-s"],
    "doit": [str(BIN / "doit"), "-f", "dodo_plain.py"],
    "doit-assets": [str(BIN / "doit")],
}


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=ENV
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed in {cwd}:\n{proc.stdout[-2000:]!r}")
    return elapsed


def fresh_copy(template: Path, into: Path) -> Path:
    if into.exists():
        shutil.rmtree(into)
    shutil.copytree(template, into)
    return into


# -- (a) cold builds ---------------------------------------------------------------


@dataclass
class Cold:
    n: int
    seconds: dict[str, list[float]]

    def median(self, tool: str) -> float:
        return statistics.median(self.seconds[tool])

    def ratio(self, tool: str) -> float:
        return self.median(tool) / self.median("make")


def bench_cold(n: int, repeat: int, work: Path) -> Cold:
    """Cold builds of the fan graph of ``n`` assets, the tools taking turns."""
    template = work / f"template-{n}"
    if not template.exists():
        write_project(n, str(template))
    seconds: dict[str, list[float]] = {tool: [] for tool in COLD_TOOLS}
    for _ in range(repeat):
        for tool, cmd in COLD_TOOLS.items():
            project = fresh_copy(template, work / f"cold-{tool}-{n}")
            seconds[tool].append(timed(cmd, project))
            print(f"cold N={n} {tool}: {seconds[tool][-1]:.2f}s", file=sys.stderr)
    return Cold(n, seconds)


# -- (b) where a materialization's time goes -----------------------------------------

# (phase, [(function name as pstats keys it, sign)]): cumulative times summed,
# a nested part subtracted where it has a phase of its own
PHASES: list[tuple[str, list[tuple[str, int]]]] = [
    ("the command itself (waiting for it; make pays this too)", [("poll", 1)]),
    (
        "spawn: Popen (fork/exec of /bin/sh, pipes), signals held, group ended",
        [("run_command", 1), ("_stream", -1), ("Attempt.started", -1)],
    ),
    ("streaming its output (selector, reads)", [("_stream", 1), ("poll", -1)]),
    (
        "registry of running transforms (begin, group, end)",
        [("Registry.begin", 1), ("Registry.started", 1), ("Registry.end", 1)],
    ),
    (
        "staging folder: make, check outputs, remove",
        [
            ("Attempt.begin", 1),
            ("Registry.begin", -1),
            ("ensure_watchdog", -1),
            ("Attempt.end", 1),
            ("Registry.end", -1),
            ("Attempt.check", 1),
            ("_gone", 1),
        ],
    ),
    ("fsync of the output and its folder, move into place", [("Attempt.publish", 1)]),
    (
        "attempt log (open, close)",
        [("AttemptLog.__init__", 1), ("AttemptLog.close", 1)],
    ),
    ("environment of the transform", [("shell_environment", 1)]),
    ("history row (one transaction)", [("Recorder._record", 1)]),
    (
        "doit's state commit (backend flush, saved values)",
        [("_flush_state", 1), ("save_extra_values", 1), ("save_success", 1)],
    ),
    (
        "reporter and recorder, the rest (hashing outputs, warnings)",
        [("LineageReporter.add_success", 1), ("Recorder._record", -1)],
    ),
    ("_flush_state inside the reporter (counted above)", [("_flush_state", -1)]),
]


def _cumulative(stats: pstats.Stats) -> dict[str, float]:
    """Cumulative seconds by 'Class.method' and by bare function name."""
    found: dict[str, float] = {}
    for (filename, line, name), row in stats.stats.items():  # type: ignore[attr-defined]
        cumtime = row[3]
        found[name] = found.get(name, 0.0) + cumtime
        owner = _owner(filename, line)
        if owner:
            key = f"{owner}.{name}"
            found[key] = found.get(key, 0.0) + cumtime
    found["poll"] = sum(
        row[2]
        for (_, _, name), row in stats.stats.items()  # type: ignore[attr-defined]
        if "poll" in name and "epoll" in name
    )
    return found


_CLASSES: dict[str, list[tuple[int, str]]] = {}


def _owner(filename: str, line: int) -> str | None:
    """The class a function at ``filename:line`` belongs to (by indentation)."""
    if "doit_assets" not in filename:
        return None
    if filename not in _CLASSES:
        classes = []
        try:
            lines = Path(filename).read_text().splitlines()
        except OSError:
            lines = []
        for number, text in enumerate(lines, 1):
            if text.startswith("class "):
                classes.append((number, text[6:].split("(")[0].split(":")[0]))
        _CLASSES[filename] = classes
    owner = None
    for number, name in _CLASSES[filename]:
        if number <= line:
            owner = name
    return owner


@dataclass
class Breakdown:
    n: int
    total: float  # seconds of the profiled run
    run_tasks: float  # of it, doit's loop over the tasks
    phases: list[tuple[str, float]]  # (phase, µs per asset)


def cold_breakdown(n: int, work: Path) -> Breakdown:
    """One cold build of ``n`` assets under cProfile, in phases."""
    template = work / f"template-{n}"
    if not template.exists():
        write_project(n, str(template))
    project = fresh_copy(template, work / f"profile-{n}")
    out = work / f"profile-{n}.pstats"
    code = (
        "import cProfile, sys; from doit.__main__ import main; "
        f"sys.argv = ['doit']; cProfile.run('main()', {str(out)!r})"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        cwd=project,
        stdout=subprocess.DEVNULL,
        env=ENV,
        check=False,
    )
    stats = pstats.Stats(str(out))
    found = _cumulative(stats)
    per = 1e6 / n
    phases = []
    for phase, parts in PHASES:
        if phase.startswith("_flush_state inside"):
            continue
        value = sum(sign * found.get(name, 0.0) for name, sign in parts)
        if phase.startswith("reporter and recorder"):
            value -= found.get("_flush_state", 0.0)
        phases.append((phase, value * per))
    run_tasks = found.get("run_tasks", 0.0)
    accounted = sum(v for _, v in phases) / per
    phases.append(
        ("doit's own per-task work and the rest", (run_tasks - accounted) * per)
    )
    total = stats.total_tt  # type: ignore[attr-defined]
    phases.append(
        ("loading (assets.toml, plan, tasks), once", found.get("load_tasks", 0.0) * per)
    )
    return Breakdown(n, total, run_tasks, phases)


# -- (c) -n 2 on sleep-bound transforms --------------------------------------------


def sleep_project(n: int, into: Path, seconds: float = 0.05) -> Path:
    """``n`` independent assets, each ``sleep SECONDS`` then one line out."""
    into.mkdir(parents=True, exist_ok=True)
    (into / "dodo.py").write_text("from doit_assets.dodo import *\n")
    lines = []
    for i in range(n):
        lines += [
            f"[assets.s{i}]",
            f'path = "out/s{i}.txt"',
            f'transform = "sleep {seconds:g}; echo {i} > {{self.path}}"',
            "",
        ]
    (into / "assets.toml").write_text("\n".join(lines))
    return into


@dataclass
class Parallel:
    n: int
    one: list[float]
    two: list[float]

    @property
    def speedup(self) -> float:
        return statistics.median(self.one) / statistics.median(self.two)


def bench_parallel(n: int, repeat: int, work: Path) -> Parallel:
    template = sleep_project(n, work / f"sleep-{n}")
    one, two = [], []
    for _ in range(repeat):
        for args, into in (([], one), (["-n", "2"], two)):
            project = fresh_copy(template, work / "sleep-run")
            into.append(timed([str(BIN / "doit"), *args], project))
        print(f"sleep N={n}: one {one[-1]:.2f}s, -n 2 {two[-1]:.2f}s", file=sys.stderr)
    return Parallel(n, one, two)


# -- the report ----------------------------------------------------------------------


def report(
    colds: list[Cold], breakdown: Breakdown | None, parallel: Parallel | None
) -> str:
    out = ["# Cold builds (benchmarks/cold_bench.py)", ""]
    if colds:
        repeat = len(colds[0].seconds["make"])
        out += [
            f"Fan graph of N shell assets, one worker, medians of {repeat} runs, "
            "the tools taking turns.",
            "",
            "| N | make | hand doit | doit-assets | hand doit / make "
            "| doit-assets / make | doit-assets beyond make per asset |",
            "|---|---|---|---|---|---|---|",
        ]
        for c in colds:
            beyond = (c.median("doit-assets") - c.median("make")) / c.n * 1e6
            out.append(
                f"| {c.n} | {c.median('make'):.2f} s | {c.median('doit'):.2f} s "
                f"| {c.median('doit-assets'):.2f} s | {c.ratio('doit'):.2f}x "
                f"| {c.ratio('doit-assets'):.2f}x | {beyond:.0f} µs |"
            )
        out.append("")
    if breakdown is not None:
        out += [
            f"## Where the time goes: one cold build of {breakdown.n} assets under cProfile",
            "",
            f"Profiled run {breakdown.total:.2f} s, of it doit's task loop "
            f"{breakdown.run_tasks:.2f} s. µs per asset (the profiler inflates the "
            "Python-heavy phases):",
            "",
            "| phase | µs per asset |",
            "|---|---|",
        ]
        out += [f"| {phase} | {value:.0f} |" for phase, value in breakdown.phases]
        out.append("")
    if parallel is not None:
        out += [
            f"## -n 2 on {parallel.n} independent assets of `sleep 0.05`",
            "",
            "| one worker | -n 2 | speed-up |",
            "|---|---|---|",
            f"| {statistics.median(parallel.one):.2f} s "
            f"| {statistics.median(parallel.two):.2f} s | {parallel.speedup:.2f}x |",
            "",
        ]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile-size", type=int, default=2000)
    parser.add_argument("--sleep-assets", type=int, default=200)
    parser.add_argument("--skip-cold", action="store_true")
    parser.add_argument("--output", type=Path, default=RESULTS / "cold.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cold-bench-") as tmp:
        work = Path(tmp)
        colds = (
            []
            if args.skip_cold
            else [bench_cold(n, args.repeat, work) for n in args.sizes]
        )
        breakdown = (
            cold_breakdown(args.profile_size, work) if args.profile_size else None
        )
        parallel = (
            bench_parallel(args.sleep_assets, args.repeat, work)
            if args.sleep_assets
            else None
        )
    text = report(colds, breakdown, parallel)
    args.output.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
