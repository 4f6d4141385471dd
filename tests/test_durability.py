"""A killed, interrupted or concurrent ``doit`` leaves a history that is whole and
a project that picks up where it stopped."""

from __future__ import annotations

import json
import time

import pytest
from conftest import PYTHON, Project
from history_support import (
    HISTORY,
    STATE,
    Background,
    doit_json,
    inputs,
    integrity,
    materializations,
    md5,
    row,
    runs,
    runs_in,
    summary_of,
    wait_for,
)

# raw -> first -> second -> slow; slow sleeps for as many seconds as delay.txt says
SLOW = """\
[assets.raw]
path = "data/raw.txt"

[assets.first]
path = "out/first.txt"
transform = "{python} tx.py upper {self.path} {raw.path}"

[assets.second]
path = "out/second.txt"
transform = "{python} tx.py count {self.path} {first.path}"

[assets.slow]
path = "out/slow.txt"
transform = "touch slow.started && sleep $(cat delay.txt) && {python} tx.py cat {self.path} {second.path}"
inputs = ["delay.txt"]
"""
STARTED = "slow.started"  # written by slow's transform as it begins
INTERRUPTED = (
    "interrupted: finished assets are saved; the one that was running keeps its "
    "previous output and runs again next time"
)


@pytest.fixture
def slow_project(project: Project) -> Project:
    project.write("data/raw.txt", "a\nb\n")
    project.write("delay.txt", "2\n")
    project.assets(SLOW)
    return project


def slow_is_running(project: Project) -> bool:
    """slow's transform has started (call forget_started before the run)."""
    return project.exists(STARTED)


def forget_started(project: Project) -> None:
    project.path(STARTED).unlink(missing_ok=True)


def test_sigkill_keeps_every_finished_materialization(slow_project: Project) -> None:
    forget_started(slow_project)
    with Background(slow_project) as run:
        wait_for(lambda: slow_is_running(slow_project), "slow to start")
        assert [m["asset"] for m in materializations(slow_project)] == [
            "raw",
            "first",
            "second",
        ]
        killed = run.kill()
    assert killed.code == -9, killed
    assert summary_of(slow_project) == [
        (1, 1, "raw", "source", "success"),
        (2, 1, "first", "transform", "success"),
        (3, 1, "second", "transform", "success"),
    ]
    (left,) = runs(slow_project)
    assert (left["outcome"], left["ended_at"], left["materialized"]) == (
        "running",
        None,
        2,
    )
    assert inputs(slow_project, 3) == [("out/first.txt", "first", md5("A\nB\n"), 2)]


def test_after_sigkill_the_stores_open_cleanly(slow_project: Project) -> None:
    forget_started(slow_project)
    with Background(slow_project) as run:
        wait_for(lambda: slow_is_running(slow_project), "slow to start")
        run.kill()
    assert integrity(slow_project, HISTORY) == "ok"
    assert integrity(slow_project, STATE) == "ok"
    data = doit_json(slow_project, "runs")
    # its doit is gone: shown as interrupted before any run records it so
    assert [
        (r["id"], r["outcome"], r["ended_at"], r["duration_s"]) for r in data["runs"]
    ] == [(1, "interrupted", None, None)]
    history = doit_json(slow_project, "history")["materializations"]
    assert [m["asset"] for m in history] == ["second", "first", "raw"]


def test_after_sigkill_the_next_run_makes_only_the_killed_asset(
    slow_project: Project,
) -> None:
    forget_started(slow_project)
    with Background(slow_project) as run:
        wait_for(lambda: slow_is_running(slow_project), "slow to start")
        run.kill()
    assert not slow_project.exists("out/slow.txt")
    slow_project.write("delay.txt", "0\n")  # only slow reads it
    result = slow_project.doit()
    assert result.code == 0, result
    assert result.ran == ["slow"], result
    assert result.up_to_date == ["raw", "first", "second"], result
    assert slow_project.read("out/slow.txt") == "2\n"
    assert slow_project.staging_dirs() == []
    got = [
        (r["id"], r["outcome"], r["materialized"], r["up_to_date"], r["failed"])
        for r in runs(slow_project)
    ]
    assert got == [(1, "interrupted", 2, 0, 0), (2, "success", 1, 3, 0)]
    assert runs(slow_project)[0]["ended_at"] is None
    slow = row(slow_project, "slow", 2)
    second = row(slow_project, "second", 1)
    assert [i for i in inputs(slow_project, slow["id"]) if i[1]] == [
        ("out/second.txt", "second", md5("2\n"), second["id"])
    ]


def test_ctrl_c_ends_with_one_line_and_keeps_the_previous_output(
    slow_project: Project,
) -> None:
    slow_project.write("delay.txt", "0\n")
    assert slow_project.doit().code == 0
    assert slow_project.read("out/slow.txt") == "2\n"
    slow_project.write("data/raw.txt", "a\nb\nc\n")
    slow_project.write("delay.txt", "2\n")
    forget_started(slow_project)
    with Background(slow_project) as run:
        wait_for(lambda: slow_is_running(slow_project), "slow to start")
        wait_for(lambda: runs_in(slow_project, "sleep 2"), "the shell to start sleep")
        stopped = run.interrupt()
    assert stopped.code != 0, stopped
    assert "Traceback" not in stopped.err, stopped
    assert [line for line in stopped.err.splitlines() if line] == [INTERRUPTED], stopped
    assert stopped.ran == ["first", "second", "slow"], stopped
    assert slow_project.read("out/slow.txt") == "2\n"  # the previous version
    assert slow_project.read("out/second.txt") == "3\n"  # finished before Ctrl-C
    assert slow_project.staging_dirs() == []


def test_ctrl_c_records_the_running_asset_and_the_run_as_interrupted(
    slow_project: Project,
) -> None:
    slow_project.write("delay.txt", "0\n")
    assert slow_project.doit().code == 0
    slow_project.write("data/raw.txt", "a\nb\nc\n")
    slow_project.write("delay.txt", "2\n")
    forget_started(slow_project)
    with Background(slow_project) as run:
        wait_for(lambda: slow_is_running(slow_project), "slow to start")
        wait_for(lambda: runs_in(slow_project, "sleep 2"), "the shell to start sleep")
        run.interrupt()
    assert [(a, k, s) for _, r, a, k, s in summary_of(slow_project) if r == 2] == [
        ("raw", "source", "success"),
        ("first", "transform", "success"),
        ("second", "transform", "success"),
        ("slow", "transform", "interrupted"),
    ]
    slow = row(slow_project, "slow", 2)
    assert slow["error"] == "interrupted"
    assert slow["started_at"] < slow["ended_at"]
    assert slow["transform"] == (
        f"touch slow.started && sleep $(cat delay.txt) && {PYTHON} tx.py cat out/slow.txt out/second.txt"
    )
    run2 = runs(slow_project)[1]
    assert (run2["outcome"], run2["materialized"], run2["failed"]) == (
        "interrupted",
        2,
        0,
    )
    assert run2["ended_at"] is not None
    slow_project.write("delay.txt", "0\n")
    again = slow_project.doit()
    assert again.ran == ["slow"], again
    assert slow_project.read("out/slow.txt") == "3\n"
    assert [r["outcome"] for r in runs(slow_project)] == [
        "success",
        "interrupted",
        "success",
    ]


def test_a_second_run_is_refused_while_one_is_going_on(slow_project: Project) -> None:
    forget_started(slow_project)
    with Background(slow_project) as first:
        wait_for(lambda: slow_is_running(slow_project), "slow to start")
        holder = json.loads(slow_project.read(".doit-assets/lock"))
        second = slow_project.doit("slow")
        assert first.running(), "the first run ended before the second was tried"
        since = time.strftime("%H:%M:%S", time.localtime(holder["since"]))
        assert (second.code, second.out) == (3, ""), second
        assert second.err == (
            "ERROR: .doit-assets/lock: another doit run is using this project: "
            f"pid {first.pid} ('doit', started {since}). "
            "Wait for it to finish, or stop it, then run again\n"
        )
        # reading commands do not wait for the lock
        now = doit_json(slow_project, "runs")["runs"]
        assert [(r["id"], r["outcome"], r["ended_at"]) for r in now] == [
            (1, "running", None)
        ]
        done = first.finish()
    assert done.code == 0, done
    assert done.ran == ["first", "second", "slow"], done
    # the refused run left no trace: one run, complete, and everything in it
    got = [
        (r["id"], r["command"], r["outcome"], r["materialized"], r["up_to_date"])
        for r in runs(slow_project)
    ]
    assert got == [(1, "doit", "success", 3, 0)]
    assert summary_of(slow_project) == [
        (1, 1, "raw", "source", "success"),
        (2, 1, "first", "transform", "success"),
        (3, 1, "second", "transform", "success"),
        (4, 1, "slow", "transform", "success"),
    ]
    assert integrity(slow_project, HISTORY) == "ok"
    after = slow_project.doit()
    assert after.code == 0 and after.ran == [], after
    assert [(r["id"], r["outcome"], r["up_to_date"]) for r in runs(slow_project)] == [
        (1, "success", 0),
        (2, "success", 4),
    ]


def test_the_lock_is_free_again_after_a_run(slow_project: Project) -> None:
    slow_project.write("delay.txt", "0\n")
    assert slow_project.doit().code == 0
    holder = json.loads(slow_project.read(".doit-assets/lock"))
    assert holder["command"] == "doit"
    again = slow_project.doit("slow")
    assert again.code == 0 and again.ran == [], again
