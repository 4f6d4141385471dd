"""What the environment in the fingerprint costs (issue 16).

The same generated project (benchmarks/generate.py, fan shape) is built once,
then timed on a no-op run through ``doit`` and ``doit-assets`` in four
variants: as generated; with ``[settings] env`` (every transform has env);
with ``fingerprint_env`` (every fingerprint also holds an inherited variable);
with ``requires`` (every transform declares one version command). Medians of
``--repeat`` runs, the variants interleaved. Results go to
``benchmarks/results/environment.md``.

    python benchmarks/environment_bench.py [--size 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import write_project  # noqa: E402

VARIANTS = {
    "plain": "",
    "env": '[settings]\nenv = { LC_ALL = "C", MODEL_SEED = "7" }\n\n',
    "fingerprint_env": '[settings]\nfingerprint_env = ["BENCH_REGION"]\n\n',
    "requires": '[settings]\nrequires = ["cksum --version"]\n\n',
}
BIN = Path(sys.executable).parent


def _run(args: list[str], cwd: Path) -> float:
    env = dict(os.environ, BENCH_REGION="eu")
    started = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed in {cwd}:\n{done.stderr}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="env-bench-"))
    projects: dict[tuple[str, str], Path] = {}
    for name, settings in VARIANTS.items():
        for tool in ("doit", "doit-assets"):
            # a project per tool: a run through doit drops the fast path's
            # manifest, which only a full run of doit-assets writes again
            root = work / f"{name}-{tool}"
            write_project(args.size, str(root))
            toml = root / "assets.toml"
            toml.write_text(settings + toml.read_text())
            (root / "dodo.py").write_text("from doit_assets.dodo import *\n")
            _run([str(BIN / tool)], root)  # build once
            _run([str(BIN / tool)], root)  # doit-assets: vouched from now on
            projects[(name, tool)] = root
    timings: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.repeat):
        for (name, tool), root in projects.items():
            took = _run([str(BIN / tool)], root)
            timings.setdefault((name, tool), []).append(took)
    lines = [
        "# The environment in the fingerprint: what a no-op costs",
        "",
        f"{args.size} assets (fan), built once, then a no-op run; medians of "
        f"{args.repeat}, variants interleaved. `python "
        "benchmarks/environment_bench.py`.",
        "",
        "| variant | `doit` | vs plain | `doit-assets` (fast path) | vs plain |",
        "|---|---|---|---|---|",
    ]
    base = {
        t: statistics.median(timings[("plain", t)]) for t in ("doit", "doit-assets")
    }
    for name in VARIANTS:
        row = [name]
        for tool in ("doit", "doit-assets"):
            median = statistics.median(timings[(name, tool)])
            row += [f"{median:.2f} s", f"{median / base[tool]:.2f}\u00d7"]
        lines.append("| " + " | ".join(row) + " |")
    out = HERE / "results" / "environment.md"
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
