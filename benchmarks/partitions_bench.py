"""Thousands of partitions: load, no-op and status of a daily asset of N days.

The project is one partitioned source-like asset (``daily_sales``, made by a
shell command per day), a reader with the same partitions (``daily_report``,
identity mapping) and an unpartitioned summary that reads every partition:
2N + 1 doit tasks. Results go to ``benchmarks/results/partitions.md``.

    python benchmarks/partitions_bench.py [--days 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
RESULTS = Path(__file__).parent / "results"

PROJECT = """\
[assets.daily_sales]
path = "build/sales/{{partition}}.txt"
transform = "echo {{partition}} > {{self.path}}"
partitions = {{ daily = {{ start = "{start}", end = "{end}" }} }}

[assets.daily_report]
path = "build/reports/{{partition}}.txt"
transform = "cat {{daily_sales.path}} > {{self.path}}"
partitions = {{ daily = {{ start = "{start}", end = "{end}" }} }}

[assets.summary]
path = "build/summary.txt"
transform = "cat {{daily_sales.paths}} | wc -l > {{self.path}}"
"""

LOAD = """
import time
from doit_assets.doit_plugin.tasks import AssetTasks
creator = AssetTasks("assets.toml")
start = time.perf_counter()
tasks = list(creator.create_doit_tasks())
print(time.perf_counter() - start)
"""


def timed(argv: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{proc.stdout}\n{proc.stderr}")
    return elapsed, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="doit-assets-partitions-"))
    start = dt.date(2000, 1, 1)
    end = start + dt.timedelta(days=args.days - 1)
    (folder / "assets.toml").write_text(PROJECT.format(start=start, end=end))
    doit = [str(BIN / "doit"), "-f", "dodo.py"]
    (folder / "dodo.py").write_text("from doit_assets.dodo import *\n")
    rows: list[tuple[str, float]] = []
    cold, out = timed([*doit, "-n", "2"], folder)
    made = sum(1 for line in out.splitlines() if line.startswith(".  "))
    rows.append((f"cold build, -n 2 ({made} tasks ran)", cold))
    scenarios = {
        "load (cached), in process": [sys.executable, "-c", LOAD],
        "no-op `doit`": doit,
        "no-op `doit-assets`": [str(BIN / "doit-assets")],
        "`doit assets status`": [*doit, "assets", "status"],
        "`doit assets status --partitions`": [
            *doit,
            "assets",
            "status",
            "--partitions",
        ],
        "`doit list`": [*doit, "list"],
    }
    for name, argv in scenarios.items():
        samples = []
        for _ in range(args.repeat):
            elapsed, out = timed(argv, folder)
            samples.append(float(out.strip()) if name.startswith("load") else elapsed)
        rows.append((name, statistics.median(samples)))
    (folder / "build/sales" / f"{end}.txt").write_text("edited\n")
    one, out = timed(doit, folder)
    ran = [line[3:] for line in out.splitlines() if line.startswith(".  ")]
    rows.append((f"one partition edited by hand (ran: {', '.join(ran)})", one))
    lines = [
        "# Partitions",
        "",
        f"{args.days} daily partitions of `daily_sales`, the same of `daily_report`,",
        f"and `summary` reading every partition: {2 * args.days + 1} tasks. Median",
        f"of {args.repeat} runs in seconds (`python benchmarks/partitions_bench.py`).",
        "",
        "| scenario | seconds |",
        "|---|---|",
        *(f"| {name} | {seconds:.3f} |" for name, seconds in rows),
        "",
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "partitions.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
