"""Benchmark doit-assets against hand-written doit tasks and GNU make.

    python benchmarks/run.py                      # N = 1000, 10000, and 100 000
    python benchmarks/run.py --sizes 100 --repeat 3 --no-big --history-rows 100000

For every N the same generated graph (see generate.py) is built by
``doit-assets`` (assets.toml + one-line dodo.py), by plain ``doit`` with a
hand-written dodo.py on the same SQLite backend, and by ``make``, side by side
in the same run (the tools take turns within each repetition). Every number is
the median of ``--repeat`` runs; peak memory is the child's maximum resident
set. ``--big N`` builds N assets once (``doit-assets -n 2``) and times what a
large project pays on every run. Snakemake and DVC run the same graph at
``--peer-sizes`` when they are on PATH (or in ``--peers VENV``). Results go to
benchmarks/results/ (``results.md`` and ``results.csv``), with a table of the
targets of docs/performance.md, each met or missed.
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
from generate import TAIL, Node, write_project
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


SCENARIOS = (
    "cold",
    "no-op",
    "1% change",
    "one input",
    "list",
    "status",
    "status (1% stale)",
)
NOT_RUNS = ("list", "status", "status (1% stale)")  # scenarios that execute no asset
# the tools whose counts of executed tasks must agree in every scenario
COUNTED = ("doit-assets", "doit-assets cli", "doit")


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
            if tool == "doit-assets cli":  # its cold build is doit-assets': a copy
                shutil.rmtree(project)
                shutil.copytree(work / f"doit-assets-{n}", project, symlinks=True)
                run(TOOLS[tool]([]), project)  # its own manifest (bound to the file)
            else:
                measure(tool, "cold", [], project)
            measure(tool, "no-op", [], project)
            (project / "data" / "seed.txt").write_text(f"seed {i} {tool}\n")
            measure(tool, "1% change", [], project)
            (project / TAIL).write_text(f"tail {i} {tool}\n")
            measure(tool, "one input", [], project)
            if tool != "make":
                measure(tool, "list", ["list"], project)
            if tool == "doit-assets cli":  # nothing changed: from the stamps
                measure(tool, "status", ["assets", "status"], project)
            if tool == "doit-assets":
                # what would run, and why: compare with a no-op run
                (project / "data" / "seed.txt").write_text(f"seed {i} again\n")
                measure(tool, "status (1% stale)", ["assets", "status"], project)
        check_counts(ran, n)
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


def check_counts(ran: dict[tuple[str, str], int], n: int) -> None:
    """Every doit tool ran the same tasks in every scenario (the fast path's
    cone runs exactly what doit runs)."""
    for scenario in ("cold", "no-op", "1% change", "one input"):
        counts = {t: ran[(t, scenario)] for t in COUNTED if (t, scenario) in ran}
        if len(set(counts.values())) > 1:
            raise SystemExit(f"N={n}, {scenario}: the tools ran {counts}")
    if ran.get(("doit-assets cli", "one input")) != 1:
        raise SystemExit(f"N={n}: one changed input ran {ran} tasks, not 1")


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


# -- 100 000 assets ---------------------------------------------------------------


def bench_big(n: int, repeat: int, work: Path, reuse: bool) -> list[Measure]:
    """A project of N assets built once (``doit-assets -n 2``), then copied: what
    every run of it pays when nothing or one input changed."""
    built = work / f"big-{n}"
    if not (reuse and (built / ".doit-assets" / "state.sqlite").exists()):
        if built.exists():
            shutil.rmtree(built)
        write_project(n, str(built))
        started = time.perf_counter()
        run([str(BIN / "doit-assets"), "-n", "2"], built)
        print(f"N={n} built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    project = work / f"big-{n}-copy"
    if project.exists():
        shutil.rmtree(project)
    shutil.copytree(built, project, symlinks=True)
    run([str(BIN / "doit-assets")], project)  # its manifest, bound to this copy
    seconds: dict[str, list[float]] = {}
    peaks: dict[str, float] = {}
    ran: dict[str, int] = {}

    def measure(scenario: str, args: list[str]) -> None:
        elapsed, peak, out = run([str(BIN / "doit-assets"), *args], project)
        seconds.setdefault(scenario, []).append(elapsed)
        peaks[scenario] = max(peaks.get(scenario, 0.0), peak)
        ran[scenario] = executed(out)

    for i in range(repeat):
        measure("no-op", [])
        measure("status", ["assets", "status"])
        (project / TAIL).write_text(f"tail {i}\n")
        measure("one input", [])
        if ran["one input"] != 1:
            raise SystemExit(f"N={n}: one changed input ran {ran['one input']} tasks")
    results = [
        Measure(
            scenario, n, "doit-assets cli", times, peaks[scenario], ran.get(scenario)
        )
        for scenario, times in seconds.items()
    ]
    cached = bench_load(n, repeat, project)[1]
    return [*results, cached]


# -- Snakemake and DVC, where they are installed ---------------------------------------


def snakefile(nodes: list[Node]) -> str:
    paths = {node.name: node.path for node in nodes}
    made = [node for node in nodes if node.deps]
    lines = ["rule all:", f"    input: {[n.path for n in made]!r}", ""]
    for node in made:
        inputs = [paths[d] for d in node.deps] + list(node.inputs)
        lines += [
            f"rule {node.name}:",
            f"    input: {inputs!r}",
            f"    output: {node.path!r}",
            f"    shell: 'cat {' '.join(inputs)} | cksum > {node.path}'",
            "",
        ]
    return "\n".join(lines)


def dvc_yaml(nodes: list[Node]) -> str:
    paths = {node.name: node.path for node in nodes}
    lines = ["stages:"]
    for node in nodes:
        if not node.deps:
            continue
        inputs = [paths[d] for d in node.deps] + list(node.inputs)
        lines += [
            f"  {node.name}:",
            f"    cmd: cat {' '.join(inputs)} | cksum > {node.path}",
            "    deps:",
            *(f"    - {p}" for p in inputs),
            "    outs:",
            f"    - {node.path}:",
            "        cache: false",
        ]
    return "\n".join(lines) + "\n"


def peer_tools(venv: Path | None) -> dict[str, Callable[[list[str]], list[str]]]:
    """snakemake and dvc, from ``venv`` or PATH (never a project dependency)."""
    found: dict[str, Callable[[list[str]], list[str]]] = {}
    for name, args in (("snakemake", ["-c1", "-q"]), ("dvc", ["repro", "-q"])):
        program = str(venv / "bin" / name) if venv else shutil.which(name)
        if program and os.path.exists(program):
            found[name] = lambda extra, p=program, a=args: [p, *a, *extra]
    return found


def bench_peers(n: int, repeat: int, work: Path, venv: Path | None) -> list[Measure]:
    """The same graph by Snakemake and DVC: cold, no-op, 1% change, one input."""
    tools = peer_tools(venv)
    if not tools:
        return []
    template = work / f"peers-{n}"
    nodes = write_project(n, str(template))
    (template / "Snakefile").write_text(snakefile(nodes))
    (template / "dvc.yaml").write_text(dvc_yaml(nodes))
    seconds: dict[tuple[str, str], list[float]] = {}
    peaks: dict[tuple[str, str], float] = {}
    for i in range(repeat):
        for tool, command in tools.items():
            project = fresh_copy(template, work / f"{tool}-{n}")
            if tool == "dvc":
                run([command([])[0], "init", "--no-scm", "-q"], project)
            for scenario in ("cold", "no-op", "1% change", "one input"):
                if scenario == "1% change":
                    (project / "data" / "seed.txt").write_text(f"seed {i}\n")
                if scenario == "one input":
                    (project / TAIL).write_text(f"tail {i}\n")
                elapsed, peak, _ = run(command([]), project)
                seconds.setdefault((tool, scenario), []).append(elapsed)
                peaks[(tool, scenario)] = max(peaks.get((tool, scenario), 0.0), peak)
    return [
        Measure(scenario, n, tool, times, peaks[(tool, scenario)])
        for (tool, scenario), times in seconds.items()
    ]


# -- the targets of docs/performance.md ------------------------------------------------


def targets(measures: list[Measure], extra: dict[str, float]) -> list[str]:
    """Each target of the performance issue: measured, met or missed."""
    at = {(m.scenario, m.n, m.tool): m for m in measures}

    def median(scenario: str, n: int, tool: str) -> float | None:
        m = at.get((scenario, n, tool))
        return None if m is None else m.median

    def peak(scenario: str, n: int, tool: str) -> float | None:
        m = at.get((scenario, n, tool))
        return None if m is None else m.peak_mb

    def ratio(a: float | None, b: float | None) -> float | None:
        return None if a is None or not b else a / b

    n = max((m.n for m in measures if m.tool == "make"), default=0)
    big = max((m.n for m in measures), default=0)
    rows: list[tuple[str, float | None, float, str]] = [
        (
            "1% change, doit-assets vs make",
            ratio(
                median("1% change", n, "doit-assets cli"),
                median("1% change", n, "make"),
            ),
            2.5,
            "x",
        ),
        (
            "one input, doit-assets vs make",
            ratio(
                median("one input", n, "doit-assets cli"),
                median("one input", n, "make"),
            ),
            3.0,
            "x",
        ),
        (
            "no-op, doit vs hand doit",
            ratio(median("no-op", n, "doit-assets"), median("no-op", n, "doit")),
            1.05,
            "x",
        ),
        (
            "1% change, doit vs hand doit",
            ratio(
                median("1% change", n, "doit-assets"), median("1% change", n, "doit")
            ),
            1.05,
            "x",
        ),
        (
            "peak memory 1% change, doit vs hand doit",
            ratio(peak("1% change", n, "doit-assets"), peak("1% change", n, "doit")),
            1.15,
            "x",
        ),
        (
            "`doit-assets assets status`, nothing changed",
            median("status", n, "doit-assets cli"),
            0.2,
            "s",
        ),
        (
            "`doit assets status` 1% stale vs no-op `doit`",
            ratio(
                median("status (1% stale)", n, "doit-assets"),
                median("no-op", n, "doit-assets"),
            ),
            0.5,
            "x",
        ),
        (
            "cold, doit-assets vs make",
            ratio(median("cold", n, "doit-assets"), median("cold", n, "make")),
            1.4,
            "x",
        ),
        ("`-n 2` speed-up on sleep-bound assets", extra.get("parallel"), 1.8, "min"),
        ("uncached load vs TOML parse", extra.get("load_vs_parse"), 2.0, "x"),
    ]
    if big > n:
        rows += [
            (f"{big:,}: no-op", median("no-op", big, "doit-assets cli"), 1.5, "s"),
            (
                f"{big:,}: `doit-assets assets status`",
                median("status", big, "doit-assets cli"),
                2.0,
                "s",
            ),
            (
                f"{big:,}: one input",
                median("one input", big, "doit-assets cli"),
                3.0,
                "s",
            ),
            (
                f"{big:,}: load (cached)",
                median("load (cached)", big, "doit-assets"),
                2.0,
                "s",
            ),
        ]
    lines = [
        f"## Targets (N = {n:,} unless said)",
        "",
        "| target | measured | goal | |",
        "|---|---:|---:|---|",
    ]
    for name, value, goal, unit in rows:
        if value is None:
            lines.append(f"| {name} | not measured | {goal} | |")
            continue
        met = value >= goal if unit == "min" else value <= goal
        shown = f"{value:.2f} s" if unit == "s" else f"{value:.2f}x"
        sign = ">=" if unit == "min" else "<="
        lines.append(
            f"| {name} | {shown} | {sign} {goal}{' s' if unit == 's' else 'x'} | "
            f"{'met' if met else '**missed**'} |"
        )
    return [*lines, ""]


def per_asset(measures: list[Measure]) -> list[str]:
    """Microseconds per asset of what every run pays, at each size."""
    wanted = (
        ("no-op", "doit-assets cli"),
        ("status", "doit-assets cli"),
        ("load (cached)", "doit-assets"),
    )
    sizes = sorted({m.n for m in measures if m.n >= 1000})
    at = {(m.scenario, m.n, m.tool): m for m in measures}
    lines = [
        "## Microseconds per asset",
        "",
        "| what | " + " | ".join(f"{n:,}" for n in sizes) + " |",
        "|---|" + "---:|" * len(sizes),
    ]
    for scenario, tool in wanted:
        cells = []
        for n in sizes:
            m = at.get((scenario, n, tool))
            cells.append("" if m is None else f"{m.median / n * 1e6:.1f}")
        lines.append(f"| {scenario} ({tool}) | " + " | ".join(cells) + " |")
    return [*lines, ""]


def extras(
    repeat: int, work: Path, sizes: list[int]
) -> tuple[dict[str, float], list[str]]:
    """What the cold and load benchmarks measure, where they are present."""
    found: dict[str, float] = {}
    notes: list[str] = []
    try:
        from cold_bench import bench_parallel
    except ImportError:
        notes.append("(cold_bench.py missing: `-n 2` not measured)")
    else:
        parallel = bench_parallel(200, repeat, work)
        found["parallel"] = parallel.speedup
        notes.append(
            f"`-n 2` on 200 assets of `sleep 0.05`: one worker "
            f"{statistics.median(parallel.one):.2f} s, two "
            f"{statistics.median(parallel.two):.2f} s ({parallel.speedup:.2f}x)."
        )
    try:
        from load_bench import bench_load_vs_parse
    except ImportError:
        notes.append("(load_bench.py missing: load vs parse not measured)")
    else:
        n = max(sizes)
        load = bench_load_vs_parse(n, repeat, work / f"load-{n}")[1]
        found["load_vs_parse"] = float(str(load["ratio_vs_parse"]))
        notes.append(
            f"Uncached load + validate of {n:,} assets: {float(str(load['median_s'])):.3f} s, "
            f"{found['load_vs_parse']:.2f}x the TOML parse alone."
        )
    return found, notes


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


def write_summary(
    measures: list[Measure], extra: dict[str, float], notes: list[str]
) -> None:
    """The targets and the cost per asset, before the full table."""
    text = (RESULTS / "results.md").read_text().split("\n", 2)
    head = [*targets(measures, extra), *per_asset(measures), *notes, ""]
    (RESULTS / "results.md").write_text("\n".join([text[0], "", *head, text[2]]))


def _ratio(value: float, base: float | None) -> str:
    return "" if not base else f"{value / base:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--big", type=int, default=100_000, help="0: none")
    parser.add_argument("--no-big", dest="big", action="store_const", const=0)
    parser.add_argument(
        "--reuse", action="store_true", help="the big project built before"
    )
    parser.add_argument(
        "--peers", type=Path, default=None, help="a venv with snakemake, dvc"
    )
    parser.add_argument("--peer-sizes", type=int, nargs="*", default=[1000])
    parser.add_argument("--peer-repeat", type=int, default=3, help="DVC is slow")
    parser.add_argument(
        "--no-extras", action="store_true", help="no -n 2, no load vs parse"
    )
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
    for n in args.peer_sizes:
        measures += bench_peers(n, args.peer_repeat, work, args.peers)
    if args.big:
        measures += bench_big(args.big, args.repeat, work, args.reuse)
    extra, extra_notes = (
        ({}, []) if args.no_extras else extras(args.repeat, work, args.sizes)
    )
    notes = bench_history(args.history_rows, work) if args.history_rows else []
    write_results(measures, notes)
    write_summary(measures, extra, extra_notes)
    print((RESULTS / "results.md").read_text())


if __name__ == "__main__":
    main()
