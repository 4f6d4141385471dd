"""``doit assets watch``: the real watcher, as a subprocess, in a temporary project.

Every case runs twice: with the operating system's file events (inotify here)
and with ``--poll``, the fallback for network file systems.
"""

from __future__ import annotations

import queue
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import PYTHON, Project
from watching import Watch, edit, started

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
        with sqlite3.connect(pipeline.path(".doit-assets/history.sqlite")) as conn:
            (producer,) = conn.execute(  # the lineage knows the version it read
                "select m.asset from inputs i join materializations m "
                "on m.id = i.upstream_id join materializations r "
                "on r.id = i.materialization_id where r.run_id = ? "
                "and i.path = 'data/raw.txt'",
                (last[0],),
            ).fetchone()
        assert producer == "raw"
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
        assert watch.quiet(1.0) == []  # said once, not again and again
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


@pytest.mark.parametrize(
    "stop",
    [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
    ids=["ctrl-c", "term", "hup"],
)
def test_stopping_during_a_cycle_leaves_nothing_behind(
    project: Project, stop: signal.Signals
) -> None:
    """Ctrl-C in a terminal, ``systemctl stop`` (SIGTERM) of a service, or the
    terminal closing (SIGHUP)."""
    project.assets(WAITING)
    project.write("data/raw.txt", "a\n")
    project.write("go.txt", "")
    project.doit_ok()
    project.path("go.txt").unlink()  # the next materialization waits
    with Watch(project.root) as watch:
        watch.ready()
        edit(project.path("data/raw.txt"), "b\n")
        started(project)
        assert watch.stop(stop) == 0
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


@pytest.mark.skipif(
    sys.version_info >= (3, 12),
    reason="doit auto (doit-auto1) watches with pyinotify, which needs asyncore, "
    "removed in Python 3.12",
)
@pytest.mark.skipif(sys.platform != "linux", reason="pyinotify is Linux-only")
def test_doit_auto_still_reruns_exactly_the_changed_cone(pipeline: Project) -> None:
    """doit's own ``doit auto`` (the doit-auto1 plugin) works on assets too."""
    proc = subprocess.Popen(
        [PYTHON, "-m", "doit", "auto"],
        cwd=pipeline.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line.rstrip("\n"))

    def until_summary() -> list[str]:
        got = []
        while not got or not got[-1].startswith("doit-assets:"):
            got.append(lines.get(timeout=30))
        return got

    threading.Thread(target=read, daemon=True).start()
    try:
        assert "0 made" in until_summary()[-1]
        edit(pipeline.path("data/other.txt"), "changed\n")
        ran = [line for line in until_summary() if line.startswith(".  ")]
        assert ran == [".  side"]
        edit(pipeline.path("data/raw.txt"), "changed\n")
        ran = [line for line in until_summary() if line.startswith(".  ")]
        assert ran == [".  tidy", ".  report"]
    finally:
        proc.kill()
        proc.wait()


PYTHON_ASSETS = """\
from pathlib import Path

from doit_assets import asset


@asset(path="out/shout.txt")
def shout(raw: Path, output: Path) -> None:
    output.write_text(raw.read_text().upper())
"""


def test_an_edit_of_a_python_asset_module_reloads_it(project: Project) -> None:
    """Each cycle is a new process: the edited function is the one that runs."""
    project.assets(
        """\
        [settings]
        modules = ["pipeline"]

        [assets.raw]
        path = "data/raw.txt"
        """
    )
    project.write("data/raw.txt", "a\n")
    project.write("pipeline.py", PYTHON_ASSETS)
    project.doit_ok()
    with Watch(project.root) as watch:
        watch.ready()
        edit(project.path("pipeline.py"), PYTHON_ASSETS.replace(".upper()", " * 2"))
        assert "made shout" in watch.expect(r"declarations changed")
        assert project.read("out/shout.txt") == "a\na\n"


def test_the_watcher_waits_for_another_run_instead_of_failing(
    project: Project,
) -> None:
    project.assets(WAITING)
    project.write("data/raw.txt", "a\n")
    project.write("go.txt", "")
    project.doit_ok()
    project.path("go.txt").unlink()
    with Watch(project.root) as watch:
        watch.ready()
        other = subprocess.Popen(  # made again, whatever doit's check says
            [PYTHON, "-m", "doit", "run", "-a", "slow"],
            cwd=project.root,
            stdout=subprocess.DEVNULL,
        )
        try:
            started(project)
            edit(project.path("data/raw.txt"), "b\n")
            line = watch.expect(r"Waiting for another doit run")
            assert f"(pid {other.pid}, " in line
            project.write("go.txt", "")
            assert other.wait(30) == 0
        finally:
            other.kill()
        line = watch.expect(r"data/raw.txt( and 1 more)? changed")  # and go.txt
        assert "FAILED" not in line
    assert not any("another doit run is using" in line for line in watch.seen)


# reads raw first, then waits for go.txt, then writes what it read
TX_COPYWAIT = """\
import os, sys, time

out, gate = sys.argv[2], sys.argv[3]
text = open("data/raw.txt").read()
open(out, "w").write("partial")
deadline = time.monotonic() + 60
while not os.path.exists(gate) and time.monotonic() < deadline:
    time.sleep(0.01)
open(out, "w").write(text)
"""


def test_an_edit_during_a_cycle_makes_the_next_cycle(project: Project) -> None:
    """doit saves the version of a file that it sees at the end of a task, not
    the one the transform read: an edit during the cycle makes its readers
    again, whatever doit's check says."""
    project.assets(WAITING.replace("tx.py wait", "tx.py copywait"))
    project.write("tx.py", TX_COPYWAIT)
    project.write("data/raw.txt", "a\n")
    project.write("go.txt", "")
    project.doit_ok()
    project.path("go.txt").unlink()
    with Watch(project.root) as watch:
        watch.ready()
        edit(project.path("data/raw.txt"), "b\n")
        started(project)
        edit(project.path("data/raw.txt"), "c\n")  # while slow runs
        project.path("go.txt").write_text("")
        assert "made slow" in watch.expect(r"data/raw.txt changed")
        assert project.read("out/slow.txt") == "b\n"  # what it read
        line = watch.expect(r"data/raw.txt changed")  # and go.txt, not named
        assert "made slow" in line
        assert project.read("out/slow.txt") == "c\n"
        assert watch.quiet(1.0) == []


@pytest.mark.parametrize("mode", MODES)
def test_outputs_beside_the_sources_do_not_wake_the_watcher(
    project: Project, mode: tuple[str, ...]
) -> None:
    project.assets(
        PIPELINE.replace("out/tidy.txt", "data/tidy.txt").replace(
            "out/report.txt", "report.txt"
        )
    )
    project.write("data/raw.txt", "a\n")
    project.write("data/other.txt", "o\n")
    project.doit_ok()
    with Watch(project.root, *mode) as watch:
        watch.ready()
        edit(project.path("data/raw.txt"), "b\n")
        assert "made tidy, report" in watch.expect(r"data/raw.txt changed")
        assert watch.quiet(1.5) == []


# -- what the watcher must not miss ------------------------------------------------


def test_an_edit_during_the_first_cycle_is_made_next(project: Project) -> None:
    project.assets(WAITING.replace("tx.py wait", "tx.py copywait"))
    project.write("tx.py", TX_COPYWAIT)
    project.write("data/raw.txt", "a\n")
    project.write("go.txt", "")
    project.doit_ok()
    project.path("go.txt").unlink()
    edit(project.path("data/raw.txt"), "b\n")  # stale: the first cycle makes it
    with Watch(project.root) as watch:
        started(project)
        edit(project.path("data/raw.txt"), "c\n")  # while nothing is watched yet
        project.path("go.txt").write_text("")
        assert "made slow" in watch.ready()
        assert "made slow" in watch.expect(r"data/raw.txt( and 1 more)? changed")
        assert project.read("out/slow.txt") == "c\n"


@pytest.mark.parametrize("mode", MODES)
def test_a_replaced_folder_is_watched_again(
    pipeline: Project, mode: tuple[str, ...]
) -> None:
    """As ``git checkout`` or an unzip does it."""
    with Watch(pipeline.root, *mode) as watch:
        watch.ready()
        shutil.rmtree(pipeline.path("data"))
        pipeline.write("data/raw.txt", "r2\n")
        pipeline.write("data/other.txt", "o\n")
        watch.expect(r"changed: made tidy, report")  # not side: other is the same
        edit(pipeline.path("data/raw.txt"), "r3\n")
        deadline = time.monotonic() + 20  # --poll may see r3 with the folder
        while pipeline.read("out/report.txt") != "R3\n":
            assert time.monotonic() < deadline, watch.seen
            time.sleep(0.1)


FOLDER_SOURCE = """\
[vars]
python = "{python}"

[assets.parts]
path = "data/parts/"

[assets.listing]
path = "out/listing.txt"
transform = "{vars.python} tx.py listdir {self.path} {parts.path}"
"""


@pytest.mark.parametrize("mode", MODES)
def test_an_edit_inside_a_folder_source_wakes_the_watcher(
    project: Project, mode: tuple[str, ...]
) -> None:
    project.assets(FOLDER_SOURCE)
    project.write("data/parts/a.txt", "1\n")
    project.doit_ok()
    with Watch(project.root, *mode) as watch:
        watch.ready()
        edit(project.path("data/parts/a.txt"), "2\n")
        assert "made listing" in watch.expect(r"data/parts/a.txt changed")
        project.write("data/parts/b.txt", "3\n")
        assert "made listing" in watch.expect(r"data/parts/b.txt changed")
        assert project.read("out/listing.txt") == "a.txt: 2\nb.txt: 3\n"


def test_a_source_in_a_folder_that_does_not_exist_yet(pipeline: Project) -> None:
    pipeline.write(
        "assets.toml",
        pipeline.read("assets.toml").replace("data/other.txt", "data/new/deep/o.txt"),
    )
    with Watch(pipeline.root) as watch:
        assert "FAILED other; blocked side" in watch.ready()
        assert watch.expect(r"^  other: ") == (
            "  other: assets.toml:16: asset 'other': source file "
            "'data/new/deep/o.txt' does not exist. Create it, or give the asset a "
            "'transform' that makes it"
        )
        pipeline.write("data/new/deep/o.txt", "here\n")
        assert "made side" in watch.expect(r"made side")
        assert pipeline.read("out/side.txt") == "here\n"


def test_a_linked_source_is_watched_where_it_points(
    pipeline: Project, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere" / "raw.txt"
    outside.parent.mkdir()
    outside.write_text("a\n")
    pipeline.path("data/raw.txt").unlink()
    pipeline.path("data/raw.txt").symlink_to(outside)
    with Watch(pipeline.root) as watch:
        watch.ready()
        edit(outside, "through the link\n")
        assert "made tidy, report" in watch.expect(r"data/raw.txt changed")
        assert pipeline.read("out/tidy.txt") == "through the link\n"


def test_thousands_of_changed_files_are_one_cycle(project: Project) -> None:
    project.assets(FOLDER_SOURCE)
    project.write("data/parts/a.txt", "1\n")
    project.doit_ok()
    with Watch(project.root) as watch:
        watch.ready()
        for n in range(3000):  # 3000 paths of 200 characters: 600 kB of names
            name = f"{n:05d}" + "x" * 195
            project.path(f"data/parts/{name}").write_text(f"{n}\n")
        assert "made listing" in watch.expect(r"changed: made listing")
        assert watch.proc.poll() is None


def test_a_killed_watcher_s_cycle_finishes_and_records_it(project: Project) -> None:
    project.assets(
        WAITING.replace("tx.py wait", "tx.py copywait")
        + '\n[assets.down]\npath = "out/down.txt"\n'
        'transform = "{vars.python} tx.py copywait {self.path} {slow.path}"\n'
    )
    project.write("tx.py", TX_COPYWAIT)  # slow copies raw; down copies raw too
    project.write("data/raw.txt", "a\n")
    project.write("go.txt", "")
    project.doit_ok()
    project.path("go.txt").unlink()
    watch = Watch(project.root)
    try:
        watch.ready()
        edit(project.path("data/raw.txt"), "b\n")
        started(project)
        watch.proc.kill()  # kill -9: the cycle goes on alone
        watch.proc.wait()
        project.write("go.txt", "")
        deadline = time.monotonic() + 30
        while runs(project)[-1][0] and time.monotonic() < deadline:
            with sqlite3.connect(project.path(".doit-assets/history.sqlite")) as conn:
                (outcome,) = conn.execute(
                    "select outcome from runs order by id desc"
                ).fetchone()
            if outcome != "running":
                break
            time.sleep(0.1)
        assert outcome == "success"
        assert made_in(project, runs(project)[-1][0]) == ["slow", "down"]
        assert project.read("out/down.txt") == "b\n"
        assert project.read("out/down.txt") == "b\n"
    finally:
        watch.stop()


def test_a_cycle_that_dies_printing_nothing_says_its_exit_code(
    project: Project,
) -> None:
    project.assets(
        '[settings]\nmodules = ["pipeline"]\n\n[assets.raw]\npath = "raw.txt"\n'
    )
    project.write("raw.txt", "a\n")
    project.write("pipeline.py", "")
    project.doit_ok()
    with Watch(project.root) as watch:
        watch.ready()
        edit(project.path("pipeline.py"), "import sys\nsys.exit(3)\n")
        line = watch.expect(r"declarations changed")
        assert re.fullmatch(
            r"\d\d:\d\d:\d\d declarations changed: the cycle failed with exit "
            r"code 3, printing nothing \(\d+\.\d s\)",
            line,
        ), line
        assert watch.proc.poll() is None


GLOBS = """\
[vars]
python = "{python}"

[assets.queries]
path = "out/queries.txt"
transform = "cat q/*.sql q/*/*.sql q/*/*/*.sql > {self.path} 2>/dev/null; true"
inputs = ["q/**/*.sql"]

[assets.tables]
path = "out/tables.txt"
transform = "ls empty > {self.path}"
inputs = ["empty/*.csv"]
"""


@pytest.mark.parametrize("mode", MODES)
def test_a_new_file_an_inputs_glob_matches_wakes_the_watcher(
    project: Project, mode: tuple[str, ...]
) -> None:
    project.assets(GLOBS)
    project.write("q/a.sql", "select 1;\n")
    project.path("empty").mkdir()
    assert project.doit().code == 1  # tables: its glob matches no file yet
    with Watch(project.root, *mode) as watch:
        assert "FAILED tables" in watch.ready()
        project.write("q/sub/deeper/b.sql", "select 2;\n")  # a new folder, deep
        assert "made queries" in watch.expect(r"made queries")
        assert project.read("out/queries.txt") == "select 1;\nselect 2;\n"
        project.write("empty/a.csv", "x\n")  # the glob matched nothing before
        assert "made tables" in watch.expect(r"made tables")
        assert project.read("out/tables.txt") == "a.csv\n"
