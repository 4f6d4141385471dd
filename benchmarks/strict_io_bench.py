"""What ``[settings] strict_io`` costs: N tiny shell assets built with and without it.

    python benchmarks/strict_io_bench.py [--assets 200] [--repeat 3] [--out FILE]

Each asset's transform is ``echo I > {self.path}`` (no upstream): the cost of
a materialization is then mostly doit-assets' own (staging, the process, the
history), which is what strace is added to. For each setting, a cold build
(everything runs) and a no-op (nothing runs) of a fresh project, ``repeat``
times, the two settings in turns; medians, and the cost per asset of
strict_io (the difference of the medians over N), go to
``benchmarks/results/strict_io.md``. ``doit assets audit`` of all N assets is
timed once too.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def write_project(folder: Path, assets: int, strict: bool) -> None:
    lines = ["[settings]", f"strict_io = {'true' if strict else 'false'}", ""]
    for i in range(assets):
        lines += [
            f"[assets.a{i}]",
            f'path = "out/a{i}.txt"',
            f'transform = "echo {i} > {{self.path}}"',
            "",
        ]
    (folder / "assets.toml").write_text("\n".join(lines))
    (folder / "dodo.py").write_text("from doit_assets.dodo import *\n")


def timed(argv: list[str], cwd: Path, ok: tuple[int, ...] = (0,)) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode not in ok:
        sys.exit(f"{' '.join(argv)} failed:\n{done.stdout}{done.stderr}")
    return took


def measure(assets: int, repeat: int) -> dict[str, list[float]]:
    doit = [sys.executable, "-m", "doit"]
    found: dict[str, list[float]] = {}
    for turn in range(repeat):
        order = (False, True) if turn % 2 == 0 else (True, False)
        for strict in order:
            name = "strict_io" if strict else "plain"
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp)
                write_project(folder, assets, strict)
                found.setdefault(f"{name} cold", []).append(timed(doit, folder))
                found.setdefault(f"{name} no-op", []).append(timed(doit, folder))
                if strict and turn == 0:
                    audit = [*doit, "assets", "audit"]
                    found["audit"] = [timed(audit, folder)]
    return found


def report(found: dict[str, list[float]], assets: int, repeat: int) -> str:
    med = {k: statistics.median(v) for k, v in found.items()}
    per = (med["strict_io cold"] - med["plain cold"]) / assets * 1000
    plain_each = med["plain cold"] / assets * 1000
    strict_each = med["strict_io cold"] / assets * 1000
    rows = [
        "# strict_io: what tracing every materialization costs",
        "",
        f"`python benchmarks/strict_io_bench.py --assets {assets} --repeat {repeat}`"
        f" on {platform.system()} {platform.machine()}, Python "
        f"{platform.python_version()}, {os.cpu_count()} cores (shared with other "
        f"work while it ran), strace {_strace_version()}. {assets} independent "
        "shell assets, `echo I > {self.path}` each; medians of "
        f"{repeat} fresh projects per setting, the settings in turns.",
        "",
        "| run | plain | strict_io |",
        "|---|---|---|",
        f"| cold build ({assets} made) | {med['plain cold']:.2f} s | "
        f"{med['strict_io cold']:.2f} s |",
        f"| per asset | {plain_each:.1f} ms | {strict_each:.1f} ms |",
        f"| no-op (nothing runs) | {med['plain no-op']:.2f} s | "
        f"{med['strict_io no-op']:.2f} s |",
        "",
        f"strict_io costs **{per:.1f} ms per materialized asset** here (strace "
        "starting, following every process of the command, and the trace read "
        "afterwards); a run that materializes nothing costs the same as without "
        "it. `doit assets audit` of all "
        f"{assets} assets took {med['audit']:.2f} s "
        f"({med['audit'] / assets * 1000:.1f} ms per asset).",
        "",
    ]
    return "\n".join(rows)


def _strace_version() -> str:
    found = shutil.which("strace")
    if found is None:
        return "missing"
    done = subprocess.run([found, "-V"], capture_output=True, text=True)
    return done.stdout.split("version")[-1].split()[0] if done.stdout else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default=str(RESULTS / "strict_io.md"))
    args = parser.parse_args()
    found = measure(args.assets, args.repeat)
    text = report(found, args.assets, args.repeat)
    Path(args.out).write_text(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
