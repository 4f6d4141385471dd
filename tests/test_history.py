"""The materialization history: the History API itself, then what real doit runs
record in ``.doit-assets/history.sqlite``."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PYTHON, Project, copy_of, run_doit, run_doit_assets, shared
from history_support import (
    HISTORY,
    INPUT,
    PARAMS,
    THREE_LEVELS,
    TRANSFORMS,
    build_pipeline,
    build_three_levels,
    contents,
    inputs,
    materializations,
    md5,
    outputs,
    pipeline,
    query,
    row,
    runs,
    summary_of,
)

from doit_assets.store.history import History, HistoryError, Input, Output
from doit_assets.store.schema import SCHEMA_VERSION

# -- the History API -------------------------------------------------------------


@pytest.fixture
def history(tmp_path: Path) -> Iterator[History]:
    opened = History.open(str(tmp_path / "h" / "history.sqlite"))
    yield opened
    opened.close()


def record(history: History, run_id: int, asset: str, **fields: object) -> int:
    values: dict[str, object] = {
        "kind": "transform",
        "status": "success",
        "started_at": 100.0,
        "ended_at": 101.5,
    }
    values.update(fields)
    return history.record(run_id=run_id, asset=asset, **values)  # type: ignore[arg-type]


def test_open_migrates_an_empty_file_to_the_current_schema(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    path.touch()
    History.open(str(path)).close()
    conn = sqlite3.connect(path)
    tables = {
        name
        for (name,) in conn.execute("select name from sqlite_master where type='table'")
    }
    assert conn.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert tables == {
        "runs",
        "materializations",
        "outputs",
        "inputs",
        "latest",
        "backfills",
        "check_results",
        "observations",
        "automation_state",
    }
    conn.close()


def test_open_creates_missing_folders(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "history.sqlite"
    History.open(str(path)).close()
    assert path.exists()


def test_open_without_create_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        History.open(str(tmp_path / "history.sqlite"), create=False)
    assert not (tmp_path / "history.sqlite").exists()


def test_reopening_keeps_what_was_recorded(tmp_path: Path) -> None:
    path = str(tmp_path / "history.sqlite")
    first = History.open(path)
    run_id = first.start_run("doit")
    record(first, run_id, "a", outputs=[Output("out/a", "m1", 3)])
    first.close()
    again = History.open(path)
    assert [m.asset for m in again.materializations()] == ["a"]
    assert again.conn.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION
    again.close()


def test_a_version_1_history_is_migrated_and_keeps_everything(tmp_path: Path) -> None:
    from doit_assets.store.schema import MIGRATIONS

    path = tmp_path / "history.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0])
    conn.executescript(
        "insert into runs (id, started_at, command) values (1, 0, 'doit');"
        "insert into materializations (id, run_id, asset, kind, status, ended_at, "
        "duration) values (1, 1, 'a', 'transform', 'success', 1, 0.5),"
        "(2, 1, 'a', 'transform', 'success', 2, 0.7),"
        "(3, 1, 'a', 'transform', 'failed', 3, 0.1),"
        "(4, 1, 'src', 'source', 'success', 4, 0.0);"
        "pragma user_version = 1;"
    )
    conn.close()
    history = History.open(str(path))
    assert [m.id for m in history.materializations()] == [4, 3, 2, 1]
    assert history.last_durations(["a", "src"]) == {"a": 0.7}
    record(history, 1, "a", outputs=[Output("out/a", "m2", 3)])
    assert history.last_durations(["a"]) == {"a": 1.5}
    history.close()


def test_a_newer_schema_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    conn = sqlite3.connect(path)
    conn.execute(f"pragma user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(HistoryError) as exc:
        History.open(str(path))
    assert str(exc.value) == (
        f"{path}: history schema {SCHEMA_VERSION + 1} is newer than this "
        f"doit-assets knows ({SCHEMA_VERSION}). Upgrade doit-assets"
    )


def test_a_file_that_is_not_sqlite_is_refused_with_a_clear_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.sqlite"
    path.write_bytes(b"not a database " * 100)
    with pytest.raises(HistoryError) as exc:
        History.open(str(path))
    assert str(exc.value) == (
        f"{path}: cannot read the history: file is not a database. "
        "Move the file away to start a new history"
    )


# Each process imports, says it is ready, waits for the word to go, then opens
# the store; it prints the error, if any.
OPEN_AT_ONCE = """\
import os, sys, time
from doit_assets.store.history import History

path, ready, go = sys.argv[1:]
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.0005)
History.open(path).close()
"""


@pytest.mark.e2e  # forty Python processes
def test_processes_creating_a_new_history_at_once_all_succeed(
    tmp_path: Path,
) -> None:
    # The check of the schema version and the migration are one transaction:
    # the second process waits for the first, then finds the tables made.
    failures = []
    for pair in range(20):
        folder = tmp_path / f"pair{pair}"
        folder.mkdir()
        path, go = folder / "h" / "history.sqlite", folder / "go"
        ready = [folder / f"ready{n}" for n in range(2)]
        procs = [
            subprocess.Popen(
                [PYTHON, "-c", OPEN_AT_ONCE, str(path), str(flag), str(go)],
                stderr=subprocess.PIPE,
                text=True,
            )
            for flag in ready
        ]
        while not all(flag.exists() for flag in ready):
            time.sleep(0.001)
        go.touch()
        for proc in procs:
            _, err = proc.communicate(timeout=60)
            if proc.returncode != 0:
                failures.append(err.strip().splitlines()[-1])
        version = sqlite3.connect(path).execute("pragma user_version").fetchone()
        assert version == (SCHEMA_VERSION,)
    assert failures == []


def test_start_run_marks_runs_left_running_as_interrupted(history: History) -> None:
    first = history.start_run("doit", started_at=10.0)
    assert [r.outcome for r in history.runs()] == ["running"]
    second = history.start_run("doit report")
    got = {r.id: (r.command, r.outcome, r.ended_at) for r in history.runs()}
    assert got == {
        first: ("doit", "interrupted", None),
        second: ("doit report", "running", None),
    }
    assert history.runs()[0].pid == os.getpid()


def test_end_run_sets_outcome_counts_and_end_time(history: History) -> None:
    run_id = history.start_run("doit", started_at=10.0)
    history.end_run(run_id, "failed", materialized=2, up_to_date=5, failed=1)
    (run,) = history.runs()
    assert (run.outcome, run.materialized, run.up_to_date, run.failed) == (
        "failed",
        2,
        5,
        1,
    )
    assert run.started_at == 10.0
    assert run.ended_at is not None and run.ended_at > run.started_at


def test_runs_are_newest_first_and_limited(history: History) -> None:
    ids = [history.start_run(f"doit {n}") for n in range(4)]
    assert [r.id for r in history.runs()] == ids[::-1]
    assert [r.id for r in history.runs(limit=2)] == ids[:1:-1]


def test_record_counts_transforms_in_their_run_but_not_sources(
    history: History,
) -> None:
    run_id = history.start_run("doit")
    record(history, run_id, "raw", kind="source")
    record(history, run_id, "a")
    record(history, run_id, "b")
    record(history, run_id, "c", status="failed", error="boom", exit_code=2)
    record(history, run_id, "d", status="interrupted", error="interrupted")
    (run,) = history.runs()
    assert (run.materialized, run.failed, run.up_to_date) == (2, 1, 0)


def test_record_stores_every_field(history: History) -> None:
    run_id = history.start_run("doit")
    mat_id = record(
        history,
        run_id,
        "model",
        started_at=100.0,
        ended_at=102.25,
        transform="train out/model.pkl",
        code_version="3",
        fingerprint="f" * 32,
        metadata={"owner": "ml", "rows": 3, "tags": ["a"]},
        outputs=[Output("out/z.txt", "mz", 2), Output("out/a.txt", "ma", 1)],
        inputs=[Input("params.txt", None, "mp")],
    )
    mat = history.get(mat_id)
    assert mat is not None
    assert (mat.id, mat.run_id, mat.asset, mat.kind, mat.status) == (
        mat_id,
        run_id,
        "model",
        "transform",
        "success",
    )
    assert (mat.started_at, mat.ended_at, mat.duration) == (100.0, 102.25, 2.25)
    assert (mat.transform, mat.code_version, mat.fingerprint) == (
        "train out/model.pkl",
        "3",
        "f" * 32,
    )
    assert mat.metadata == {"owner": "ml", "rows": 3, "tags": ["a"]}
    assert (mat.error, mat.exit_code) == (None, None)
    assert history.outputs(mat_id) == [
        Output("out/a.txt", "ma", 1),
        Output("out/z.txt", "mz", 2),
    ]
    assert history.inputs(mat_id) == [Input("params.txt", None, "mp", None)]


def test_metadata_that_is_not_json_is_stored_as_text(history: History) -> None:
    run_id = history.start_run("doit")
    mat_id = record(history, run_id, "a", metadata={"path": Path("x/y")})
    mat = history.get(mat_id)
    assert mat is not None and mat.metadata == {"path": "x/y"}


def test_duration_is_unknown_without_a_start_and_never_negative(
    history: History,
) -> None:
    run_id = history.start_run("doit")
    no_start = record(history, run_id, "a", started_at=None)
    backwards = record(history, run_id, "b", started_at=10.0, ended_at=9.0)
    assert history.get(no_start).duration is None  # type: ignore[union-attr]
    assert history.get(backwards).duration == 0.0  # type: ignore[union-attr]


def test_get_of_an_unknown_id_is_none(history: History) -> None:
    assert history.get(42) is None
    assert history.last_success("a") is None


def test_producer_of_is_the_latest_success_that_wrote_that_version(
    history: History,
) -> None:
    run_id = history.start_run("doit")
    old = record(history, run_id, "a", outputs=[Output("out/a", "v1", 1)])
    other = record(history, run_id, "a", outputs=[Output("out/a", "v2", 1)])
    same = record(history, run_id, "a", outputs=[Output("out/a", "v1", 1)])
    record(
        history,
        run_id,
        "a",
        status="failed",
        error="boom",
        outputs=[Output("out/a", "v1", 1)],
    )
    assert history.producer_of("out/a", "v1") == same
    assert history.producer_of("out/a", "v2") == other
    assert old < other < same
    assert history.producer_of("out/a", "v3") is None
    assert history.producer_of("out/b", "v1") is None


def test_inputs_from_assets_link_to_their_producer_and_plain_files_do_not(
    history: History,
) -> None:
    run_id = history.start_run("doit")
    raw = record(
        history, run_id, "raw", kind="source", outputs=[Output("d/raw", "r1", 1)]
    )
    params = record(history, run_id, "p", outputs=[Output("params.txt", "p1", 1)])
    mat = record(
        history,
        run_id,
        "clean",
        inputs=[
            Input("d/raw", "raw", "r1"),
            Input("params.txt", None, "p1"),  # a plain input: never linked
            Input("d/raw2", "raw2", "unseen"),  # a version no one recorded
            Input("d/given", "given", "g1", upstream_id=raw),
        ],
    )
    assert history.inputs(mat) == [
        Input("d/given", "given", "g1", raw),
        Input("d/raw", "raw", "r1", raw),
        Input("d/raw2", "raw2", "unseen", None),
        Input("params.txt", None, "p1", None),
    ]
    assert params != raw


def test_inputs_with_kind_names_the_kind_of_each_producer(history: History) -> None:
    run_id = history.start_run("doit")
    record(history, run_id, "raw", kind="source", outputs=[Output("d/raw", "r1", 1)])
    record(history, run_id, "mid", outputs=[Output("out/mid", "m1", 1)])
    mat = record(
        history,
        run_id,
        "top",
        inputs=[
            Input("out/mid", "mid", "m1"),
            Input("d/raw", "raw", "r1"),
            Input("p.txt", None, "p"),
        ],
    )
    assert [(i.asset, kind) for i, kind in history.inputs_with_kind(mat)] == [
        ("mid", "transform"),
        ("raw", "source"),
        (None, None),
    ]


def test_consumers_are_the_materializations_that_read_a_version(
    history: History,
) -> None:
    run_id = history.start_run("doit")
    mid = record(history, run_id, "mid", outputs=[Output("out/mid", "m1", 1)])
    both = record(
        history,
        run_id,
        "both",
        inputs=[Input("out/mid", "mid", "m1"), Input("out/mid2", "mid", "m1", mid)],
    )
    later = record(history, run_id, "later", inputs=[Input("out/mid", "mid", "m1")])
    record(history, run_id, "mid", outputs=[Output("out/mid", "m2", 1)])
    record(history, run_id, "newer", inputs=[Input("out/mid", "mid", "m2")])
    assert [m.id for m in history.consumers(mid)] == [both, later]


def test_materializations_are_newest_first_with_filters(history: History) -> None:
    run_id = history.start_run("doit")
    a1 = record(history, run_id, "a")
    b1 = record(history, run_id, "b", status="failed", error="boom")
    a2 = record(history, run_id, "a", status="interrupted", error="interrupted")
    a3 = record(history, run_id, "a")
    assert [m.id for m in history.materializations()] == [a3, a2, b1, a1]
    assert [m.id for m in history.materializations(limit=2)] == [a3, a2]
    assert [m.id for m in history.materializations("a")] == [a3, a2, a1]
    assert [m.id for m in history.materializations(failed_only=True)] == [a2, b1]
    assert [m.id for m in history.materializations("a", failed_only=True)] == [a2]
    assert history.materializations("nothing") == []
    assert history.last_success("a").id == a3  # type: ignore[union-attr]
    assert history.last_success("b") is None


def test_last_durations_come_from_successful_transforms_only(
    history: History,
) -> None:
    run_id = history.start_run("doit")
    record(history, run_id, "a", started_at=0.0, ended_at=4.0)
    record(history, run_id, "a", started_at=0.0, ended_at=2.0)
    record(history, run_id, "a", status="failed", started_at=0.0, ended_at=9.0)
    record(history, run_id, "raw", kind="source", started_at=0.0, ended_at=1.0)
    record(history, run_id, "b", status="failed", started_at=0.0, ended_at=1.0)
    assert history.last_durations(["a", "b", "raw", "c"]) == {"a": 2.0}


# -- what real runs record -------------------------------------------------------


built = copy_of(build_pipeline)


def test_first_run_observes_the_source_and_records_each_transform(
    built: Project,
) -> None:
    assert summary_of(built) == [
        (1, 1, "raw_data", "source", "success"),
        (2, 1, "processed_data", "transform", "success"),
        (3, 1, "summary", "transform", "success"),
        (4, 1, "report", "transform", "success"),
    ]


def test_a_success_holds_the_rendered_transform_and_its_definition(
    built: Project,
) -> None:
    mats = {m["asset"]: m for m in materializations(built)}
    for asset, transform in TRANSFORMS.items():
        mat = mats[asset]
        assert mat["transform"] == transform  # final paths, not staging paths
        assert re.fullmatch("[0-9a-f]{32}", mat["fingerprint"]), mat
        assert (mat["error"], mat["exit_code"]) == (None, None)
        assert mat["started_at"] <= mat["ended_at"]
        assert mat["duration"] == pytest.approx(mat["ended_at"] - mat["started_at"])
    assert mats["processed_data"]["metadata"] == {"owner": "data-team", "rows": 3}
    assert mats["processed_data"]["code_version"] == "1"
    assert mats["summary"]["metadata"] == {}
    assert mats["summary"]["code_version"] is None
    source = mats["raw_data"]
    assert (source["transform"], source["fingerprint"], source["error"]) == (
        None,
        None,
        None,
    )


def test_outputs_are_the_md5_and_size_of_the_final_files(built: Project) -> None:
    files = contents()
    for mat_id, path in enumerate(
        ["data/input.csv", "out/processed.csv", "out/summary.txt", "out/report.txt"],
        start=1,
    ):
        assert outputs(built, mat_id) == [(path, md5(files[path]), len(files[path]))]
        assert built.read(path) == files[path]


def test_inputs_point_at_the_materialization_that_wrote_each_version(
    built: Project,
) -> None:
    files = contents()
    assert inputs(built, 1) == []
    assert inputs(built, 2) == [
        ("data/input.csv", "raw_data", md5(INPUT), 1),
        ("params.txt", None, md5(PARAMS), None),
    ]
    assert inputs(built, 3) == [
        ("out/processed.csv", "processed_data", md5(files["out/processed.csv"]), 2)
    ]
    assert inputs(built, 4) == [
        ("out/processed.csv", "processed_data", md5(files["out/processed.csv"]), 2),
        ("out/summary.txt", "summary", md5(files["out/summary.txt"]), 3),
    ]


def test_the_run_records_its_command_outcome_and_counts(built: Project) -> None:
    (run,) = runs(built)
    assert run["id"] == 1
    assert run["command"] == "doit"
    assert run["outcome"] == "success"
    assert (run["materialized"], run["up_to_date"], run["failed"]) == (3, 0, 0)
    assert isinstance(run["pid"], int) and run["pid"] != os.getpid()
    assert run["started_at"] <= run["ended_at"]
    mats = materializations(built)
    assert all(run["started_at"] <= m["started_at"] for m in mats)
    assert all(m["ended_at"] <= run["ended_at"] for m in mats)


def test_an_up_to_date_run_records_no_materializations_only_counts(
    built: Project,
) -> None:
    before = materializations(built)
    again = built.doit()
    assert again.ran == [] and again.code == 0, again
    selected = built.doit("summary")
    assert selected.ran == [] and selected.code == 0, selected
    assert materializations(built) == before
    got = [
        (
            r["id"],
            r["command"],
            r["outcome"],
            r["materialized"],
            r["up_to_date"],
            r["failed"],
        )
        for r in runs(built)
    ]
    assert got == [
        (1, "doit", "success", 3, 0, 0),
        (2, "doit", "success", 0, 4, 0),
        (3, "doit summary", "success", 0, 3, 0),
    ]


def test_the_same_definition_gives_the_same_fingerprint(built: Project) -> None:
    built.path("out/summary.txt").unlink()
    built.write(
        "assets.toml",
        built.read("assets.toml").replace('code_version = "1"', 'code_version = "2"'),
    )
    result = built.doit()
    # processed_data writes the same bytes again: report is cut off
    assert result.ran == ["processed_data", "summary"], result
    first = {m["asset"]: m for m in materializations(built) if m["run_id"] == 1}
    second = {m["asset"]: m for m in materializations(built) if m["run_id"] == 2}
    assert second["summary"]["fingerprint"] == first["summary"]["fingerprint"]
    assert (
        second["processed_data"]["fingerprint"]
        != first["processed_data"]["fingerprint"]
    )
    assert second["processed_data"]["code_version"] == "2"


FAILING = """\
[assets.raw_data]
path = "data/input.csv"

[assets.good]
path = "out/good.txt"
transform = "{python} tx.py upper {self.path} {raw_data.path}"

[assets.broken]
path = "out/broken.txt"
transform = "test -s {raw_data.path} && echo oops >&2 && exit 4"

[assets.after_broken]
path = "out/after.txt"
transform = "{python} tx.py cat {self.path} {broken.path}"

[assets.silent]
path = "out/silent.txt"
transform = "true {raw_data.path}"
"""


def test_a_failure_records_the_error_and_exit_code(project: Project) -> None:
    pipeline(project, FAILING)
    result = project.doit("--continue")
    assert result.code != 0, result
    mats = {m["asset"]: m for m in materializations(project)}
    broken = mats["broken"]
    assert (broken["kind"], broken["status"], broken["exit_code"]) == (
        "transform",
        "failed",
        4,
    )
    assert broken["error"] == (
        "transform exited with code 4: test -s data/input.csv && echo oops >&2 && exit 4"
    )
    assert broken["transform"] == "test -s data/input.csv && echo oops >&2 && exit 4"
    assert broken["started_at"] <= broken["ended_at"]
    assert outputs(project, broken["id"]) == []  # nothing was published


def test_a_transform_that_writes_nothing_is_recorded_as_failed(
    project: Project,
) -> None:
    pipeline(project, FAILING)
    project.doit("--continue")
    silent = row(project, "silent", 1)
    assert (silent["status"], silent["exit_code"]) == ("failed", 0)
    assert silent["error"] == (
        "transform succeeded but did not write 'out/silent.txt'. "
        "Write each output to the path {self.path} gives; it is moved into place "
        "when the transform succeeds"
    )


def test_assets_whose_upstream_failed_are_recorded_as_blocked(
    project: Project,
) -> None:
    pipeline(project, FAILING)
    result = project.doit("--continue")
    assert "after_broken" not in result.ran
    assert sorted((m["asset"], m["status"]) for m in materializations(project)) == [
        ("after_broken", "blocked"),
        ("broken", "failed"),
        ("good", "success"),
        ("raw_data", "success"),
        ("silent", "failed"),
    ]
    blocked = row(project, "after_broken", 1)
    assert (blocked["error"], blocked["started_at"], blocked["duration"]) == (
        "blocked by broken",
        None,
        None,
    )
    (run,) = runs(project)
    assert (run["outcome"], run["materialized"], run["up_to_date"], run["failed"]) == (
        "failed",
        1,
        0,
        2,
    )


def test_a_run_that_stops_at_the_first_failure_is_failed(project: Project) -> None:
    pipeline(project, FAILING)
    result = project.doit("--no-continue", "broken", "after_broken")
    assert result.code == 1, result
    assert [(m["asset"], m["status"]) for m in materializations(project)] == [
        ("raw_data", "success"),
        ("broken", "failed"),
    ]
    (run,) = runs(project)
    assert (run["command"], run["outcome"], run["failed"]) == (
        "doit --no-continue broken after_broken",
        "failed",
        1,
    )


def test_a_later_success_after_a_failure_is_recorded(project: Project) -> None:
    pipeline(project, FAILING)
    project.doit("--continue")
    project.write(
        "assets.toml",
        project.read("assets.toml")
        .replace("&& exit 4", "&& cp {raw_data.path} {self.path}")
        .replace("true {raw_data.path}", "cp {raw_data.path} {self.path}"),
    )
    result = project.doit()
    assert sorted(result.ran) == ["after_broken", "broken", "silent"], result
    assert sorted(
        (m["asset"], m["status"]) for m in materializations(project) if m["run_id"] == 2
    ) == [("after_broken", "success"), ("broken", "success"), ("silent", "success")]
    after = row(project, "after_broken", 2)
    broken = row(project, "broken", 2)
    assert inputs(project, after["id"]) == [
        ("out/broken.txt", "broken", md5(INPUT), broken["id"])
    ]
    assert runs(project)[1]["outcome"] == "success"


rebuilt = shared(build_three_levels)


def test_partial_rebuild_links_new_rows_to_the_new_upstream_rows(
    rebuilt: Project,
) -> None:
    new = {a: row(rebuilt, a, 2) for a in ("raw", "tidy", "count", "total", "title")}
    assert new["raw"]["kind"] == "source"
    assert inputs(rebuilt, new["tidy"]["id"]) == [
        ("data/raw.txt", "raw", md5("header\nrow1\nrow2\n"), new["raw"]["id"]),
        ("params.txt", None, md5("p=1\n"), None),
    ]
    assert inputs(rebuilt, new["count"]["id"]) == [
        ("out/tidy.txt", "tidy", md5("header\nrow1\nrow2\np=1\n"), new["tidy"]["id"])
    ]
    assert inputs(rebuilt, new["total"]["id"]) == [
        ("out/count.txt", "count", md5("4\n"), new["count"]["id"])
    ]
    assert inputs(rebuilt, new["title"]["id"]) == [
        ("out/tidy.txt", "tidy", md5("header\nrow1\nrow2\np=1\n"), new["tidy"]["id"])
    ]


def test_partial_rebuild_leaves_the_rows_of_assets_not_re_run(
    rebuilt: Project,
) -> None:
    old_title = row(rebuilt, "title", 1)
    (banner,) = [m for m in materializations(rebuilt) if m["asset"] == "banner"]
    assert banner["run_id"] == 1
    assert inputs(rebuilt, banner["id"]) == [
        ("out/title.txt", "title", md5("header\n"), old_title["id"])
    ]
    # the title was re-made with the same bytes: both rows wrote that version
    assert outputs(rebuilt, old_title["id"]) == outputs(
        rebuilt, row(rebuilt, "title", 2)["id"]
    )
    old_tidy = row(rebuilt, "tidy", 1)
    assert inputs(rebuilt, old_title["id"]) == [
        ("out/tidy.txt", "tidy", md5("header\nrow1\np=1\n"), old_tidy["id"])
    ]


def test_partial_rebuild_counts(rebuilt: Project) -> None:
    got = [
        (r["outcome"], r["materialized"], r["up_to_date"], r["failed"])
        for r in runs(rebuilt)
    ]
    assert got == [("success", 5, 0, 0), ("success", 4, 1, 0)]


def test_an_unchanged_plain_input_is_a_file_in_every_version(
    rebuilt: Project,
) -> None:
    for run_id in (1, 2):
        tidy = row(rebuilt, "tidy", run_id)
        params = [i for i in inputs(rebuilt, tidy["id"]) if i[0] == "params.txt"]
        assert params == [("params.txt", None, md5("p=1\n"), None)]


def test_source_versions_are_observed_once_each_time_they_change(
    built: Project,
) -> None:
    def observations() -> list[tuple[int, int, str]]:
        return [
            (m["id"], m["run_id"], outputs(built, m["id"])[0][1])
            for m in materializations(built)
            if m["kind"] == "source"
        ]

    edited = "id,name\n1,ann\n2,bob\n3,cy\n"
    os.utime(built.path("data/input.csv"))  # touched, same content: no new version
    assert built.doit().ran == []
    assert observations() == [(1, 1, md5(INPUT))]
    built.write("data/input.csv", edited)
    assert built.doit().ran == ["processed_data", "summary", "report"]
    built.write("data/input.csv", INPUT)  # back to the first version
    assert built.doit().ran == ["processed_data", "summary", "report"]
    got = observations()
    assert [(run, version) for _, run, version in got] == [
        (1, md5(INPUT)),
        (3, md5(edited)),
        (4, md5(INPUT)),
    ]
    latest = got[-1][0]
    processed = row(built, "processed_data", 4)
    assert inputs(built, processed["id"])[0] == (
        "data/input.csv",
        "raw_data",
        md5(INPUT),
        latest,
    )
    source = row(built, "raw_data", 4)
    assert (source["status"], source["transform"]) == ("success", None)
    assert outputs(built, latest) == [("data/input.csv", md5(INPUT), len(INPUT))]


def test_a_forced_run_does_not_observe_an_unchanged_source_again(
    built: Project,
) -> None:
    # docs/history.md: a source observation is recorded when the file is new or
    # has changed
    forced = built.doit("-a")
    assert forced.ran == ["processed_data", "summary", "report"], forced
    assert "~  raw_data (source: new version)" not in forced.out, forced
    sources = [m for m in materializations(built) if m["kind"] == "source"]
    assert [(m["id"], m["run_id"]) for m in sources] == [(1, 1)]
    processed = row(built, "processed_data", 2)
    assert inputs(built, processed["id"])[0] == (
        "data/input.csv",
        "raw_data",
        md5(INPUT),
        1,
    )


def test_parallel_runs_record_the_same_lineage(project: Project) -> None:
    project.write("data/raw.txt", "header\nrow1\n")
    project.write("params.txt", "p=1\n")
    project.assets(THREE_LEVELS)
    result = project.doit("-n", "2")
    assert result.code == 0, result
    mats = {m["asset"]: m["id"] for m in materializations(project)}
    assert sorted(mats) == ["banner", "count", "raw", "tidy", "title", "total"]
    upstream = {
        "tidy": "raw",
        "count": "tidy",
        "total": "count",
        "title": "tidy",
        "banner": "title",
    }
    for asset, parent in upstream.items():
        linked = [i for i in inputs(project, mats[asset]) if i[1] is not None]
        assert [(i[1], i[3]) for i in linked] == [(parent, mats[parent])], asset
    (run,) = runs(project)
    assert (run["command"], run["outcome"], run["materialized"]) == (
        "doit -n 2",
        "success",
        5,
    )


def _recorded(project: Project, history: Path) -> list[tuple[object, ...]]:
    """Everything about each materialization that must not depend on the cwd."""
    conn = sqlite3.connect(history)
    try:
        mats = conn.execute(
            "select id, asset, kind, status, transform, code_version, fingerprint, "
            "metadata from materializations order by id"
        ).fetchall()
        result = []
        for mat in mats:
            outs = conn.execute(
                "select path, md5, size from outputs where materialization_id = ? "
                "order by path",
                (mat[0],),
            ).fetchall()
            ins = conn.execute(
                "select path, asset, md5, upstream_id from inputs "
                "where materialization_id = ? order by path",
                (mat[0],),
            ).fetchall()
            result.append((*mat, outs, ins))
        return result
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("how", "args", "where"),
    [
        ("doit -f", ["-f", "copy/dodo.py"], "."),
        ("doit -k", ["-k"], "copy/data"),
        ("doit-assets -d", ["-d", "copy"], "."),
    ],
    ids=["doit-f", "doit-k", "doit-assets-d"],
)
def test_paths_are_project_relative_from_any_working_directory(
    built: Project, tmp_path: Path, how: str, args: list[str], where: str
) -> None:
    here = _recorded(built, built.path(HISTORY))
    assert {o[0] for m in here for o in m[-2]} == {
        "data/input.csv",
        "out/processed.csv",
        "out/summary.txt",
        "out/report.txt",
    }
    # the same project, copied and run from somewhere else
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(
        built.root,
        elsewhere / "copy",
        ignore=shutil.ignore_patterns(".doit-assets", "out"),
    )
    run = run_doit_assets if how.startswith("doit-assets") else run_doit
    result = run(*args, cwd=elsewhere / where)
    assert result.ran == ["processed_data", "summary", "report"], result
    assert _recorded(built, elsewhere / "copy" / HISTORY) == here
    assert not (elsewhere / where / ".doit-assets").exists()


def test_doit_assets_f_keeps_the_history_beside_the_assets_file(
    built: Project, tmp_path: Path
) -> None:
    here = _recorded(built, built.path(HISTORY))
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(
        built.root,
        elsewhere / "copy",
        ignore=shutil.ignore_patterns(".doit-assets", "out"),
    )
    result = run_doit_assets("-f", "copy/assets.toml", cwd=elsewhere)
    assert result.code == 0, result
    assert result.ran == ["processed_data", "summary", "report"], result
    assert (elsewhere / "copy" / "out" / "report.txt").exists()
    # docs/history.md: the folder sits beside assets.toml for doit-assets
    assert (elsewhere / "copy" / HISTORY).exists()
    assert not (elsewhere / ".doit-assets").exists()
    assert _recorded(built, elsewhere / "copy" / HISTORY) == here
    # and a run from the project directory finds it all up to date
    again = run_doit(cwd=elsewhere / "copy")
    assert again.code == 0 and again.ran == [], again


def test_transforms_are_recorded_with_final_paths_for_directory_outputs(
    project: Project,
) -> None:
    project.write("data/lines.txt", "a\nb\n")
    project.assets(
        """\
        [assets.lines]
        path = "data/lines.txt"

        [assets.parts]
        path = "out/parts/"
        transform = "{python} tx.py split {self.path} {lines.path}"

        [assets.listing]
        path = "out/listing.txt"
        transform = "{python} tx.py listdir {self.path} {parts.path}"
        """
    )
    result = project.doit()
    assert result.ran == ["parts", "listing"], result
    parts = row(project, "parts", 1)
    listing = row(project, "listing", 1)
    assert parts["transform"] == f"{PYTHON} tx.py split out/parts data/lines.txt"
    (out,) = outputs(project, parts["id"])
    assert out[0] == "out/parts/" and out[2] == 4
    (read,) = inputs(project, listing["id"])
    assert read == ("out/parts/", "parts", out[1], parts["id"])
    assert query(project, "select count(*) as n from materializations")[0]["n"] == 3


STEPS = """\
from pathlib import Path

from doit_assets import asset


@asset(path="out/lines.txt", metadata={"owner": "py"})
def lines(raw: Path, output: Path) -> None:
    output.write_text(raw.read_text().upper())


@asset
def count(lines: Path) -> int:
    return len(lines.read_text().splitlines())


@asset(path="out/bad.txt")
def bad(count: int, output: Path) -> None:
    raise ValueError(f"count was {count}")
"""


def test_python_assets_are_recorded_like_shell_ones(project: Project) -> None:
    project.write("data/raw.txt", "a\nb\n")
    project.write("steps.py", STEPS)
    project.assets(
        """\
        [settings]
        modules = ["steps"]

        [assets.raw]
        path = "data/raw.txt"
        """
    )
    result = project.doit()
    assert result.code == 1, result
    mats = {m["asset"]: m for m in materializations(project)}
    assert sorted(mats) == ["bad", "count", "lines", "raw"]
    lines, count, bad = mats["lines"], mats["count"], mats["bad"]
    assert (lines["transform"], lines["status"], lines["metadata"]) == (
        "python steps:lines",
        "success",
        {"owner": "py"},
    )
    assert re.fullmatch("[0-9a-f]{16}", lines["code_version"]), lines
    assert outputs(project, lines["id"]) == [("out/lines.txt", md5("A\nB\n"), 4)]
    assert inputs(project, lines["id"]) == [
        ("data/raw.txt", "raw", md5("a\nb\n"), mats["raw"]["id"])
    ]
    # a value asset: its value is kept under .doit-assets, and that file is its output
    ((value_path, _, _),) = outputs(project, count["id"])
    assert value_path.startswith(".doit-assets/")
    assert inputs(project, count["id"]) == [
        ("out/lines.txt", "lines", md5("A\nB\n"), lines["id"])
    ]
    assert (bad["status"], bad["transform"]) == ("failed", "python steps:bad")
    assert (bad["error"], bad["exit_code"]) == ("ValueError: count was 2", None)
