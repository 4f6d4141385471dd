"""Every way to run an assets project: the console script, the loader plugin,
a hand-written dodo.py, and ``doit assets init``."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3

import pytest
from conftest import PYTHON, Project, run_doit, run_doit_assets

SMALL = """\
[vars]
python = "{python}"

[assets.raw]
path = "data/raw.txt"

[assets.shout]
path = "out/shout.txt"
transform = "{vars.python} tx.py upper {self.path} {raw.path}"
description = "Loud"
"""

DODO_LINE = "from doit_assets.dodo import *\n"
IGNORE_BLOCK = (
    "# doit-assets: state and history, staging of outputs\n"
    ".doit-assets/\n"
    ".doit-assets-staging.*\n"
)


def small(project: Project, *, dodo: bool) -> None:
    project.assets(SMALL, dodo=dodo)
    project.write("data/raw.txt", "hi\n")


def test_console_script_needs_no_dodo_py(project: Project) -> None:
    small(project, dodo=False)
    result = project.doit_assets()
    assert result.code == 0, result
    assert result.ran == ["shout"]
    assert project.read("out/shout.txt") == "HI\n"
    assert project.doit_assets().ran == []
    assert not project.exists("dodo.py")


def test_console_script_runs_doit_commands(project: Project) -> None:
    small(project, dodo=False)
    listed = project.doit_assets("list")
    assert listed.code == 0, listed
    assert [line.split() for line in listed.out.splitlines()] == [
        ["raw"],
        ["shout", "Loud"],
    ]
    built = project.doit_assets("shout")
    assert built.ran == ["shout"]
    info = project.doit_assets("info", "shout")
    assert info.code == 0, info
    assert "status     : up-to-date" in info.out


def test_console_script_reads_another_file_with_f(project: Project) -> None:
    project.assets(SMALL, dodo=False)
    project.path("assets.toml").rename(project.path("other.toml"))
    project.write("data/raw.txt", "hi\n")
    result = project.doit_assets("-f", "other.toml")
    assert result.code == 0, result
    assert result.ran == ["shout"]
    again = project.doit_assets("list", "-f", "other.toml")
    assert again.code == 0, again
    assert again.out.split() == ["raw", "shout", "Loud"]


def test_console_script_runs_in_another_directory_with_d(
    project: Project,
) -> None:
    small(project, dodo=False)
    result = run_doit_assets("-d", "project", cwd=project.root.parent)
    assert result.code == 0, result
    assert result.ran == ["shout"]
    assert project.read("out/shout.txt") == "HI\n"


def test_console_script_without_assets_toml_says_so(project: Project) -> None:
    result = project.doit_assets()
    assert result.code == 3, result
    assert result.err == (
        "ERROR: assets.toml: file not found. Declare assets in it, "
        "e.g. [assets.report] with a 'path' and a 'transform'\n"
    )


def test_console_script_keeps_state_in_sqlite(project: Project) -> None:
    small(project, dodo=False)
    assert project.doit_assets().code == 0
    assert_sqlite_state(project, ["raw", "shout"])


def test_pyproject_loader_runs_plain_doit_without_dodo_py(project: Project) -> None:
    small(project, dodo=False)
    project.write("pyproject.toml", '[tool.doit]\nloader = "assets"\n')
    result = project.doit()
    assert result.code == 0, result
    assert result.ran == ["shout"]
    assert project.read("out/shout.txt") == "HI\n"
    assert project.doit_ok().ran == []
    listed = project.doit("list")
    assert listed.out.split() == ["raw", "shout", "Loud"]
    assert_sqlite_state(project, ["raw", "shout"])


def test_one_line_dodo_py_runs_plain_doit(project: Project) -> None:
    small(project, dodo=True)
    assert project.read("dodo.py") == DODO_LINE
    result = project.doit()
    assert result.code == 0, result
    assert result.ran == ["shout"]
    assert_sqlite_state(project, ["raw", "shout"])


USER_DODO = """\
from doit_assets import AssetTasks, doit_config

DOIT_CONFIG = doit_config()

pipelines = AssetTasks("pipelines/assets.toml")


def task_hello():
    \"\"\"say hello\"\"\"
    return {
        "actions": ["echo hello > hello.txt"],
        "targets": ["hello.txt"],
        "uptodate": [True],
    }
"""

# Paths in pipelines/assets.toml are relative to pipelines/, and so is the
# transforms' working directory.
PIPELINES = """\
[vars]
python = "{python}"

[assets.raw]
path = "data/raw.txt"

[assets.shout]
path = "out/shout.txt"
inputs = ["conf.txt"]
transform = "{vars.python} ../tx.py upper {self.path} {raw.path} conf.txt"
description = "Loud"

[assets.parts]
path = "out/parts/"
transform = "{vars.python} ../tx.py split {self.path} {shout.path}"
"""


@pytest.fixture
def user_dodo(project: Project) -> Project:
    project.write("dodo.py", USER_DODO)
    project.write("pipelines/assets.toml", PIPELINES.replace("{python}", PYTHON))
    project.write_tool()
    project.write("pipelines/data/raw.txt", "hi\n")
    project.write("pipelines/conf.txt", "conf\n")
    return project


def test_hand_written_dodo_py_mixes_assets_with_tasks(user_dodo: Project) -> None:
    result = user_dodo.doit()
    assert result.code == 0, result
    assert sorted(result.ran) == ["hello", "parts", "shout"]
    assert user_dodo.read("pipelines/out/shout.txt") == "HI\nCONF\n"
    assert user_dodo.read("pipelines/out/parts/part1.txt") == "CONF\n"
    assert user_dodo.read("hello.txt") == "hello\n"
    assert not user_dodo.exists("out")
    assert user_dodo.doit_ok().ran == []
    listed = user_dodo.doit("list")
    assert [line.split(None, 1) for line in listed.out.splitlines()] == [
        ["hello", "say hello"],
        ["parts"],
        ["raw"],
        ["shout", "Loud"],
    ]


def test_assets_of_a_toml_in_a_subdirectory_rebuild_when_stale(
    user_dodo: Project,
) -> None:
    assert user_dodo.doit().code == 0
    user_dodo.write("pipelines/data/raw.txt", "again\n")
    assert sorted(user_dodo.doit_ok().ran) == ["parts", "shout"]
    assert user_dodo.read("pipelines/out/parts/part0.txt") == "AGAIN\n"
    user_dodo.write("pipelines/conf.txt", "other\n")
    assert sorted(user_dodo.doit_ok().ran) == ["parts", "shout"]
    assert user_dodo.read("pipelines/out/parts/part1.txt") == "OTHER\n"


def test_assets_of_a_toml_in_a_subdirectory_show_paths_from_the_dodo(
    user_dodo: Project,
) -> None:
    assert user_dodo.doit().code == 0
    info = user_dodo.doit("info", "shout")
    assert info.code == 0, info
    assert " - pipelines/data/raw.txt" in info.out
    assert " - pipelines/conf.txt" in info.out
    assert " - pipelines/out/shout.txt" in info.out


def test_assets_of_a_toml_in_a_subdirectory_are_cleaned(user_dodo: Project) -> None:
    assert user_dodo.doit().code == 0
    result = user_dodo.doit("clean", "shout", "parts")
    assert result.code == 0, result
    assert not user_dodo.exists("pipelines/out/shout.txt")
    assert not user_dodo.exists("pipelines/out/parts")
    assert user_dodo.read("pipelines/data/raw.txt") == "hi\n"
    assert user_dodo.read("hello.txt") == "hello\n"


def test_hand_written_dodo_py_runs_from_a_subdirectory_with_k(
    project: Project,
) -> None:
    small(project, dodo=True)
    project.write("docs/readme.txt", "x\n")
    result = run_doit("-k", cwd=project.path("docs"))
    assert result.code == 0, result
    assert result.ran == ["shout"]
    assert project.read("out/shout.txt") == "HI\n"
    assert not project.exists("docs/out")


def test_init_writes_the_one_line_dodo_py_and_ignore_lines(project: Project) -> None:
    result = project.doit("assets", "init")
    assert result.code == 0, result
    assert project.read("dodo.py") == DODO_LINE
    assert project.read(".gitignore") == IGNORE_BLOCK
    assert "wrote dodo.py: from doit_assets.dodo import *" in result.out


def test_init_appends_to_an_existing_gitignore(project: Project) -> None:
    project.write(".gitignore", "__pycache__/\n*.pyc\n")
    assert project.doit("assets", "init").code == 0
    lines = project.read(".gitignore").splitlines()
    assert lines[:2] == ["__pycache__/", "*.pyc"]
    assert [line for line in lines[2:] if line] == IGNORE_BLOCK.splitlines()


def test_init_appends_on_a_new_line_when_gitignore_lacks_one(
    project: Project,
) -> None:
    project.write(".gitignore", "node_modules")
    assert project.doit("assets", "init").code == 0
    lines = project.read(".gitignore").splitlines()
    assert lines[0] == "node_modules"
    assert [line for line in lines[1:] if line] == IGNORE_BLOCK.splitlines()


def test_init_adds_only_the_missing_ignore_line(project: Project) -> None:
    project.write(".gitignore", ".doit-assets/\n")
    assert project.doit("assets", "init").code == 0
    text = project.read(".gitignore")
    assert text.count(".doit-assets/") == 1
    assert text.count(".doit-assets-staging.*") == 1


def test_init_is_idempotent(project: Project) -> None:
    assert project.doit("assets", "init").code == 0
    again = project.doit("assets", "init")
    assert again.code == 0, again
    assert project.read("dodo.py") == DODO_LINE
    assert project.read(".gitignore") == IGNORE_BLOCK
    assert "dodo.py already loads the assets" in again.out
    assert ".gitignore already ignores the state folder" in again.out


def test_init_accepts_a_dodo_py_that_already_loads_the_assets(
    project: Project,
) -> None:
    mine = "from doit_assets.dodo import *\n\n\ndef task_x():\n    return {}\n"
    project.write("dodo.py", mine)
    result = project.doit("assets", "init")
    assert result.code == 0, result
    assert project.read("dodo.py") == mine


def test_init_refuses_a_foreign_dodo_py(project: Project) -> None:
    foreign = "def task_build():\n    return {'actions': ['make']}\n"
    project.write("dodo.py", foreign)
    result = project.doit("assets", "init")
    assert result.code == 3, result
    assert result.err == (
        "ERROR: dodo.py exists and does not load the assets. "
        "Add this line to it: from doit_assets.dodo import *\n"
    )
    assert project.read("dodo.py") == foreign
    assert not project.exists(".gitignore")


def test_init_in_another_directory_with_d(project: Project) -> None:
    project.path("sub").mkdir()
    result = project.doit("-d", "sub", "assets", "init")
    assert result.code == 0, result
    assert project.read("sub/dodo.py") == DODO_LINE
    assert project.read("sub/.gitignore") == IGNORE_BLOCK
    assert not project.exists("dodo.py")


def test_init_with_another_assets_file_writes_a_dodo_py_that_loads_it(
    project: Project,
) -> None:
    small(project, dodo=False)
    project.path("assets.toml").rename(project.path("pipeline.toml"))
    result = project.doit("assets", "-f", "pipeline.toml", "init")
    assert result.code == 0, result
    assert project.read("dodo.py") == (
        "from doit_assets.dodo import *\n"
        "from doit_assets import AssetTasks\n\n"
        "assets_toml = AssetTasks('pipeline.toml')\n"
    )
    built = project.doit()
    assert built.code == 0, built
    assert built.ran == ["shout"]


def test_init_then_doit_builds_the_project(project: Project) -> None:
    small(project, dodo=False)
    assert project.doit("assets", "init").code == 0
    result = project.doit()
    assert result.code == 0, result
    assert result.ran == ["shout"]


def test_state_db_is_sqlite_not_dbm(project: Project) -> None:
    small(project, dodo=True)
    assert project.doit().code == 0
    assert (
        project.path(".doit-assets/state.sqlite")
        .read_bytes()
        .startswith(b"SQLite format 3\x00")
    )
    assert not list(project.root.glob(".doit.db*"))
    assert_sqlite_state(project, ["raw", "shout"])


def assert_sqlite_state(project: Project, names: list[str]) -> None:
    db = project.path(".doit-assets/state.sqlite")
    with sqlite3.connect(db) as conn:
        saved = sorted(row[0] for row in conn.execute("select task_id from doit"))
    assert saved == names
    assert not list(project.root.glob(".doit.db*"))


def test_state_keeps_doits_own_checker_name_and_md5s(project: Project) -> None:
    # doit-assets hashes file_deps through its own cache; the saved state must
    # stay what doit's md5 checker writes, so plain doit can read it.
    project.write("data/raw.txt", "a\n")
    project.assets(SMALL)
    assert project.doit_ok().ran == ["shout"]
    conn = sqlite3.connect(project.path(".doit-assets/state.sqlite"))
    (data,) = conn.execute(
        "select task_data from doit where task_id = 'shout'"
    ).fetchone()
    conn.close()
    state = json.loads(data)
    assert state["checker:"] == "MD5Checker"
    mtime, size, digest = state["data/raw.txt"]
    assert (size, digest) == (2, hashlib.md5(b"a\n").hexdigest())
    assert mtime == os.path.getmtime(project.path("data/raw.txt"))
