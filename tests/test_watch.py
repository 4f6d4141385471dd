"""``doit assets watch``: the real watcher, as a subprocess, in a temporary project.

Every case runs twice: with the operating system's file events (inotify here)
and with ``--poll``, the fallback for network file systems.
"""

from __future__ import annotations

import sqlite3
import time

import pytest
from conftest import Project
from watching import Watch, edit

PIPELINE = """\
[vars]
python = "{python}"

[assets.raw]
path = "data/raw.txt"

[assets.tidy]
path = "out/tidy.txt"
transform = "{vars.python} tx.py cat {self.path} {raw.path}"

[assets.report]
path = "out/report.txt"
transform = "{vars.python} tx.py upper {self.path} {tidy.path}"

[assets.other]
path = "data/other.txt"

[assets.side]
path = "out/side.txt"
transform = "{vars.python} tx.py cat {self.path} {other.path}"
"""

MODES = [pytest.param((), id="events"), pytest.param(("--poll",), id="poll")]


@pytest.fixture
def pipeline(project: Project) -> Project:
    project.assets(PIPELINE)
    project.write("data/raw.txt", "a\n")
    project.write("data/other.txt", "o\n")
    project.doit_ok()
    return project


def runs(project: Project) -> list[tuple[int, str | None, str]]:
    """(id, trigger, command) of each run, oldest first."""
    with sqlite3.connect(project.path(".doit-assets/history.sqlite")) as conn:
        return list(conn.execute("select id, trigger, command from runs order by id"))


def made_in(project: Project, run_id: int) -> list[str]:
    with sqlite3.connect(project.path(".doit-assets/history.sqlite")) as conn:
        rows = conn.execute(
            "select asset from materializations where run_id = ? and "
            "status = 'success' and kind = 'transform' order by id",
            (run_id,),
        )
        return [r[0] for r in rows]


@pytest.mark.parametrize("mode", MODES)
def test_a_source_edit_materializes_exactly_its_downstream(
    pipeline: Project, mode: tuple[str, ...]
) -> None:
    with Watch(pipeline.root, *mode) as watch:
        assert "5 up to date" in watch.ready()
        edit(pipeline.path("data/raw.txt"), "b\n")
        line = watch.expect(r"data/raw.txt changed")
        assert "made tidy, report" in line
        assert pipeline.read("out/report.txt") == "B\n"
        last = runs(pipeline)[-1]
        assert last[1:] == ("file data/raw.txt", "doit assets watch")
        assert made_in(pipeline, last[0]) == ["tidy", "report"]
    assert watch.proc.returncode == 0


@pytest.mark.parametrize("mode", MODES)
def test_an_unrelated_edit_runs_nothing(
    pipeline: Project, mode: tuple[str, ...]
) -> None:
    pipeline.write("notes.txt", "first\n")
    with Watch(pipeline.root, *mode) as watch:
        watch.ready()
        before = runs(pipeline)
        edit(pipeline.path("notes.txt"), "second\n")
        edit(pipeline.path("out/tidy.txt"), "edited by hand\n")  # an output
        pipeline.write("scratch.txt", "new\n")
        assert watch.quiet(2.0) == []
        assert runs(pipeline) == before


@pytest.mark.parametrize("mode", MODES)
def test_a_burst_of_writes_is_one_cycle(
    pipeline: Project, mode: tuple[str, ...]
) -> None:
    with Watch(pipeline.root, *mode) as watch:
        watch.ready()
        before = len(runs(pipeline))
        for n in range(20):
            pipeline.path("data/raw.txt").write_text(f"{n}\n" * (n + 1))
            time.sleep(0.005)
        line = watch.expect(r"data/raw.txt changed")
        assert "made tidy, report" in line
        assert watch.quiet(1.5) == []
        assert len(runs(pipeline)) == before + 1
        assert pipeline.read("out/tidy.txt") == "19\n" * 20


@pytest.mark.parametrize("mode", MODES)
def test_an_invalid_edit_keeps_the_watcher_and_a_fix_resumes_it(
    pipeline: Project, mode: tuple[str, ...]
) -> None:
    good = pipeline.read("assets.toml")
    with Watch(pipeline.root, *mode) as watch:
        watch.ready()
        edit(pipeline.path("assets.toml"), good.replace("{raw.path}", "{rwa.path}"))
        assert "invalid declarations" in watch.expect(r"declarations changed")
        line = watch.expect(r"assets.toml:\d+")
        assert line == (
            "  assets.toml:9: asset 'tidy': unknown dependency 'rwa'. "
            "Did you mean 'raw'?"
        )
        edit(pipeline.path("data/raw.txt"), "while broken\n")  # remembered
        watch.expect(r"data/raw.txt changed: invalid declarations")
        assert watch.proc.poll() is None
        edit(pipeline.path("assets.toml"), good)
        line = watch.expect(r"declarations changed")
        assert "made tidy, report" in line
        assert pipeline.read("out/tidy.txt") == "while broken\n"


@pytest.mark.parametrize("mode", MODES)
def test_a_failing_transform_is_reported_and_the_next_edit_works(
    pipeline: Project, mode: tuple[str, ...]
) -> None:
    pipeline.write(
        "tx.py",
        pipeline.read("tx.py").replace(
            'if mode == "cat":',
            'if ins and "FAIL" in read(ins[0]):\n'
            '    sys.exit("cannot read FAIL")\nelif mode == "cat":',
        ),
    )
    with Watch(pipeline.root, *mode) as watch:
        watch.ready()
        edit(pipeline.path("data/raw.txt"), "FAIL\n")
        line = watch.expect(r"data/raw.txt changed")
        assert "FAILED tidy" in line and "blocked report" in line
        assert "cannot read FAIL" in watch.expect(r"^    ")
        assert pipeline.read("out/tidy.txt") == "a\n"  # the good output stays
        edit(pipeline.path("data/raw.txt"), "fine\n")
        assert "made tidy, report" in watch.expect(r"data/raw.txt changed")


WAITING = """\
[vars]
python = "{python}"

[assets.raw]
path = "data/raw.txt"

[assets.slow]
path = "out/slow.txt"
transform = "{vars.python} tx.py wait {self.path} go.txt"
depends_on = ["raw"]
"""


def test_ctrl_c_during_a_cycle_leaves_nothing_behind(project: Project) -> None:
    project.assets(WAITING)
    project.write("data/raw.txt", "a\n")
    project.write("go.txt", "")
    project.doit_ok()
    project.path("go.txt").unlink()  # the next materialization waits
    with Watch(project.root) as watch:
        watch.ready()
        edit(project.path("data/raw.txt"), "b\n")
        deadline = time.monotonic() + 20
        while not project.staging_dirs() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert project.staging_dirs(), "the cycle did not start"
        assert watch.stop() == 0
    assert watch.quiet(1.0)[-1:] == ["Stopped."]
    assert project.staging_dirs() == []
    assert project.read("out/slow.txt") == "complete\n"  # the last good output
    last = runs(project)[-1]
    with sqlite3.connect(project.path(".doit-assets/history.sqlite")) as conn:
        (outcome,) = conn.execute(
            "select outcome from runs where id = ?", (last[0],)
        ).fetchone()
    assert outcome == "interrupted"
    project.write("go.txt", "")
    assert project.doit_ok().ran == ["slow"]  # nothing holds the project
