"""The benchmark suites at a small N, as smoke tests: correct rebuild counts and
answers whose size follows the graph, no timings."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from generate import ladder_graph, layered_graph, write_project  # noqa: E402
from inspect_bench import SHAPES, bench_shape  # noqa: E402
from run import TOOLS, dvc_yaml, executed, snakefile  # noqa: E402


def test_the_graph_has_the_promised_shape() -> None:
    nodes = layered_graph(1000)
    sources = [n for n in nodes if not n.deps]
    chain = [n for n in nodes if n.name.startswith("chain_")]
    assert len(nodes) == 1000
    assert len(chain) == 10  # 1% of the graph hangs off data/seed.txt
    assert chain[0].deps[0] == "seed"
    assert all(len(n.deps) <= 2 for n in nodes)
    assert len(sources) == 1 + 32  # the seed and the first layer (width ~sqrt(N))


@pytest.mark.e2e
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
    (tmp_path / "data" / "tail.txt").write_text("changed\n")
    assert run() == 1  # one input: the last asset of the chain alone


@pytest.mark.e2e
def test_compare_writes_a_table_of_both_versions(tmp_path: Path) -> None:
    venv = Path(sys.executable).parent.parent  # the same version on both sides
    out = tmp_path / "compare.md"
    command = [sys.executable, str(BENCHMARKS / "compare.py"), "--before", str(venv)]
    command += ["--after", str(venv), "--sizes", "30", "--repeat", "2"]
    done = subprocess.run(
        [*command, "--out", str(out)], capture_output=True, text=True, check=True
    )
    rows = [line.split(" | ")[0] for line in out.read_text().splitlines()[-5:]]
    assert rows == [
        "| cold",
        "| no-op",
        "| 1% change",
        "| import+load+validate",
        "| load (cached)",
    ]
    assert done.stdout.endswith(out.read_text())


@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
def test_make_builds_the_same_files(tmp_path: Path) -> None:
    nodes = write_project(100, str(tmp_path))
    subprocess.run(["make", "-s"], cwd=tmp_path, check=True)
    built = sorted(p.name for p in (tmp_path / "build").iterdir())
    assert built == sorted(Path(n.path).name for n in nodes if n.deps)


def test_the_ladder_is_layers_of_two_each_reading_both_of_the_layer_above() -> None:
    nodes = ladder_graph(8)
    assert [(n.name, n.deps) for n in nodes] == [
        ("a0", ()),
        ("b0", ()),
        ("a1", ("a0", "b0")),
        ("b1", ("a0", "b0")),
        ("a2", ("a1", "b1")),
        ("b2", ("a1", "b1")),
        ("a3", ("a2", "b2")),
        ("b3", ("a2", "b2")),
    ]


@pytest.mark.e2e
@pytest.mark.parametrize("shape", SHAPES)
def test_why_lineage_and_status_answers_grow_with_the_graph_not_its_paths(
    shape: str, tmp_path: Path
) -> None:
    # 60 assets: the ladder has 2^29 paths from its last asset to a source
    rows = {row.command: row for row in bench_shape(shape, 60, 1, tmp_path)}
    last = "b29" if shape == "ladder" else "chain_0"
    assert list(rows) == [
        f"why {last}",
        f"why {last} --json",
        f"lineage {last}",
        f"lineage {last} --json",
        "status",
        "status --json",
    ]
    assert rows["status"].lines == 60 + 3  # a header, a blank line, a summary
    assert rows[f"why {last}"].lines < 4 * 60
    assert rows[f"lineage {last}"].lines < 20 * 60
    assert rows["status --json"].lines < 40 * 60


@pytest.mark.e2e
def test_watch_bench_measures_latency_ticks_and_idle(tmp_path: Path) -> None:
    out = tmp_path / "watch.md"
    command = [sys.executable, str(BENCHMARKS / "watch_bench.py"), "--sizes", "10"]
    command += ["--edits", "3", "--tick-sizes", "10", "--idle-size", "10"]
    command += ["--idle-seconds", "2", "--repeat", "1", "--work", str(tmp_path)]
    done = subprocess.run(
        [*command, "--out", str(out)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line.split(" | ")[:2] for line in out.read_text().splitlines()]
    assert [row for row in rows if row[0] in ("| 10", "| inotify", "| --poll")] == [
        ["| 10", "3"],  # 3 edits, each timed
        ["| 10", "tick"],
        ["| 10", "watcher's cycle"],
        ["| inotify", "10"],
        ["| --poll", "10"],
    ]
    assert done.stdout.endswith(out.read_text())


def test_the_peers_get_the_same_graph() -> None:
    nodes = layered_graph(100)
    made = [n for n in nodes if n.deps]
    rules = snakefile(nodes)
    stages = dvc_yaml(nodes)
    assert rules.count("\nrule ") == len(made)  # and `rule all` first
    assert "shell: 'cat data/seed.txt build/l9_7.txt data/tail.txt | cksum" in rules
    assert stages.count("    cmd: cat ") == len(made)
    assert "    - data/tail.txt\n" in stages
