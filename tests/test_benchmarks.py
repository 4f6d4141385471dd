"""The benchmark suite at N=100, as a smoke test: correct rebuild counts, no timings."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from generate import layered_graph, write_project  # noqa: E402
from run import TOOLS, executed  # noqa: E402


def test_the_graph_has_the_promised_shape() -> None:
    nodes = layered_graph(1000)
    sources = [n for n in nodes if not n.deps]
    chain = [n for n in nodes if n.name.startswith("chain_")]
    assert len(nodes) == 1000
    assert len(chain) == 10  # 1% of the graph hangs off data/seed.txt
    assert chain[0].deps[0] == "seed"
    assert all(len(n.deps) <= 2 for n in nodes)
    assert len(sources) == 1 + 32  # the seed and the first layer (width ~sqrt(N))


@pytest.mark.parametrize("tool", ["doit-assets", "doit-assets cli", "doit"])
def test_every_tool_builds_then_does_nothing_then_rebuilds_one_percent(
    tool: str, tmp_path: Path
) -> None:
    nodes = write_project(100, str(tmp_path))
    made = sum(1 for n in nodes if n.deps)
    command = TOOLS[tool]

    def run(*args: str) -> int:
        done = subprocess.run(
            command(list(args)), cwd=tmp_path, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return executed(done.stdout)

    assert run() == made
    assert run() == 0
    (tmp_path / "data" / "seed.txt").write_text("changed\n")
    assert run() == 1  # the chain: N/100 assets
    assert (tmp_path / "build" / "chain_0.txt").read_text().endswith("\n")


@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
def test_make_builds_the_same_files(tmp_path: Path) -> None:
    nodes = write_project(100, str(tmp_path))
    subprocess.run(["make", "-s"], cwd=tmp_path, check=True)
    built = sorted(p.name for p in (tmp_path / "build").iterdir())
    assert built == sorted(Path(n.path).name for n in nodes if n.deps)
