"""The rule for every path check, end to end with the real ``doit``.

Declared paths and globs in ``inputs`` are matched against the *declared*
outputs, by text, when the project loads: another asset's output is a load
error unless that asset is a dependency (then the file simply comes through
it). What is or is not on disk is a fact of one asset at run time: a missing
source file, a missing input or a glob that matches nothing is a warning when
the project loads, and a failure of that asset (and a block of what reads it)
when doit comes to it, never an error that stops the whole project.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from conftest import DoitRun, Project

from doit_assets import load_graph, to_doit_tasks
from doit_assets.plan.plan import plan_of

# raw (a source) -> mid -> report; report names mid's output in 'inputs' too
MID = """\
[vars]
python = "{python}"

[assets.raw]
path = "data/raw.txt"

[assets.mid]
path = "build/mid.txt"
transform = "{vars.python} tx.py upper {self.path} {raw.path}"
"""
READER_INPUT = 'inputs = ["build/mid.txt"]'


def ok(result: DoitRun) -> DoitRun:
    assert result.code == 0, result
    assert "Traceback" not in result.out + result.err, result
    return result


def reader(body: str) -> str:
    return MID + '\n[assets.report]\npath = "out/report.txt"\n' + body


def write(project: Project, toml: str) -> None:
    project.write("data/raw.txt", "a\nb\n")
    project.assets(toml)


def lines_of(project: Project, *args: str) -> list[str]:
    return ok(project.doit("assets", *args)).out.splitlines()


def last_materialization(project: Project, asset: str) -> dict[str, Any]:
    out = ok(project.doit("assets", "history", asset, "--json")).out
    found: dict[str, Any] = json.loads(out)["materializations"][0]
    return found


def without_ages(lines: list[str]) -> list[str]:
    return [re.sub(r"\b\d+s\b", "AGE", line) for line in lines]


# -- another asset's output in 'inputs' ---------------------------------------


def test_an_input_that_another_asset_makes_is_a_load_error_naming_the_fix(
    project: Project,
) -> None:
    write(
        project,
        reader(
            f"{READER_INPUT}\n"
            'transform = "{vars.python} tx.py cat {self.path} build/mid.txt"\n'
        ),
    )
    for args in ((), ("assets", "status")):
        result = project.doit(*args)
        assert (result.code, result.out) == (3, ""), result
        assert result.err == (
            "ERROR: assets.toml:13: asset 'report': input 'build/mid.txt' is the "
            "output of asset 'mid'. Depend on it instead: depends_on = [\"mid\"] "
            "(or use {mid.path} in the transform)\n"
        ), result
    assert not project.exists("build")


# Each form that names mid's output and depends on mid, as the docs allow.
ACCEPTED = {
    "depends_on": """depends_on = ["mid"]
inputs = ["build/mid.txt", "notes.txt"]
transform = "{vars.python} tx.py cat {self.path} build/mid.txt notes.txt"
""",
    "template": """inputs = ["./build/mid.txt", "notes.txt"]
transform = "{vars.python} tx.py cat {self.path} {mid.path} notes.txt"
""",
    "glob": """depends_on = ["mid"]
inputs = ["build/*.txt", "notes.txt"]
transform = "{vars.python} tx.py cat {self.path} build/mid.txt notes.txt"
""",
    "folder": """depends_on = ["mid"]
inputs = ["build", "notes.txt"]
transform = "{vars.python} tx.py cat {self.path} build/mid.txt notes.txt"
""",
}


@pytest.mark.parametrize("form", list(ACCEPTED))
def test_an_upstream_output_in_inputs_is_one_dependency_everywhere(
    project: Project, form: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, reader(ACCEPTED[form]))
    project.write("notes.txt", "n\n")
    # before any run: no warning (mid will make it), and nothing listed twice
    monkeypatch.chdir(project.root)
    tasks = {t["basename"]: t for t in to_doit_tasks(*load_graph("assets.toml"))}
    assert tasks["report"]["file_dep"] == ["notes.txt", "build/mid.txt"]
    assert tasks["report"]["task_dep"] == ["mid"]
    first = ok(project.doit())
    assert (first.ran, first.err) == (["mid", "report"], ""), first
    assert project.read("out/report.txt") == "A\nB\nn\n"
    assert without_ages(lines_of(project, "status"))[1:4] == [
        "raw     source  -",
        "mid     fresh   AGE",
        "report  fresh   AGE",
    ]

    project.write("data/raw.txt", "c\n")
    assert without_ages(lines_of(project, "status"))[3] == (
        "report  stale   AGE   upstream 'mid' will re-run: input 'data/raw.txt' changed"
    )
    assert lines_of(project, "why", "report")[:3] == [
        "report is stale and would run, because:",
        "  upstream 'mid' will re-run (stale)",
        "    input 'data/raw.txt' changed",
    ]
    graph = json.loads(ok(project.doit("assets", "graph", "--format", "json")).out)
    report = next(n for n in graph["nodes"] if n["asset"] == "report")
    assert report["deps"] == ["mid"]
    assert ok(project.doit()).ran == ["mid", "report"]
    assert project.read("out/report.txt") == "C\nn\n"
    lineage = lines_of(project, "lineage", "report")
    assert any(re.search(r"\bmid\b", line) for line in lineage[1:]), lineage
    inputs = {
        i["path"]: i["asset"] for i in last_materialization(project, "report")["inputs"]
    }
    assert inputs == {"build/mid.txt": "mid", "notes.txt": None}


def test_a_directory_output_over_another_assets_input_is_refused_and_nothing_is_removed(
    project: Project,
) -> None:
    project.write("data/notes.txt", "keep me\n")
    project.assets(
        """\
        [assets.dump]
        path = "data/"
        transform = "mkdir -p {self.path}"

        [assets.summary]
        path = "out/summary.txt"
        inputs = ["data/notes.txt"]
        transform = "cp data/notes.txt {self.path}"
        """
    )
    result = project.doit()
    assert result.code == 3, result
    assert result.err == (
        "ERROR: assets.toml:7: asset 'summary': input 'data/notes.txt' is inside "
        "'data/', the output of asset 'dump'. Depend on it instead: "
        'depends_on = ["dump"] (or use {dump.path} in the transform)\n'
    ), result
    assert project.read("data/notes.txt") == "keep me\n"


# -- what is not on disk: a warning, and a failure of that asset ---------------

PIPE = """\
[vars]
python = "{python}"

[assets.raw]
path = "data/raw.txt"

[assets.tidy]
path = "out/tidy.txt"
transform = "{vars.python} clean.py {self.path} {raw.path}"
inputs = ["clean.pyy"]

[assets.other]
path = "out/other.txt"
transform = "{vars.python} tx.py upper {self.path} {raw.path}"

[assets.report]
path = "out/report.txt"
transform = "{vars.python} tx.py cat {self.path} {tidy.path}"
"""
CLEAN = "asset 'tidy': input 'clean.pyy' does not exist. Did you mean 'clean.py'?"
CLEAN_PY = "import sys\nopen(sys.argv[1], 'w').write(open(sys.argv[2]).read())\n"


def write_pipe(project: Project) -> None:
    project.write("data/raw.txt", "a\n")
    project.write("clean.py", CLEAN_PY)
    project.assets(PIPE)


def test_a_missing_input_fails_only_its_asset_with_a_warning_first(
    project: Project,
) -> None:
    write_pipe(project)
    run = project.doit("-c")
    assert run.code == 1, run  # the failure's: what it blocked is no error of its own
    assert run.err == f"assets.toml:10: warning: {CLEAN}\n", run
    assert f"MissingInput - taskid:tidy\nassets.toml:10: {CLEAN}\n" in run.out
    assert "Dependent file" not in run.out + run.err
    assert run.ran == ["tidy", "other"], run  # '.' for tidy: it failed at once
    assert "x  report (blocked by tidy)\n" in run.out  # blocked, not failed
    assert not project.exists("out/tidy.txt")
    assert project.read("out/other.txt") == "A\n"
    # the failure is in the history, in the same words
    failed = last_materialization(project, "tidy")
    assert (failed["status"], failed["error"]) == (
        "failed",
        f"assets.toml:10: {CLEAN}",
    )
    # status and why say why, and print the warning once too
    result = project.doit("assets", "status")
    assert result.err == f"assets.toml:10: warning: {CLEAN}\n", result
    assert result.out.splitlines()[2] == (
        "tidy    failed   -    input 'clean.pyy' does not exist"
    )
    assert lines_of(project, "why", "tidy") == [
        "tidy failed last time and would fail again, because:",
        "  input 'clean.pyy' does not exist",
    ]
    # the file made: the asset runs, and the warning is gone
    project.write("clean.pyy", "")
    again = project.doit()
    assert (again.code, again.err, again.ran) == (0, "", ["tidy", "report"]), again


def test_without_continue_the_failure_stops_the_run_as_any_failure_does(
    project: Project,
) -> None:
    write_pipe(project)
    run = project.doit("--no-continue")
    assert run.code == 1, run
    assert run.ran == ["tidy"], run
    assert not project.exists("out/other.txt")


def test_an_input_already_made_and_then_deleted_fails_before_doit_says_it(
    project: Project,
) -> None:
    write_pipe(project)
    project.write("clean.pyy", "")
    ok(project.doit())
    project.path("clean.pyy").unlink()
    run = project.doit()
    assert run.code == 1, run
    assert f"MissingInput - taskid:tidy\nassets.toml:10: {CLEAN}\n" in run.out
    assert "Dependent file" not in run.out + run.err
    assert project.read("out/tidy.txt") == "a\n"  # the last good output stays


def test_a_file_deleted_during_the_run_fails_in_our_words(project: Project) -> None:
    project.write("data/raw.txt", "a\n")
    project.write("extra.txt", "e\n")
    project.assets(
        """\
        [assets.raw]
        path = "data/raw.txt"

        [assets.mid]
        path = "out/mid.txt"
        transform = "cp {raw.path} {self.path} && if grep -q b {raw.path}; then rm extra.txt; fi"

        [assets.report]
        path = "out/report.txt"
        inputs = ["extra.txt"]
        transform = "cat {mid.path} extra.txt > {self.path}"
        """
    )
    ok(project.doit("report"))
    project.write("data/raw.txt", "b\n")  # mid runs, and deletes extra.txt
    run = project.doit()
    assert run.code != 0, run
    assert "Dependent file" not in run.out, run
    assert (
        "MissingInput - taskid:report\n"
        "assets.toml:8: asset 'report': input 'extra.txt' does not exist\n"
    ) in run.out
    assert last_materialization(project, "report")["status"] == "failed"


def test_a_glob_that_matches_nothing_fails_its_asset(project: Project) -> None:
    project.assets(
        """\
        [assets.summary]
        path = "out/summary.txt"
        inputs = ["notes/*.txt"]
        transform = "cat notes/*.txt > {self.path}"
        """
    )
    problem = (
        "asset 'summary': input 'notes/*.txt' matches no file. List files the "
        "transform reads; outputs of other assets go in 'depends_on'"
    )
    run = project.doit()
    assert (run.code, run.err) == (1, f"assets.toml:3: warning: {problem}\n"), run
    assert f"MissingInput - taskid:summary\nassets.toml:3: {problem}\n" in run.out
    assert lines_of(project, "status")[1] == (
        "summary  failed  -    input 'notes/*.txt' matches no file"
    )
    project.write("notes/one.txt", "1\n")
    assert ok(project.doit()).ran == ["summary"]


def test_a_typo_in_a_folder_is_found_one_folder_at_a_time(project: Project) -> None:
    project.write("config/settings.yaml", "a: 1\n")
    project.write("data/orders.csv", "1\n")
    project.assets(
        """\
        [assets.report]
        path = "out/report.txt"
        inputs = ["confg/setings.yaml", "data/returns.csv"]
        transform = "touch {self.path}"
        """
    )
    assert project.doit("list").err == (
        "assets.toml:3: warning: asset 'report': input 'confg/setings.yaml' does not "
        "exist. Did you mean 'config/settings.yaml'?\n"
        # another file is no typo: the hint says what inputs are for
        "assets.toml:3: warning: asset 'report': input 'data/returns.csv' does not "
        "exist. List files the transform reads; outputs of other assets go in "
        "'depends_on'\n"
    )


def test_a_source_of_the_wrong_kind_is_a_warning_and_a_failure(
    project: Project,
) -> None:
    project.write("data/orders.csv", "1\n")
    project.assets(
        """\
        [assets.orders]
        path = "data/orders.csv/"

        [assets.count]
        path = "out/count.txt"
        transform = "ls {orders.path} > {self.path}"
        """
    )
    problem = (
        "asset 'orders': source 'data/orders.csv/' is a file, not a directory. "
        'Write path = "data/orders.csv"'
    )
    run = project.doit()
    assert (run.code, run.err) == (1, f"assets.toml:2: warning: {problem}\n"), run
    assert f"MissingInput - taskid:orders\nassets.toml:2: {problem}\n" in run.out
    assert lines_of(project, "status")[1] == (
        "orders  missing  -    source 'data/orders.csv/' is a file, not a directory"
    )


def test_a_missing_source_is_missing_fails_and_blocks_what_reads_it(
    project: Project,
) -> None:
    project.assets(
        """\
        [assets.raw]
        path = "data/raw.txt"

        [assets.copy]
        path = "out/copy.txt"
        transform = "cp {raw.path} {self.path}"

        [assets.alone]
        path = "out/alone.txt"
        transform = "echo alone > {self.path}"
        """
    )
    problem = (
        "asset 'raw': source file 'data/raw.txt' does not exist. "
        "Create it, or give the asset a 'transform' that makes it"
    )
    result = project.doit("assets", "status")
    assert (result.code, result.err) == (0, f"assets.toml:2: warning: {problem}\n")
    assert sorted(result.out.splitlines()[1:4]) == [
        "alone  missing  -    never materialized",
        "copy   blocked  -    upstream 'raw' is missing: source file 'data/raw.txt' "
        "does not exist (and 1 more)",
        "raw    missing  -    source file 'data/raw.txt' does not exist",
    ]
    assert lines_of(project, "why", "raw") == [
        "raw is missing: doit fails it and skips what reads it, because:",
        "  source file 'data/raw.txt' does not exist",
    ]
    assert lines_of(project, "why", "copy")[:3] == [
        "copy is blocked by 'raw' and cannot run, because:",
        "  upstream 'raw' is missing",
        "    source file 'data/raw.txt' does not exist",
    ]
    data = json.loads(ok(project.doit("assets", "status", "--json")).out)
    assert data["assets"][0]["causes"] == [
        {
            "kind": "source_missing",
            "text": "source file 'data/raw.txt' does not exist",
            "path": "data/raw.txt",
        }
    ]
    run = project.doit()
    assert run.code == 1, run  # the failure's: what it blocked is no error of its own
    assert f"MissingInput - taskid:raw\nassets.toml:2: {problem}\n" in run.out
    assert "x  copy (blocked by raw)\n" in run.out
    assert run.ran == ["raw", "alone"], run
    project.write("data/raw.txt", "r\n")
    assert ok(project.doit()).ran == ["copy"]


def partitions_toml(project: Project) -> None:
    for day in ("01", "02", "04"):
        project.write(f"data/2024-03-{day}.txt", f"{day}\n")
    project.assets(
        """\
        [assets.days]
        path = "data/{partition}.txt"
        partitions = { daily = { start = "2024-03-01", end = "2024-03-04" } }

        [assets.copy]
        path = "out/{partition}.txt"
        transform = "cp {days.path} {self.path}"
        partitions = { daily = { start = "2024-03-01", end = "2024-03-04" } }
        """
    )


def test_a_partition_without_its_file_blocks_only_the_partitions_that_read_it(
    project: Project,
) -> None:
    partitions_toml(project)
    warning = (
        "assets.toml:2: warning: asset 'days': source file 'data/2024-03-03.txt' "
        "does not exist. Create it, or give the asset a 'transform' that makes it\n"
    )
    assert project.doit("list").err == warning
    assert ok(project.doit("copy:2024-03-01")).ran == ["copy:2024-03-01"]
    run = project.doit()
    assert run.code != 0, run
    assert run.ran == ["days:2024-03-03", "copy:2024-03-02", "copy:2024-03-04"], run
    assert "x  copy:2024-03-03 (blocked by days:2024-03-03)\n" in run.out
    assert without_ages(lines_of(project, "status"))[1:3] == [
        "days   missing  -    4 partitions, 1 missing",
        "copy   blocked  AGE   3/4 fresh, 1 blocked",
    ]


def test_several_partitions_without_their_files_make_one_warning(
    project: Project,
) -> None:
    partitions_toml(project)
    project.path("data/2024-03-04.txt").unlink()
    assert project.doit("list").err == (
        "assets.toml:2: warning: asset 'days': source file 'data/2024-03-03.txt' "
        "does not exist (and 1 more partition). Create it, or give the asset a "
        "'transform' that makes it\n"
    )


def test_warnings_come_once_per_run_also_from_the_project_cache(
    project: Project,
) -> None:
    write_pipe(project)
    first, second = project.doit("list"), project.doit("list")
    assert first.err == second.err == f"assets.toml:10: warning: {CLEAN}\n"
    assert project.exists(".doit-assets/project.cache")


def test_what_a_task_gets_for_a_missing_file(monkeypatch: Any, folder: Project) -> None:
    project = folder
    write_pipe(project)
    monkeypatch.chdir(project.root)
    project_, graph = load_graph("assets.toml")
    plan = plan_of(project_, graph)
    tasks = {t["basename"]: t for t in to_doit_tasks(project_, graph)}
    clean = tasks["tidy"]
    missing = plan.missing(plan.by_task["tidy"])
    assert [(m.path, m.kind, m.problem) for m in missing] == [
        ("clean.pyy", "input_missing", "input 'clean.pyy' does not exist")
    ]
    failing, args = clean["actions"][0]  # it fails first, in the warning's words
    assert failing.__name__ == "fail_missing"
    assert args == [[missing[0].message]]
    assert clean["file_dep"] == ["data/raw.txt"]
    assert clean["uptodate"][-1] is False  # never skipped: it fails instead
    assert plan.missing(plan.by_task["other"]) == []
