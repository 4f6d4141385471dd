"""Automation conditions, schedules, sensors and expiries, through the real
``doit assets tick`` (and ``watch``), with a clock that advances: the moment is
read from a file (``DOIT_ASSETS_NOW=@FILE``) that the test rewrites."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from conftest import PYTHON, DoitRun, Project
from watching import Watch, edit, started

# stamp.sh OUT: appends a line to out/log.txt (one per materialization), copies it to OUT
STAMP = """\
[assets.stamp]
path = "out/stamp.txt"
transform = "echo made >> out/log.txt && cp out/log.txt {self.path}"
automation = "cron:0 6 * * *"

[assets.after]
path = "out/after.txt"
transform = "cat {stamp.path} > {self.path}"
"""


class Clock:
    """The project's clock: a file that every process reads the moment from."""

    def __init__(self, root: Path, moment: str) -> None:
        self.path = root.parent / "clock.txt"  # outside: its writes are no event
        self.set(moment)

    def set(self, moment: str) -> None:
        """Atomically: a process reading it half-written would see no time."""
        fresh = self.path.with_suffix(".new")
        fresh.write_text(moment + "\n", encoding="utf-8")
        os.replace(fresh, self.path)

    @property
    def env(self) -> dict[str, str]:
        return {"DOIT_ASSETS_NOW": f"@{self.path}"}


def tick(project: Project, clock: Clock, *args: str) -> DoitRun:
    env = {**os.environ, **clock.env}
    env.pop("DOIT_ASSETS_FILE", None)
    argv = [PYTHON, "-m", "doit", "assets", "tick", *args]
    proc = subprocess.run(
        argv, cwd=project.root, capture_output=True, text=True, env=env, timeout=120
    )
    result = DoitRun(tuple(argv), proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in result.err, result
    return result


def triggers(project: Project) -> list[tuple[str, str | None]]:
    """(asset, trigger) of every materialization, oldest first."""
    with sqlite3.connect(project.path(".doit-assets/history.sqlite")) as conn:
        rows = conn.execute(
            "select asset || coalesce(':' || partition, ''), trigger "
            "from materializations where kind = 'transform' order by id"
        )
        return list(rows)


@pytest.fixture
def stamped(project: Project) -> tuple[Project, Clock]:
    project.assets(STAMP)
    project.path("out").mkdir()
    return project, Clock(project.root, "2024-03-05T05:59:00Z")


def made(project: Project) -> int:
    """How many times stamp was made."""
    if not project.exists("out/log.txt"):
        return 0
    return len(project.read("out/log.txt").splitlines())


def test_a_schedule_runs_at_its_moments_whatever_doit_says(
    stamped: tuple[Project, Clock],
) -> None:
    project, clock = stamped
    first = tick(project, clock)
    assert first.code == 0, first
    assert first.out.splitlines()[0] == (
        "Tick: 2 asked for, 1 forced (schedule 0 6 * * *)"
    )
    assert made(project) == 1  # never made: the last moment (yesterday 06:00) counts
    assert tick(project, clock).ran == []  # the same moment: nothing
    clock.set("2024-03-05T06:00:30Z")
    assert tick(project, clock).ran == ["stamp", "after"]
    assert made(project) == 2
    clock.set("2024-03-05T12:00:00Z")
    assert tick(project, clock).ran == []
    assert triggers(project)[-2:] == [
        ("stamp", "schedule 0 6 * * *"),
        ("after", "schedule 0 6 * * *"),
    ]


def test_missed_moments_run_once_not_once_each(stamped: tuple[Project, Clock]) -> None:
    project, clock = stamped
    tick(project, clock)
    assert made(project) == 1
    clock.set("2024-03-09T07:00:00Z")  # four 06:00s went by unwatched
    assert tick(project, clock).ran == ["stamp", "after"]
    assert made(project) == 2
    assert tick(project, clock).ran == []


def test_a_schedule_keeps_its_time_zone_across_daylight_saving(
    project: Project,
) -> None:
    project.assets(
        STAMP.replace('"cron:0 6 * * *"', '"cron:0 6 * * *"\ntimezone = "Europe/Paris"')
    )
    project.path("out").mkdir()
    clock = Clock(project.root, "2024-03-30T05:30:00Z")  # 06:30 in Paris (CET)
    tick(project, clock)
    assert made(project) == 1
    clock.set("2024-03-31T04:30:00Z")  # 06:30 CEST: the moment was 04:00 UTC
    assert tick(project, clock).ran == ["stamp", "after"]
    clock.set("2024-03-31T05:30:00Z")
    assert tick(project, clock).ran == []


CONDITIONS = """\
[assets.raw]
path = "data/raw.txt"

[assets.by_hand]
path = "out/by_hand.txt"
transform = "cat {raw.path} > {self.path}"
automation = "manual"

[assets.follower]
path = "out/follower.txt"
transform = "cat {by_hand.path} > {self.path}"

[assets.once]
path = "out/once.txt"
transform = "cat {raw.path} > {self.path}"
automation = "on_missing"

[assets.eager]
path = "out/eager.txt"
transform = "cat {raw.path} > {self.path}"
"""


def test_manual_on_missing_and_eager(project: Project) -> None:
    project.assets(CONDITIONS)
    project.write("data/raw.txt", "a\n")
    clock = Clock(project.root, "2024-03-05T10:00:00Z")
    first = tick(project, clock)
    # manual: never; a cone stops there (follower cannot be made without it)
    assert sorted(first.ran) == ["eager", "once"]
    assert not project.exists("out/by_hand.txt")
    project.doit_ok("by_hand")
    edit(project.path("data/raw.txt"), "b\n")
    second = tick(project, clock)
    assert second.ran == ["eager", "follower"] or sorted(second.ran) == [
        "eager",
        "follower",
    ]
    assert project.read("out/once.txt") == "a\n"  # exists: on_missing leaves it
    assert project.read("out/by_hand.txt") == "a\n"  # manual: stale, left
    project.path("out/once.txt").unlink()
    third = tick(project, clock)
    assert third.ran == ["once"]
    assert project.read("out/once.txt") == "b\n"
    assert ("once", "missing") in triggers(project)


SNAPSHOT = """\
[assets.snapshot]
path = "out/snapshot.txt"
transform = "echo made >> out/log.txt && cp out/log.txt {self.path}"
max_age = "1h"
"""


def test_an_asset_past_its_max_age_is_made_again(project: Project) -> None:
    project.assets(SNAPSHOT)
    project.path("out").mkdir()
    clock = Clock(project.root, "2024-03-05T10:00:00Z")
    assert tick(project, clock).ran == ["snapshot"]
    clock.set("2024-03-05T10:59:00Z")
    assert tick(project, clock).ran == []
    clock.set("2024-03-05T11:00:01Z")
    assert tick(project, clock).ran == ["snapshot"]
    assert triggers(project)[-1] == ("snapshot", "max_age 1h")


SENSED = """\
[assets.ingest]
path = "out/ingest.txt"
transform = "echo made >> out/log.txt && cp out/log.txt {self.path}"
automation = "manual"

[sensors.upload]
observe = "cat answer.txt"
interval = "5m"
triggers = ["ingest"]
"""


def answers(project: Project) -> list[tuple[str | None, int, str | None]]:
    with sqlite3.connect(project.path(".doit-assets/history.sqlite")) as conn:
        rows = conn.execute(
            "select value, changed, error from observations order by id"
        )
        return list(rows)


def test_a_sensor_whose_answer_changes_materializes_its_targets(
    project: Project,
) -> None:
    project.assets(SENSED)
    project.path("out").mkdir()
    project.write("answer.txt", "v1\n")
    clock = Clock(project.root, "2024-03-05T10:00:00Z")
    assert tick(project, clock).ran == ["ingest"]  # the first answer is news
    clock.set("2024-03-05T10:06:00Z")
    assert tick(project, clock).ran == []  # the same answer
    project.write("answer.txt", "v2\n")
    clock.set("2024-03-05T10:08:00Z")
    assert tick(project, clock).ran == []  # asked 2 minutes ago: not yet
    clock.set("2024-03-05T10:11:00Z")
    assert tick(project, clock).ran == ["ingest"]
    assert answers(project) == [("v1", 1, None), ("v1", 0, None), ("v2", 1, None)]
    assert triggers(project)[-1] == ("ingest", "sensor upload")


def test_a_failing_sensor_warns_records_and_triggers_nothing(project: Project) -> None:
    project.assets(SENSED.replace("cat answer.txt", "echo gone >&2; exit 4"))
    clock = Clock(project.root, "2024-03-05T10:00:00Z")
    result = tick(project, clock)
    assert result.code == 0, result
    assert result.ran == []
    assert result.err.splitlines() == [
        "assets.toml:6: warning: sensor 'upload': the command exited with code 4: "
        "echo gone >&2; exit 4 (stderr: gone). It is asked again every 5m; until it "
        "answers, it triggers nothing"
    ]
    assert answers(project) == [
        (
            None,
            0,
            "sensor 'upload' failed: the command exited with code 4: "
            "echo gone >&2; exit 4 (stderr: gone)",
        )
    ]
    clock.set("2024-03-05T10:06:00Z")
    assert tick(project, clock).err == ""  # the same failure: said once


def test_sensors_lists_each_sensor_and_its_latest_answer(project: Project) -> None:
    project.assets(SENSED)
    project.path("out").mkdir()
    project.write("answer.txt", "v1\n")
    clock = Clock(project.root, "2024-03-05T10:00:00Z")
    tick(project, clock)
    data = json.loads(project.doit("assets", "sensors", "--json").out)
    assert data["sensors"] == [
        {
            "name": "upload",
            "declared_at": "assets.toml:6",
            "interval_s": 300.0,
            "triggers": ["ingest"],
            "observed_at": data["sensors"][0]["observed_at"],
            "answer": "v1",
            "error": None,
        }
    ]


DAILY = """\
[assets.daily]
path = "out/day-{partition}.txt"
transform = "echo {partition} > {self.path}"
partitions = { daily = { start = "2024-03-01" } }
automation = "cron:5 0 * * *"
"""


def test_a_daily_asset_makes_yesterday_at_its_schedule(project: Project) -> None:
    project.assets(DAILY)
    clock = Clock(project.root, "2024-03-04T23:00:00Z")
    assert tick(project, clock).ran == ["daily:2024-03-03"]  # the last moment passed
    clock.set("2024-03-05T00:04:00Z")  # the 4th is over, but not yet 00:05
    assert tick(project, clock).ran == []
    clock.set("2024-03-05T00:05:30Z")
    assert tick(project, clock).ran == ["daily:2024-03-04"]
    assert not project.exists("out/day-2024-03-02.txt")  # older ones: a backfill's


def test_the_watcher_runs_a_schedule_when_the_clock_reaches_it(
    stamped: tuple[Project, Clock],
) -> None:
    project, clock = stamped
    with Watch(project.root, env=clock.env) as watch:
        assert "made stamp, after" in watch.ready()
        assert watch.quiet(1.0) == []
        clock.set("2024-03-05T06:00:00Z")
        line = watch.expect(r"schedule 0 6 \* \* \*")
        assert "made stamp, after" in line
        assert made(project) == 2


def test_the_watcher_asks_a_sensor_at_its_interval(project: Project) -> None:
    project.assets(SENSED)
    project.path("out").mkdir()
    project.write("answer.txt", "v1\n")
    clock = Clock(project.root, "2024-03-05T10:00:00Z")
    with Watch(project.root, env=clock.env) as watch:
        assert "made ingest" in watch.ready()
        project.write("answer.txt", "v2\n")
        clock.set("2024-03-05T10:04:00Z")
        assert watch.quiet(1.0) == []  # not yet asked again
        clock.set("2024-03-05T10:05:00Z")
        assert "made ingest" in watch.expect(r"sensor upload")


def test_a_python_sensor_is_asked_in_a_fresh_process_each_tick(
    project: Project,
) -> None:
    project.assets(
        """\
        [settings]
        modules = ["sensing"]

        [assets.ingest]
        path = "out/ingest.txt"
        transform = "echo made >> out/log.txt && cp out/log.txt {self.path}"
        automation = "manual"
        """
    )
    project.path("out").mkdir()
    project.write(
        "sensing.py",
        "from pathlib import Path\n\nfrom doit_assets import sensor\n\n\n"
        '@sensor(interval="1m", triggers=["ingest"])\n'
        "def upload() -> str:\n"
        '    return Path("answer.txt").read_text()\n',
    )
    project.write("answer.txt", "v1\n")
    clock = Clock(project.root, "2024-03-05T10:00:00Z")
    assert tick(project, clock).ran == ["ingest"]
    project.write("answer.txt", "v2\n")
    clock.set("2024-03-05T10:01:00Z")
    assert tick(project, clock).ran == ["ingest"]
    assert answers(project) == [("v1", 1, None), ("v2", 1, None)]


def test_an_observable_source_with_an_interval_is_observed_again(
    project: Project,
) -> None:
    project.assets(
        """\
        [assets.rates]
        observe = "cat version.txt"
        interval = "10m"

        [assets.converted]
        path = "out/converted.txt"
        transform = "cat {rates.path} > {self.path}"
        """
    )
    project.write("version.txt", "v1\n")
    clock = Clock(project.root, "2024-03-05T10:00:00Z")
    assert tick(project, clock).ran == ["rates", "converted"]
    project.write("version.txt", "v2\n")
    clock.set("2024-03-05T10:05:00Z")
    first = tick(project, clock)  # a full tick observes what it reads
    assert first.ran == ["rates", "converted"]
    assert "~  rates (source: new version)" in first.out
    project.write("version.txt", "v3\n")
    clock.set("2024-03-05T10:16:00Z")
    with Watch(project.root, env=clock.env) as watch:
        watch.ready()  # the start observes (v3) and makes converted
        assert project.read("out/converted.txt") == "v3\n"
        project.write("version.txt", "v4\n")
        clock.set("2024-03-05T10:25:00Z")
        assert watch.quiet(0.8) == []
        clock.set("2024-03-05T10:26:00Z")  # 10 minutes after the start
        line = watch.expect(r"observe every 10m")
        assert "made converted" in line
        assert project.read("out/converted.txt") == "v4\n"


def test_tick_with_nothing_to_do_says_so(project: Project) -> None:
    project.assets(
        CONDITIONS.replace("[assets.eager]", '[assets.eager]\nautomation = "manual"')
    )
    project.write("data/raw.txt", "a\n")
    project.write("out/once.txt", "there\n")
    clock = Clock(project.root, "2024-03-05T10:00:00Z")
    result = tick(project, clock)
    assert (result.code, result.out, result.err) == (
        0,
        "Nothing to do: no automation asks for a run now.\n",
        "",
    )


def test_watch_without_watchdog_says_what_to_install(project: Project) -> None:
    project.assets(CONDITIONS)
    project.write("fake/watchdog/__init__.py", "raise ImportError('not here')\n")
    env = {**os.environ, "PYTHONPATH": str(project.path("fake"))}
    proc = subprocess.run(
        [PYTHON, "-m", "doit", "assets", "watch"],
        cwd=project.root,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert (proc.returncode, proc.stdout) == (3, "")
    assert proc.stderr == (
        "ERROR: doit assets watch needs the watchdog package, which is not "
        "installed. Install it: pip install 'doit-assets[automation]'\n"
    )


@pytest.mark.e2e
def test_a_sensor_command_that_hangs_is_stopped(tmp_path: Path) -> None:
    """Its whole process group: a background child holding the pipes too."""
    from doit_assets.run.observe import ObservationFailed, ObserveJob

    job = ObserveJob("upload", "sleep 30 & sleep 30", str(tmp_path), "")
    began = time.monotonic()
    with pytest.raises(ObservationFailed) as failed:
        job.value(timeout=0.5)
    assert time.monotonic() - began < 5
    assert str(failed.value) == (
        "observation of 'upload' failed: the command ran longer than 0.5s: "
        "sleep 30 & sleep 30"
    )


def test_a_tick_refused_by_another_run_keeps_its_schedule_for_the_next(
    stamped: tuple[Project, Clock],
) -> None:
    from doit_assets.run.lock import RunLock

    project, clock = stamped
    lock = RunLock(str(project.path(".doit-assets/lock")))
    lock.acquire("doit (a test)")
    try:
        refused = tick(project, clock)
    finally:
        lock.release()
    assert refused.code == 3
    assert refused.err.startswith(
        "ERROR: .doit-assets/lock: another doit run is using this project: "
        f"pid {os.getpid()} ('doit (a test)', started "
    )
    assert made(project) == 0
    assert tick(project, clock).ran == ["stamp", "after"]


def test_the_watcher_makes_an_asset_again_when_its_max_age_passes(
    project: Project,
) -> None:
    project.assets(SNAPSHOT)
    project.path("out").mkdir()
    clock = Clock(project.root, "2024-03-05T10:00:00Z")
    with Watch(project.root, env=clock.env) as watch:
        assert "made snapshot" in watch.ready()
        clock.set("2024-03-05T10:59:00Z")
        assert watch.quiet(0.8) == []
        clock.set("2024-03-05T11:00:01Z")
        assert "made snapshot" in watch.expect(r"max_age 1h")


def test_an_eager_daily_asset_makes_the_partition_of_a_new_day(
    project: Project,
) -> None:
    project.assets(DAILY.replace('automation = "cron:5 0 * * *"\n', ""))
    clock = Clock(project.root, "2024-03-04T12:00:00Z")
    with Watch(project.root, env=clock.env) as watch:
        assert "made daily:2024-03-03" in watch.ready()  # the newest, not all
        assert not project.exists("out/day-2024-03-01.txt")
        clock.set("2024-03-05T00:00:01Z")
        line = watch.expect(r"new partition")
        assert "made daily:2024-03-04" in line


def test_invalid_declarations_do_not_make_a_due_moment_loop(project: Project) -> None:
    project.assets(SENSED)
    project.path("out").mkdir()
    project.write("answer.txt", "v1\n")
    clock = Clock(project.root, "2024-03-05T10:00:00Z")
    good = project.read("assets.toml")
    with Watch(project.root, env=clock.env) as watch:
        watch.ready()
        edit(project.path("assets.toml"), good.replace('"ingest"]', '"ingset"]'))
        watch.expect(r"invalid declarations")
        clock.set("2024-03-05T10:06:00Z")  # the sensor is due, the graph invalid
        assert watch.quiet(1.5) == [
            "  assets.toml:9: sensor 'upload': unknown asset 'ingset' in "
            "'triggers'. Did you mean 'ingest'?"
        ]
        project.write("answer.txt", "v2\n")
        edit(project.path("assets.toml"), good)
        assert "made ingest" in watch.expect(r"declarations changed")


def test_a_schedule_whose_run_was_interrupted_is_made_up(project: Project) -> None:
    project.assets(
        STAMP.replace(
            "echo made >> out/log.txt && cp out/log.txt {self.path}",
            "echo partial > {self.path} && while [ ! -e go.txt ]; do sleep 0.05; "
            "done && echo made >> out/log.txt && cp out/log.txt {self.path}",
        )
    )
    project.path("out").mkdir()
    project.write("go.txt", "")
    clock = Clock(project.root, "2024-03-05T05:59:00Z")
    tick(project, clock)
    assert made(project) == 1
    project.path("go.txt").unlink()
    clock.set("2024-03-05T06:00:30Z")
    env = {**os.environ, **clock.env}
    proc = subprocess.Popen(
        [PYTHON, "-m", "doit", "assets", "tick"],
        cwd=project.root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started(project)
    proc.send_signal(signal.SIGINT)  # Ctrl-C, or the watcher's restart
    proc.wait(30)
    assert made(project) == 1
    project.write("go.txt", "")
    assert tick(project, clock).ran == ["stamp", "after"]  # made up
    assert made(project) == 2
    assert tick(project, clock).ran == []


def test_a_fixed_hour_schedule_runs_once_on_the_night_clocks_go_back(
    project: Project,
) -> None:
    project.assets(
        STAMP.replace(
            '"cron:0 6 * * *"', '"cron:30 2 * * *"\ntimezone = "Europe/Paris"'
        )
    )
    project.path("out").mkdir()
    clock = Clock(project.root, "2026-10-24T12:00:00Z")
    tick(project, clock)
    clock.set("2026-10-25T00:31:00Z")  # 02:31 summer time
    assert tick(project, clock).ran == ["stamp", "after"]
    clock.set("2026-10-25T01:31:00Z")  # 02:31 again, winter time
    assert tick(project, clock).ran == []
    clock.set("2026-10-26T01:31:00Z")  # the next night, 02:31 winter time
    assert tick(project, clock).ran == ["stamp", "after"]


def test_a_long_answer_is_kept_as_its_digest(project: Project) -> None:
    project.assets(SENSED.replace("cat answer.txt", "seq 1 2000"))
    project.path("out").mkdir()
    clock = Clock(project.root, "2024-03-05T10:00:00Z")
    assert tick(project, clock).ran == ["ingest"]
    clock.set("2024-03-05T10:06:00Z")
    assert tick(project, clock).ran == []  # the same answer
    digest = hashlib.sha256("\n".join(map(str, range(1, 2001))).encode()).hexdigest()
    assert answers(project) == [
        (f"sha256:{digest} (8892 characters)", 1, None),
        (f"sha256:{digest} (8892 characters)", 0, None),
    ]


def test_the_watcher_says_a_sensor_failed_once_not_at_each_interval(
    project: Project,
) -> None:
    project.assets(SENSED.replace("cat answer.txt", "cat answer.txt || exit 2"))
    project.path("out").mkdir()
    clock = Clock(project.root, "2024-03-05T10:00:00Z")
    with Watch(project.root, env=clock.env) as watch:
        line = watch.expect(r"warning: sensor 'upload'")
        assert line.endswith(
            "assets.toml:6: warning: sensor 'upload': the command exited with code "
            "2: cat answer.txt || exit 2 (stderr: cat: answer.txt: No such file or "
            "directory). It is asked again every 5m; until it answers, it triggers "
            "nothing"
        )
        watch.ready()
        for minute in ("05", "10", "15"):  # asked again, failing the same way
            clock.set(f"2024-03-05T10:{minute}:00Z")
            time.sleep(0.5)
        assert watch.quiet(0.5) == []
        project.write("answer.txt", "v1\n")
        clock.set("2024-03-05T10:20:00Z")
        watch.expect(r"made ingest")
    assert triggers(project) == [("ingest", "sensor upload")]


REGIONS = """\
[assets.regional]
path = "out/{partition}.txt"
transform = "echo {partition} > {self.path}"
partitions = { static = ["eu", "us", "asia"] }

[assets.daily_regional]
path = "out/{partition.date}-{partition.region}.txt"
transform = "echo {partition} > {self.path}"
automation = "on_missing"

[assets.daily_regional.partitions]
date = { daily = { start = "2024-03-01" } }
region = { static = ["eu", "us"] }
"""


def test_static_partitions_all_and_time_windows_only_the_newest(
    project: Project,
) -> None:
    project.assets(REGIONS)
    clock = Clock(project.root, "2024-03-04T12:00:00Z")
    ran = tick(project, clock).ran
    assert sorted(ran) == [
        "daily_regional:2024-03-03|eu",
        "daily_regional:2024-03-03|us",
        "regional:asia",
        "regional:eu",
        "regional:us",
    ]


def test_an_edit_does_not_backfill_an_eager_daily_asset(project: Project) -> None:
    project.assets(
        '[assets.raw]\npath = "data/raw.txt"\n\n'
        + DAILY.replace('automation = "cron:5 0 * * *"\n', "").replace(
            'transform = "echo {partition} > {self.path}"',
            'transform = "cat {raw.path} > {self.path}"',
        )
    )
    project.write("data/raw.txt", "a\n")
    clock = Clock(project.root, "2024-03-04T12:00:00Z")
    assert tick(project, clock).ran == ["daily:2024-03-03"]
    edit(project.path("data/raw.txt"), "b\n")
    with Watch(project.root, env=clock.env) as watch:
        watch.ready()
        edit(project.path("data/raw.txt"), "c\n")
        line = watch.expect(r"data/raw.txt changed")
        assert line.split(": ", 1)[1].startswith("made daily:2024-03-03 (")
    assert not project.exists("out/day-2024-03-01.txt")


def test_a_sensor_whose_targets_a_selection_leaves_out_fires_once(
    project: Project,
) -> None:
    project.assets(
        SENSED.replace('triggers = ["ingest"]', 'triggers = ["ingest", "other"]')
        + '\n[assets.other]\npath = "out/other.txt"\n'
        'transform = "echo other > {self.path}"\nautomation = "manual"\n'
    )
    project.path("out").mkdir()
    project.write("answer.txt", "v1\n")
    clock = Clock(project.root, "2024-03-05T10:00:00Z")
    assert tick(project, clock, "ingest").ran == ["ingest"]
    clock.set("2024-03-05T10:06:00Z")
    assert tick(project, clock, "ingest").ran == []  # answered the same


def test_a_watcher_started_on_invalid_declarations_starts_on_their_fix(
    project: Project,
) -> None:
    project.assets(CONDITIONS)
    project.write("data/raw.txt", "a\n")
    good = project.read("assets.toml")
    project.write(
        "assets.toml",
        good.replace(
            '{raw.path} > {self.path}"\nautomation = "on_missing"',
            '{rwa.path} > {self.path}"\nautomation = "on_missing"',
        ),
    )
    with Watch(project.root) as watch:
        line = watch.expect(r"invalid declarations")
        assert line.endswith("watch started: invalid declarations, waiting for a fix:")
        edit(project.path("assets.toml"), good)
        assert "made" in watch.expect(r"declarations changed")
        edit(project.path("data/raw.txt"), "b\n")
        assert "made eager" in watch.expect(r"data/raw.txt changed")


def test_a_cycle_that_died_is_tried_again_on_the_clock(
    project: Project, tmp_path: Path
) -> None:
    flag, answer = tmp_path / "crash.flag", tmp_path / "answer.txt"  # no events
    project.assets(
        '[settings]\nmodules = ["crash"]\n\n'
        + SENSED.replace("cat answer.txt", f"cat {answer}")
    )
    project.path("out").mkdir()
    answer.write_text("v1\n")
    project.write(
        "crash.py", f"import os\nif os.path.exists({str(flag)!r}):\n    os._exit(9)\n"
    )
    clock = Clock(project.root, "2024-03-05T10:00:00Z")
    with Watch(project.root, env=clock.env) as watch:
        assert "made ingest" in watch.ready()
        flag.write_text("")
        answer.write_text("v2\n")
        clock.set("2024-03-05T10:05:00Z")
        line = watch.expect(r"the cycle failed")
        assert "due: the cycle failed with exit code 9, printing nothing (" in line
        flag.unlink()
        assert watch.quiet(0.5) == []
        clock.set("2024-03-05T10:05:20Z")  # 10 s later: again
        assert "made ingest" in watch.expect(r"made ingest")
