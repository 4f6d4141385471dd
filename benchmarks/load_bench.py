"""Uncached load + validate against the TOML parse alone (issue 17).

For each size, the fan project of generate.py is written once; then, in a
fresh child process per repetition and interleaved, (a) the parse of its
``assets.toml`` with the parser doit-assets uses on this Python (see
``doit_assets.load.toml``: tomli before 3.14, tomllib after) and (b)
``load_graph("assets.toml")`` with no ``.doit-assets/`` cache and the garbage
collector as in a real run. A third child per repetition times the phases of
``load_graph`` with timers wrapped around its parts (in this bench only).

    python benchmarks/load_bench.py [--sizes 1000,10000,100000] [--repeat 5]

Medians, the ratio load/parse, µs per asset and peak RSS are printed and
written to benchmarks/results/load.md. ``bench_load_vs_parse`` is the same
measure for one size, for benchmarks/run.py.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import write_project  # noqa: E402

RESULTS = HERE / "results"

# The parser doit-assets uses, chosen by doit_assets.load.toml itself; also
# stdlib tomllib for reference (it is slower than compiled tomli).
PARSE_SCRIPT = """
import json, resource, sys, time
from doit_assets.load.toml import tomllib as parser
with open("assets.toml", "rb") as f:
    text = f.read().decode("utf-8")
start = time.perf_counter()
parser.loads(text)
parse = time.perf_counter() - start
import tomllib
start = time.perf_counter()
tomllib.loads(text)
stdlib = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": parse, "stdlib": stdlib, "parser": parser.__name__,
                  "peak_mb": peak}))
"""

LOAD_SCRIPT = """
import json, resource, time
from doit_assets import load_graph
start = time.perf_counter()
project, graph = load_graph("assets.toml")
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "assets": len(graph.specs)}))
"""

# Timers around the parts of load_graph: each wrapped function's own time
# (inclusive), the rest is what load_graph does between them.
PHASES_SCRIPT = """
import json, time
from doit_assets.load import project as proj, toml
spent = {}
def timed(name, fn):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - start
    return wrapper
class Parser:
    loads = staticmethod(timed("parse", toml.tomllib.loads))
    TOMLDecodeError = toml.tomllib.TOMLDecodeError
toml.tomllib = Parser
toml._scan_lines = timed("key lines", toml._scan_lines)
toml._Builder.build = timed("fields + validation", toml._Builder.build)
proj.collect = timed("python modules", proj.collect)
proj.check_sensors = timed("sensors", proj.check_sensors)
proj.build_graph = timed("graph build + checks", proj.build_graph)
proj.file_checks = timed("file checks", proj.file_checks)
proj.check_files = timed("file checks", proj.check_files)
start = time.perf_counter()
proj.load_graph("assets.toml")
total = time.perf_counter() - start
spent["rest"] = total - sum(spent.values())
spent["total"] = total
print(json.dumps(spent))
"""


def _child(script: str, project_dir: Path) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=project_dir,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


def bench_load_vs_parse(
    n: int, repeat: int, project_dir: Path
) -> list[dict[str, object]]:
    """Parse alone and uncached load_graph of the N-asset fan project in
    ``project_dir`` (written when it has no assets.toml), each repetition in
    fresh processes, interleaved. One dict per measure, medians in seconds."""
    project_dir = Path(project_dir)
    if not (project_dir / "assets.toml").exists():
        write_project(n, str(project_dir))
    parses: list[dict[str, object]] = []
    loads: list[dict[str, object]] = []
    phases: list[dict[str, object]] = []
    for _ in range(repeat):
        parses.append(_child(PARSE_SCRIPT, project_dir))
        loads.append(_child(LOAD_SCRIPT, project_dir))
        phases.append(_child(PHASES_SCRIPT, project_dir))
    parse = statistics.median(float(str(p["seconds"])) for p in parses)
    stdlib = statistics.median(float(str(p["stdlib"])) for p in parses)
    load = statistics.median(float(str(p["seconds"])) for p in loads)
    breakdown = {
        name: statistics.median(float(str(p.get(name, 0.0))) for p in phases)
        for name in phases[0]
    }
    return [
        {
            "scenario": "parse",
            "n": n,
            "parser": parses[0]["parser"],
            "median_s": parse,
            "stdlib_tomllib_s": stdlib,
            "runs": [p["seconds"] for p in parses],
            "peak_mb": max(float(str(p["peak_mb"])) for p in parses),
        },
        {
            "scenario": "load+validate",
            "n": n,
            "median_s": load,
            "runs": [p["seconds"] for p in loads],
            "peak_mb": max(float(str(p["peak_mb"])) for p in loads),
            "ratio_vs_parse": load / parse,
            "ratio_vs_stdlib_tomllib": load / stdlib,
            "us_per_asset": load / n * 1e6,
            "phases": breakdown,
        },
    ]


def _table(results: list[list[dict[str, object]]]) -> list[str]:
    lines = [
        "| assets | parser | parse | (stdlib tomllib) | load + validate | ratio "
        "| (vs tomllib) | µs/asset | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for parse, load in results:
        lines.append(
            f"| {load['n']:,} | {parse['parser']} | {float(str(parse['median_s'])):.3f} s "
            f"| {float(str(parse['stdlib_tomllib_s'])):.3f} s "
            f"| {float(str(load['median_s'])):.3f} s "
            f"| {float(str(load['ratio_vs_parse'])):.2f}x "
            f"| {float(str(load['ratio_vs_stdlib_tomllib'])):.2f}x "
            f"| {float(str(load['us_per_asset'])):.1f} "
            f"| {float(str(load['peak_mb'])):.0f} MiB |"
        )
    lines += [
        "",
        "Breakdown of load_graph (medians, seconds; timers in the bench only):",
        "",
    ]
    names = list(results[0][1]["phases"])  # type: ignore[call-overload]
    lines.append("| assets | " + " | ".join(names) + " |")
    lines.append("|---|" + "---|" * len(names))
    for _, load in results:
        phases = load["phases"]
        assert isinstance(phases, dict)
        cells = " | ".join(f"{phases.get(name, 0.0):.3f}" for name in names)
        lines.append(f"| {load['n']:,} | {cells} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            results.append(bench_load_vs_parse(n, args.repeat, Path(tmp) / str(n)))
            print("\n".join(_table(results[-1:])), flush=True)
    text = [
        "# Uncached load + validate vs the TOML parse",
        "",
        f"Python {sys.version.split()[0]}, {args.repeat} repetitions, medians, "
        "each in a fresh process (`python benchmarks/load_bench.py`).",
        "",
        *_table(results),
        "",
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "load.md").write_text("\n".join(text))


if __name__ == "__main__":
    main()
