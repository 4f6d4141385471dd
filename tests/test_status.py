"""``doit assets status`` and ``doit assets why`` end to end: each state with its
reason, propagation down a chain, ``--check``, ``--json``, selections, ``max_age``
with a fixed clock, and observable sources; all through the real ``doit``.

The clock is fixed with ``DOIT_ASSETS_NOW`` (the subprocesses inherit the
environment), and the tests' edits set their files' times, so ages and times
are exact: the chain is built at BUILT, edited at EDITED and asked about at
LATER.
"""

from __future__ import annotations

import datetime
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import PYTHON, DoitRun, Prebuilt, Project, copy_of
from history_support import (
    LADDER_BUILT,
    LADDER_LAYERS,
    build_ladder_24,
    md5,
    normalise_times,
)

NOW = "DOIT_ASSETS_NOW"
BUILT = 1_700_000_000.0
BUILT_ISO = "2023-11-14T22:13:20.000Z"
EDITED = BUILT + 1800
EDITED_ISO = "2023-11-14T22:43:20.000Z"
LATER = BUILT + 5400  # 1h30m after the build, 1h after the edits
DAY = 86400.0

# raw (a source) -> a -> b (+ params.txt) -> c
RAW = "x\ny\n"
A_TEXT = "X\nY\n"  # what a (and b) make of RAW
HAND = "by hand\n"
CHAIN = """\
[assets.raw]
path = "data/raw.txt"
group = "ingest"

[assets.a]
path = "out/a.txt"
transform = "{python} tx.py upper {self.path} {raw.path}"
tags = ["ml"]

[assets.b]
path = "out/b.txt"
transform = "{python} tx.py cat {self.path} {a.path}"
inputs = ["params.txt"]
code_version = "1"
group = "marts"
tags = ["ml", "daily"]

[assets.c]
path = "out/c.txt"
transform = "{python} tx.py count {self.path} {b.path}"
group = "marts"
"""
C_TRANSFORM = f"{PYTHON} tx.py count out/c.txt out/b.txt"
HEADER = "ASSET  STATUS  AGE    REASON"
ALL_FRESH = [
    HEADER,
    "raw    source  -",
    "a      fresh   1h30m",
    "b      fresh   1h30m",
    "c      fresh   1h30m",
    "",
    "4 assets: 3 fresh, 1 source",
]


# -- helpers -------------------------------------------------------------------


def local(moment: float) -> str:
    """A moment as the text commands print it (local time)."""
    return datetime.datetime.fromtimestamp(moment).strftime("%Y-%m-%d %H:%M:%S")


def edit(project: Project, rel: str, text: str, at: float = EDITED) -> None:
    """Write ``rel`` as a user would, the file's time set to ``at``."""
    path = project.write(rel, text)
    os.utime(path, (at, at))


def edit_toml(project: Project, old: str, new: str) -> None:
    text = project.read("assets.toml")
    assert text.count(old) == 1, old
    project.write("assets.toml", text.replace(old, new))


def ok(result: DoitRun) -> DoitRun:
    assert result.code == 0, result
    assert result.err == "", result
    return result


def status(project: Project, *args: str) -> list[str]:
    """The lines of ``doit assets status ARGS``, which must succeed."""
    return ok(project.doit("assets", "status", *args)).out.splitlines()


def why(project: Project, asset: str) -> list[str]:
    return ok(project.doit("assets", "why", asset)).out.splitlines()


def why_json(project: Project, asset: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        ok(project.doit("assets", "why", asset, "--json")).out
    )
    return data


def error(result: DoitRun) -> str:
    """The one line of a command that failed as doit fails on a bad project."""
    assert result.code == 3, result
    assert result.out == "", result
    assert "Traceback" not in result.err, result
    return result.err.rstrip("\n")


def entry(asset: str, state: str, **fields: Any) -> dict[str, Any]:
    """One asset of ``status --json`` / ``why --json``: a fresh transform made at
    BUILT, seen at LATER, unless ``fields`` say otherwise."""
    data: dict[str, Any] = {
        "asset": asset,
        "kind": "transform",
        "state": state,
        "reason": "",
        "will_run": state != "fresh",
        "made_at": BUILT_ISO,
        "age_s": LATER - BUILT,
        "max_age_s": None,
        "observation": None,
        "causes": [],
    }
    data.update(fields)
    return data


SOURCE = entry("raw", "source", kind="source", will_run=False, made_at=None, age_s=None)


def snapshot(root: Path) -> dict[str, tuple[bytes, int] | None]:
    """Every file under ``root`` with its content and modification time, and
    every folder. (Not the folders' times: SQLite makes and removes its -wal
    and -shm files beside a database whenever it is opened, even to read.)"""
    return {
        str(p.relative_to(root)): (
            None if p.is_dir() else (p.read_bytes(), p.stat().st_mtime_ns)
        )
        for p in sorted(root.rglob("*"))
    }


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[float | str], None]:
    """``clock(moment)`` sets what doit and the commands take for now; LATER
    unless a test says otherwise."""

    def set_clock(moment: float | str) -> None:
        monkeypatch.setenv(NOW, str(moment))

    set_clock(LATER)
    return set_clock


def write_chain(project: Project) -> None:
    project.write("data/raw.txt", RAW)
    project.write("params.txt", "p=1\n")
    project.assets(CHAIN)


def build_chain(project: Project) -> None:
    """The chain, built at BUILT."""
    write_chain(project)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(NOW, str(BUILT))
        first = project.doit()
    assert first.code == 0 and first.ran == ["a", "b", "c"], first


built = copy_of(build_chain)


# -- each state, with its reason -----------------------------------------------


def test_before_any_run_every_transform_is_missing_never_materialized(
    project: Project,
) -> None:
    write_chain(project)
    assert status(project) == [
        "ASSET  STATUS   AGE  REASON",
        "raw    source   -",
        "a      missing  -    never materialized",
        "b      missing  -    never materialized",
        "c      missing  -    never materialized",
        "",
        "4 assets: 3 missing, 1 source",
    ]
    assert why(project, "c") == [
        "c is missing and would run, because:",
        "  never materialized",
    ]
    assert why_json(project, "a") == {
        "version": 1,
        **entry(
            "a",
            "missing",
            reason="never materialized",
            made_at=None,
            age_s=None,
            causes=[{"kind": "never_materialized", "text": "never materialized"}],
        ),
    }


def test_status_before_any_run_creates_no_state_folder(project: Project) -> None:
    write_chain(project)
    before = snapshot(project.root)
    status(project)
    why(project, "c")
    assert not project.exists(".doit-assets")
    assert snapshot(project.root) == before


def test_after_a_build_every_asset_is_fresh_with_its_age(built: Project) -> None:
    assert status(built) == ALL_FRESH
    check = ok(built.doit("assets", "status", "--check"))
    assert check.out.splitlines() == ALL_FRESH


def test_status_json_gives_each_asset_and_a_summary(built: Project) -> None:
    result = ok(built.doit("assets", "status", "--json"))
    assert json.loads(result.out) == {
        "version": 1,
        "assets": [
            SOURCE,
            entry("a", "fresh"),
            entry("b", "fresh"),
            entry("c", "fresh"),
        ],
        "summary": {"fresh": 3, "source": 1},
    }


def test_why_a_fresh_asset_says_when_it_was_made(built: Project) -> None:
    assert why(built, "c") == [
        f"c is fresh: made {local(BUILT)} (1h30m ago); "
        "nothing it depends on has changed since"
    ]


def test_why_a_source_says_it_is_read_as_it_is(built: Project) -> None:
    assert why(built, "raw") == [
        "raw is a source: made outside the pipeline, read as it is"
    ]
    assert why_json(built, "raw") == {"version": 1, **SOURCE}


@pytest.mark.parametrize(
    ("asset", "message"),
    [
        ("cc", "ERROR: unknown asset 'cc'. Did you mean 'c'?"),
        ("zzz", "ERROR: unknown asset 'zzz'. 'doit list' shows the assets"),
    ],
)
def test_why_an_unknown_asset_is_an_error_with_a_hint(
    project: Project, asset: str, message: str
) -> None:
    write_chain(project)
    assert error(project.doit("assets", "why", asset)) == message


def test_changed_source_makes_the_chain_stale_down_to_the_root_cause(
    built: Project,
) -> None:
    new_raw = "x\ny\nz\n"
    edit(built, "data/raw.txt", new_raw)
    because = "because 'a': input 'data/raw.txt' changed"
    assert status(built) == [
        HEADER,
        "raw    source  -",
        "a      stale   1h30m  input 'data/raw.txt' changed",
        "b      stale   1h30m  upstream 'a' will re-run: input 'data/raw.txt' changed",
        f"c      stale   1h30m  upstream 'b' will re-run, {because}",
        "",
        "4 assets: 3 stale, 1 source",
    ]
    assert why(built, "c") == [
        "c is stale and would run, because:",
        "  upstream 'b' will re-run (stale)",
        "    upstream 'a' will re-run (stale)",
        "      input 'data/raw.txt' changed",
        f"        {md5(RAW)[:12]} → {md5(new_raw)[:12]}, "
        f"changed {local(EDITED)} (1h ago)",
    ]
    root_cause = {
        "kind": "input_changed",
        "text": "input 'data/raw.txt' changed",
        "path": "data/raw.txt",
        "old": md5(RAW),
        "new": md5(new_raw),
        "changed_at": EDITED_ISO,
    }
    assert why_json(built, "c") == {
        "version": 1,
        **entry(
            "c",
            "stale",
            reason=f"upstream 'b' will re-run, {because}",
            causes=[
                {
                    "kind": "upstream",
                    "text": "upstream 'b' will re-run",
                    "asset": "b",
                    "state": "stale",
                    "causes": [
                        {
                            "kind": "upstream",
                            "text": "upstream 'a' will re-run",
                            "asset": "a",
                            "state": "stale",
                            "causes": [root_cause],
                        }
                    ],
                }
            ],
        ),
    }
    assert built.doit_ok().ran == ["a", "b", "c"]
    assert built.read("out/c.txt") == "3\n"
    assert ok(built.doit("assets", "status", "--check")).out.endswith(
        "4 assets: 3 fresh, 1 source\n"
    )


def test_deleted_output_is_missing_and_doit_makes_only_that_asset_again(
    built: Project,
) -> None:
    built.path("out/a.txt").unlink()
    # a makes the version it made before: what reads it stays fresh
    assert status(built) == [
        "ASSET  STATUS   AGE    REASON",
        "raw    source   -",
        "a      missing  1h30m  output 'out/a.txt' does not exist",
        "b      fresh    1h30m",
        "c      fresh    1h30m",
        "",
        "4 assets: 2 fresh, 1 missing, 1 source",
    ]
    assert why(built, "a") == [
        "a is missing and would run, because:",
        "  output 'out/a.txt' does not exist",
    ]
    result = built.doit_ok()
    assert result.ran == ["a"], result
    assert result.up_to_date == ["raw", "b", "c"], result
    assert built.read("out/a.txt") == "X\nY\n"


def test_deleted_output_whose_readers_read_another_version_makes_them_stale(
    built: Project,
) -> None:
    edit(built, "data/raw.txt", "new\n")
    assert built.doit_ok("a").ran == ["a"]
    restored = "NEW\n"  # what a makes of the new raw
    built.path("out/a.txt").unlink()
    # a restores the version b has not read yet
    assert status(built)[2:5] == [
        "a      missing  0s     output 'out/a.txt' does not exist",
        "b      stale    1h30m  input 'out/a.txt' changed",
        "c      stale    1h30m  upstream 'b' will re-run: input 'out/a.txt' changed",
    ]
    assert why(built, "b") == [
        "b is stale and would run, because:",
        "  input 'out/a.txt' changed",
        f"    {md5(A_TEXT)[:12]} → {md5(restored)[:12]}",
    ]
    assert built.doit_ok().ran == ["a", "b", "c"]


def test_output_edited_by_hand_is_stale_and_doit_makes_it_again(
    built: Project,
) -> None:
    edit(built, "out/b.txt", "by hand\n")
    assert status(built)[1:] == [
        "raw    source  -",
        "a      fresh   1h30m",
        "b      stale   1h30m  output 'out/b.txt' was changed since it was made",
        "c      fresh   1h30m",
        "",
        "4 assets: 2 fresh, 1 stale, 1 source",
    ]
    assert why(built, "b") == [
        "b is stale and would run, because:",
        "  output 'out/b.txt' was changed since it was made",
        f"    {md5(A_TEXT)[:12]} → {md5(HAND)[:12]}, changed {local(EDITED)} (1h ago)",
    ]
    assert built.doit_ok().ran == ["b"]
    assert built.read("out/b.txt") == "X\nY\n"


def test_changed_transform_shows_the_lines_that_changed(built: Project) -> None:
    edit_toml(built, "tx.py count", "tx.py head")
    new = C_TRANSFORM.replace("count", "head")
    diff = ["@@ -1 +1 @@", f"-{C_TRANSFORM}", f"+{new}"]
    assert why(built, "c") == [
        "c is stale and would run, because:",
        "  its transform changed",
        *(f"    {line}" for line in diff),
    ]
    assert why_json(built, "c") == {
        "version": 1,
        **entry(
            "c",
            "stale",
            reason="its transform changed",
            causes=[
                {
                    "kind": "transform_changed",
                    "text": "its transform changed",
                    "old": C_TRANSFORM,
                    "new": new,
                    "diff": diff,
                }
            ],
        ),
    }


def test_changed_code_version_names_both_versions(built: Project) -> None:
    edit_toml(built, 'code_version = "1"', 'code_version = "2"')
    changed = "its code version changed: 1 → 2"
    assert status(built)[2:5] == [
        "a      fresh   1h30m",
        f"b      stale   1h30m  {changed}",
        f"c      stale   1h30m  upstream 'b' will re-run: {changed}",
    ]
    assert why_json(built, "b")["causes"] == [
        {"kind": "code_version_changed", "text": changed, "old": "1", "new": "2"}
    ]


def test_failed_attempt_is_failed_with_its_error(built: Project) -> None:
    edit_toml(built, "tx.py count", "tx.py fail")
    run = built.doit()
    assert run.code == 1 and run.ran == ["c"], run
    error_text = (
        f"transform exited with code 1: {PYTHON} tx.py fail out/c.txt out/b.txt"
    )
    failed = f"its last attempt failed (#5, run 2): {error_text}"
    check = built.doit("assets", "status", "--check")
    assert check.code == 1, check
    assert check.out.splitlines() == [
        HEADER,
        "raw    source  -",
        "a      fresh   1h30m",
        "b      fresh   1h30m",
        f"c      failed  -      {failed}",
        "",
        "4 assets: 2 fresh, 1 failed, 1 source",
    ]
    assert check.err == "status --check: 1 of 4 selected assets would run\n"
    assert why(built, "c") == [
        "c failed last time and would run again, because:",
        f"  {failed}",
    ]
    assert why_json(built, "c")["causes"] == [
        {"kind": "last_failed", "text": failed, "new": error_text}
    ]


def test_new_and_dropped_inputs_are_named(built: Project) -> None:
    built.write("extra.txt", "e\n")
    edit_toml(built, 'inputs = ["params.txt"]', 'inputs = ["extra.txt"]')
    assert status(built)[3:5] == [
        "b      stale   1h30m  new input 'extra.txt' (and 1 more)",
        "c      stale   1h30m  upstream 'b' will re-run: new input 'extra.txt'",
    ]
    assert why(built, "b") == [
        "b is stale and would run, because:",
        "  new input 'extra.txt'",
        "  input 'params.txt' no longer used",
    ]
    # b makes the same bytes again: c is cut off
    assert built.doit_ok().ran == ["b"]
    edit_toml(built, 'inputs = ["extra.txt"]\n', "")
    assert why_json(built, "b")["causes"] == [
        {
            "kind": "input_removed",
            "text": "input 'extra.txt' no longer used",
            "path": "extra.txt",
        }
    ]
    assert built.doit_ok().ran == ["b"]
    assert status(built)[3] == "b      fresh   0s"


# -- nothing is written --------------------------------------------------------


def test_status_and_why_write_nothing(built: Project) -> None:
    assert built.doit_ok().ran == []  # the copy's own project cache
    edit(built, "data/raw.txt", "x\ny\nz\n")
    built.path("out/b.txt").unlink()
    edit(built, "out/c.txt", "by hand\n")
    before = snapshot(built.root)
    assert status(built)[2:5] == [
        "a      stale    1h30m  input 'data/raw.txt' changed",
        "b      missing  1h30m  output 'out/b.txt' does not exist (and 1 more)",
        "c      stale    1h30m  upstream 'b' will re-run: "
        "output 'out/b.txt' does not exist (and 1 more)",
    ]
    assert built.doit("assets", "status", "--check", "--json").code == 1
    why(built, "c")
    why_json(built, "c")
    why(built, "raw")
    assert snapshot(built.root) == before


def test_status_writes_nothing_after_assets_toml_changed(built: Project) -> None:
    assert built.doit_ok().ran == []  # the copy's own project cache
    edit_toml(built, 'code_version = "1"', 'code_version = "2"')
    before = snapshot(built.root)
    assert status(built)[3] == "b      stale   1h30m  its code version changed: 1 → 2"
    why(built, "b")
    assert snapshot(built.root) == before


# -- --check and selections ----------------------------------------------------


def test_check_looks_only_at_the_selected_assets(built: Project) -> None:
    edit(built, "out/c.txt", "by hand\n")
    passed = ok(built.doit("assets", "status", "--check", "a", "b"))
    assert passed.out.splitlines()[-1] == "2 assets: 2 fresh"
    failed = built.doit("assets", "status", "--check", "group:marts")
    assert failed.code == 1, failed
    assert failed.out.splitlines() == [
        HEADER,
        "b      fresh   1h30m",
        "c      stale   1h30m  output 'out/c.txt' was changed since it was made",
        "",
        "2 assets: 1 fresh, 1 stale",
    ]
    assert failed.err == "status --check: 1 of 2 selected assets would run\n"


@pytest.mark.parametrize(
    ("selection", "rows", "summary"),
    [
        (["tag:ml"], ["a", "b"], "2 assets: 2 fresh"),
        (["+b"], ["raw", "a", "b"], "3 assets: 2 fresh, 1 source"),
        (["group:ingest", "c"], ["raw", "c"], "2 assets: 1 fresh, 1 source"),
        (["group:marts and not tag:ml"], ["c"], "1 asset: 1 fresh"),
        (["group:default"], ["a"], "1 asset: 1 fresh"),
        (["a+1"], ["a", "b"], "2 assets: 2 fresh"),
    ],
    ids=["tag", "upstream", "union", "and-not", "default-group", "one-level-down"],
)
def test_selection_chooses_the_rows(
    built: Project, selection: list[str], rows: list[str], summary: str
) -> None:
    by_asset = {line.split()[0]: line for line in ALL_FRESH[1:5]}
    assert status(built, *selection) == [
        HEADER,
        *(by_asset[asset] for asset in rows),
        "",
        summary,
    ]


@pytest.mark.parametrize(
    ("selection", "message"),
    [
        (
            "nosuch",
            "unknown asset 'nosuch' in selection 'nosuch'. "
            "'doit assets status' lists the assets",
        ),
        ("bb+", "unknown asset 'bb' in selection 'bb+'. Did you mean 'b'?"),
        (
            "group:mart",
            "unknown group 'mart' in selection 'group:mart'. Did you mean 'marts'?",
        ),
        (
            "tag:gpu",
            "unknown tag 'gpu' in selection 'tag:gpu'. Tags in use: 'daily', 'ml'",
        ),
        ("a and", "selection 'a and': expected an asset after 'and'"),
    ],
)
def test_bad_selection_is_an_error_without_traceback(
    project: Project, selection: str, message: str
) -> None:
    write_chain(project)
    result = project.doit("assets", "status", selection)
    assert error(result) == f"ERROR: {message}"


# -- max_age -------------------------------------------------------------------

# daily writes the time it was made, so that each run changes it; weekly makes
# the same bytes each time.
MAX_AGE = """\
[assets.raw]
path = "data/raw.txt"

[assets.daily]
path = "out/daily.txt"
transform = "{python} tx.py prefix {self.path} made-at-$DOIT_ASSETS_NOW {raw.path}"
max_age = "26h"

[assets.digest]
path = "out/digest.txt"
transform = "{python} tx.py upper {self.path} {daily.path}"

[assets.weekly]
path = "out/weekly.txt"
transform = "{python} tx.py upper {self.path} {raw.path}"
max_age = "7d"

[assets.summary]
path = "out/summary.txt"
transform = "{python} tx.py count {self.path} {weekly.path}"
"""


def test_max_age_makes_an_asset_stale_once_it_is_older(
    project: Project, clock: Callable[[float | str], None]
) -> None:
    project.write("data/raw.txt", RAW)
    project.assets(MAX_AGE)
    clock(BUILT)
    assert project.doit_ok().ran == ["daily", "weekly", "digest", "summary"]

    clock(BUILT + DAY)  # within both limits
    check = ok(project.doit("assets", "status", "--check"))
    assert check.out.splitlines() == [
        "ASSET    STATUS  AGE        REASON",
        "raw      source  -",
        "daily    fresh   24h / 26h",
        "weekly   fresh   24h / 7d",
        "digest   fresh   24h",
        "summary  fresh   24h",
        "",
        "5 assets: 4 fresh, 1 source",
    ]

    clock(BUILT + 2 * DAY)  # past daily's 26 hours
    past = "made 2d ago, past its max_age 26h"
    assert status(project) == [
        "ASSET    STATUS  AGE       REASON",
        "raw      source  -",
        f"daily    stale   2d / 26h  {past}",
        "weekly   fresh   2d / 7d",
        f"digest   stale   2d        upstream 'daily' will re-run: {past}",
        "summary  fresh   2d",
        "",
        "5 assets: 2 fresh, 2 stale, 1 source",
    ]
    assert why_json(project, "daily") == {
        "version": 1,
        **entry(
            "daily",
            "stale",
            reason=past,
            age_s=2 * DAY,
            max_age_s=26 * 3600.0,
            causes=[{"kind": "max_age", "text": past}],
        ),
    }
    assert project.doit_ok().ran == ["daily", "digest"]
    assert project.read("out/daily.txt") == f"made-at-{BUILT + 2 * DAY}\n{RAW}"
    assert status(project)[2:6] == [
        "daily    fresh   0s / 26h",
        "weekly   fresh   2d / 7d",
        "digest   fresh   0s",
        "summary  fresh   2d",
    ]

    clock("2023-11-22T22:13:20Z")  # BUILT + 8 days, as an ISO time
    again = project.doit_ok()
    # weekly makes the same bytes again: summary is cut off
    assert again.ran == ["daily", "weekly", "digest"], again
    assert again.up_to_date == ["raw", "summary"], again
    assert project.read("out/daily.txt") == f"made-at-2023-11-22T22:13:20Z\n{RAW}"
    assert ok(project.doit("assets", "status", "--check")).out.splitlines()[2:6] == [
        "daily    fresh   0s / 26h",
        "weekly   fresh   0s / 7d",
        "digest   fresh   0s",
        "summary  fresh   8d",  # made at BUILT, cut off since
    ]


# -- observable sources --------------------------------------------------------

OBSERVED = """\
[assets.remote]
observe = "cat version.txt"

[assets.fetched]
path = "out/fetched.txt"
transform = "{python} tx.py prefix {self.path} fetched {remote.path}"

[assets.report]
path = "out/report.txt"
transform = "{python} tx.py upper {self.path} {fetched.path}"
"""
OBSERVATION = ".doit-assets/observed/remote.txt"


def observed_at(project: Project, moment: float) -> None:
    """Date the last observation ``moment``, as if it had been made then."""
    os.utime(project.path(OBSERVATION), (moment, moment))


def observation_row(mat_id: int, run_id: int, version: str) -> dict[str, Any]:
    """An observation as ``history --json`` gives it (times normalised)."""
    return {
        "id": mat_id,
        "run_id": run_id,
        "asset": "remote",
        "partition": None,
        "kind": "source",
        "status": "success",
        "started_at": "<iso>",
        "ended_at": "<iso>",
        "duration_s": "<s>",
        "transform": None,
        "code_version": None,
        "fingerprint": None,
        "metadata": {"observation": version},
        "error": None,
        "exit_code": None,
        "attempt": None,
        "reported_metadata": {},
        "log": None,
        "stderr_tail": None,
        "trigger": None,
        "environment": {},
        "outputs": [
            {"path": OBSERVATION, "md5": md5(version + "\n"), "size": len(version) + 1}
        ],
        "inputs": [],
    }


def test_observed_source_makes_its_readers_stale_when_its_version_changes(
    project: Project, clock: Callable[[float | str], None]
) -> None:
    project.write("version.txt", "v1\n")
    project.assets(OBSERVED)
    clock(BUILT)
    first = project.doit_ok()
    assert first.ran == ["remote", "fetched", "report"], first
    assert "~  remote (source: new version)" in first.out.splitlines()
    # {remote.path} is the file that keeps the observation
    assert project.read(OBSERVATION) == "v1\n"
    assert project.read("out/fetched.txt") == "fetched\nv1\n"
    observed_at(project, BUILT)

    clock(LATER)
    v1_fresh = [
        "ASSET    STATUS  AGE    REASON",
        "remote   source  1h30m  observed: v1",
        "fetched  fresh   1h30m",
        "report   fresh   1h30m",
        "",
        "3 assets: 2 fresh, 1 source",
    ]
    assert status(project) == v1_fresh
    assert why(project, "remote") == [
        f"remote is an observable source: last observed v1 (new since "
        f"{local(BUILT)} (1h30m ago)); every run observes it again"
    ]

    project.write("version.txt", "v2\n")
    assert status(project) == v1_fresh  # status does not observe

    observe = ok(project.doit("assets", "observe"))
    assert observe.ran == ["remote"], observe
    assert "~  remote (source: new version)" in observe.out.splitlines()
    history = json.loads(ok(project.doit("assets", "history", "remote", "--json")).out)
    assert normalise_times(history["materializations"]) == [
        observation_row(4, 2, "v2"),
        observation_row(1, 1, "v1"),
    ]

    observed_at(project, EDITED)
    new_version = "source 'remote' has a new version: v1 → v2"
    assert status(project) == [
        "ASSET    STATUS  AGE    REASON",
        "remote   source  1h     observed: v2",
        f"fetched  stale   1h30m  {new_version}",
        f"report   stale   1h30m  upstream 'fetched' will re-run: {new_version}",
        "",
        "3 assets: 2 stale, 1 source",
    ]
    assert why(project, "report") == [
        "report is stale and would run, because:",
        "  upstream 'fetched' will re-run (stale)",
        f"    {new_version}",
    ]
    assert why_json(project, "fetched")["causes"] == [
        {
            "kind": "observation_changed",
            "text": new_version,
            "path": OBSERVATION,
            "old": "v1",
            "new": "v2",
            "changed_at": EDITED_ISO,
        }
    ]

    second = project.doit_ok()
    assert second.ran == ["remote", "fetched", "report"], second
    assert "~  remote (source: new version)" not in second.out  # observed before
    assert project.read("out/report.txt") == "FETCHED\nV2\n"
    # the same version again: every run observes, nothing else runs
    third = project.doit_ok()
    assert third.ran == ["remote"], third
    assert third.up_to_date == ["fetched", "report"], third


def test_observe_with_no_observable_source_says_so(project: Project) -> None:
    write_chain(project)
    result = ok(project.doit("assets", "observe"))
    assert result.out == "No observable source selected: nothing to observe.\n"


def test_observation_that_fails_fails_the_run_with_its_command(
    project: Project,
) -> None:
    project.assets(OBSERVED.replace("cat version.txt", "cat missing.txt"))
    result = project.doit()
    assert result.code == 1, result
    assert result.ran == ["remote"], result
    assert (
        "TransformFailed - taskid:remote\n"
        "observation of 'remote' failed: the command exited with code 1: "
        "cat missing.txt\n"
    ) in result.out
    assert "Traceback" not in result.out + result.err


def test_observation_that_prints_nothing_fails_the_run_with_a_hint(
    project: Project,
) -> None:
    project.assets(OBSERVED.replace("cat version.txt", "true"))
    result = project.doit()
    assert result.code == 1, result
    assert result.ran == ["remote"], result
    assert (
        "TransformFailed - taskid:remote\n"
        "observation of 'remote' printed nothing. An observation prints the "
        "source's version: an ETag, a date, a row count\n"
    ) in result.out
    assert "Traceback" not in result.out + result.err
    assert not project.exists("out/fetched.txt")


PYTHON_OBSERVED = """\
from pathlib import Path

from doit_assets import observable_source
from doit_assets.dodo import *


@observable_source
def remote() -> str:
    return Path("version.txt").read_text()
"""


def write_python_observed(project: Project) -> None:
    project.write("version.txt", "v1\n")
    project.assets(
        """\
        [assets.fetched]
        path = "out/fetched.txt"
        transform = "{python} tx.py prefix {self.path} fetched {remote.path}"
        """
    )
    project.write("dodo.py", PYTHON_OBSERVED)


def test_python_observable_source_is_observed_like_a_command(
    project: Project,
) -> None:
    write_python_observed(project)
    assert project.doit_ok().ran == ["remote", "fetched"]
    assert project.read("out/fetched.txt") == "fetched\nv1\n"
    project.write("version.txt", "v2\n")
    assert ok(project.doit("assets", "observe")).ran == ["remote"]
    assert why(project, "fetched") == [
        "fetched is stale and would run, because:",
        "  source 'remote' has a new version: v1 → v2",
    ]
    assert project.doit_ok().ran == ["remote", "fetched"]
    assert project.read("out/fetched.txt") == "fetched\nv2\n"


def test_python_observation_that_raises_fails_the_run_with_its_error(
    project: Project,
) -> None:
    write_python_observed(project)
    project.path("version.txt").unlink()
    result = project.doit()
    assert result.code == 1, result
    assert result.ran == ["remote"], result
    assert (
        "TransformFailed - taskid:remote\n"
        "observation of 'remote' raised FileNotFoundError: [Errno 2] "
        "No such file or directory: 'version.txt'\n"
    ) in result.out
    assert "TypeError" not in result.out + result.err


IGNORED_A = "'doit ignore a' set it aside; 'doit forget a' ends that"
BEHIND_A = "upstream 'a' is set aside by 'doit ignore a'; 'doit forget a' ends that"


def test_an_ignored_asset_and_what_reads_it_are_ignored_everywhere(
    built: Project,
) -> None:
    edit(built, "data/raw.txt", RAW + "more\n")  # a would run
    ok(built.doit("ignore", "a"))
    built.path("out/c.txt").unlink()  # c would run, but it reads b, which reads a
    table = [
        "ASSET  STATUS   AGE    REASON",
        "raw    source   -",
        f"a      ignored  1h30m  {IGNORED_A} (and 1 more)",
        f"b      ignored  1h30m  {BEHIND_A}",
        f"c      ignored  1h30m  {BEHIND_A} (and 1 more)",
        "",
        "4 assets: 1 source, 3 ignored",
    ]
    assert status(built) == table
    assert why(built, "c") == [
        "c is ignored: doit skips it, because:",
        f"  {BEHIND_A}",
        "otherwise it would run, because:",
        "  output 'out/c.txt' does not exist",
    ]
    assert why(built, "a")[:4] == [
        "a is ignored: doit skips it, because:",
        f"  {IGNORED_A}",
        "otherwise it would run, because:",
        "  input 'data/raw.txt' changed",
    ]
    data = json.loads(ok(built.doit("assets", "status", "--json")).out)
    assert [(a["asset"], a["state"], a["will_run"]) for a in data["assets"]] == [
        ("raw", "source", False),
        ("a", "ignored", False),
        ("b", "ignored", False),
        ("c", "ignored", False),
    ]
    assert data["summary"] == {"source": 1, "ignored": 3}
    assert data["assets"][3]["causes"][0] == {"kind": "ignored", "text": BEHIND_A}
    graph = json.loads(ok(built.doit("assets", "graph", "--format", "json")).out)
    assert [n["state"] for n in graph["nodes"]] == ["source"] + ["ignored"] * 3
    # not counted as running, but named
    check = built.doit("assets", "status", "--check")
    assert (check.code, check.out.splitlines()) == (0, table), check
    assert check.err == (
        "status --check: 0 of 4 selected assets would run; 3 ignored are not counted\n"
    )
    run = built.doit_ok()
    assert run.ran == [] and "!! a\n!! b\n!! c\n" in run.out, run


def test_check_counts_what_would_run_and_names_what_is_ignored(
    built: Project,
) -> None:
    edit(built, "params.txt", "p=2\n")  # b and c would run
    ok(built.doit("ignore", "c"))
    check = built.doit("assets", "status", "--check")
    assert check.code == 1, check
    assert check.err == (
        "status --check: 1 of 4 selected assets would run; 1 ignored is not counted\n"
    )
    assert built.doit_ok().ran == ["b"]


def test_an_ignored_asset_that_is_up_to_date_is_ignored_too(built: Project) -> None:
    # doit prints '!!' for it whether or not it would run
    ok(built.doit("ignore", "c"))
    assert status(built)[4] == (
        "c      ignored  1h30m  'doit ignore c' set it aside; 'doit forget c' ends that"
    )
    assert why(built, "c") == [
        "c is ignored: doit skips it, because:",
        "  'doit ignore c' set it aside; 'doit forget c' ends that",
    ]
    assert "!! c\n" in built.doit_ok().out
    ok(built.doit("forget", "c"))  # ends the ignoring (and forgets its state)
    assert status(built)[4].startswith("c      stale   -      its saved state was")


def test_an_ignored_source_is_ignored_with_what_reads_it(built: Project) -> None:
    ok(built.doit("ignore", "raw"))
    assert status(built)[1:5] == [
        "raw    ignored  -      'doit ignore raw' set it aside; "
        "'doit forget raw' ends that",
        "a      ignored  1h30m  upstream 'raw' is set aside by 'doit ignore raw'; "
        "'doit forget raw' ends that",
        "b      ignored  1h30m  upstream 'raw' is set aside by 'doit ignore raw'; "
        "'doit forget raw' ends that",
        "c      ignored  1h30m  upstream 'raw' is set aside by 'doit ignore raw'; "
        "'doit forget raw' ends that",
    ]
    run = built.doit_ok()
    assert run.out.splitlines()[:4] == ["!! raw", "!! a", "!! b", "!! c"], run
    assert run.out.splitlines()[4].startswith("doit-assets: 0 made, 4 ignored in ")


def test_show_gives_an_observable_source_its_command_and_last_answer(
    project: Project,
) -> None:
    project.write("version.txt", "v1\n")
    project.assets(OBSERVED)
    ok(project.doit())
    lines = ok(project.doit("assets", "show", "remote")).out.splitlines()
    assert lines[4:6] == ["observe      cat version.txt", "observed     v1"]


# -- a graph with many paths: each upstream explained once -----------------------

A0_EDITED = "a0\nedited\n"
assert LADDER_BUILT == BUILT


@pytest.fixture
def ladder(project: Project, prebuilt: Prebuilt) -> Project:
    """The ladder built at BUILT, its source a0 edited at EDITED: every asset
    is stale."""
    project.copy_from(prebuilt(build_ladder_24))
    edit(project, "data/a0.txt", A0_EDITED)
    return project


A0 = "a0\n"  # as built
A0_CHANGED = {
    "kind": "input_changed",
    "text": "input 'data/a0.txt' changed",
    "path": "data/a0.txt",
    "old": md5(A0),
    "new": md5(A0_EDITED),
    "changed_at": EDITED_ISO,
}
REASON_A2 = "upstream 'a1' will re-run: input 'data/a0.txt' changed (and 1 more)"
REASON_B3 = (
    "upstream 'a2' will re-run, because 'a1': input 'data/a0.txt' changed (and 1 more)"
)


def upstream(asset: str, *causes: dict[str, Any], ref: bool = False) -> dict[str, Any]:
    """An upstream cause as the JSON gives it; ``ref``: explained elsewhere."""
    data: dict[str, Any] = {
        "kind": "upstream",
        "text": f"upstream '{asset}' will re-run",
        "asset": asset,
        "state": "stale",
        "causes": list(causes),
    }
    return {**data, "ref": True} if ref else data


def explanations(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each asset's causes, from every place the answer gives them: the recipe
    of docs/status.md; an asset explained twice is an error."""
    found: dict[str, list[dict[str, Any]]] = {}

    def add(asset: str, causes: list[dict[str, Any]]) -> None:
        assert asset not in found, f"'{asset}' is explained twice"
        found[asset] = causes
        for cause in causes:
            if "asset" in cause and not cause.get("ref"):
                add(cause["asset"], cause["causes"])

    for entry_ in data.get("assets", [data]) + data.get("continued", []):
        add(entry_["asset"], entry_["causes"])
    return found


def refs(causes: list[dict[str, Any]]) -> list[str]:
    """The assets referred to (``ref``) anywhere under ``causes``."""
    found = []
    for cause in causes:
        if cause.get("ref"):
            found.append(cause["asset"])
        found += refs(cause.get("causes", []))
    return found


def test_why_explains_each_upstream_once_and_refers_back_to_it(
    ladder: Project,
) -> None:
    change = f"{md5(A0)[:12]} → {md5(A0_EDITED)[:12]}, changed {local(EDITED)} (1h ago)"
    assert why(ladder, "b3") == [
        "b3 is stale and would run, because:",
        "  upstream 'a2' will re-run (stale)",
        "    upstream 'a1' will re-run (stale)",
        "      input 'data/a0.txt' changed",
        f"        {change}",
        "    upstream 'b1' will re-run (stale)",
        "      input 'data/a0.txt' changed",
        f"        {change}",
        "  upstream 'b2' will re-run (stale)",
        "    upstream 'a1' will re-run (stale, shown above)",
        "    upstream 'b1' will re-run (stale, shown above)",
    ]
    assert why_json(ladder, "b3") == {
        "version": 1,
        **entry(
            "b3",
            "stale",
            reason=REASON_B3,
            causes=[
                upstream("a2", upstream("a1", A0_CHANGED), upstream("b1", A0_CHANGED)),
                upstream("b2", upstream("a1", ref=True), upstream("b1", ref=True)),
            ],
        ),
    }


def test_why_of_a_deep_ladder_is_linear_and_goes_on_below_past_twenty_levels(
    ladder: Project,
) -> None:
    lines = why(ladder, "b23")
    # A line for each of the 86 edges above b23 (its own 2, 4 for each layer
    # from 22 to 2), a changed input and its md5s for a1 and b1, the headline;
    # and a3 and b3, met 20 levels down, each a blank line and a headline more.
    assert len(lines) == 1 + 86 + 2 * 2 + 2 * 2
    explained = [
        m[1]
        for line in lines
        if (m := re.fullmatch(r" *upstream '(\w+)' will re-run \(stale\)", line))
        or (m := re.fullmatch(r"(\w+) is stale and would run, because:", line))
    ]
    transforms = ["b23"] + [
        f"{s}{k}" for k in range(1, LADDER_LAYERS - 1) for s in "ab"
    ]
    assert sorted(explained) == sorted(transforms)  # each exactly once
    assert max(len(line) - len(line.lstrip()) for line in lines) == 2 * 20
    assert lines[20] == " " * 40 + "upstream 'a3' will re-run (stale, shown below)"
    assert [lines[i + 1] for i, line in enumerate(lines) if line == ""] == [
        "a3 is stale and would run, because:",
        "b3 is stale and would run, because:",
    ]
    a3 = lines.index("a3 is stale and would run, because:")
    assert lines[a3 + 1 : a3 + 11] == why(ladder, "b3")[1:]  # a3 reads what b3 reads
    assert lines[-3:] == [
        "b3 is stale and would run, because:",
        "  upstream 'a2' will re-run (stale, shown above)",
        "  upstream 'b2' will re-run (stale, shown above)",
    ]
    data = why_json(ladder, "b23")
    assert [e["asset"] for e in data["continued"]] == ["a3", "b3"]
    assert data["continued"][0] == entry(
        "a3", "stale", reason=REASON_B3, causes=why_json(ladder, "b3")["causes"]
    )
    explained_json = explanations(data)
    assert sorted(explained_json) == sorted(transforms)
    assert set(refs(data["causes"])) <= set(explained_json)


def test_status_json_explains_each_asset_in_its_row_and_refers_to_it(
    ladder: Project,
) -> None:
    def source(name: str) -> dict[str, Any]:
        return {**SOURCE, "asset": name}

    def made_from_a0(name: str) -> dict[str, Any]:
        return entry(
            name, "stale", reason="input 'data/a0.txt' changed", causes=[A0_CHANGED]
        )

    def reads_the_layer_above(name: str, reason: str, layer: int) -> dict[str, Any]:
        above = [upstream(f"{s}{layer - 1}", ref=True) for s in "ab"]
        return entry(name, "stale", reason=reason, causes=above)

    data = json.loads(ok(ladder.doit("assets", "status", "+b3", "--json")).out)
    assert data == {
        "version": 1,
        "assets": [
            source("a0"),
            source("b0"),
            made_from_a0("a1"),
            made_from_a0("b1"),
            reads_the_layer_above("a2", REASON_A2, 2),
            reads_the_layer_above("b2", REASON_A2, 2),
            reads_the_layer_above("b3", REASON_B3, 3),
        ],
        "summary": {"stale": 5, "source": 2},
    }
    text = ok(ladder.doit("assets", "status", "--json")).out
    data = json.loads(text)
    assert len(data["assets"]) == 2 * LADDER_LAYERS and "continued" not in data
    # Every asset's upstreams are rows above it: every row is as long as the
    # first of its kind, whatever its depth: 12 lines for a source, 21 for a1
    # and b1, 29 for each of the 44 others; and 9 lines around them.
    assert len(text.splitlines()) == 9 + 2 * 12 + 2 * 21 + 44 * 29
    assert data["assets"][-1] == reads_the_layer_above(
        "b23", REASON_B3.replace("'a2'", "'a22'"), 23
    )
