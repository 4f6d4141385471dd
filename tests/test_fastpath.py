"""The no-op fast path of doit-assets: answered without doit, and never wrong."""

from __future__ import annotations

import json
import subprocess
import time

import pytest
from conftest import PYTHON, Project
from history_support import assert_lines

MANIFEST = ".doit-assets/noop.manifest"

PIPELINE = """\
[vars]
python = "{python}"

[assets.raw]
path = "data/raw.txt"

[assets.upper]
path = "out/upper.txt"
transform = "{vars.python} tx.py upper {self.path} {raw.path}"

[assets.count]
path = "out/count.txt"
transform = "{vars.python} tx.py count {self.path} {upper.path}"
"""

# Runs the console script's entry point in a fresh interpreter and reports
# whether doit was imported at all.
PROBE = """
import sys
from doit_assets.cli.console import main
code = main([])
print("doit imported:", "doit" in sys.modules)
sys.exit(code)
"""


def built(project: Project) -> Project:
    project.write("data/raw.txt", "a\nb\n")
    project.assets(PIPELINE, dodo=False)
    assert project.doit_assets().ran == ["upper", "count"]
    assert project.exists(MANIFEST)
    return project


def probe(project: Project) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-c", PROBE], cwd=project.root, capture_output=True, text=True
    )


def test_an_unchanged_project_is_answered_without_doit(project: Project) -> None:
    built(project)
    result = probe(project)
    assert result.returncode == 0, result
    assert_lines(
        result.stdout,
        [
            "-- raw",
            "-- upper",
            "-- count",
            "doit-assets: 0 made, 3 up to date in <took>",
            "doit imported: False",
        ],
    )


def test_the_fast_path_ends_like_doit(project: Project) -> None:
    built(project)
    by_doit = project.doit_assets("run")  # any argument: doit answers
    fast = project.doit_assets()
    assert [by_doit.code, fast.code] == [0, 0], (by_doit, fast)
    # the same lines, the same summary; only the time differs
    assert_lines(
        by_doit.out, fast.out.replace(fast.out.split()[-1], "<took>").splitlines()
    )


# Partitions: the parent task of sales:eu and sales:us (doit runs it, it has
# nothing to do, doit prints no line for it) is not an asset.
PARTITIONED = """[assets.sales]
path = "data/{partition}.csv"
partitions = { static = ["eu", "us"] }

[assets.total]
path = "out/total.txt"
transform = "cat {sales.paths} > {self.path}"
"""


def test_the_fast_path_counts_partitions_as_doit_does(project: Project) -> None:
    project.write("data/eu.csv", "1\n")
    project.write("data/us.csv", "2\n")
    project.assets(PARTITIONED, dodo=False)
    assert project.doit_assets().code == 0
    by_doit = project.doit_assets("run")
    assert project.exists(MANIFEST), by_doit
    fast = project.doit_assets()
    assert_lines(
        fast.out,
        [
            "-- sales:eu",
            "-- sales:us",
            "-- total",
            "doit-assets: 0 made, 3 up to date in <took>",
        ],
    )
    assert by_doit.out.splitlines()[:-1] == fast.out.splitlines()[:-1]
    assert_lines(
        by_doit.out.splitlines()[-1], [fast.out.splitlines()[-1][:-5] + "<took>"]
    )


def test_the_fast_answer_is_recorded_as_a_run(project: Project) -> None:
    built(project)
    probe(project)
    runs = project.doit_assets("assets", "runs", "--json")
    newest = json.loads(runs.out)["runs"][0]
    assert (newest["command"], newest["outcome"], newest["up_to_date"]) == (
        "doit-assets",
        "success",
        3,
    )


def test_a_changed_source_goes_to_doit(project: Project) -> None:
    built(project)
    project.write("data/raw.txt", "a\nb\nc\n")
    result = probe(project)
    assert "doit imported: True" in result.stdout
    assert ".  upper" in result.stdout and ".  count" in result.stdout


def test_a_hand_edited_output_goes_to_doit(project: Project) -> None:
    built(project)
    project.write("out/count.txt", "99\n")
    assert project.doit_assets().ran == ["count"]
    assert project.read("out/count.txt") == "2\n"


def test_an_edited_assets_toml_goes_to_doit(project: Project) -> None:
    built(project)
    toml = project.path("assets.toml")
    toml.write_text(toml.read_text().replace("tx.py count", "tx.py cat"))
    assert project.doit_assets().ran == ["count"]


def test_doit_forget_is_noticed(project: Project) -> None:
    built(project)
    assert project.doit_assets("forget", "--all").code == 0
    assert project.doit_assets().ran == ["upper", "count"]


def test_a_partial_run_keeps_the_manifest(project: Project) -> None:
    built(project)
    project.write("data/raw.txt", "changed\n")
    assert project.doit_assets("upper").ran == ["upper"]
    assert project.exists(MANIFEST)  # the shape of the tasks; stamps say the rest
    assert project.doit_assets().ran == ["count"]
    assert "doit imported: False" in probe(project).stdout


def test_glob_inputs_are_expanded_again_by_the_fast_path(project: Project) -> None:
    project.write("data/raw.txt", "a\n")
    project.write("notes/one.txt", "1\n")
    project.assets(
        PIPELINE + 'inputs = ["notes/*.txt"]\n',
        dodo=False,
    )
    assert project.doit_assets().code == 0
    assert project.exists(MANIFEST)
    assert "doit imported: False" in probe(project).stdout
    project.write("notes/two.txt", "2\n")  # a new match
    assert project.doit_assets().ran == ["count"]
    assert "doit imported: False" in probe(project).stdout
    project.path("notes/one.txt").unlink()  # one gone
    assert project.doit_assets().ran == ["count"]
    project.path("notes/two.txt").unlink()  # none left: doit says so
    result = project.doit_assets()
    assert result.code == 1 and "notes/*.txt" in result.out + result.err, result


def test_a_dodo_py_run_does_not_write_a_manifest(project: Project) -> None:
    project.write("data/raw.txt", "a\n")
    project.assets(PIPELINE)
    assert project.doit().code == 0
    assert not project.exists(MANIFEST)


def test_max_age_and_observations_use_the_fast_path(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write("data/raw.txt", "a\n")
    project.write("version.txt", "v1\n")
    project.assets(
        PIPELINE + 'max_age = "1h"\n\n[assets.remote]\nobserve = "cat version.txt"\n',
        dodo=False,
    )
    assert project.doit_assets().ran == ["remote", "upper", "count"]
    assert project.exists(MANIFEST)
    assert project.doit_assets().ran == ["remote"]  # observed on every run
    monkeypatch.setenv("DOIT_ASSETS_NOW", str(time.time() + 2 * 3600))
    assert project.doit_assets().ran == ["remote", "count"]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pyproject.toml", "[tool.doit.commands.run]\nalways = true\n"),
        ("pyproject.toml", '[tool.doit]\ndefault_tasks = ["upper"]\n'),
        ("doit.cfg", "[run]\nalways = True\n"),
    ],
)
def test_doit_options_that_change_a_run_are_left_to_doit(
    project: Project, name: str, text: str
) -> None:
    built(project)
    project.write(name, text)
    result = probe(project)
    assert "doit imported: True" in result.stdout, result


def test_doit_options_that_change_nothing_keep_the_fast_path(
    project: Project,
) -> None:
    built(project)
    project.write("pyproject.toml", "[tool.doit]\nverbosity = 2\nalways = false\n")
    assert "doit imported: False" in probe(project).stdout
