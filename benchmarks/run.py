"""Benchmark doit-assets against hand-written doit tasks and GNU make.

    python benchmarks/run.py                      # N = 100, 1000, 10000
    python benchmarks/run.py --sizes 100 --repeat 3 --history-rows 100000

For every N the same generated graph (see generate.py) is built by
``doit-assets`` (assets.toml + one-line dodo.py), by plain ``doit`` with a
hand-written dodo.py on the same SQLite backend, and by ``make``, side by side
in the same run. Every number is the median of ``--repeat`` runs; peak memory
is the child's maximum resident set. Results go to benchmarks/results/
(``results.md`` and ``results.csv``).
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import write_project
from history_bench import bench_history

RESULTS = Path(__file__).parent / "results"
BIN = Path(sys.executable).parent


@dataclass
class Measure:
    scenario: str
    n: int
    tool: str
    seconds: list[float]
    peak_mb: float
    ran: int | None = None  # how many tasks executed, where it can be told

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def run(cmd: list[str], cwd: Path) -> tuple[float, float, str]:
    """Wall time, peak RSS (MiB) and output of one command.

    GNU time measures the command itself: a wait4() from here would also count
    the copy of this Python process that existed between fork and exec.
    """
    with tempfile.NamedTemporaryFile("r") as rss:
        wrapped = [TIME, "-f", "%M", "-o", rss.name, *cmd] if TIME else cmd
        start = time.perf_counter()
        proc = subprocess.run(
            wrapped,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=ENV,
        )
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed in {cwd}:\n{proc.stdout[-2000:]}")
        text = rss.read().strip()
    peak = int(text.splitlines()[-1]) / 1024 if TIME and text else float("nan")
    return elapsed, peak, proc.stdout


TIME = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None
# Python as its users run it, with its bytecode cache: a machine that turns the
# cache off (PYTHONDONTWRITEBYTECODE) would have every run compile every module
# again, and time the compiler (60 ms of a no-op at 1 000 assets).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


TOOLS: dict[str, Callable[[list[str]], list[str]]] = {
    # `doit` with the one-line dodo.py, and the `doit-assets` console script
    # (the one with the no-op fast path).
    "doit-assets": lambda args: [str(BIN / "doit"), *args],
    "doit-assets cli": lambda args: [str(BIN / "doit-assets"), *args],
    "doit": lambda args: [str(BIN / "doit"), "-f", "dodo_plain.py", *args],
    "make": lambda args: ["make", "-s", *args],
}


def executed(out: str) -> int:
    """doit prints '.  NAME' for each task it runs (sources: '~  NAME')."""
    return sum(1 for line in out.splitlines() if line.startswith(".  "))


def fresh_copy(template: Path, into: Path) -> Path:
    if into.exists():
        shutil.rmtree(into)
    shutil.copytree(template, into)
    return into


SCENARIOS = ("cold", "no-op", "1% change", "list", "status")
NOT_RUNS = ("list", "status")  # scenarios that execute no asset


def bench_size(n: int, repeat: int, work: Path) -> list[Measure]:
    """Every scenario for every tool; the tools take turns in each repetition, so
    that the machine's ups and downs fall on all of them alike."""
    template = work / f"template-{n}"
    nodes = write_project(n, str(template))
    chain = sum(1 for node in nodes if node.name.startswith("chain_"))
    seconds: dict[tuple[str, str], list[float]] = {}
    peaks: dict[tuple[str, str], float] = {}
    ran: dict[tuple[str, str], int] = {}

    def measure(tool: str, scenario: str, args: list[str], project: Path) -> None:
        elapsed, peak, out = run(TOOLS[tool](args), project)
        seconds.setdefault((tool, scenario), []).append(elapsed)
        peaks[(tool, scenario)] = max(peaks.get((tool, scenario), 0.0), peak)
        ran[(tool, scenario)] = executed(out)

    for i in range(repeat):
        for tool in TOOLS:
            project = fresh_copy(template, work / f"{tool}-{n}")
            measure(tool, "cold", [], project)
            measure(tool, "no-op", [], project)
            (project / "data" / "seed.txt").write_text(f"seed {i}\n")
            measure(tool, "1% change", [], project)
            if tool != "make":
                measure(tool, "list", ["list"], project)
            if tool == "doit-assets":
                # what would run, and why: compare with a no-op run
                (project / "data" / "seed.txt").write_text(f"seed {i} again\n")
                measure(tool, "status", ["assets", "status"], project)
    results = []
    for tool in TOOLS:
        for scenario in SCENARIOS:
            key = (tool, scenario)
            if key not in seconds:
                continue
            count = ran[key] if tool != "make" and scenario not in NOT_RUNS else None
            results.append(Measure(scenario, n, tool, seconds[key], peaks[key], count))
    results += bench_load(n, repeat, template)
    print(f"N={n}: chain of {chain} re-ran on the 1% change", file=sys.stderr)
    return results


LOAD_SCRIPT = """
import time
from doit_assets import load_graph
start = time.perf_counter()
project, graph = load_graph("assets.toml")
print(time.perf_counter() - start)
"""

# What a run pays when assets.toml has not changed: the validated project
# from the cache, the disk checked again, the task dicts made.
CACHED_LOAD_SCRIPT = """
import time
from doit_assets.doit_plugin.tasks import AssetTasks
creator = AssetTasks("assets.toml")
list(creator.create_doit_tasks())  # fills the cache
start = time.perf_counter()
tasks = list(creator.create_doit_tasks())
print(time.perf_counter() - start)
"""


def bench_load(n: int, repeat: int, project: Path) -> list[Measure]:
    """Load + validate only, timed inside the process (no interpreter start-up)."""
    measures = []
    for scenario, script in (
        ("load+validate", LOAD_SCRIPT),
        ("load (cached)", CACHED_LOAD_SCRIPT),
    ):
        seconds = []
        peak = 0.0
        for _ in range(repeat):
            _, rss, out = run([sys.executable, "-c", script], project)
            seconds.append(float(out.strip().splitlines()[-1]))
            peak = max(peak, rss)
        measures.append(Measure(scenario, n, "doit-assets", seconds, peak))
    return measures


def write_results(measures: list[Measure], notes: list[str]) -> None:
    RESULTS.mkdir(exist_ok=True)
    plain = {(m.scenario, m.n): m.median for m in measures if m.tool == "doit"}
    plain_mem = {(m.scenario, m.n): m.peak_mb for m in measures if m.tool == "doit"}
    make = {(m.scenario, m.n): m.median for m in measures if m.tool == "make"}
    with open(RESULTS / "results.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            [
                "scenario",
                "n",
                "tool",
                "median_s",
                "runs",
                "peak_mb",
                "ran",
                "ratio_vs_doit",
                "memory_ratio_vs_doit",
                "ratio_vs_make",
            ]
        )
        for m in measures:
            writer.writerow(
                [
                    m.scenario,
                    m.n,
                    m.tool,
                    f"{m.median:.4f}",
                    len(m.seconds),
                    f"{m.peak_mb:.1f}",
                    "" if m.ran is None else m.ran,
                    _ratio(m.median, plain.get((m.scenario, m.n))),
                    _ratio(m.peak_mb, plain_mem.get((m.scenario, m.n))),
                    _ratio(m.median, make.get((m.scenario, m.n))),
                ]
            )
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.system()} {platform.release()}. "
        f"Written {time.strftime('%Y-%m-%d %H:%M')} by `python benchmarks/run.py`.",
        "",
        "Ratios compare doit-assets with the hand-written doit tasks (and with make)"
        " measured in the same run; below 1.0 means doit-assets was faster.",
        "",
        "| scenario | N | tool | median s | peak MiB | ran | vs doit | memory vs doit | vs make |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for m in measures:
        lines.append(
            f"| {m.scenario} | {m.n} | {m.tool} | {m.median:.3f} | {m.peak_mb:.0f} | "
            f"{'' if m.ran is None else m.ran} | "
            f"{_ratio(m.median, plain.get((m.scenario, m.n)))} | "
            f"{_ratio(m.peak_mb, plain_mem.get((m.scenario, m.n)))} | "
            f"{_ratio(m.median, make.get((m.scenario, m.n)))} |"
        )
    lines += ["", *notes, ""]
    (RESULTS / "results.md").write_text("\n".join(lines))


def _ratio(value: float, base: float | None) -> str:
    return "" if not base else f"{value / base:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--history-rows", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=None, help="scratch folder")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="doit-assets-bench-"))
    # Byte-compile first, so that no measured run pays for it.
    import doit

    import doit_assets

    for package in (doit, doit_assets):
        folder = str(Path(package.__file__).parent)
        subprocess.run([sys.executable, "-m", "compileall", "-q", folder], check=True)
    measures: list[Measure] = []
    for n in args.sizes:
        measures += bench_size(n, args.repeat, work)
    notes = bench_history(args.history_rows, work)
    write_results(measures, notes)
    print((RESULTS / "results.md").read_text())


if __name__ == "__main__":
    main()
