"""Keep-going: a failure stops only what depends on it (docs/failures.md).

Everything that does not depend on a failed asset is still made; what it
blocked is reported as blocked (never as a failure of its own), in doit's
lines, the history, ``status`` and the summary; ``materialize --failed`` runs
again what failed and what it blocked, and nothing else; a missing source
blocks only what reads it; Ctrl-C stops the run and the next one resumes it.
"""

from __future__ import annotations

import json
import os
import signal

import pytest
from conftest import PYTHON, Project
from history_support import Background, materializations, runs, runs_in, wait_for

# tidy fails (two lines on stderr), report reads it, final reads report and
# other; other and alone depend on nothing that fails.
PIPELINE = """\
[assets.raw]
path = "data/raw.txt"

[assets.tidy]
path = "out/tidy.txt"
transform = "{python} tidy.py {raw.path} {self.path}"

[assets.other]
path = "out/other.txt"
transform = "{python} tx.py upper {self.path} {raw.path}"

[assets.report]
path = "out/report.txt"
transform = "{python} tx.py cat {self.path} {tidy.path}"

[assets.final]
path = "out/final.txt"
transform = "{python} tx.py cat {self.path} {report.path} {other.path}"

[assets.alone]
path = "out/alone.txt"
transform = "{python} tx.py prefix {self.path} alone"
"""
# tidy.py IN OUT: fails on a line 'bad', saying so on stderr
TIDY = """\
import sys
rows = open(sys.argv[1]).read().splitlines()
for number, row in enumerate(rows, 1):
    if row == "bad":
        print("checking rows", file=sys.stderr)
        sys.exit(f"data/raw.txt:{number}: row 'bad' is not a number")
open(sys.argv[2], "w").write("".join(r + "\\n" for r in rows))
"""
FAILED = "transform exited with code 1"


def failing(project: Project, toml: str = PIPELINE) -> None:
    project.write("data/raw.txt", "1\nbad\n")
    project.write("tidy.py", TIDY)
    project.assets(toml)


def summary(run_out: str) -> list[str]:
    """The summary: from the line 'doit-assets: ...' to the end."""
    lines = run_out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("doit-assets:"))
    return lines[start:]


def statuses(project: Project) -> dict[str, tuple[str, str | None]]:
    data = json.loads(project.doit("assets", "status", "--json").out)
    return {a["asset"]: (a["state"], a.get("blocked_by")) for a in data["assets"]}


# -- keep-going by default ------------------------------------------------------


def test_a_failure_blocks_what_depends_on_it_and_the_rest_is_made(
    project: Project,
) -> None:
    failing(project)
    run = project.doit()
    assert run.code == 1, run  # a failure; what it blocked is no error of its own
    assert run.ran == ["alone", "tidy", "other"], run
    assert "x  report (blocked by tidy)\nx  final (blocked by tidy)\n" in run.out
    assert "UnmetDependency" not in run.out, run
    assert project.read("out/other.txt") == "1\nBAD\n"
    assert project.read("out/alone.txt") == "alone\n"
    assert not project.exists("out/report.txt")
    assert summary(run.out)[1:] == [
        f"failed: tidy: {FAILED}",
        "  checking rows",
        "  data/raw.txt:2: row 'bad' is not a number",
        "blocked by tidy: report, final",
        "to run what failed and what it blocked again: "
        "doit assets materialize --failed",
    ]
    assert summary(run.out)[0].startswith(
        "doit-assets: 2 made, 1 new source version, 1 failed, 2 blocked in "
    )
    # the history: the failure, and what it blocked, which never started
    rows = {m["asset"]: m for m in materializations(project)}
    assert {a: r["status"] for a, r in rows.items()} == {
        "raw": "success",
        "tidy": "failed",
        "other": "success",
        "alone": "success",
        "report": "blocked",
        "final": "blocked",
    }
    assert (rows["final"]["error"], rows["final"]["started_at"]) == (
        "blocked by tidy",
        None,
    )
    assert runs(project)[-1]["outcome"] == "failed"
    assert runs(project)[-1]["failed"] == 1
    # status: the failure, and what waits for it
    assert statuses(project) == {
        "raw": ("source", None),
        "tidy": ("failed", None),
        "other": ("fresh", None),
        "report": ("blocked", "tidy"),
        "final": ("blocked", "tidy"),
        "alone": ("fresh", None),
    }
    lines = project.doit("assets", "status").out.splitlines()
    final = next(line for line in lines if line.startswith("final "))
    assert final.split(None, 3) == [
        "final",
        "blocked",
        "-",
        "upstream 'report' is blocked, because 'tidy': its last attempt failed "
        f"(#3, run 1): {FAILED}: {PYTHON} tidy.py data/raw.txt out/tidy.txt "
        "(and 1 more)",
    ]
    assert lines[-1] == "6 assets: 2 fresh, 1 failed, 1 source, 2 blocked"
    why = project.doit("assets", "why", "final").out.splitlines()
    assert why[:3] == [
        "final is blocked by 'tidy' and cannot run, because:",
        "  upstream 'report' is blocked",
        "    upstream 'tidy' failed",
    ]


@pytest.mark.parametrize("workers", [("-n", "2"), ("-n", "2", "-P", "thread")])
def test_keep_going_with_workers_blocks_and_sums_up_the_same(
    project: Project, workers: tuple[str, ...]
) -> None:
    failing(project)
    run = project.doit(*workers)
    assert run.code == 1, run
    assert sorted(run.ran) == ["alone", "other", "tidy"], run
    assert "x  report (blocked by tidy)\n" in run.out
    assert "x  final (blocked by tidy)\n" in run.out
    # the tail of stderr came back from the worker with the failure
    assert summary(run.out)[1:4] == [
        f"failed: tidy: {FAILED}",
        "  checking rows",
        "  data/raw.txt:2: row 'bad' is not a number",
    ]


def test_a_blocked_asset_keeps_its_state_and_does_not_run_for_nothing(
    project: Project,
) -> None:
    project.write("data/raw.txt", "1\n")
    project.write("tidy.py", TIDY)
    project.assets(PIPELINE)
    project.doit_ok()
    project.write("data/raw.txt", "1\nbad\n")
    run = project.doit()
    assert "x  report (blocked by tidy)\n" in run.out, run
    # tidy and other come out as before: report and final, blocked last
    # time, are up to date (doit alone would have dropped their state)
    project.write("data/raw.txt", "1\n")
    again = project.doit_ok()
    assert again.ran == ["tidy", "other"], again
    assert again.up_to_date == ["alone", "report", "final"], again


BLOCKED = "x  report (blocked by tidy)\n"


def test_the_command_line_wins_over_the_setting_which_wins_over_the_default(
    project: Project,
) -> None:
    failing(project)
    stopped = project.doit("--no-continue")
    assert stopped.code == 1, stopped
    assert stopped.ran == ["alone", "tidy"], stopped  # stopped at the failure
    assert "blocked" not in stopped.out, stopped
    assert summary(stopped.out)[1:] == [
        f"failed: tidy: {FAILED}",
        "  checking rows",
        "  data/raw.txt:2: row 'bad' is not a number",
        "to run what failed again: doit assets materialize --failed",
    ]
    assert BLOCKED in project.doit().out  # the default: keep going
    failing(project, PIPELINE + "\n[settings]\nkeep_going = false\n")
    assert BLOCKED not in project.doit().out
    assert BLOCKED in project.doit("--continue").out
    assert BLOCKED in project.doit("-c").out
    # doit-assets, loading assets.toml itself, reads the same setting
    assert BLOCKED not in project.doit_assets().out
    assert BLOCKED in project.doit_assets("--continue").out
    failing(project, PIPELINE + "\n[settings]\nkeep_going = true\n")
    assert BLOCKED in project.doit().out
    assert BLOCKED not in project.doit("--no-continue").out
    assert BLOCKED not in project.doit_assets("--no-continue").out


def test_keep_going_must_be_true_or_false(project: Project) -> None:
    project.assets('[settings]\nkeep_going = "yes"\n')
    run = project.doit("list")
    assert run.code == 3, run
    assert run.err == (
        "ERROR: assets.toml:2: setting 'keep_going' must be true or false, got string\n"
    )


def test_the_summary_names_a_python_failure_and_what_it_blocked(
    project: Project,
) -> None:
    project.write(
        "pipeline.py",
        "from doit_assets import asset\n\n"
        "@asset\ndef numbers():\n    return 1 / 0\n\n"
        "@asset\ndef double(numbers):\n    return numbers * 2\n",
    )
    project.assets('[settings]\nmodules = ["pipeline"]\n')
    run = project.doit()
    assert run.code == 1, run
    assert summary(run.out)[1:] == [
        "failed: numbers: ZeroDivisionError: division by zero",
        "blocked by numbers: double",
        "to run what failed and what it blocked again: "
        "doit assets materialize --failed",
    ]


def test_the_summary_lists_many_blocked_assets_compactly(project: Project) -> None:
    readers = "".join(
        f'\n[assets.r{i}]\npath = "out/r{i}.txt"\n'
        f'transform = "{{python}} tx.py cat {{self.path}} {{tidy.path}}"\n'
        for i in range(8)
    )
    failing(project, PIPELINE + readers)
    lines = summary(project.doit().out)
    assert "blocked by tidy: report, r0, r1, r2, r3 and 5 more" in lines, lines


# -- materialize --failed --------------------------------------------------------


def test_materialize_failed_runs_what_failed_and_what_it_blocked_only(
    project: Project,
) -> None:
    failing(project)
    project.doit()
    project.write("data/raw.txt", "1\n2\n")  # tidy works now; other is stale
    project.path("out/alone.txt").unlink()  # stale, and no business of --failed
    dry = project.doit("assets", "materialize", "--failed", "--dry-run")
    assert [
        line.split(":")[0] for line in dry.out.splitlines() if line.startswith("would")
    ] == [
        "would run tidy",
        "would run report",
        "would run other",  # final reads it
        "would run final",
    ], dry
    run = project.doit("assets", "materialize", "--failed")
    assert run.code == 0, run
    assert sorted(run.ran) == ["final", "other", "report", "tidy"], run
    assert "alone" not in run.out
    assert project.read("out/final.txt") == "1\n2\n1\n2\n"
    # nothing is left
    again = project.doit("assets", "materialize", "--failed")
    assert again.code == 0, again
    assert again.out == (
        "Nothing failed in the last run (#2, doit assets materialize --failed): "
        "nothing to run again.\n"
    )


def test_materialize_failed_runs_what_is_left_and_what_it_needs(
    project: Project,
) -> None:
    failing(project)
    project.doit()
    project.write("data/raw.txt", "1\n2\n")
    run = project.doit("assets", "materialize", "--failed", "report")
    assert run.ran == ["tidy", "report"], run  # report is selected; tidy it needs
    assert not project.exists("out/final.txt")
    nothing = project.doit("assets", "materialize", "--failed")
    assert nothing.out.startswith("Nothing failed in the last run (#2, "), nothing


def test_materialize_failed_before_any_run_and_without_selection(
    project: Project,
) -> None:
    failing(project)
    first = project.doit("assets", "materialize", "--failed")
    assert (first.code, first.out) == (0, "No run yet: nothing failed.\n")
    bare = project.doit("assets", "materialize")
    assert bare.code == 2, bare
    assert bare.err == "doit assets materialize: error: name a SELECTION, or --failed\n"


def test_materialize_follows_the_same_precedence(project: Project) -> None:
    failing(project, PIPELINE + "\n[settings]\nkeep_going = false\n")
    stopped = project.doit("assets", "materialize", "tidy+", "alone")
    assert stopped.ran == ["alone", "tidy"], stopped
    went_on = project.doit("assets", "materialize", "--continue", "tidy+")
    assert went_on.ran == ["tidy", "other"], went_on
    assert BLOCKED in went_on.out


# -- a missing file blocks only its cone ---------------------------------------

MISSING = """\
[assets.raw]
path = "data/raw.txt"

[assets.copy]
path = "out/copy.txt"
transform = "cp {raw.path} {self.path}"

[assets.summary]
path = "out/summary.txt"
transform = "cat {copy.path} > {self.path}"

[assets.alone]
path = "out/alone.txt"
transform = "echo alone > {self.path}"
"""
WARNING = (
    "assets.toml:2: warning: asset 'raw': source file 'data/raw.txt' does not "
    "exist. Create it, or give the asset a 'transform' that makes it\n"
)


def test_a_missing_source_blocks_only_what_reads_it(project: Project) -> None:
    project.assets(MISSING)
    listed = project.doit("list")
    assert (listed.code, listed.err) == (0, WARNING), listed
    assert listed.out.split() == ["alone", "copy", "raw", "summary"]
    run = project.doit()
    assert run.code == 1, run
    assert run.err == WARNING, run
    assert run.ran == ["raw", "alone"], run
    assert "x  copy (blocked by raw)\nx  summary (blocked by raw)\n" in run.out
    assert project.read("out/alone.txt") == "alone\n"
    assert summary(run.out)[1:] == [
        "failed: raw: source file 'data/raw.txt' does not exist. Create it, or "
        "give the asset a 'transform' that makes it",
        "blocked by raw: copy, summary",
        "to run what failed and what it blocked again: "
        "doit assets materialize --failed",
    ]
    status = project.doit("assets", "status")
    assert status.err == WARNING
    assert [line.split()[:2] for line in status.out.splitlines()[1:5]] == [
        ["raw", "missing"],
        ["alone", "fresh"],
        ["copy", "blocked"],
        ["summary", "blocked"],
    ]
    assert statuses(project)["summary"] == ("blocked", "raw")
    project.write("data/raw.txt", "r\n")
    assert project.doit_ok("assets", "materialize", "--failed").ran == [
        "copy",
        "summary",
    ]


# -- Ctrl-C ----------------------------------------------------------------------

SLOW = """\
[assets.first]
path = "out/first.txt"
transform = "{python} tx.py prefix {self.path} first"

[assets.slow]
path = "out/slow.txt"
transform = "touch slow.started && sleep $(cat delay.txt) & wait; {python} tx.py cat {self.path} {first.path}"

[assets.last]
path = "out/last.txt"
transform = "{python} tx.py cat {self.path} {slow.path}"
"""


def test_ctrl_c_stops_the_run_and_the_next_run_resumes_it(project: Project) -> None:
    project.assets(SLOW)
    project.write("delay.txt", "30\n")  # not an input: the next run is quick
    with Background(project) as run:
        wait_for(lambda: project.exists("slow.started"), "slow to start")
        wait_for(lambda: runs_in(project, "sleep 30"), "the shell to start sleep")
        os.kill(run.pid, signal.SIGINT)  # doit alone: its transform has a group
        stopped = run.finish()
    assert stopped.code == -signal.SIGINT, stopped
    assert stopped.err.splitlines()[-1] == (
        "interrupted: finished assets are saved; the one that was running keeps "
        "its previous output and runs again next time"
    ), stopped
    assert "Traceback" not in stopped.err
    assert stopped.ran == ["first", "slow"], stopped
    assert not runs_in(project, "sleep 30")  # the transform's children are stopped
    assert project.staging_dirs() == []
    assert runs(project)[-1]["outcome"] == "interrupted"
    assert [(m["asset"], m["status"]) for m in materializations(project)] == [
        ("first", "success"),
        ("slow", "interrupted"),
    ]
    # interrupted is not failed: it runs again, and blocks nothing
    status = project.doit_ok("assets", "status", "--json")
    states = {
        a["asset"]: (a["state"], a["reason"]) for a in json.loads(status.out)["assets"]
    }
    assert states["slow"][0] == "missing", states
    assert states["slow"][1].startswith("its last attempt was interrupted (#2, run 1)")
    assert states["last"][0] == "missing", states
    nothing = project.doit_ok("assets", "materialize", "--failed")
    assert nothing.out.startswith("Nothing failed in the last run (#1, "), nothing
    project.write("delay.txt", "0\n")
    again = project.doit_ok()
    assert again.ran == ["slow", "last"], again
    assert again.up_to_date == ["first"], again


# -- the pieces, in this process -------------------------------------------------


def test_the_command_to_run_again_keeps_the_options_that_chose_the_project() -> None:
    from doit_assets.doit_plugin.failures import rerun_command

    again = "assets materialize --failed"
    assert rerun_command(["/venv/bin/doit"]) == f"doit {again}"
    assert rerun_command(["doit", "-f", "sub/dodo.py", "-n", "2", "report"]) == (
        f"doit -f sub/dodo.py {again}"
    )
    assert (
        rerun_command(["doit", "--dir=sub", "-k", "-a"]) == f"doit --dir=sub -k {again}"
    )
    assert rerun_command(["/venv/bin/doit-assets", "-fother.toml"]) == (
        f"doit-assets -fother.toml {again}"
    )
    assert (
        rerun_command(
            [
                "doit",
                "assets",
                "-f",
                "my assets.toml",
                "materialize",
                "x",
                "--",
                "-f",
                "y",
            ]
        )
        == "doit assets -f 'my assets.toml' materialize --failed"
    )


def test_keep_going_is_the_command_lines_else_the_settings_else_true() -> None:
    from doit_assets.doit_plugin.failures import KEEP_GOING, keep_going

    assert keep_going(KEEP_GOING, {}) is True
    assert keep_going(KEEP_GOING, {"keep_going": False}) is False
    assert keep_going(KEEP_GOING, {"keep_going": True}) is True
    assert keep_going(False, {"keep_going": True}) is False
    assert keep_going(True, {"keep_going": False}) is True


def test_what_blocked_a_task_is_the_failure_at_the_root() -> None:
    from doit_assets.doit_plugin.failures import Blocking

    blocking = Blocking()
    assert not blocking.blocks(["a"])
    blocking.fail("a")
    blocking.fail("b")
    assert blocking.blocks(["x", "a"])
    assert blocking.block("c", ["a"]) == ("a",)
    assert blocking.block("d", ["c", "b", "x"]) == ("a", "b")
    assert blocking.blocks(["d"])
    assert not blocking.blocks(["x"])


def test_the_stderr_tail_keeps_the_last_lines_of_the_chunks() -> None:
    from doit_assets.run.tail import LONGEST_LINE, StderrTail

    tail = StderrTail(keep=3)
    for chunk in ["one\ntw", "o\n\n  \nthree\nfo", "ur\nfive"]:
        tail.add(chunk)
    assert tail.lines() == ("three", "four", "five")
    tail.add("\n" + "x" * (LONGEST_LINE * 3))
    assert tail.lines()[-1] == "x" * LONGEST_LINE + "..."
    assert StderrTail(keep=5).lines() == ()


def test_a_failure_reason_leaves_out_what_the_summary_shows_already() -> None:
    from doit_assets.run.summary import failure_reason

    assert failure_reason("transform exited with code 1: cp a b", "cp a b") == (
        "transform exited with code 1"
    )
    assert failure_reason(
        "assets.toml:10: asset 'tidy': input 'x' does not exist\nmore", None
    ) == ("input 'x' does not exist")
    assert failure_reason("ZeroDivisionError: division by zero") == (
        "ZeroDivisionError: division by zero"
    )


def test_the_failure_lines_group_what_each_failure_blocked() -> None:
    from doit_assets.run.summary import FailedAsset, failure_lines

    failed = [FailedAsset("a", "exited", ("last words",)), FailedAsset("b", "")]
    blocked = {"c": ("a",), "d": ("a", "b"), "e": ("a",)}
    assert failure_lines(failed, blocked, "doit assets materialize --failed") == [
        "failed: a: exited",
        "  last words",
        "failed: b",
        "blocked by a: c, e",
        "blocked by a, b: d",
        "to run what failed and what it blocked again: "
        "doit assets materialize --failed",
    ]
    assert failure_lines(failed[:1], {}, None) == ["failed: a: exited", "  last words"]
    many = [FailedAsset(f"f{i}", "x") for i in range(12)]
    assert failure_lines(many, {}, "R")[-2:] == [
        "failed: 2 more ('doit assets history --failed' lists them)",
        "to run what failed again: R",
    ]


@pytest.mark.parametrize("args", [(), ("pf",), ("-n", "2")])
def test_failed_partitions_exit_with_1_as_a_failed_asset_does(
    project: Project, args: tuple[str, ...]
) -> None:
    # doit blocks the group task of the partitions (an error, code 2 of its
    # own); the partitions failed, and that is a failure: 1
    project.assets(
        """\
        [assets.pf]
        path = "out/{partition}.txt"
        transform = "exit 1"
        partitions = { static = ["a", "b"] }
        """
    )
    result = project.doit(*args)
    assert result.code == 1, result
    assert "Traceback" not in result.err
