"""Retries, timeouts, pools and on_failure (issue 14), end to end with the real doit.

Every attempt at an asset runs in the task's one action, with a staging
folder of its own; a failed attempt that is retried is printed and recorded
in the history, the last one is recorded as every materialization is.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import PYTHON, Project
from history_support import query, wait_for

from doit_assets.errors import AssetError
from doit_assets.load.project import load_graph
from doit_assets.plan.plan import plan_of
from doit_assets.run.attempts import MAX_RETRY_DELAY, retry_delay
from doit_assets.store.history import History

# Fails (exit 3, "boom" on stderr) the first time it runs in a project, then succeeds.
FLAKY = (
    "test -e tried || (touch tried; echo boom >&2; exit 3) || exit 3; "
    "echo ok > {self.path}"
)
FLAKY_SHOWN = FLAKY.replace("{self.path}", "out/flaky.txt")
BROKEN = "date +%s.%N >> tries.log; echo bad >&2; exit 4"


def attempts(project: Project, asset: str) -> list[tuple[int, str, int | None]]:
    """(attempt, status, exit code) of each row of ``asset``, oldest first."""
    rows = query(
        project,
        "select attempt, status, exit_code from materializations "
        "where asset = ? order by id",
        asset,
    )
    return [(r["attempt"], r["status"], r["exit_code"]) for r in rows]


# -- retries -------------------------------------------------------------------


def test_a_transform_failing_once_succeeds_on_its_second_attempt(
    project: Project,
) -> None:
    project.assets(
        f"""\
        [assets.flaky]
        path = "out/flaky.txt"
        transform = "{FLAKY}"
        retries = 1
        retry_delay = "0.2s"
        """
    )
    result = project.doit_ok()
    assert result.ran == ["flaky"]
    assert project.read("out/flaky.txt") == "ok\n"
    assert result.err == (
        "boom\n"
        f"asset 'flaky': attempt 1 of 2 failed: transform exited with code 3: "
        f"{FLAKY_SHOWN}; retrying in 0.2s\n"
    )
    assert attempts(project, "flaky") == [(1, "failed", 3), (2, "success", None)]
    history = project.doit_ok("assets", "history")
    rows = history.out.splitlines()[1:]
    assert [line.split()[2:5] for line in rows if line[:3].strip().isdigit()] == [
        ["flaky", "success", "(attempt"],
        ["flaky", "failed", "(attempt"],
    ]
    assert "success (attempt 2)" in history.out
    assert "failed (attempt 1)" in history.out
    # under the failed attempt: its own log and the stderr it wrote
    assert [line.strip() for line in rows[2:]] == [
        "log: .doit-assets/logs/1/flaky.1.log",
        "> boom",
    ]
    assert project.read(".doit-assets/logs/1/flaky.1.log") == "boom\n"
    assert project.read(".doit-assets/logs/1/flaky.2.log") == ""
    assert project.staging_dirs() == []


def test_exhausted_retries_fail_the_asset_and_keep_its_previous_output(
    project: Project,
) -> None:
    project.assets(
        """\
        [assets.report]
        path = "out/report.txt"
        transform = "echo good > {self.path}"
        retries = 2
        retry_delay = "0.2s"
        """
    )
    project.doit_ok()
    toml = project.read("assets.toml").replace("echo good > {self.path}", BROKEN)
    project.write("assets.toml", toml)
    result = project.doit()
    assert result.code == 1, result
    assert project.read("out/report.txt") == "good\n"
    assert project.staging_dirs() == []
    failed = f"transform exited with code 4: {BROKEN}"
    assert result.err == (
        f"bad\nasset 'report': attempt 1 of 3 failed: {failed}; retrying in 0.2s\n"
        f"bad\nasset 'report': attempt 2 of 3 failed: {failed}; retrying in 0.4s\n"
        "bad\n"
    )
    assert f"TransformFailed - taskid:report\n{failed}\n" in result.out
    assert attempts(project, "report") == [
        (1, "success", None),
        (1, "failed", 4),
        (2, "failed", 4),
        (3, "failed", 4),
    ]
    runs = query(project, "select outcome, failed from runs order by id")
    assert [(r["outcome"], r["failed"]) for r in runs] == [
        ("success", 0),
        ("failed", 1),  # one asset failed, however many attempts it took
    ]


def test_an_attempt_refused_by_what_is_on_disk_is_not_retried(
    project: Project,
) -> None:
    project.assets(
        """\
        [assets.report]
        path = "out/report.txt"
        transform = "echo hi > {self.path}"
        retries = 2
        retry_delay = "0.1s"
        """
    )
    project.write("out/report.txt/mine.txt", "notes\n")
    result = project.doit()
    assert result.code == 1, result
    assert "output 'out/report.txt' is a folder here" in result.out
    assert "retrying" not in result.err
    assert attempts(project, "report") == [(1, "failed", None)]
    assert project.read("out/report.txt/mine.txt") == "notes\n"


def test_a_python_asset_is_retried_in_its_process(project: Project) -> None:
    project.write(
        "pipe.py",
        "from pathlib import Path\n\n"
        "def made(output):\n"
        "    tried = Path('tried')\n"
        "    if not tried.exists():\n"
        "        tried.touch()\n"
        "        raise RuntimeError('not yet')\n"
        "    output.write_text('made\\n')\n",
    )
    project.assets(
        """\
        [settings]
        modules = ["pipe"]

        [assets.made]
        path = "out/made.txt"
        python = "pipe:made"
        retries = 1
        retry_delay = "0.1s"
        """
    )
    result = project.doit_ok()
    assert project.read("out/made.txt") == "made\n"
    assert (
        "asset 'made': attempt 1 of 2 failed: RuntimeError: not yet; retrying in 0.1s\n"
        in result.err
    )
    assert attempts(project, "made") == [(1, "failed", None), (2, "success", None)]


def test_the_delay_doubles_between_attempts(project: Project) -> None:
    project.assets(
        f"""\
        [assets.report]
        path = "out/report.txt"
        transform = "{BROKEN}"
        retries = 3
        retry_delay = "0.2s"
        """
    )
    result = project.doit()
    assert result.code == 1, result
    starts = [float(t) for t in project.read("tries.log").split()]
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert len(gaps) == 3
    for gap, delay in zip(gaps, (0.2, 0.4, 0.8), strict=True):
        assert delay <= gap < delay + 1.5, gaps
    assert "retrying in 0.8s" in result.err


def test_the_delay_is_capped() -> None:
    assert [retry_delay(5.0, n) for n in range(1, 9)] == [
        5.0,
        10.0,
        20.0,
        40.0,
        80.0,
        160.0,
        MAX_RETRY_DELAY,
        MAX_RETRY_DELAY,
    ]
    assert MAX_RETRY_DELAY == 300.0
    assert retry_delay(0.1, 10_000) == MAX_RETRY_DELAY  # no overflow
    # a first delay longer than the cap is kept, never doubled
    assert [retry_delay(600.0, n) for n in (1, 2, 3)] == [600.0, 600.0, 600.0]


def test_a_retried_attempt_is_not_counted_as_a_failure_of_its_run(
    tmp_path: Path,
) -> None:
    with History.open(str(tmp_path / "history.sqlite")) as history:
        run = history.start_run("doit")
        fields = {"run_id": run, "asset": "a", "kind": "transform", "status": "failed"}
        history.record(**fields, started_at=1.0, ended_at=2.0, attempt=1, retried=True)
        assert [r.failed for r in history.runs(1)] == [0]
        history.record(**fields, started_at=3.0, ended_at=4.0, attempt=2)
        assert [r.failed for r in history.runs(1)] == [1]
        assert [m.attempt for m in history.materializations("a")] == [2, 1]


def test_materialize_failed_leaves_out_what_succeeded_on_a_retry(
    project: Project,
) -> None:
    project.assets(
        f"""\
        [assets.flaky]
        path = "out/flaky.txt"
        transform = "{FLAKY}"
        retries = 1
        retry_delay = "0.1s"
        """
    )
    project.doit_ok()
    again = project.doit("assets", "materialize", "--failed")
    assert again.code == 0, again
    assert again.out == (
        "Nothing failed in the last run (#1, doit): nothing to run again.\n"
    )


def test_settings_give_the_default_and_an_asset_its_own(project: Project) -> None:
    project.assets(
        f"""\
        [settings]
        retries = 1
        retry_delay = "0.1s"

        [assets.flaky]
        path = "out/flaky.txt"
        transform = "{FLAKY}"

        [assets.once]
        path = "out/once.txt"
        transform = "{BROKEN}"
        retries = 0
        """
    )
    result = project.doit()
    assert result.code == 1, result
    assert attempts(project, "flaky") == [(1, "failed", 3), (2, "success", None)]
    assert attempts(project, "once") == [(1, "failed", 4)]
    assert "asset 'flaky': attempt 1 of 2 failed" in result.err
    assert "retrying in 0.1s" in result.err
    assert "asset 'once'" not in result.err


def test_sigterm_during_the_delay_stops_the_run_at_once(project: Project) -> None:
    project.assets(
        f"""\
        [assets.report]
        path = "out/report.txt"
        transform = "{BROKEN}"
        retries = 3
        retry_delay = "60s"
        """
    )
    proc = subprocess.Popen(
        [PYTHON, "-m", "doit"],
        cwd=project.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:  # until the first retry is announced
        seen.append(line)
        if "retrying in 1m" in line:
            break
    assert seen[-1].endswith("; retrying in 1m\n"), seen
    asked = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    assert time.monotonic() - asked < 5
    assert proc.returncode == -signal.SIGTERM
    assert project.read("tries.log").count("\n") == 1  # no second attempt
    rows = query(project, "select attempt, status from materializations order by id")
    assert [(r["attempt"], r["status"]) for r in rows] == [
        (1, "failed"),
        (None, "interrupted"),
    ]
    assert project.staging_dirs() == []


def test_ctrl_c_with_threads_stops_a_running_attempt_without_a_retry(
    project: Project,
) -> None:
    project.assets(
        """\
        [assets.report]
        path = "out/report.txt"
        transform = "touch started; sleep 20; exit 1"
        retries = 2
        retry_delay = "1s"
        """
    )
    proc = subprocess.Popen(
        [PYTHON, "-m", "doit", "-n", "2", "-P", "thread"],
        cwd=project.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a group of its own, as a terminal's job is
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    wait_for(lambda: project.exists("started"), "the attempt to start")
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C
    _, err = proc.communicate(timeout=30)
    assert "retrying" not in err, err
    assert "Traceback" not in err, err
    rows = query(project, "select attempt, status from materializations order by id")
    assert [r["status"] for r in rows] == ["interrupted"]
    assert project.staging_dirs() == []


# -- timeouts ------------------------------------------------------------------


def _groups() -> dict[int, int]:
    """pid -> process group of every process on the machine."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2 :].split()
        if fields[0] != b"Z":
            found[int(entry)] = int(fields[2])
    return found


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
def test_a_timeout_stops_the_whole_process_tree(project: Project) -> None:
    # The transform starts a child that starts a grandchild, both sleeping.
    project.assets(
        """\
        [assets.slow]
        path = "out/slow.txt"
        transform = "echo $$ > group.pid; sh -c 'sleep 300 & echo $! > grandchild.pid; wait' & sleep 300; echo > {self.path}"
        timeout = "1s"
        """
    )
    began = time.monotonic()
    result = project.doit()
    took = time.monotonic() - began
    assert result.code == 1, result
    shown = (
        "echo $$ > group.pid; sh -c 'sleep 300 & echo $! > grandchild.pid; wait' "
        "& sleep 300; echo > out/slow.txt"
    )
    assert (
        f"TransformFailed - taskid:slow\ntransform timed out after 1s: {shown}\n"
        in (result.out)
    )
    assert took < 20
    group = int(project.read("group.pid"))
    grandchild = int(project.read("grandchild.pid"))
    left = {pid for pid, pgid in _groups().items() if pgid == group}
    for pid in left:  # a failing test leaves nothing running either
        os.kill(pid, signal.SIGKILL)
    assert left == set()
    assert grandchild not in _groups() or _groups()[grandchild] != group
    assert not project.exists("out/slow.txt")
    assert project.staging_dirs() == []
    assert attempts(project, "slow") == [(1, "failed", None)]


def test_a_timed_out_attempt_is_retried(project: Project) -> None:
    project.assets(
        """\
        [assets.slow]
        path = "out/slow.txt"
        transform = "if test -e tried; then echo ok > {self.path}; else touch tried; sleep 30; fi"
        timeout = "0.5s"
        retries = 1
        retry_delay = "0.1s"
        """
    )
    result = project.doit_ok()
    assert project.read("out/slow.txt") == "ok\n"
    assert "asset 'slow': attempt 1 of 2 failed: transform timed out after 0.5s: " in (
        result.err
    )


def test_a_python_asset_cannot_have_a_timeout(folder: Project) -> None:
    folder.write("pipe.py", "def make(output):\n    output.write_text('x')\n")
    folder.write(
        "assets.toml",
        '[settings]\nmodules = ["pipe"]\ntimeout = "1m"\n\n'
        '[assets.made]\npath = "out/made.txt"\npython = "pipe:make"\n'
        'timeout = "10s"\n',
    )
    with pytest.raises(AssetError) as exc:
        load_graph("assets.toml")
    assert str(exc.value) == (
        "assets.toml:8: asset 'made': a Python asset cannot have 'timeout'. "
        "A function runs inside doit's process, which cannot be stopped safely; "
        'make it a shell transform (transform = "python script.py ...") to limit '
        "its time"
    )


def test_the_settings_timeout_is_not_given_to_python_assets(folder: Project) -> None:
    folder.write("pipe.py", "def make(output):\n    output.write_text('x')\n")
    folder.write(
        "assets.toml",
        '[settings]\nmodules = ["pipe"]\ntimeout = "1m"\n\n'
        '[assets.made]\npath = "out/made.txt"\npython = "pipe:make"\n\n'
        '[assets.shell]\npath = "out/shell.txt"\ntransform = "touch {self.path}"\n',
    )
    plan = plan_of(*load_graph("assets.toml"))
    timeouts = {a.key: a.timeout for a in plan.assets}
    assert timeouts == {"made": None, "shell": 60.0}


# -- pools ---------------------------------------------------------------------

# Writes "NAME START END" to times.log; START once it begins, END when it ends.
TIMED = (
    "start=$(date +%s.%N); {wait}; "
    "echo {name} $start $(date +%s.%N) >> times.log; echo > {{self.path}}"
)


def _spans(project: Project) -> dict[str, tuple[float, float]]:
    spans = {}
    for line in project.read("times.log").splitlines():
        name, start, end = line.split()
        spans[name] = (float(start), float(end))
    return spans


@pytest.mark.parametrize("workers", [["-n", "2"], ["-n", "2", "-P", "thread"]])
def test_assets_of_a_pool_of_one_never_run_together(
    project: Project, workers: list[str]
) -> None:
    project.assets(
        f"""\
        [pools]
        db = 1

        [assets.a]
        path = "out/a.txt"
        transform = "{TIMED.format(name="a", wait="sleep 0.5")}"
        pool = "db"

        [assets.b]
        path = "out/b.txt"
        transform = "{TIMED.format(name="b", wait="sleep 0.5")}"
        pool = "db"
        """
    )
    result = project.doit_ok(*workers)
    assert sorted(result.ran) == ["a", "b"]
    (a_start, a_end), (b_start, b_end) = _spans(project).values()
    assert a_end <= b_start or b_end <= a_start, _spans(project)
    # the wait for the slot is not the asset's time
    took = query(project, "select duration from materializations")
    assert all(row["duration"] < 2.0 for row in took), took
    assert sorted(os.listdir(project.path(".doit-assets/pools"))) == ["db.0.lock"]


def test_without_the_pool_they_run_together(project: Project) -> None:
    # each waits (10 s at most) until the other has started
    wait = "touch started.{me}; i=0; while test ! -e started.{other} -a $i -lt 1000; do sleep 0.01; i=$((i+1)); done"
    project.assets(
        f"""\
        [pools]
        db = 2

        [assets.a]
        path = "out/a.txt"
        transform = "{TIMED.format(name="a", wait=wait.format(me="a", other="b"))}"
        pool = "db"

        [assets.b]
        path = "out/b.txt"
        transform = "{TIMED.format(name="b", wait=wait.format(me="b", other="a"))}"
        """
    )
    project.doit_ok("-n", "2")
    (a_start, a_end), (b_start, b_end) = _spans(project).values()
    assert a_start < b_end and b_start < a_end, _spans(project)
    assert a_end - a_start < 9 and b_end - b_start < 9


# -- on_failure ----------------------------------------------------------------

ENV_DUMP = "env | grep ^DOIT_ASSETS_ | sort > failure.$DOIT_ASSETS_ASSET.env"


def test_on_failure_runs_once_with_the_failure_in_its_environment(
    project: Project,
) -> None:
    project.assets(
        f"""\
        [settings]
        on_failure = "{ENV_DUMP}"

        [assets.report]
        path = "out/report.txt"
        transform = "{BROKEN}"
        retries = 1
        retry_delay = "0.1s"

        [assets.summary]
        path = "out/summary.txt"
        transform = "cat {{report.path}} > {{self.path}}"

        [assets.fine]
        path = "out/fine.txt"
        transform = "echo fine > {{self.path}}"
        """
    )
    result = project.doit("--continue")
    assert result.code != 0, result
    root = project.root.resolve()
    assert project.read("failure.report.env") == (
        "DOIT_ASSETS_ASSET=report\n"
        f"DOIT_ASSETS_ERROR=transform exited with code 4: {BROKEN}\n"
        f"DOIT_ASSETS_LOG={root}/.doit-assets/logs/1/report.2.log\n"
        "DOIT_ASSETS_PARTITION=\n"
    )
    # not for what the failure blocked, nor for what succeeded
    assert sorted(p.name for p in project.root.glob("failure.*")) == [
        "failure.report.env"
    ]
    assert project.read("out/fine.txt") == "fine\n"


def test_a_failing_on_failure_is_a_warning_only(project: Project) -> None:
    project.assets(
        """\
        [assets.report]
        path = "out/report.txt"
        transform = "exit 4"
        on_failure = "echo notifying >&2; exit 3"

        [assets.fine]
        path = "out/fine.txt"
        transform = "echo fine > {self.path}"
        on_failure = "touch never"
        """
    )
    result = project.doit("--continue")
    assert result.code == 1, result
    assert result.err == (
        "notifying\n"
        "warning: asset 'report': on_failure exited with code 3: "
        "echo notifying >&2; exit 3\n"
    )
    assert (
        "TransformFailed - taskid:report\ntransform exited with code 4: exit 4\n"
        in (result.out)
    )
    assert project.read("out/fine.txt") == "fine\n"
    assert not project.exists("never")


# -- how it runs, not what it makes ----------------------------------------------


def test_changing_how_an_asset_runs_reruns_nothing(project: Project) -> None:
    project.assets(
        """\
        [assets.report]
        path = "out/report.txt"
        transform = "echo report > {self.path}"
        """
    )
    project.doit_ok()
    fingerprint = query(project, "select fingerprint from materializations")
    toml = project.read("assets.toml") + (
        'retries = 3\nretry_delay = "1s"\ntimeout = "10m"\npool = "db"\n'
        'on_failure = "echo failed"\n\n[pools]\ndb = 1\n\n'
        '[settings]\nretries = 1\ntimeout = "1h"\non_failure = "true"\n'
    )
    project.write("assets.toml", toml)
    again = project.doit_ok()
    assert (again.ran, again.up_to_date) == ([], ["report"])
    project.write(
        "assets.toml", project.read("assets.toml").replace('"echo report', '"echo new')
    )
    changed = project.doit_ok()
    assert changed.ran == ["report"]
    rows = query(project, "select fingerprint from materializations order by id")
    assert rows[0] == fingerprint[0] and rows[1] != fingerprint[0]
