"""A project made by an earlier version runs on as it was: nothing is made
again but its Python assets, once (their automatic code versions now cover
Python's version and the installed packages they import, issue 16).

``tests/fixtures/upgrade-0.1`` was built by doit-assets 0.1 (the last version
before the state folder's layout, the staging folders and the package's
layout changed): its outputs, doit's state and the history (kept as
``state-of-0.1``, copied to ``.doit-assets``). Shell and Python assets, a
value asset, a directory output, a glob input, static and daily partitions.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import Project

FIXTURE = Path(__file__).parent / "fixtures" / "upgrade-0.1"


def upgraded(project: Project) -> Project:
    shutil.copytree(FIXTURE, project.root, dirs_exist_ok=True)  # new file times
    (project.root / "state-of-0.1").rename(project.root / ".doit-assets")
    return project


def test_a_project_built_by_0_1_runs_only_its_python_assets_again(
    project: Project,
) -> None:
    upgraded(project)
    # the history is read as 0.1 left it (status migrates nothing)
    status = project.doit("assets", "status", "--check")
    assert status.code == 1, status
    stale = [line.split()[0] for line in status.out.splitlines() if " stale " in line]
    assert stale == ["totals", "summary"], status
    assert "totals   stale   " in status.out, status
    assert "its code version changed: 6881cf44dbe38bb7 → " in status.out, status
    run = project.doit_ok()
    assert run.ran == ["totals", "summary"], run
    assert len(run.up_to_date) == 9, run
    assert project.doit_ok().ran == []
    assert project.doit("assets", "status", "--check").code == 0


def test_the_history_of_0_1_reads_on(project: Project) -> None:
    upgraded(project)
    project.doit_ok()
    history = json.loads(project.doit("assets", "history", "--json").out)
    made = sorted({m["asset"] for m in history["materializations"]})
    assert made == [
        "cleaned",
        "days",
        "listing",
        "orders",
        "parts",
        "regions",
        "summary",
        "totals",
    ]
    lineage = project.doit("assets", "lineage", "summary")
    assert lineage.code == 0, lineage
    assert "from totals #" in lineage.out, lineage


def test_a_change_after_the_upgrade_runs_exactly_its_cone(project: Project) -> None:
    upgraded(project)
    assert project.doit_ok().ran == ["totals", "summary"]  # as above
    project.write("lib/a.txt", "v2\n")
    run = project.doit_ok()
    # the glob input changed; its output comes out the same: early cutoff
    assert run.ran == ["cleaned"], run
