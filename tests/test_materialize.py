"""``doit assets materialize SELECTION``: exactly the selected assets and the
stale upstream they need, through doit's own ``run``; ``--only``, options for
doit after ``--``, the history, and projects with and without a dodo.py."""

from __future__ import annotations

import pytest
from conftest import DoitRun, Project, copy_of
from history_support import runs, summary_of

# notes -> index, apart from raw -> features -> report
#                                           -> summary
PIPELINE = """\
[assets.notes]
path = "notes.txt"

[assets.index]
path = "out/index.txt"
transform = "{python} tx.py cat {self.path} {notes.path}"

[assets.raw]
path = "data/raw.txt"

[assets.features]
path = "out/features.txt"
transform = "{python} tx.py upper {self.path} {raw.path}"

[assets.report]
path = "out/report.txt"
transform = "{python} tx.py cat {self.path} {features.path}"

[assets.summary]
path = "out/summary.txt"
transform = "{python} tx.py count {self.path} {features.path}"
"""
RAW = "x\ny\n"
NEW_RAW = "x\ny\nz\n"
NOT_MADE = (
    "ERROR: asset 'report': upstream 'features' has not been made "
    "('out/features.txt' does not exist). Select it too, or leave out --only "
    "so that it is made first"
)


def write_pipeline(project: Project, *, dodo: bool = True) -> None:
    project.write("notes.txt", "n1\n")
    project.write("data/raw.txt", RAW)
    project.assets(PIPELINE, dodo=dodo)


def build_pipeline(project: Project) -> None:
    """The pipeline, built."""
    write_pipeline(project)
    first = project.doit_ok()
    assert first.ran == ["index", "features", "report", "summary"], first


built = copy_of(build_pipeline)


def materialize(project: Project, *args: str) -> DoitRun:
    return project.doit("assets", "materialize", *args)


def materialize_ok(project: Project, *args: str) -> DoitRun:
    result = materialize(project, *args)
    assert result.code == 0, result
    assert "Traceback" not in result.out + result.err, result
    return result


def would_run(project: Project) -> str:
    """What ``status --check`` says is left to run (stderr), "" when nothing."""
    check = project.doit("assets", "status", "--check")
    assert check.code in (0, 1), check
    return check.err


def error(result: DoitRun) -> str:
    assert result.code == 3, result
    assert result.out == "", result
    assert "Traceback" not in result.err, result
    return result.err.rstrip("\n")


def edit_everything(project: Project) -> None:
    """Make both sides of the graph stale."""
    project.write("data/raw.txt", NEW_RAW)
    project.write("notes.txt", "n2\n")


@pytest.mark.parametrize("selection", ["report", "+report"])
def test_materialize_runs_the_selection_and_the_stale_upstream_it_needs(
    built: Project, selection: str
) -> None:
    edit_everything(built)
    result = materialize_ok(built, selection)
    assert result.ran == ["features", "report"], result
    assert built.read("out/report.txt") == "X\nY\nZ\n"
    # summary (also downstream of features) and index were left alone
    assert built.read("out/summary.txt") == "2\n"
    assert would_run(built) == "status --check: 2 of 6 selected assets would run\n"


@pytest.mark.parametrize("selection", ["raw+", "features+"])
def test_materialize_downstream_selection_runs_everything_below(
    built: Project, selection: str
) -> None:
    edit_everything(built)
    result = materialize_ok(built, selection)
    assert result.ran == ["features", "report", "summary"], result
    assert built.read("out/summary.txt") == "3\n"
    assert "index" not in result.out
    assert would_run(built) == "status --check: 1 of 6 selected assets would run\n"


def test_only_runs_just_the_selected_asset_when_its_upstream_is_stale(
    built: Project,
) -> None:
    built.write("data/raw.txt", NEW_RAW)
    # features does not run, so what report reads has not changed
    quiet = materialize_ok(built, "--only", "report")
    assert (quiet.ran, quiet.up_to_date) == ([], ["report"]), quiet
    built.write("out/report.txt", "by hand\n")
    result = materialize_ok(built, "--only", "report")
    assert result.ran == ["report"], result
    assert built.read("out/report.txt") == "X\nY\n"  # from the features there were
    assert would_run(built) == "status --check: 3 of 6 selected assets would run\n"
    assert materialize_ok(built, "report").ran == ["features", "report"]


def test_only_with_an_upstream_never_made_is_an_error(project: Project) -> None:
    write_pipeline(project)
    assert error(materialize(project, "--only", "report")) == NOT_MADE
    assert not project.exists("out")


def test_only_with_the_upstream_selected_too_makes_both(project: Project) -> None:
    write_pipeline(project)
    result = materialize_ok(project, "--only", "features", "report")
    assert result.ran == ["features", "report"], result


@pytest.mark.parametrize(
    ("selection", "message"),
    [
        (
            "raw and notes",
            "selection 'raw and notes' selects no asset. "
            "'doit assets status SELECTION' shows what a selection holds",
        ),
        (
            "reprot",
            "unknown asset 'reprot' in selection 'reprot'. Did you mean 'report'?",
        ),
        (
            "report+0",
            "selection 'report+0': levels must be 1 or more in 'report+0'. "
            "Write 'report+' for every level",
        ),
    ],
    ids=["selects-nothing", "unknown-asset", "zero-levels"],
)
def test_selection_that_selects_nothing_or_does_not_parse_is_an_error(
    project: Project, selection: str, message: str
) -> None:
    write_pipeline(project)
    assert error(materialize(project, selection)) == f"ERROR: {message}"
    assert not project.exists("out")


def test_materialize_needs_a_selection(project: Project) -> None:
    write_pipeline(project)
    result = materialize(project)
    assert result.code == 2, result
    assert result.err == (
        "doit assets materialize: error: name a SELECTION, or --failed\n"
    )


def test_options_after_double_dash_go_to_doit_run(project: Project) -> None:
    write_pipeline(project)
    result = materialize_ok(project, "report", "summary", "--", "-n", "2")
    assert sorted(result.ran) == ["features", "report", "summary"], result
    assert (project.read("out/report.txt"), project.read("out/summary.txt")) == (
        "X\nY\n",
        "2\n",
    )
    assert not project.exists("out/index.txt")
    assert [(r["command"], r["outcome"], r["materialized"]) for r in runs(project)] == [
        ("doit assets materialize report summary -- -n 2", "success", 3)
    ]


def test_no_continue_after_double_dash_stops_at_a_failure(built: Project) -> None:
    text = built.read("assets.toml")
    index = "tx.py cat {self.path} {notes.path}"
    assert text.count(index) == 1
    built.write(
        "assets.toml", text.replace(index, "tx.py fail {self.path} {notes.path}")
    )
    built.write("data/raw.txt", NEW_RAW)
    stopped = materialize(built, "index", "summary", "--", "--no-continue")
    assert (stopped.code, stopped.ran) == (1, ["index"]), stopped
    went_on = materialize(built, "index", "summary")  # keep-going: the default
    assert (went_on.code, went_on.ran) == (1, ["index", "features", "summary"]), went_on
    assert built.read("out/summary.txt") == "3\n"


def test_materialize_is_recorded_in_the_history_like_doit(project: Project) -> None:
    write_pipeline(project)
    materialize_ok(project, "report")
    assert summary_of(project) == [
        (1, 1, "raw", "source", "success"),
        (2, 1, "features", "transform", "success"),
        (3, 1, "report", "transform", "success"),
    ]
    # plain doit KEY after it: what materialize made is up to date
    after = project.doit_ok("summary")
    assert after.ran == ["summary"], after
    assert after.up_to_date == ["raw", "features"], after
    assert [(r["id"], r["command"], r["materialized"]) for r in runs(project)] == [
        (1, "doit assets materialize report", 2),
        (2, "doit summary", 1),
    ]
    assert summary_of(project)[3:] == [(4, 2, "summary", "transform", "success")]


def test_materialize_without_a_dodo_py(project: Project) -> None:
    write_pipeline(project, dodo=False)
    first = project.doit_assets("assets", "materialize", "report")
    assert first.code == 0, first
    assert first.ran == ["features", "report"], first
    second = materialize_ok(project, "summary")  # python -m doit: no dodo.py either
    assert second.ran == ["summary"], second
    assert [r["command"] for r in runs(project)] == [
        "doit-assets assets materialize report",
        "doit assets materialize summary",
    ]
    assert not project.exists("dodo.py")
    assert would_run(project) == "status --check: 1 of 6 selected assets would run\n"


PARTITIONED = """\
[assets.days]
path = "out/days/{partition}.txt"
transform = "echo {partition} > {self.path}"
partitions = { daily = { start = "2024-03-01", end = "2024-03-02" } }

[assets.copies]
path = "out/copies/{partition}.txt"
transform = "cat {days.path} > {self.path}"
partitions = { daily = { start = "2024-03-01", end = "2024-03-02" } }
"""


def test_only_checks_each_partition_of_what_it_reads(project: Project) -> None:
    project.assets(PARTITIONED)
    project.doit_ok()
    only = project.doit("assets", "materialize", "copies", "--only")
    assert only.code == 0, only
    assert only.up_to_date == ["copies:2024-03-01", "copies:2024-03-02"], only
    project.path("out/days/2024-03-02.txt").unlink()
    missing = project.doit("assets", "materialize", "copies", "--only")
    assert (missing.code, missing.err) == (
        3,
        "ERROR: asset 'copies:2024-03-02': upstream 'days:2024-03-02' has not been "
        "made ('out/days/2024-03-02.txt' does not exist). Select it too, or leave "
        "out --only so that it is made first\n",
    )
