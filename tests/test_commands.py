"""``doit assets history|lineage|show|runs|init``, in text and JSON, after real runs;
and the progress line that ``doit`` prints while it runs."""

from __future__ import annotations

import datetime
import json
import os
import re
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import PYTHON, Project, copy_of, run_doit, run_doit_assets, shared
from history_support import (
    HISTORY,
    INPUT,
    LADDER_LAYERS,
    PIPELINE,
    TRANSFORMS,
    assert_lines,
    assets_cmd,
    build_ladder_24,
    build_pipeline,
    build_three_levels,
    contents,
    doit_json,
    history_exists,
    line_pattern,
    md5,
    normalise_times,
    pipeline,
)

from doit_assets.doit_plugin.recorder import machine_summary
from doit_assets.run.progress import simulate
from doit_assets.store.history import History
from doit_assets.store.schema import SCHEMA_VERSION

# doit prints nothing for a task without actions; the reporter says what happened
SOURCE_LINE = "~  raw_data (source: new version)\n"
NO_HISTORY = (
    "No history yet: .doit-assets/history.sqlite does not exist. "
    "Run 'doit' to materialize assets."
)
PARAMS_3 = "threshold=2\n"
SUMMARY = "4\n"
TITLE = "header\n"
BROKEN = """
[assets.broken]
path = "out/broken.txt"
transform = "test -s {report.path} && exit 4"
"""
BROKEN_ERROR = "transform exited with code 4: test -s out/report.txt && exit 4"
FIRST = contents()  # the files as run 1 made them
THIRD = contents(params=PARAMS_3)  # ... and as run 3 remade them


def tell_story(project: Project) -> None:
    """PIPELINE through four runs; the materialization ids are:

    run 1 `doit`:        1 raw_data (observed), 2 processed_data, 3 summary, 4 report
    run 2 `doit report`: all up to date
    run 3 `doit`:        params.txt edited: 5 processed_data, 6 summary, 7 report
    run 4 `doit`:        'broken' added: 8 broken (failed)
    """
    pipeline(project)
    assert project.doit().code == 0
    assert project.doit("report").ran == []
    project.write("params.txt", PARAMS_3)
    assert project.doit().ran == ["processed_data", "summary", "report"]
    project.write("assets.toml", project.read("assets.toml") + BROKEN)
    fourth = project.doit()
    assert fourth.code == 1 and fourth.ran == ["broken"], fourth


story = shared(tell_story)  # read only: the query commands write nothing
built = copy_of(build_pipeline)
rebuilt = shared(build_three_levels)


def short(text: str) -> str:
    return md5(text)[:12]


def norm(data: Any) -> Any:
    """Times as in normalise_times, and each fingerprint (checked) as '<fp>'."""
    return normalise_times(_fingerprints(data))


def _fingerprints(data: Any) -> Any:
    if isinstance(data, dict):
        result = {}
        for key, value in data.items():
            if key == "fingerprint" and value is not None:
                assert re.fullmatch("[0-9a-f]{32}", value), value
                result[key] = "<fp>"
            else:
                result[key] = _fingerprints(value)
        return result
    if isinstance(data, list):
        return [_fingerprints(item) for item in data]
    return data


def output(path: str, text: str) -> dict[str, Any]:
    return {"path": path, "md5": md5(text), "size": len(text)}


def read(
    path: str, asset: str | None, text: str, upstream: int | None
) -> dict[str, Any]:
    kind = None
    if upstream is not None:
        kind = "source" if asset == "raw_data" else "transform"
    return {
        "path": path,
        "asset": asset,
        "md5": md5(text),
        "upstream_id": upstream,
        "upstream_kind": kind,
    }


def mat(
    mat_id: int, run_id: int, asset: str, *, status: str = "success", **fields: Any
) -> dict[str, Any]:
    """A materialization as the JSON formats give it (times normalised)."""
    transform = TRANSFORMS.get(asset)
    entry = {
        "id": mat_id,
        "run_id": run_id,
        "asset": asset,
        "partition": None,
        "kind": "source" if asset == "raw_data" else "transform",
        "status": status,
        "started_at": "<iso>",
        "ended_at": "<iso>",
        "duration_s": "<s>",
        "transform": transform,
        "code_version": "1" if asset == "processed_data" else None,
        "fingerprint": "<fp>" if transform else None,
        "metadata": {"owner": "data-team", "rows": 3}
        if asset == "processed_data"
        else {},
        "error": None,
        "exit_code": None,
        "attempt": None if asset == "raw_data" else 1,
        "reported_metadata": {},
        "log": None
        if asset == "raw_data"
        else f".doit-assets/logs/{run_id}/{asset}.1.log",
        "stderr_tail": None,
        "trigger": None,
        # what it ran in: a source runs nothing
        "environment": {} if asset == "raw_data" else machine_summary(),
        "outputs": [],
        "inputs": [],
    }
    entry.update(fields)
    return entry


def made(mat_id: int, run_id: int, asset: str, files: dict[str, str]) -> dict[str, Any]:
    """A successful materialization of PIPELINE made from ``files``."""
    upstream = {1: (1, 2, 3), 3: (1, 5, 6)}[run_id]
    raw_id, processed_id, summary_id = upstream
    if asset == "raw_data":
        return mat(mat_id, run_id, asset, outputs=[output("data/input.csv", INPUT)])
    ins = {
        "processed_data": [
            read("data/input.csv", "raw_data", INPUT, raw_id),
            read("params.txt", None, files["params.txt"], None),
        ],
        "summary": [
            read(
                "out/processed.csv",
                "processed_data",
                files["out/processed.csv"],
                processed_id,
            )
        ],
        "report": [
            read(
                "out/processed.csv",
                "processed_data",
                files["out/processed.csv"],
                processed_id,
            ),
            read("out/summary.txt", "summary", files["out/summary.txt"], summary_id),
        ],
    }[asset]
    path = {
        "processed_data": "out/processed.csv",
        "summary": "out/summary.txt",
        "report": "out/report.txt",
    }[asset]
    return mat(mat_id, run_id, asset, outputs=[output(path, files[path])], inputs=ins)


# A failure keeps the versions it read, so "which inputs made it fail?" has
# an answer too; it wrote nothing.
BROKEN_MAT = mat(
    8,
    4,
    "broken",
    status="failed",
    transform="test -s out/report.txt && exit 4",
    fingerprint="<fp>",
    error=BROKEN_ERROR,
    exit_code=4,
    inputs=[read("out/report.txt", "report", THIRD["out/report.txt"], 7)],
)


# -- history -----------------------------------------------------------------------


def test_history_lists_materializations_newest_first(story: Project) -> None:
    result = assets_cmd(story, "history")
    assert (result.code, result.err) == (0, ""), result
    assert_lines(
        result.out,
        [
            "ID  RUN  ASSET           STATUS    FINISHED              TOOK  OUTPUT",
            f" 8    4  broken          failed    <time>  <took>  {BROKEN_ERROR}",
            "         log: .doit-assets/logs/4/broken.1.log",
            " 7    3  report          success   <time>  <took>  "
            f"out/report.txt {short(THIRD['out/report.txt'])} 34 B",
            " 6    3  summary         success   <time>  <took>  "
            f"out/summary.txt {short(THIRD['out/summary.txt'])} 2 B",
            " 5    3  processed_data  success   <time>  <took>  "
            f"out/processed.csv {short(THIRD['out/processed.csv'])} 32 B",
            " 4    1  report          success   <time>  <took>  "
            f"out/report.txt {short(FIRST['out/report.txt'])} 34 B",
            " 3    1  summary         success   <time>  <took>  "
            f"out/summary.txt {short(FIRST['out/summary.txt'])} 2 B",
            " 2    1  processed_data  success   <time>  <took>  "
            f"out/processed.csv {short(FIRST['out/processed.csv'])} 32 B",
            " 1    1  raw_data        observed  <time>  <took>  "
            f"data/input.csv {short(INPUT)} 20 B",
        ],
    )


def test_history_limit_asset_and_failed(story: Project) -> None:
    assert_lines(
        assets_cmd(story, "history", "--limit", "2").out,
        [
            "ID  RUN  ASSET   STATUS   FINISHED              TOOK  OUTPUT",
            f" 8    4  broken  failed   <time>  <took>  {BROKEN_ERROR}",
            "         log: .doit-assets/logs/4/broken.1.log",
            f" 7    3  report  success  <time>  <took>  out/report.txt "
            f"{short(THIRD['out/report.txt'])} 34 B",
        ],
    )
    assert_lines(
        assets_cmd(story, "history", "summary").out,
        [
            "ID  RUN  ASSET    STATUS   FINISHED              TOOK  OUTPUT",
            f" 6    3  summary  success  <time>  <took>  out/summary.txt {short(SUMMARY)} 2 B",
            f" 3    1  summary  success  <time>  <took>  out/summary.txt {short(SUMMARY)} 2 B",
        ],
    )
    assert_lines(
        assets_cmd(story, "history", "--failed").out,
        [
            "ID  RUN  ASSET   STATUS  FINISHED              TOOK  OUTPUT",
            f" 8    4  broken  failed  <time>  <took>  {BROKEN_ERROR}",
            "         log: .doit-assets/logs/4/broken.1.log",
        ],
    )


def test_history_says_when_nothing_matches(story: Project) -> None:
    result = assets_cmd(story, "history", "summary", "--failed")
    assert (result.code, result.err) == (0, ""), result
    assert result.out == (
        "No materializations of 'summary' that failed recorded in "
        ".doit-assets/history.sqlite.\n"
    )


def test_history_json_holds_every_field_of_every_materialization(
    story: Project,
) -> None:
    data = doit_json(story, "history")
    assert list(data) == ["version", "materializations"]
    assert all(list(m) == list(BROKEN_MAT) for m in data["materializations"])
    assert norm(data["materializations"]) == [
        BROKEN_MAT,
        made(7, 3, "report", THIRD),
        made(6, 3, "summary", THIRD),
        made(5, 3, "processed_data", THIRD),
        made(4, 1, "report", FIRST),
        made(3, 1, "summary", FIRST),
        made(2, 1, "processed_data", FIRST),
        made(1, 1, "raw_data", FIRST),
    ]


def test_history_json_filters(story: Project) -> None:
    assert norm(doit_json(story, "history", "--failed")["materializations"]) == [
        BROKEN_MAT
    ]
    ids = [
        m["id"]
        for m in doit_json(story, "history", "processed_data")["materializations"]
    ]
    assert ids == [5, 2]
    ids = [
        m["id"] for m in doit_json(story, "history", "--limit", "3")["materializations"]
    ]
    assert ids == [8, 7, 6]
    assert doit_json(story, "history", "report", "--failed") == {
        "version": 1,
        "materializations": [],
    }


def test_history_json_times_are_utc_and_durations_match(story: Project) -> None:
    for entry in doit_json(story, "history")["materializations"]:
        started = datetime.datetime.fromisoformat(
            entry["started_at"].replace("Z", "+00:00")
        )
        ended = datetime.datetime.fromisoformat(
            entry["ended_at"].replace("Z", "+00:00")
        )
        assert started.utcoffset() == datetime.timedelta(0)
        assert (ended - started).total_seconds() == pytest.approx(
            entry["duration_s"], abs=0.002
        )


# -- runs --------------------------------------------------------------------------


def test_runs_lists_runs_newest_first(story: Project) -> None:
    result = assets_cmd(story, "runs")
    assert (result.code, result.err) == (0, ""), result
    assert_lines(
        result.out,
        [
            "RUN  STARTED               TOOK  OUTCOME  MADE  UP-TO-DATE  FAILED  TRIGGER  COMMAND",
            "  4  <time>  <took>  failed      0           4       1  manual   doit",
            "  3  <time>  <took>  success     3           1       0  manual   doit",
            "  2  <time>  <took>  success     0           4       0  manual   doit report",
            "  1  <time>  <took>  success     3           0       0  manual   doit",
        ],
    )
    assert_lines(
        assets_cmd(story, "runs", "--limit", "1").out,
        [
            "RUN  STARTED               TOOK  OUTCOME  MADE  UP-TO-DATE  FAILED  TRIGGER  COMMAND",
            "  4  <time>  <took>  failed      0           4       1  manual   doit",
        ],
    )


def test_runs_json(story: Project) -> None:
    data = doit_json(story, "runs", "--limit", "3")
    assert list(data) == ["version", "runs"]

    def run(
        run_id: int, command: str, outcome: str, counts: tuple[int, int, int]
    ) -> dict[str, Any]:
        made, up_to_date, failed = counts
        return {
            "id": run_id,
            "started_at": "<iso>",
            "ended_at": "<iso>",
            "duration_s": "<s>",
            "command": command,
            "outcome": outcome,
            "materialized": made,
            "up_to_date": up_to_date,
            "failed": failed,
            "backfill_id": None,
            "trigger": "manual",
        }

    assert norm(data["runs"]) == [
        run(4, "doit", "failed", (0, 4, 1)),
        run(3, "doit", "success", (3, 1, 0)),
        run(2, "doit report", "success", (0, 4, 0)),
    ]
    assert all(list(r) == list(run(1, "", "", (0, 0, 0))) for r in data["runs"])


ODD_METADATA = """
[assets.raw]
path = "in.txt"

[assets.out]
path = "out.txt"
transform = "{python} tx.py cat {self.path} {raw.path}"
metadata = { ratio = nan, big = inf, small = -inf, name = "café → ☕", nested = { list = [1, 2.5, true, "a\\"b"] } }
"""


def test_json_answers_are_what_json_dumps_with_indent_2_writes(
    project: Project,
) -> None:
    # doit-assets writes JSON itself (twice as fast as the standard library
    # with an indent): the text must be the standard library's, byte for byte.
    project.write("in.txt", "x\n")
    project.assets(ODD_METADATA)
    project.doit_ok()
    for args in (
        ["history"],
        ["show", "out"],
        ["lineage", "out"],
        ["status"],
        ["why", "out"],
        ["runs"],
    ):
        result = project.doit("assets", *args, "--json")
        assert (result.code, result.err) == (0, ""), result
        assert result.out == json.dumps(json.loads(result.out), indent=2) + "\n"
    history = project.doit("assets", "history", "out", "--json").out
    assert '"ratio": NaN,' in history and '"small": -Infinity' in history
    assert '"name": "caf\\u00e9 \\u2192 \\u2615",' in history


# -- lineage -----------------------------------------------------------------------


def test_lineage_text_shows_the_graph_and_the_chain_both_ways(story: Project) -> None:
    result = assets_cmd(story, "lineage", "summary")
    assert (result.code, result.err) == (0, ""), result
    processed, summary = THIRD["out/processed.csv"], THIRD["out/summary.txt"]
    report = THIRD["out/report.txt"]
    assert_lines(
        result.out,
        [
            "summary",
            f"  out/summary.txt  2 B  md5 {md5(summary)}",
            "",
            "declared upstream:",
            "  processed_data",
            "    raw_data",
            "",
            "declared downstream:",
            "  report",
            "    broken",
            "",
            "current version made by #6 (run 3): made <time> in <took>:",
            f"  $ {TRANSFORMS['summary']}",
            f"  read out/processed.csv  {short(processed)}  from processed_data #5",
            f"  wrote out/summary.txt  {short(summary)}  2 B",
            "",
            "made from:",
            "  processed_data #5 (run 3): made <time> in <took>",
            f"    $ {TRANSFORMS['processed_data']}",
            f"    read data/input.csv  {short(INPUT)}  from source raw_data, observed #1",
            f"    read params.txt  {short(PARAMS_3)}  file",
            f"    wrote out/processed.csv  {short(processed)}  32 B",
            "    raw_data #1 (source, observed <time>)",
            "",
            "read by:",
            "  report #7 (run 3): made <time> in <took>",
            f"    $ {TRANSFORMS['report']}",
            f"    read out/processed.csv  {short(processed)}  from processed_data #5",
            f"    read out/summary.txt  {short(summary)}  from summary #6",
            f"    wrote out/report.txt  {short(report)}  34 B",
        ],
    )


def test_lineage_upstream_only_and_depth(story: Project) -> None:
    result = assets_cmd(story, "lineage", "report", "--upstream", "--depth", "1")
    processed, summary = THIRD["out/processed.csv"], THIRD["out/summary.txt"]
    report = THIRD["out/report.txt"]
    assert_lines(
        result.out,
        [
            "report",
            f"  out/report.txt  34 B  md5 {md5(report)}",
            "",
            "declared upstream:",
            "  summary",
            "  processed_data",
            "",
            "current version made by #7 (run 3): made <time> in <took>:",
            f"  $ {TRANSFORMS['report']}",
            f"  read out/processed.csv  {short(processed)}  from processed_data #5",
            f"  read out/summary.txt  {short(summary)}  from summary #6",
            f"  wrote out/report.txt  {short(report)}  34 B",
            "",
            "made from:",
            "  processed_data #5 (run 3): made <time> in <took>",
            f"    $ {TRANSFORMS['processed_data']}",
            f"    read data/input.csv  {short(INPUT)}  from source raw_data, observed #1",
            f"    read params.txt  {short(PARAMS_3)}  file",
            f"    wrote out/processed.csv  {short(processed)}  32 B",
            "  summary #6 (run 3): made <time> in <took>",
            f"    $ {TRANSFORMS['summary']}",
            f"    read out/processed.csv  {short(processed)}  from processed_data #5",
            f"    wrote out/summary.txt  {short(summary)}  2 B",
            "    processed_data #5 (run 3): made <time> in <took> (shown above)",
        ],
    )


def test_lineage_downstream_only_says_when_nothing_read_it(story: Project) -> None:
    result = assets_cmd(story, "lineage", "report", "--downstream")
    report = THIRD["out/report.txt"]
    lines = result.out.splitlines()
    assert lines[:6] == [
        "report",
        f"  out/report.txt  34 B  md5 {md5(report)}",
        "",
        "declared downstream:",
        "  broken",
        "",
    ]
    assert lines[-2:] == ["read by:", "  (nothing recorded)"]
    assert "made from:" not in lines and "declared upstream:" not in lines


def test_lineage_json_walks_back_from_the_file_on_disk(story: Project) -> None:
    data = doit_json(story, "lineage", "report")
    assert list(data) == [
        "version",
        "asset",
        "outputs",
        "declared",
        "materialization",
        "upstream_chain",
        "downstream_chain",
    ]
    report = THIRD["out/report.txt"]
    assert data["asset"] == "report"
    assert data["outputs"] == [
        {"path": "out/report.txt", "exists": True, "md5": md5(report), "size": 34}
    ]
    assert data["declared"] == {
        "upstream": [
            {
                "asset": "summary",
                "children": [
                    {
                        "asset": "processed_data",
                        "children": [{"asset": "raw_data", "children": []}],
                    }
                ],
            },
            # met again: a reference to the one above, not its tree again
            {"asset": "processed_data", "children": [], "ref": True},
        ],
        "downstream": [{"asset": "broken", "children": []}],
    }
    assert norm(data["materialization"]) == {**made(7, 3, "report", THIRD), "depth": 0}
    assert [(e["id"], e["depth"]) for e in data["upstream_chain"]] == [
        (5, 1),
        (6, 1),
        (1, 2),
    ]
    assert norm(data["upstream_chain"]) == [
        {**made(5, 3, "processed_data", THIRD), "depth": 1},
        {**made(6, 3, "summary", THIRD), "depth": 1},
        {**made(1, 1, "raw_data", FIRST), "depth": 2},
    ]
    assert data["downstream_chain"] == []


def test_lineage_json_depth_and_direction(story: Project) -> None:
    data = doit_json(story, "lineage", "report", "--upstream", "--depth", "1")
    assert "downstream_chain" not in data
    assert data["declared"] == {
        "upstream": [
            {"asset": "summary", "children": []},
            {"asset": "processed_data", "children": []},
        ]
    }
    assert [(e["id"], e["depth"]) for e in data["upstream_chain"]] == [(5, 1), (6, 1)]
    data = doit_json(story, "lineage", "processed_data", "--downstream")
    assert "upstream_chain" not in data
    assert data["materialization"]["id"] == 5
    assert data["declared"] == {
        "downstream": [
            {
                "asset": "summary",
                "children": [
                    {
                        "asset": "report",
                        "children": [{"asset": "broken", "children": []}],
                    }
                ],
            },
            {"asset": "report", "children": [], "ref": True},
        ]
    }
    assert [(e["id"], e["depth"]) for e in data["downstream_chain"]] == [(6, 1), (7, 1)]


def test_lineage_of_a_source_version_reaches_every_reader(story: Project) -> None:
    data = doit_json(story, "lineage", "raw_data", "--downstream")
    assert data["materialization"]["id"] == 1
    assert data["materialization"]["kind"] == "source"
    # both versions of processed_data read this version of the source
    assert [(e["id"], e["depth"]) for e in data["downstream_chain"]] == [
        (2, 1),
        (5, 1),
        (3, 2),
        (4, 2),
        (6, 2),
        (7, 2),
    ]
    data = doit_json(story, "lineage", "raw_data", "--downstream", "--depth", "1")
    assert [e["id"] for e in data["downstream_chain"]] == [2, 5]
    assert doit_json(story, "lineage", "raw_data", "--upstream")["upstream_chain"] == []


@pytest.mark.parametrize(
    ("asset", "producer", "chain"),
    [
        ("raw_data", 1, []),
        ("processed_data", 5, [1]),
        ("summary", 6, [5, 1]),
        ("report", 7, [5, 6, 1]),
    ],
)
def test_lineage_finds_the_producer_of_every_file(
    story: Project, asset: str, producer: int, chain: list[int]
) -> None:
    data = doit_json(story, "lineage", asset, "--upstream")
    assert data["materialization"]["id"] == producer
    assert [e["id"] for e in data["upstream_chain"]] == chain
    # every pointer in the chain leads to an entry of the chain
    ids = {producer, *chain}
    for entry in [data["materialization"], *data["upstream_chain"]]:
        for item in entry["inputs"]:
            assert item["upstream_id"] is None or item["upstream_id"] in ids


def test_lineage_of_a_missing_output(story: Project) -> None:
    result = assets_cmd(story, "lineage", "broken")
    assert result.code == 0, result
    assert (
        result.out.splitlines()[-1] == "No current version: the output does not exist."
    )
    assert result.out.splitlines()[:2] == ["broken", "  out/broken.txt  (missing)"]
    data = doit_json(story, "lineage", "broken")
    assert data["materialization"] is None
    assert data["outputs"] == [
        {"path": "out/broken.txt", "exists": False, "md5": None, "size": None}
    ]
    assert (data["upstream_chain"], data["downstream_chain"]) == ([], [])


def test_lineage_of_a_hand_edited_output_does_not_guess(built: Project) -> None:
    built.write("out/summary.txt", "99\n")
    result = assets_cmd(built, "lineage", "summary", "--upstream")
    assert result.code == 0, result
    assert result.out.splitlines()[-1] == (
        "The current version was not made by any recorded materialization "
        "(edited by hand, or made before the history began)."
    )
    data = doit_json(built, "lineage", "summary", "--upstream")
    assert data["materialization"] is None
    assert data["outputs"][0]["md5"] == md5("99\n")
    assert data["upstream_chain"] == []


def test_lineage_walks_back_through_the_chain_that_made_each_file(
    rebuilt: Project,
) -> None:
    project = rebuilt
    ids = {
        (m["asset"], m["run_id"]): m["id"]
        for m in doit_json(project, "history")["materializations"]
    }

    def chain(asset: str) -> tuple[int, list[int]]:
        data = doit_json(project, "lineage", asset, "--upstream")
        return data["materialization"]["id"], [e["id"] for e in data["upstream_chain"]]

    # re-made in run 2: the chain runs through run 2 back to the new source version
    assert chain("total") == (
        ids["total", 2],
        [ids["count", 2], ids["tidy", 2], ids["raw", 2]],
    )
    # banner was not re-run: its file was made from the versions of run 1
    assert chain("banner") == (
        ids["banner", 1],
        [ids["title", 1], ids["tidy", 1], ids["raw", 1]],
    )
    # title was re-made with the same bytes: the latest writer is named
    assert chain("title") == (ids["title", 2], [ids["tidy", 2], ids["raw", 2]])
    text = assets_cmd(project, "lineage", "banner", "--upstream").out
    assert f"  read out/title.txt  {short(TITLE)}  from title #{ids['title', 1]}" in (
        text.splitlines()
    )


# The ladder of history_support.ladder_toml: from b23 there are 2^23 paths to a0.
LADDER_ASSETS = [f"{s}{k}" for k in range(LADDER_LAYERS - 1) for s in "ab"]
TWO = "2\n"  # what every transform of the ladder makes
COUNT = f"{PYTHON} tx.py count"


ladder = shared(build_ladder_24)  # read only: lineage writes nothing


def made_by_count(indent: str, asset: str, mat_id: int) -> list[str]:
    """A materialization of the ladder, expanded in a lineage tree."""
    layer = int(asset[1:])
    above = [(s, 2 * layer - 2 + i) for i, s in enumerate("ab", 1)]
    if layer == 1:
        reads = [
            (f"data/{s}0.txt", f"{s}0\n", f"from source {s}0, observed #{i}")
            for s, i in above
        ]
    else:
        reads = [
            (f"out/{s}{layer - 1}.txt", TWO, f"from {s}{layer - 1} #{i}")
            for s, i in above
        ]
    return [
        f"{indent}{asset} #{mat_id} (run 1): made <time> in <took>",
        f"{indent}  $ {COUNT} out/{asset}.txt {' '.join(p for p, _, _ in reads)}",
        *(f"{indent}  read {p}  {short(text)}  {where}" for p, text, where in reads),
        f"{indent}  wrote out/{asset}.txt  {short(TWO)}  2 B",
    ]


# a name alone, or a materialization: "NAME #ID (run R): made ..." or
# "NAME #ID (source, observed ...)"; not one followed by "(shown above)"
EXPANDED = r"\s*(\w+)(?: #\d+ \((?:run \d+\): made [^()]*|source, observed [^()]*\)))?"


def expanded_in_text(lines: list[str], heading: str) -> list[str]:
    """The assets expanded (not "shown above/below") in the lines of a lineage
    tree: declared names alone on their line, materializations with their
    '#ID', and the headings of what goes on below."""
    found = []
    for line in lines:
        match = re.fullmatch(heading + "|" + EXPANDED, line)
        if match:
            found.append(match[1] or match[2])
    return sorted(found)


def expanded_in_json(trees: list[dict[str, Any]]) -> list[str]:
    """The assets of declared trees that are not references (``ref``)."""
    found = []
    stack = list(trees)
    while stack:
        node = stack.pop()
        if not node.get("ref"):
            found.append(node["asset"])
            stack += node["children"]
        else:
            assert node["children"] == [], node
    return sorted(found)


def test_lineage_shows_each_asset_once_and_refers_back_to_it(
    ladder: Project,
) -> None:
    result = assets_cmd(ladder, "lineage", "b3", "--upstream")
    assert (result.code, result.err) == (0, ""), result
    assert_lines(
        result.out,
        [
            "b3",
            f"  out/b3.txt  2 B  md5 {md5(TWO)}",
            "",
            "declared upstream:",
            "  a2",
            "    a1",
            "      a0",
            "      b0",
            "    b1",
            "      a0 (shown above)",
            "      b0 (shown above)",
            "  b2",
            "    a1 (shown above)",
            "    b1 (shown above)",
            "",
            "current version made by #8 (run 1): made <time> in <took>:",
            *made_by_count("", "b3", 8)[1:],
            "",
            "made from:",
            *made_by_count("  ", "a2", 5),
            *made_by_count("    ", "a1", 3),
            "      a0 #1 (source, observed <time>)",
            "      b0 #2 (source, observed <time>)",
            *made_by_count("    ", "b1", 4),
            "      a0 #1 (source, observed <time>) (shown above)",
            "      b0 #2 (source, observed <time>) (shown above)",
            *made_by_count("  ", "b2", 6),
            "    a1 #3 (run 1): made <time> in <took> (shown above)",
            "    b1 #4 (run 1): made <time> in <took> (shown above)",
        ],
    )
    data = doit_json(ladder, "lineage", "b3", "--upstream")
    sources = [{"asset": "a0", "children": []}, {"asset": "b0", "children": []}]
    assert data["declared"] == {
        "upstream": [
            {
                "asset": "a2",
                "children": [
                    {"asset": "a1", "children": sources},
                    {"asset": "b1", "children": [{**s, "ref": True} for s in sources]},
                ],
            },
            {
                "asset": "b2",
                "children": [
                    {"asset": "a1", "children": [], "ref": True},
                    {"asset": "b1", "children": [], "ref": True},
                ],
            },
        ]
    }
    assert "declared_continued" not in data
    assert [(e["id"], e["depth"]) for e in data["upstream_chain"]] == [
        (5, 1),
        (6, 1),
        (3, 2),
        (4, 2),
        (1, 3),
        (2, 3),
    ]


def test_lineage_of_a_deep_ladder_is_linear_and_goes_on_below_past_twenty_levels(
    ladder: Project,
) -> None:
    result = assets_cmd(ladder, "lineage", "b23")
    assert (result.code, result.err) == (0, ""), result
    lines = result.out.splitlines()
    # 90 edges above b23 (its 2, and 4 for each layer from 22 to 1): a line for
    # each in the declared tree and in the chain, and 4 more for each of the 44
    # transforms made (its command, what it read and wrote); a3 and b3, met 20
    # levels down, go on below: 2 lines each in both trees; 18 lines of titles.
    assert len(lines) == 2 * 90 + 4 * 44 + 2 * 2 * 2 + 18
    assert_lines(
        "\n".join(line for line in lines if line and not line.startswith(" ")),
        [
            "b23",
            "declared upstream:",
            "declared upstream of a3:",
            "declared upstream of b3:",
            "declared downstream:",
            "current version made by #48 (run 1): made <time> in <took>:",
            "made from:",
            "a3 #7 (run 1): made <time> in <took>:",
            "b3 #8 (run 1): made <time> in <took>:",
            "read by:",
        ],
    )
    assert max(len(line) - len(line.lstrip()) for line in lines) == 2 * 20
    declared = lines[3 : lines.index("declared downstream:")]
    chain = lines[lines.index("made from:") + 1 : lines.index("read by:")]
    assert lines[23] == " " * 40 + "a3 (shown below)"
    heading = r"declared upstream of (\w+):"
    assert expanded_in_text(declared, heading) == sorted(LADDER_ASSETS)
    heading = r"(\w+) #\d+ \(run 1\): made .*:"
    assert expanded_in_text(chain, heading) == sorted(LADDER_ASSETS)
    data = doit_json(ladder, "lineage", "b23")
    continued = data["declared_continued"]["upstream"]
    assert [tree["asset"] for tree in continued] == ["a3", "b3"]
    trees = data["declared"]["upstream"] + continued
    assert expanded_in_json(trees) == sorted(LADDER_ASSETS)
    assert [(e["id"], e["depth"]) for e in data["upstream_chain"]] == [
        (2 * layer + i, 23 - layer) for layer in range(22, -1, -1) for i in (1, 2)
    ]


# -- show --------------------------------------------------------------------------


def test_show_a_fresh_transform(story: Project) -> None:
    result = assets_cmd(story, "show", "processed_data")
    assert (result.code, result.err) == (0, ""), result
    assert_lines(
        result.out,
        [
            "asset         processed_data",
            "declared      assets.toml:5",
            "kind          transform",
            "description   Upper-cased rows",
            f"transform     {TRANSFORMS['processed_data']}",
            "code version  1",
            "depends on    raw_data",
            "inputs        params.txt",
            f"output        out/processed.csv  32 B  md5 {md5(THIRD['out/processed.csv'])}",
            "status        fresh",
            "last made     #5 (run 3): made <time> in <took>",
        ],
    )


def test_show_a_source(story: Project) -> None:
    assert_lines(
        assets_cmd(story, "show", "raw_data").out,
        [
            "asset        raw_data",
            "declared     assets.toml:1",
            "kind         source",
            "description  Rows as exported",
            f"output       data/input.csv  20 B  md5 {md5(INPUT)}",
            "status       source",
            "last made    #1 (source, observed <time>)",
        ],
    )


def test_show_a_failed_asset_gives_the_last_attempt(story: Project) -> None:
    assert_lines(
        assets_cmd(story, "show", "broken").out,
        [
            "asset         broken",
            "declared      assets.toml:21",
            "kind          transform",
            "description   -",
            "transform     test -s out/report.txt && exit 4",
            "code version  -",
            "depends on    report",
            "inputs        -",
            "output        out/broken.txt  (missing)",
            "status        failed: its last attempt failed (#8, run 4): "
            + BROKEN_ERROR,
            "last made     never",
            f"last attempt  #8 (run 4): failed <time> in <took>: {BROKEN_ERROR}",
            "log           .doit-assets/logs/4/broken.1.log",
        ],
    )


def test_show_json(story: Project) -> None:
    data = doit_json(story, "show", "processed_data")
    components = data.pop("fingerprint_components")
    assert components == {
        "digest": components["digest"],
        "transform": TRANSFORMS["processed_data"],
        "code_version": "1",
        "paths": ["out/processed.csv"],
        "checks": [],
        "inputs": ["params.txt", "data/input.csv"],
    }
    assert re.fullmatch("[0-9a-f]{32}", components["digest"])
    assert norm(data) == {
        "version": 1,
        "asset": "processed_data",
        "partitions": None,
        "declared_at": "assets.toml:5",
        "kind": "transform",
        "description": "Upper-cased rows",
        "transform": TRANSFORMS["processed_data"],
        "code_version": "1",
        "depends_on": ["raw_data"],
        "inputs": ["params.txt"],
        "outputs": [
            {
                "path": "out/processed.csv",
                "exists": True,
                "md5": md5(THIRD["out/processed.csv"]),
                "size": 32,
            }
        ],
        "metadata": {"owner": "data-team", "rows": 3},
        "status": {"state": "fresh", "reasons": []},
        "last_materialization": made(5, 3, "processed_data", THIRD),
        "last_attempt": made(5, 3, "processed_data", THIRD),
    }
    broken = doit_json(story, "show", "broken")
    assert broken["status"] == {
        "state": "failed",
        "reasons": [f"its last attempt failed (#8, run 4): {BROKEN_ERROR}"],
    }
    assert broken["last_materialization"] is None
    assert norm(broken["last_attempt"]) == BROKEN_MAT
    source = doit_json(story, "show", "raw_data")
    assert (source["kind"], source["transform"], source["status"]) == (
        "source",
        None,
        {"state": "source", "reasons": []},
    )


def status_line(project: Project, asset: str) -> str:
    result = assets_cmd(project, "show", asset)
    assert result.code == 0, result
    (line,) = [line for line in result.out.splitlines() if line.startswith("status")]
    return line.split(None, 1)[1]


def test_show_stale_when_an_input_changed(built: Project) -> None:
    built.write("params.txt", "threshold=5\n")
    assert status_line(built, "processed_data") == "stale: input 'params.txt' changed"
    built.write("data/input.csv", INPUT + "3,cy\n")
    data = doit_json(built, "show", "processed_data")
    assert data["status"]["state"] == "stale"
    assert sorted(data["status"]["reasons"]) == [
        "input 'data/input.csv' changed",
        "input 'params.txt' changed",
    ]
    # summary's own input has not changed yet, but the asset that makes it will run
    assert status_line(built, "summary") == (
        "stale: upstream 'processed_data' will re-run: input 'data/input.csv' changed"
    )


def test_show_stale_when_the_definition_changed(built: Project) -> None:
    built.write(
        "assets.toml", built.read("assets.toml").replace("tx.py count", "tx.py  count")
    )
    assert status_line(built, "summary") == "stale: its transform changed"
    built.write(
        "assets.toml",
        built.read("assets.toml").replace('code_version = "1"', 'code_version = "2"'),
    )
    assert status_line(built, "processed_data") == (
        "stale: its code version changed: 1 → 2"
    )
    result = built.doit()
    assert result.ran == ["processed_data", "summary"], result
    assert status_line(built, "summary") == "fresh"


def test_show_stale_when_an_output_was_edited(built: Project) -> None:
    built.write("out/summary.txt", "99\n")
    assert status_line(built, "summary") == (
        "stale: output 'out/summary.txt' was changed since it was made"
    )


def test_show_missing_output(built: Project) -> None:
    built.path("out/report.txt").unlink()
    assert (
        status_line(built, "report")
        == "missing: output 'out/report.txt' does not exist"
    )


def test_show_never_materialized(project: Project) -> None:
    pipeline(project)
    assert status_line(project, "processed_data") == "missing: never materialized"
    project.write("out/processed.csv", "made by hand\n")
    assert status_line(project, "processed_data") == "stale: never materialized"
    assert not history_exists(project)


def test_show_after_a_failure_that_followed_a_success(built: Project) -> None:
    built.write(
        "assets.toml", built.read("assets.toml").replace("tx.py count", "tx.py nosuch")
    )
    assert built.doit().code == 1
    result = assets_cmd(built, "show", "summary")
    lines = result.out.splitlines()
    assert lines[-5] == (
        "status        failed: its last attempt failed (#5, run 2): transform exited "
        f"with code 1: {PYTHON} tx.py nosuch out/summary.txt out/processed.csv"
    )
    assert line_pattern("last made     #3 (run 1): made <time> in <took>").match(
        lines[-4]
    )
    assert line_pattern(
        "last attempt  #5 (run 2): failed <time> in <took>: transform exited with "
        f"code 1: {PYTHON} tx.py nosuch out/summary.txt out/processed.csv"
    ).match(lines[-3]), lines[-3]
    # the attempt's log, and the last lines of its stderr
    assert lines[-2:] == [
        "log           .doit-assets/logs/2/summary.1.log",
        "stderr        unknown mode nosuch",
    ]


# -- missing history, empty history, unknown assets -------------------------------


def test_history_and_runs_without_a_history(project: Project) -> None:
    pipeline(project)
    for command in ("history", "runs"):
        result = project.doit("assets", command)
        assert (result.code, result.out, result.err) == (0, NO_HISTORY + "\n", ""), (
            result
        )
    result = project.doit("assets", "history", "--json")
    assert result.code == 0, result
    assert json.loads(result.out) == {"version": 1, "materializations": []}
    assert result.err == NO_HISTORY + "\n"
    result = project.doit("assets", "runs", "--json")
    assert json.loads(result.out) == {"version": 1, "runs": []}
    assert not history_exists(project)


def test_lineage_without_a_history(project: Project) -> None:
    pipeline(project)
    result = assets_cmd(project, "lineage", "summary")
    assert result.code == 0, result
    assert result.out.splitlines() == [
        "summary",
        "  out/summary.txt  (missing)",
        "",
        "declared upstream:",
        "  processed_data",
        "    raw_data",
        "",
        "declared downstream:",
        "  report",
        "",
        NO_HISTORY,
    ]
    assert not history_exists(project)


def test_lineage_json_without_a_history_has_empty_chains(project: Project) -> None:
    pipeline(project)
    data = doit_json(project, "lineage", "summary")
    assert data["materialization"] is None
    assert data["upstream_chain"] == []
    assert data["downstream_chain"] == []


def test_show_without_a_history(project: Project) -> None:
    pipeline(project)
    result = assets_cmd(project, "show", "summary")
    assert result.code == 0, result
    assert result.out.splitlines()[-2:] == [
        "status        missing: never materialized",
        "last made     never",
    ]
    data = doit_json(project, "show", "summary")
    assert (data["last_materialization"], data["last_attempt"]) == (None, None)
    assert not history_exists(project)


def test_commands_on_an_empty_history(project: Project) -> None:
    pipeline(project)
    project.write("out/summary.txt", "4\n")
    History.open(str(project.path(HISTORY))).close()
    assert assets_cmd(project, "history").out == (
        "No materializations recorded in .doit-assets/history.sqlite.\n"
    )
    assert assets_cmd(project, "history", "summary").out == (
        "No materializations of 'summary' recorded in .doit-assets/history.sqlite.\n"
    )
    assert assets_cmd(project, "runs").out == (
        "No runs recorded in .doit-assets/history.sqlite.\n"
    )
    assert doit_json(project, "runs") == {"version": 1, "runs": []}
    assert doit_json(project, "history") == {"version": 1, "materializations": []}
    lineage = assets_cmd(project, "lineage", "summary", "--upstream")
    assert lineage.out.splitlines()[-1] == (
        "The current version was not made by any recorded materialization "
        "(edited by hand, or made before the history began)."
    )
    show = assets_cmd(project, "show", "summary")
    assert show.out.splitlines()[-1] == "last made     never"


@pytest.mark.parametrize("command", ["history", "lineage", "show"])
def test_unknown_asset_suggests_a_close_name(story: Project, command: str) -> None:
    result = story.doit("assets", command, "sumary")
    assert (result.code, result.out) == (3, ""), result
    assert result.err == "ERROR: unknown asset 'sumary'. Did you mean 'summary'?\n"
    result = story.doit("assets", command, "zzz", "--json")
    assert (result.code, result.out) == (3, ""), result
    assert result.err == "ERROR: unknown asset 'zzz'. 'doit list' shows the assets\n"


def test_a_newer_history_is_refused_by_every_command(built: Project) -> None:
    import sqlite3

    newer = SCHEMA_VERSION + 1
    conn = sqlite3.connect(built.path(HISTORY))
    conn.execute(f"pragma user_version = {newer}")
    conn.close()
    message = (
        f"ERROR: .doit-assets/history.sqlite: history schema {newer} is newer than "
        f"this doit-assets knows ({SCHEMA_VERSION}). Upgrade doit-assets\n"
    )
    for args in (
        ["history"],
        ["runs"],
        ["lineage", "summary"],
        ["show", "summary"],
        [],
    ):
        result = built.doit("assets", *args) if args else built.doit()
        assert (result.code, result.err) == (3, message), result


# -- where the commands run --------------------------------------------------------


def test_commands_work_from_another_directory_with_d(
    story: Project, tmp_path: Path
) -> None:
    for args in (
        ("history", "--json"),
        ("lineage", "report"),
        ("show", "summary", "--json"),
    ):
        here = assets_cmd(story, *args)
        there = run_doit("-d", str(story.root), "assets", *args, cwd=tmp_path)
        assert there.code == 0, there
        assert there.out == here.out
    relative = run_doit(
        "-d", os.path.relpath(story.root, tmp_path), "assets", "runs", cwd=tmp_path
    )
    assert_lines(
        relative.out,
        [
            "RUN  STARTED               TOOK  OUTCOME  MADE  UP-TO-DATE  FAILED  TRIGGER  COMMAND",
            "  4  <time>  <took>  failed      0           4       1  manual   doit",
            "  3  <time>  <took>  success     3           1       0  manual   doit",
            "  2  <time>  <took>  success     0           4       0  manual   doit report",
            "  1  <time>  <took>  success     3           0       0  manual   doit",
        ],
    )
    assert not (tmp_path / ".doit-assets").exists()


def test_commands_read_the_assets_file_given_with_f(project: Project) -> None:
    pipeline(project)
    project.path("assets.toml").rename(project.path("pipeline.toml"))
    built = run_doit_assets("-f", "pipeline.toml", cwd=project.root)
    assert built.ran == ["processed_data", "summary", "report"], built
    assert status_line_f(project, "pipeline.toml", "summary") == "fresh"
    missing = assets_cmd(project, "show", "summary")
    assert (missing.code, missing.err) == (
        3,
        "ERROR: assets.toml: file not found. Declare assets in it, e.g. "
        "[assets.report] with a 'path' and a 'transform'\n",
    )


def status_line_f(project: Project, path: str, asset: str) -> str:
    result = assets_cmd(project, "-f", path, "show", asset)
    assert result.code == 0, result
    (line,) = [line for line in result.out.splitlines() if line.startswith("status")]
    return line.split(None, 1)[1]


# -- the progress line and the summary ---------------------------------------------

SUMMARY_LINE = "doit-assets: 3 made, 1 new source version in <took>"


def test_a_log_has_one_line_per_asset_and_a_summary(project: Project) -> None:
    pipeline(project)
    result = project.doit()
    assert_lines(
        result.out,
        [
            SOURCE_LINE.rstrip(),
            ".  processed_data",
            ".  summary",
            ".  report",
            SUMMARY_LINE,
        ],
    )
    assert_lines(
        project.doit().out,
        [
            "-- raw_data",
            "-- processed_data",
            "-- summary",
            "-- report",
            "doit-assets: 0 made, 4 up to date in <took>",
        ],
    )


def test_the_summary_counts_failures(project: Project) -> None:
    pipeline(project, PIPELINE + BROKEN)
    result = project.doit()
    assert result.code == 1
    # the summary, after doit's report of the failure
    assert_lines(
        result.out,
        [
            SOURCE_LINE.rstrip(),
            ".  processed_data",
            ".  summary",
            ".  report",
            ".  broken",
            "TransformFailed - taskid:broken",
            BROKEN_ERROR,
            "",
            "#" * 40,
            "broken <stdout>:",
            "",
            "doit-assets: 3 made, 1 new source version, 1 failed in <took>",
            "failed: broken: transform exited with code 4",
            "to run what failed again: doit assets materialize --failed",
        ],
    )


def run_on_tty(
    project: Project, *args: str, env: dict[str, str] | None = None
) -> tuple[int, str]:
    """``doit ARGS`` with a terminal as its output; everything it wrote."""
    master, slave = os.openpty()
    environment = dict(os.environ)
    environment.pop("DOIT_ASSETS_PROGRESS", None)
    environment.pop("DOIT_ASSETS_FILE", None)
    environment.update(env or {})
    proc = subprocess.Popen(
        [PYTHON, "-m", "doit", *args],
        cwd=project.root,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=environment,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the other end is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return proc.wait(timeout=60), b"".join(chunks).decode()


CLEAR = "\r\x1b[K"


def drawn_lines(out: str) -> list[str]:
    """Each progress line drawn, times as <clock>, the ticker's repeats left out."""
    shown: list[str] = []
    for draw in re.findall(re.escape(CLEAR) + r"(\[[^\r\n\x1b]*)", out):
        draw = re.sub(r"\d+:\d\d", "<clock>", draw)
        if not shown or shown[-1] != draw:
            shown.append(draw)
    return shown


def without_progress(out: str) -> str:
    """What is left of a terminal's output once the progress line is taken out."""
    return re.sub(re.escape(CLEAR) + r"(\[[^\r\n\x1b]*)?", "", out)


def test_progress_on_a_terminal_is_one_line_redrawn(project: Project) -> None:
    pipeline(project)
    code, out = run_on_tty(project)
    assert code == 0, out
    assert drawn_lines(out) == [
        "[0/4] raw_data | <clock> elapsed",
        "[1/4] - | <clock> elapsed",
        "[1/4] processed_data | <clock> elapsed",
        "[2/4] - | <clock> elapsed",
        "[2/4] summary | <clock> elapsed",
        "[3/4] - | <clock> elapsed",
        "[3/4] report | <clock> elapsed",
        "[4/4] - | <clock> elapsed",
    ]
    # doit's own lines stay whole: without the drawn line, only they are left,
    # and the line is erased before the summary
    rest = without_progress(out)
    assert_lines(
        rest.replace("\r\n", "\n"),
        [
            SOURCE_LINE.rstrip(),
            ".  processed_data",
            ".  summary",
            ".  report",
            SUMMARY_LINE,
        ],
    )
    assert out.endswith(CLEAR + rest.splitlines(True)[-1])


def test_progress_counts_only_the_selected_assets(project: Project) -> None:
    pipeline(project)
    code, out = run_on_tty(project, "summary")
    assert code == 0, out
    assert drawn_lines(out)[-1] == "[3/3] - | <clock> elapsed"


def test_progress_estimates_time_left_from_the_history(built: Project) -> None:
    built.write("data/input.csv", INPUT + "3,cy\n")
    code, out = run_on_tty(built)
    assert code == 0, out
    assert drawn_lines(out) == [
        "[0/4] raw_data | <clock> elapsed, ~<clock> left",
        "[1/4] - | <clock> elapsed, ~<clock> left",
        "[1/4] processed_data | <clock> elapsed, ~<clock> left",
        "[2/4] - | <clock> elapsed, ~<clock> left",
        "[2/4] summary | <clock> elapsed, ~<clock> left",
        "[3/4] - | <clock> elapsed, ~<clock> left",
        "[3/4] report | <clock> elapsed, ~<clock> left",
        "[4/4] - | <clock> elapsed",
    ]


# Four assets of about a second each, none upstream of another.
FOUR_SLOW = "".join(
    f"""
[assets.slow{i}]
path = "out/slow{i}.txt"
transform = "sleep 1; echo {i} > {{self.path}}"
"""
    for i in range(4)
)


def test_progress_estimate_counts_the_parallel_workers(project: Project) -> None:
    project.assets(FOUR_SLOW)
    assert project.doit("-n", "4").code == 0  # the history learns the durations
    code, out = run_on_tty(project, "-n", "2", "-a")
    assert code == 0, out
    # two workers: two rounds of a second left, not four seconds of work
    first = re.search(re.escape(CLEAR) + r"(\[[^\r\n\x1b]*)", out)
    assert first is not None, out
    assert re.fullmatch(r"\[0/4\] slow\d \| 0:00 elapsed, ~0:02 left", first[1]), out
    assert_lines(
        without_progress(out).replace("\r\n", "\n").splitlines()[-1],
        ["doit-assets: 4 made in <took>"],
    )


def test_ctrl_c_on_a_terminal_ends_with_the_summary_and_no_progress_line(
    project: Project,
) -> None:
    project.assets(
        '[assets.slow]\npath = "out/slow.txt"\n'
        'transform = "sleep 5; echo x > {self.path}"\n'
    )
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [PYTHON, "-m", "doit"],
        cwd=project.root,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,  # Ctrl-C reaches doit and its transform
    )
    os.close(slave)
    out = b""
    interrupted = False
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the other end is closed
            break
        if not chunk:
            break
        out += chunk
        if not interrupted and b"[0/1] slow" in out:
            os.killpg(proc.pid, signal.SIGINT)
            interrupted = True
    os.close(master)
    proc.wait(timeout=60)
    text = out.decode()
    summary = text.index("doit-assets: 0 made, 1 interrupted in ")
    assert CLEAR not in text[summary:], text  # not drawn again once closed
    assert text.endswith(
        "\r\ninterrupted: finished assets are saved; the one that was running "
        "keeps its previous output and runs again next time\r\n"
    ), text


@pytest.mark.parametrize(
    ("pending", "running", "upstreams", "workers", "left"),
    [
        ({"a": 1, "b": 1, "c": 1}, {}, {}, 1, 3),
        ({"a": 1, "b": 1, "c": 1}, {}, {}, 2, 2),  # the third waits for a worker
        ({"a": 1, "b": 1, "c": 1}, {}, {}, 3, 1),
        ({"a": 1, "b": 1, "c": 1}, {}, {"b": ["a"], "c": ["b"]}, 4, 3),  # a chain
        ({"b": 2}, {"a": 0.5}, {"b": ["a"]}, 2, 2.5),  # b waits for a, running
        ({"b": 2, "c": 1}, {"a": 3}, {}, 2, 3),  # b and c share a worker
        ({"b": 1}, {"a": 3}, {"b": ["gone"]}, 2, 3),  # an upstream already done
    ],
)
def test_simulated_time_left(
    pending: dict[str, float],
    running: dict[str, float],
    upstreams: dict[str, list[str]],
    workers: int,
    left: float,
) -> None:
    assert simulate(pending, running, upstreams, workers) == left


def test_progress_off_with_the_environment(project: Project) -> None:
    pipeline(project)
    code, out = run_on_tty(project, env={"DOIT_ASSETS_PROGRESS": "0"})
    assert code == 0, out
    assert CLEAR not in out
    assert_lines(
        out.replace("\r\n", "\n"),
        [
            SOURCE_LINE.rstrip(),
            ".  processed_data",
            ".  summary",
            ".  report",
            SUMMARY_LINE,
        ],
    )


def test_progress_off_with_a_setting(project: Project) -> None:
    pipeline(project, "[settings]\nprogress = false\n\n" + PIPELINE)
    code, out = run_on_tty(project)
    assert code == 0, out
    assert CLEAR not in out
    project.write("params.txt", "threshold=3\n")
    # the environment wins
    code, again = run_on_tty(project, env={"DOIT_ASSETS_PROGRESS": "1"})
    assert code == 0, again
    assert drawn_lines(again)[-1] == "[4/4] - | <clock> elapsed"


# -- help and init -----------------------------------------------------------------

USAGE = [
    "usage: doit assets [-h] [-f FILE] COMMAND ...",
    "",
    "Set up an assets project, see what is stale and why, materialize a selection,",
    "and query the history.",
    "",
    "positional arguments:",
    "  COMMAND",
    "    init                write the one-line dodo.py and ignore the state folder",
    "    status              fresh, stale, missing, failed or blocked, and why",
    "    why                 the causes that make an asset stale",
    "    accept              record a new environment without running the assets",
    "    graph               the assets and their status as a graph",
    "    materialize         run the selected assets and what they need",
    "    backfill            make a range of partitions; resume one that stopped",
    "    reproduce           rebuild in staging and compare with the outputs",
    "    checks              the checks of assets and their latest results",
    "    observe             observe the observable sources now",
    "    watch               make what goes stale, as it goes stale",
    "    tick                evaluate every automation once, run what it asks for",
    "    sensors             the sensors and their latest answers",
    "    history             materializations, newest first",
    "    lineage             the graph around an asset and the chain that made it",
    "    show                an asset's declaration, outputs and status",
    "    runs                recent runs with their counts",
    "    audit               trace transforms for undeclared reads and writes",
    "    logs                the log of an asset's latest attempt",
    "",
    "options:",
    "  -h, --help            show this help message and exit",
    "  -f FILE, --file FILE  the assets.toml to read [default: the project's]",
]


def test_help_assets_describes_every_command(project: Project) -> None:
    result = run_doit("help", "assets", cwd=project.root)
    assert result.code == 0, result
    assert result.out.splitlines()[: len(USAGE)] == USAGE
    flag = run_doit("assets", "--help", cwd=project.root)
    assert flag.code == 0, flag
    assert flag.out.splitlines() == USAGE
    listing = run_doit("help", cwd=project.root)
    assert re.search(
        r"^  \S+ assets +status, why, materialize, graph, history and lineage of assets$",
        listing.out,
        re.M,
    ), listing


@pytest.mark.parametrize(
    ("args", "option", "maximum"),
    [
        (["history", "--limit", "99999999999999999999"], "--limit", "1000000000"),
        (["runs", "--limit", "1000000001"], "--limit", "1000000000"),
        (["lineage", "x", "--depth", "-3"], "--depth", "1000000000"),
        (["backfill", "--resume", "9" * 30], "--resume", "1000000000"),
        (["materialize", "x", "-n", "100000"], "-n/--process", "1024"),
        (["backfill", "x", "--process", "two"], "-n/--process", "1024"),
    ],
    ids=["history", "runs", "lineage", "backfill", "materialize", "backfill -n"],
)
def test_every_whole_number_option_has_bounds_and_one_usage_error(
    project: Project, args: list[str], option: str, maximum: str
) -> None:
    result = run_doit("assets", *args, cwd=project.root)
    assert result.code == 2, result
    assert "Traceback" not in result.err, result
    assert result.err.splitlines()[-1] == (
        f"doit assets {args[0]}: error: argument {option}: "
        f"expected a whole number from 1 to {maximum}, got '{args[-1]}'"
    )


def test_sub_command_help_and_usage_errors(project: Project) -> None:
    result = run_doit("assets", "history", "--help", cwd=project.root)
    assert result.code == 0
    assert result.out.splitlines()[:3] == [
        "usage: doit assets history [-h] [--limit N] [--failed] [--json] [--prune]",
        "                           [--older-than DURATION]",
        "                           [asset]",
    ]
    bad = run_doit("assets", "history", "--limit", "0", cwd=project.root)
    assert bad.code == 2, bad
    assert bad.err.splitlines()[-1] == (
        "doit assets history: error: argument --limit: "
        "expected a whole number from 1 to 1000000000, got '0'"
    )
    both = run_doit(
        "assets", "lineage", "x", "--upstream", "--downstream", cwd=project.root
    )
    assert both.code == 2, both
    assert both.err.splitlines()[-1] == (
        "doit assets lineage: error: argument --downstream: "
        "not allowed with argument --upstream"
    )
    none = run_doit("assets", cwd=project.root)
    assert none.code == 2, none
    assert none.err.splitlines()[-1] == (
        "doit assets: error: the following arguments are required: COMMAND"
    )


def test_init_sets_a_project_up_once(project: Project) -> None:
    result = run_doit("assets", "init", cwd=project.root)
    assert result.code == 0, result
    assert result.out == (
        "wrote dodo.py: from doit_assets.dodo import *\n"
        ".gitignore: added .doit-assets/, .doit-assets-staging.*\n"
        "next: declare your assets in assets.toml, then run 'doit'\n"
    )
    assert project.read("dodo.py") == "from doit_assets.dodo import *\n"
    assert project.read(".gitignore") == (
        "# doit-assets: state and history, staging of outputs\n"
        ".doit-assets/\n.doit-assets-staging.*\n"
    )
    project.write("assets.toml", PIPELINE.replace("{python}", PYTHON))
    again = run_doit("assets", "init", cwd=project.root)
    assert again.out == (
        "dodo.py already loads the assets\n"
        ".gitignore already ignores the state folder\n"
    )


def test_init_keeps_a_dodo_py_of_its_own(project: Project) -> None:
    project.write("dodo.py", "def task_hello():\n    return {'actions': ['echo hi']}\n")
    project.write(".gitignore", "*.pyc")
    result = run_doit("assets", "init", cwd=project.root)
    assert result.code == 3, result
    assert result.err == (
        "ERROR: dodo.py exists and does not load the assets. "
        "Add this line to it: from doit_assets.dodo import *\n"
    )
    assert project.read(".gitignore") == "*.pyc"


NOISY = """\
[assets.raw]
path = "data/raw.txt"

[assets.noisy]
path = "out/noisy.txt"
transform = "sleep 0.6; echo warning one >&2; sleep 0.6; echo warning two >&2; cp {raw.path} {self.path}"
"""


def test_progress_on_a_terminal_gives_way_to_a_transforms_messages(
    project: Project,
) -> None:
    project.write("data/raw.txt", "a\n")
    project.assets(NOISY)
    code, out = run_on_tty(project)
    assert code == 0, out
    # the ticker has drawn the line while noisy ran, and each message still
    # starts a line of its own
    assert re.search(re.escape(CLEAR) + r"\[1/2\] noisy \| ", out), out
    for message in ("warning one\r\n", "warning two\r\n"):
        at = out.index(message)
        assert out[:at].endswith((CLEAR, "\n")), out
    assert_lines(
        without_progress(out).replace("\r\n", "\n"),
        [
            "~  raw (source: new version)",
            ".  noisy",
            "warning one",
            "warning two",
            "doit-assets: 1 made, 1 new source version in <took>",
        ],
    )


def test_show_names_a_new_input_once_and_a_dropped_one(built: Project) -> None:
    built.write("extra.txt", "extra\n")
    toml = built.read("assets.toml")
    built.write(
        "assets.toml",
        toml.replace('inputs = ["params.txt"]', 'inputs = ["params.txt", "extra.txt"]'),
    )
    assert doit_json(built, "show", "processed_data")["status"] == {
        "state": "stale",
        "reasons": ["new input 'extra.txt'"],
    }
    built.write("assets.toml", toml.replace('inputs = ["params.txt"]', "inputs = []"))
    assert status_line(built, "processed_data") == (
        "stale: input 'params.txt' no longer used"
    )


def test_lineage_of_a_directory_output(project: Project) -> None:
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
    assert project.doit().code == 0
    data = doit_json(project, "lineage", "parts")
    (out,) = data["outputs"]
    assert (out["path"], out["exists"], out["size"]) == ("out/parts/", True, 4)
    assert data["materialization"]["id"] == 2
    assert data["materialization"]["outputs"] == [
        {"path": "out/parts/", "md5": out["md5"], "size": 4}
    ]
    assert [e["id"] for e in data["upstream_chain"]] == [1]
    assert [e["id"] for e in data["downstream_chain"]] == [3]
    project.write("out/parts/part1.txt", "changed\n")
    assert doit_json(project, "lineage", "parts")["materialization"] is None
    assert status_line(project, "parts") == (
        "stale: output 'out/parts/' was changed since it was made"
    )
