"""Fault injection: a graph of 200 assets built while doit is killed, 50 times.

Each trial edits a source (so that its downstream cone is stale), starts
``doit`` (with two workers every other time) and sends SIGKILL at a random
moment from a fixed seed: to doit alone, or in half the trials to its whole
process group (the transforms' shells too). A run that ended before its moment
does not count: trials go on until 50 runs were killed. Then one run goes to
the end. Then every output must be byte for byte what a clean build of the same
sources makes, no staging file may be left, the history must pass SQLite's
integrity check, and every output on disk must have a history row with its md5.

Run it alone with ``pytest -m faults``; ``DOIT_ASSETS_FAULT_SEED`` picks other
moments.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import Project, run_doit
from test_processes import start

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
from generate import write_project

ASSETS = 200
KILLS = 50
SEED = int(os.environ.get("DOIT_ASSETS_FAULT_SEED", "5"))


def outputs(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted((root / "build").rglob("*"))
        if p.is_file()
    }


@pytest.mark.faults
@pytest.mark.e2e
def test_fifty_kills_of_doit_or_its_group_leave_a_clean_build(
    project: Project, tmp_path: Path
) -> None:
    nodes = write_project(ASSETS, str(project.root))
    sources = [n.path for n in nodes if not n.deps] + [
        i for n in nodes for i in n.inputs
    ]
    moments = random.Random(SEED)
    kills = group_kills = trial = 0
    while kills < KILLS:
        trial += 1
        assert trial <= 6 * KILLS, f"only {kills} runs were still going to kill"
        edited = project.root / moments.choice(sources)
        edited.write_text(f"{edited.name} {trial}\n")
        proc = start(project, *(("-n", "2") if trial % 2 else ()))
        time.sleep(moments.uniform(0.0, 1.0))
        whole_group = moments.random() < 0.5
        if proc.poll() is None:  # else the run ended before its moment: again
            kills += 1
            group_kills += whole_group
            if whole_group:
                os.killpg(proc.pid, signal.SIGKILL)  # doit and every transform
            else:
                os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)  # no process of the run holds its pipes
    print(f"{kills} kills in {trial} runs, {group_kills} of the whole group")
    assert 0 < group_kills < kills  # both kinds

    last = project.doit()
    assert last.code == 0, last
    assert project.staging_dirs() == []

    clean = tmp_path / "clean"
    clean.mkdir()
    for name in ("assets.toml", "dodo.py"):
        (clean / name).write_bytes((project.root / name).read_bytes())
    for source in sources:
        (clean / source).parent.mkdir(parents=True, exist_ok=True)
        (clean / source).write_bytes((project.root / source).read_bytes())
    assert run_doit(cwd=clean).code == 0
    made = outputs(project.root)
    assert len(made) == ASSETS - sum(1 for n in nodes if not n.deps)
    assert made == outputs(clean)

    history = sqlite3.connect(project.root / ".doit-assets" / "history.sqlite")
    assert history.execute("pragma integrity_check").fetchall() == [("ok",)]
    recorded = set(
        history.execute(
            "select o.path, o.md5 from outputs o join materializations m "
            "on m.id = o.materialization_id where m.status = 'success'"
        ).fetchall()
    )
    for path, data in made.items():
        assert (path, hashlib.md5(data).hexdigest()) in recorded, path


KILLED_WHILE_RECORDING = """\
import os, signal, sys
from doit.doit_cmd import DoitMain
from doit_assets.doit_plugin.recorder import Recorder

recorded = Recorder.succeeded

def succeeded(self, task, saved):  # doit dies as copy's success is written
    if task.name == "copy":
        os.kill(os.getpid(), signal.SIGKILL)
    return recorded(self, task, saved)

Recorder.succeeded = succeeded
sys.exit(DoitMain().run(sys.argv[1:]))
"""


@pytest.mark.e2e
def test_killed_while_recording_a_success_the_output_is_made_again(
    project: Project,
) -> None:
    project.assets(
        """
        [assets.raw]
        path = "raw.txt"

        [assets.copy]
        path = "out/copy.txt"
        transform = "cp {raw.path} {self.path}"
        """
    )
    project.write("raw.txt", "one\n")
    project.write("killed.py", KILLED_WHILE_RECORDING)
    done = subprocess.run(
        [sys.executable, "killed.py"], cwd=project.root, capture_output=True
    )
    assert done.returncode == -signal.SIGKILL
    assert project.read("out/copy.txt") == "one\n"  # published, not recorded
    again = project.doit_ok()
    assert again.ran == ["copy"]  # doit's state was not saved before the history
    history = sqlite3.connect(project.root / ".doit-assets" / "history.sqlite")
    assert history.execute(
        "select o.md5 from outputs o join materializations m "
        "on m.id = o.materialization_id where o.path = 'out/copy.txt' "
        "and m.status = 'success'"
    ).fetchall() == [(hashlib.md5(b"one\n").hexdigest(),)]
