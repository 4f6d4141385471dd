"""Two installations of doit-assets side by side: did a change make it slower?

    python benchmarks/compare.py --before VENV_A --after VENV_B [--sizes 10000]
        [--repeat 5] [--scenarios ...] [--out FILE]

Each VENV is a virtual environment with doit-assets installed (``pip install -e``
of a checkout of the version to measure). For every N the generated graph of
run.py (generate.py) is built by both, in turns within each repetition (the
order swapped every time), so that the machine's ups and downs fall on both
alike: a cold build, a no-op, a 1% change, and in-process the load and
validation of ``assets.toml`` (uncached, the import of doit-assets counted)
and the load of the tasks from the project cache. ``--scenarios`` picks some
(the in-process ones alone take seconds). Medians, and after/before, go to
``benchmarks/results/compare.md`` (``--out``).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import write_project
from run import RESULTS, executed, fresh_copy, run

# The import counts: a version that imports its modules lazily, inside
# load_graph, would otherwise look slower than one that imports them up front.
LOAD = """
import time
start = time.perf_counter()
from doit_assets import load_graph
load_graph("assets.toml")
print(time.perf_counter() - start)
"""
CACHED = """
import time
from doit_assets import AssetTasks
creator = AssetTasks("assets.toml")
list(creator.create_doit_tasks())  # fills the cache
start = time.perf_counter()
list(creator.create_doit_tasks())
print(time.perf_counter() - start)
"""
BUILDS = ("cold", "no-op", "1% change")  # one after the other, in one copy
LOADS = {"import+load+validate": LOAD, "load (cached)": CACHED}
SCENARIOS = BUILDS + tuple(LOADS)


def measure(
    venv: Path, template: Path, work: Path, i: int, scenarios: tuple[str, ...]
) -> dict[str, float]:
    doit = [str(venv / "bin" / "doit")]
    python = str(venv / "bin" / "python")
    project = fresh_copy(template, work)
    times = {}
    if any(s in scenarios for s in BUILDS):
        times["cold"], _, _ = run(doit, project)
        times["no-op"], _, out = run(doit, project)
        assert executed(out) == 0, "a no-op run ran something"
        (project / "data" / "seed.txt").write_text(f"seed {i}\n")
        times["1% change"], _, _ = run(doit, project)
    for scenario, script in LOADS.items():
        if scenario in scenarios:
            _, _, out = run([python, "-c", script], project)
            times[scenario] = float(out.strip().splitlines()[-1])
    return {s: t for s, t in times.items() if s in scenarios}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, metavar="VENV")
    parser.add_argument("--after", type=Path, required=True, metavar="VENV")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--scenarios", nargs="+", choices=SCENARIOS, default=list(SCENARIOS)
    )
    parser.add_argument(
        "--out", type=Path, default=RESULTS / "compare.md", metavar="FILE"
    )
    args = parser.parse_args()
    scenarios = tuple(args.scenarios)
    versions = {"before": args.before, "after": args.after}
    lines = [
        "# Before and after",
        "",
        f"Machine: {platform.machine()}, Python {platform.python_version()}. "
        f"Written {time.strftime('%Y-%m-%d %H:%M')} by `python benchmarks/compare.py "
        f"--repeat {args.repeat} --scenarios {' '.join(map(repr, scenarios))}`; before: `{args.before}`, after: `{args.after}`.",
        "",
        "| scenario | N | before median s | after median s | after / before |",
        "|---|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for n in args.sizes:
            template = work / f"template-{n}"
            write_project(n, str(template))
            seconds: dict[tuple[str, str], list[float]] = {}
            for i in range(args.repeat):
                order = list(versions) if i % 2 == 0 else list(reversed(versions))
                for name in order:
                    got = measure(versions[name], template, work / name, i, scenarios)
                    for scenario, value in got.items():
                        seconds.setdefault((name, scenario), []).append(value)
                    print(f"N={n} #{i} {name}: {got}", file=sys.stderr)
            for scenario in scenarios:
                before = statistics.median(seconds[("before", scenario)])
                after = statistics.median(seconds[("after", scenario)])
                lines.append(
                    f"| {scenario} | {n} | {before:.3f} | {after:.3f} | "
                    f"{after / before:.3f} |"
                )
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
