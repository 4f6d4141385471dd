"""`why`, `lineage` and `status` on wide graphs, where each asset has many paths.

    python benchmarks/inspect_bench.py                 # N = 10000, both shapes
    python benchmarks/inspect_bench.py --sizes 1000 --repeat 1

Two shapes of N assets (generate.py): **fan**, the layered graph of run.py
(layers of width ~sqrt(N), each asset reading two of the layer above, and a
tail chain), and **ladder**, layers of two assets each reading both assets of
the layer above (2^L paths from the last asset back to the sources). Each is
built once with ``doit -n 2``; then every source file is edited, so that every
asset is stale and ``why`` of the last asset explains all of them. Measured,
each the median of ``--repeat`` runs with its peak memory (GNU time, as in
run.py): ``why`` and ``lineage`` of the last asset, in text and JSON, and
``status`` and ``status --json`` of every asset. Results go to
benchmarks/results/inspect.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import write_project
from run import BIN, RESULTS, run

SHAPES = ("fan", "ladder")
DOIT = [str(BIN / "doit")]
# the limits of issue 11: why and lineage of the last asset, on 10 000 assets
TARGET_SECONDS = 1.0
TARGET_MB = 200.0


def scenarios(last: str) -> dict[str, list[str]]:
    return {
        f"why {last}": ["assets", "why", last],
        f"why {last} --json": ["assets", "why", last, "--json"],
        f"lineage {last}": ["assets", "lineage", last],
        f"lineage {last} --json": ["assets", "lineage", last, "--json"],
        "status": ["assets", "status"],
        "status --json": ["assets", "status", "--json"],
    }


def bench_shape(shape: str, n: int, repeat: int, work: Path) -> list[list[str]]:
    """Build the project once, make every asset stale, time each scenario."""
    project = work / f"{shape}-{n}"
    nodes = write_project(n, str(project), shape)
    start = time.perf_counter()
    run([*DOIT, "-n", "2"], project)
    cold = time.perf_counter() - start
    print(f"{shape} N={n}: built in {cold:.0f} s", file=sys.stderr)
    for node in nodes:
        if not node.deps:  # a source: everything after it becomes stale
            with open(project / node.path, "a") as f:
                f.write("edited\n")
    rows = []
    for name, args in scenarios(nodes[-1].name).items():
        seconds, peak, size = [], 0.0, 0
        for _ in range(repeat):
            elapsed, rss, out = run([*DOIT, *args], project)
            seconds.append(elapsed)
            peak = max(peak, rss)
            size = len(out.encode())
        lines = size and out.count("\n")
        median = statistics.median(seconds)
        rows.append(
            [
                shape,
                str(n),
                f"`{name}`",
                f"{median:.3f}",
                f"{peak:.0f}",
                f"{lines}",
                f"{size / 1024:.0f}",
                _verdict(name, median, peak),
            ]
        )
    return rows


def _verdict(name: str, seconds: float, peak: float) -> str:
    if name.startswith(("why", "lineage")):
        met = seconds < TARGET_SECONDS and peak < TARGET_MB
        return "met" if met else "**missed**"
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000])
    parser.add_argument("--shapes", nargs="+", choices=SHAPES, default=list(SHAPES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=None, help="scratch folder")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="doit-assets-inspect-"))
    import doit

    import doit_assets

    for package in (doit, doit_assets):  # no measured run pays for compiling
        folder = str(Path(package.__file__).parent)
        subprocess.run([sys.executable, "-m", "compileall", "-q", folder], check=True)
    rows = []
    for n in args.sizes:
        for shape in args.shapes:
            rows += bench_shape(shape, n, args.repeat, work)
    lines = [
        "# why, lineage and status on wide graphs",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}. Written {time.strftime('%Y-%m-%d %H:%M')} by "
        "`python benchmarks/inspect_bench.py`.",
        "",
        "Every source edited after the build, so every asset is stale; the last",
        "asset's `why` explains all of them. Median of "
        f"{args.repeat} runs; peak memory by GNU time. Target for `why` and",
        f"`lineage`: under {TARGET_SECONDS:.0f} s and {TARGET_MB:.0f} MB; "
        "`status --json` no slower than `status`.",
        "",
        "| shape | N | command | median s | peak MiB | lines | KiB | target |",
        "|---|---:|---|---:|---:|---:|---:|---|",
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "inspect.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
