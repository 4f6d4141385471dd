"""A transform never outlives its run, and a dead run never locks its project.

Each test kills or signals the doit process itself (not its process group, as
the OOM killer or a service manager would), with transforms that write their
output in chunks, then runs doit again at once: the output is always one whole
version, made by one attempt, nothing is left running, and nothing is locked.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import PYTHON, DoitRun, Project, copy_of
from history_support import command_line, runs, wait_for

# chunks.py OUT TAG: appends LINES lines to OUT (the staged path), each naming
# this attempt (its pid), one every DELAY seconds; records its pid in pids/.
CHUNKS = """\
import os, sys, time
out, tag = sys.argv[1], sys.argv[2]
os.makedirs("pids", exist_ok=True)
with open(f"pids/{tag}-{os.getpid()}", "w") as f:
    f.write(str(os.getpid()))
lines, delay = map(float, open("pace.txt").read().split())
open(out, "w").close()
for i in range(int(lines)):  # appends by name, as `echo ... >> OUT` in a loop does
    with open(out, "a") as f:
        f.write(f"{os.getpid()} {i}\\n")
    time.sleep(delay)
"""

TWO = """\
[assets.left]
path = "out/left.txt"
transform = "{python} chunks.py {self.path} left"
inputs = ["version.txt"]

[assets.right]
path = "out/right.txt"
transform = "{python} chunks.py {self.path} right"
inputs = ["version.txt"]
"""
LINES = 40


def build_chunky(project: Project) -> None:
    """TWO, built, then stale again: the next run writes in chunks."""
    project.write("chunks.py", CHUNKS)
    project.write("pace.txt", f"{LINES} 0.001\n")  # not an input: a quick build
    project.write("version.txt", "1\n")
    project.assets(TWO)
    assert sorted(project.doit_ok().ran) == ["left", "right"]
    shutil.rmtree(project.path("pids"))  # only transforms of the run to come
    project.write("pace.txt", f"{LINES} 0.05\n")
    project.write("version.txt", "2\n")  # both stale again


chunky = copy_of(build_chunky)


def start(
    project: Project, *args: str, hangup: object = signal.SIG_DFL
) -> subprocess.Popen[str]:
    """doit in a session of its own, so that signals reach only who the test picks.

    It starts with SIGHUP as a terminal gives it (``hangup``), whatever the
    tests inherited: under ``nohup`` a hangup is ignored, and doit keeps it so.
    """
    env = dict(os.environ)
    env.pop("DOIT_ASSETS_FILE", None)
    return subprocess.Popen(
        [PYTHON, "-m", "doit", *args],
        cwd=project.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGHUP, hangup),  # type: ignore[arg-type]
    )


def transform_pids(project: Project) -> list[int]:
    folder = project.path("pids")
    if not folder.exists():
        return []
    return sorted(int(p.read_text() or 0) for p in folder.iterdir())


def wait_for_transforms(project: Project, count: int) -> list[int]:
    """Wait until ``count`` transforms have written a chunk; return their pids."""

    def writing() -> bool:
        pids = transform_pids(project)
        return len(pids) >= count and all(p for p in pids)

    def written() -> bool:  # each into its staged output, out/.doit-assets-staging.*/
        staged = project.path("out").glob(".doit-assets-staging.*/*.txt")
        return sum(1 for path in staged if path.stat().st_size) >= count

    wait_for(writing, f"{count} transforms to start")
    wait_for(written, f"{count} transforms to write a chunk")
    return transform_pids(project)


def running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


def assert_whole(project: Project, rel: str) -> None:
    """One attempt wrote the whole file: LINES lines, all of one pid, in order."""
    lines = project.read(rel).splitlines()
    pids = {line.split()[0] for line in lines}
    assert len(pids) == 1, f"{rel} mixes attempts {sorted(pids)}"
    assert [int(line.split()[1]) for line in lines] == list(range(LINES)), lines


def finish(proc: subprocess.Popen[str]) -> DoitRun:
    out, err = proc.communicate(timeout=60)
    return DoitRun(tuple(str(a) for a in proc.args), proc.returncode, out, err)  # type: ignore[union-attr]


def registry_entries(project: Project) -> list[str]:
    folder = project.path(".doit-assets/running")
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.iterdir() if p.suffix == ".json")


WORKERS = pytest.mark.parametrize(
    "args",
    [(), ("-n", "2"), ("-n", "2", "-P", "thread")],
    ids=["one", "two", "threads"],
)


@WORKERS
def test_after_kill_9_of_doit_a_new_run_at_once_publishes_one_whole_version(
    chunky: Project, args: tuple[str, ...]
) -> None:
    proc = start(chunky, *args)
    orphans = wait_for_transforms(chunky, 1 if not args else 2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # at once, and faster than the killed run's transforms, which (if they were
    # still running) would go on writing where they write after this run is done
    chunky.write("pace.txt", f"{LINES} 0.001\n")
    again = chunky.doit(*args)
    assert again.code == 0, again
    assert sorted(again.ran) == ["left", "right"]
    # within a second the killed run's transforms are gone, and with them
    # anything that could still write
    wait_for(lambda: not any(running(p) for p in orphans), "the orphans to stop", 1)
    assert_whole(chunky, "out/left.txt")
    assert_whole(chunky, "out/right.txt")
    assert not any(running(pid) for pid in orphans)
    assert chunky.staging_dirs() == []
    assert registry_entries(chunky) == []
    assert chunky.doit_ok(*args).ran == []


@WORKERS
def test_the_watchdog_stops_the_transforms_of_a_doit_killed_with_kill_9(
    chunky: Project, args: tuple[str, ...]
) -> None:
    chunky.write("pace.txt", f"{LINES} 0.5\n")  # 20 s if nothing stopped it
    proc = start(chunky, *args)
    orphans = wait_for_transforms(chunky, 1 if not args else 2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    wait_for(lambda: not any(running(p) for p in orphans), "the orphans to stop", 5)
    wait_for(lambda: chunky.staging_dirs() == [], "the staging folders to go", 5)
    wait_for(lambda: registry_entries(chunky) == [], "the records to go", 5)
    assert chunky.read("out/left.txt").split()[1::2] == [str(i) for i in range(LINES)]
    assert chunky.read("out/right.txt").split()[1::2] == [str(i) for i in range(LINES)]


@WORKERS
def test_a_project_is_never_locked_after_kill_9_of_doit(
    chunky: Project, args: tuple[str, ...]
) -> None:
    chunky.write("pace.txt", f"{LINES} 0.5\n")
    proc = start(chunky, *args)
    wait_for_transforms(chunky, 1 if not args else 2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # not the whole run: only that nothing refuses it (the lock is POSIX, so
    # forked workers never held it)
    status = chunky.doit("list")
    assert status.code == 0, status
    chunky.write("pace.txt", f"{LINES} 0.001\n")
    again = chunky.doit(*args)
    assert again.code == 0, again
    assert "another doit run is using this project" not in again.err


@WORKERS
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["term", "hup"])
def test_sigterm_of_doit_stops_its_transforms_and_records_the_run_interrupted(
    chunky: Project, args: tuple[str, ...], signum: signal.Signals
) -> None:
    before = {rel: chunky.read(rel) for rel in ("out/left.txt", "out/right.txt")}
    chunky.write("pace.txt", f"{LINES} 0.5\n")
    proc = start(chunky, *args)
    started = wait_for_transforms(chunky, 1 if not args else 2)
    os.kill(proc.pid, signum)
    result = finish(proc)
    assert result.code == -signum, result  # it dies of the signal, as expected
    assert result.err.endswith(
        f"\nstopped by {signum.name}: finished assets are saved; the one that was "
        "running keeps its previous output and runs again next time\n"
    ), result
    assert "Traceback" not in result.err, result
    # stopped by doit itself, before it exited: no watchdog needed
    assert not any(running(p) for p in started)
    assert chunky.staging_dirs() == []
    assert {rel: chunky.read(rel) for rel in before} == before
    assert runs(chunky)[-1]["outcome"] == "interrupted"
    assert registry_entries(chunky) == []
    chunky.write("pace.txt", f"{LINES} 0.001\n")
    again = chunky.doit_ok(*args)
    assert sorted(again.ran) == ["left", "right"]


def session_members(session: int) -> list[int]:
    """The live processes of a session (doit's, started by ``start``)."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and running(int(entry.name)):
            try:
                fields = (entry / "stat").read_text().rsplit(") ", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == session:  # after state, ppid, pgrp: the session
                members.append(int(entry.name))
    return members


WAITING_WORKER = """\
[assets.a]
path = "in/a.txt"

[assets.b]
path = "in/b.txt"

[assets.left]
path = "out/left.txt"
transform = "{python} chunks.py {self.path} left"
depends_on = ["a", "b"]

[assets.first]
path = "out/first.txt"
transform = "cat {left.path} > {self.path}"

[assets.second]
path = "out/second.txt"
transform = "cat {left.path} > {self.path}"
"""


def test_a_worker_that_made_no_asset_yet_dies_with_a_killed_doit(
    project: Project,
) -> None:
    project.write("chunks.py", CHUNKS)
    project.write("pace.txt", f"{LINES} 0.5\n")
    project.write("in/a.txt", "a\n")
    project.write("in/b.txt", "b\n")
    project.assets(WAITING_WORKER)
    proc = start(project, "-n", "2")
    wait_for_transforms(project, 1)  # one worker makes left, the other waits
    os.kill(proc.pid, signal.SIGKILL)  # doit alone, not its group
    wait_for(lambda: session_members(proc.pid) == [], "doit's workers to die")
    finish(proc)  # and none holds the pipes of doit's output


def test_under_nohup_a_hangup_changes_nothing(chunky: Project) -> None:
    chunky.write("pace.txt", f"{LINES} 0.05\n")
    proc = start(chunky, hangup=signal.SIG_IGN)  # as `nohup doit` starts it
    wait_for_transforms(chunky, 1)
    os.kill(proc.pid, signal.SIGHUP)
    result = finish(proc)
    assert result.code == 0, result
    assert "stopped by" not in result.err, result
    assert runs(chunky)[-1]["outcome"] == "success"


def test_runs_shows_a_run_whose_doit_was_killed_as_interrupted(
    chunky: Project,
) -> None:
    chunky.write("pace.txt", f"{LINES} 0.5\n")
    proc = start(chunky)
    wait_for_transforms(chunky, 1)
    listed = json.loads(chunky.doit("assets", "runs", "--json").out)
    assert listed["runs"][0]["outcome"] == "running"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    listed = json.loads(chunky.doit("assets", "runs", "--json").out)
    assert listed["runs"][0]["outcome"] == "interrupted"
    text = chunky.doit("assets", "runs").out.splitlines()
    assert text[1].split()[4] == "interrupted", text


def test_a_transform_is_killed_with_its_children_and_a_signal_is_named(
    project: Project,
) -> None:
    project.assets(
        """\
        [assets.victim]
        path = "out/victim.txt"
        transform = "sleep 30 | cat > {self.path}"
        """
    )
    proc = start(project)
    deadline = time.monotonic() + 20
    children: list[int] = []
    while not children:
        assert time.monotonic() < deadline, "the transform never started"
        children = [
            int(p.name)
            for p in Path("/proc").iterdir()
            if p.name.isdigit() and command_line(int(p.name)) == "sleep 30"
        ]
        time.sleep(0.05)
    group = os.getpgid(children[0])
    assert group != proc.pid  # a group of its own
    os.killpg(group, signal.SIGKILL)  # as the OOM killer might
    result = finish(proc)
    assert result.code == 1, result
    assert (
        "transform was killed by SIGKILL: sleep 30 | cat > out/victim.txt\n"
        in result.out
    ), result


def test_what_a_transform_leaves_running_in_the_background_is_stopped(
    project: Project,
) -> None:
    project.assets(
        """\
        [assets.daemon]
        path = "out/daemon.txt"
        transform = "(sleep 30; echo late >> {self.path}) & echo made > {self.path}"
        """
    )
    began = time.monotonic()
    result = project.doit_ok()
    assert time.monotonic() - began < 10  # it did not wait for the sleep
    assert result.ran == ["daemon"]
    assert project.read("out/daemon.txt") == "made\n"
    assert not any(
        command_line(int(p.name)) == "sleep 30"
        for p in Path("/proc").iterdir()
        if p.name.isdigit()
    )


pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc to find processes"
)
