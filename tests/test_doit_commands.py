"""doit's own ``dumpdb`` and ``strace`` on an assets project, through the real
``doit``: the state is printed, and an asset is not traced for nothing."""

from __future__ import annotations

import hashlib
import json
import os
import pprint
import shutil
import sqlite3

import pytest
from conftest import Project, copy_of, run_doit

SMALL = """\
[vars]
python = "{python}"

[assets.raw]
path = "data/raw.txt"

[assets.shout]
path = "out/shout.txt"
transform = "{vars.python} tx.py upper {self.path} {raw.path}"
"""

STATE = ".doit-assets/state.sqlite"
PLAIN_DODO = """\
def task_hello():
    return {"actions": ["cat in.txt > out.txt"], "file_dep": ["in.txt"],
            "targets": ["out.txt"]}
"""


def build(project: Project) -> None:
    """SMALL, built."""
    project.assets(SMALL)
    project.write("data/raw.txt", "hi\n")
    assert project.doit().ran == ["shout"]


def build_in_shop(project: Project) -> None:
    """SMALL, built in the folder shop/ of the project."""
    build(Project(project.path("shop")))


built = copy_of(build)
shop_inside = copy_of(build_in_shop)


def expected_dump(project: Project) -> str:
    """What dumpdb must print: every task's saved state, read here by hand."""
    conn = sqlite3.connect(project.path(STATE))
    rows = conn.execute("select task_id, task_data from doit").fetchall()
    conn.close()
    lines = [f"SQLite state: {STATE}\n"]
    for task, data in sorted(rows):
        value = pprint.pformat(json.loads(data), indent=4, width=100)
        lines.append(f"{task} -> {value}\n")
    return "".join(lines)


def test_dumpdb_prints_the_sqlite_state(built: Project) -> None:
    result = built.doit("dumpdb")
    assert (result.code, result.err) == (0, ""), result
    assert result.out == expected_dump(built)
    assert [line.split(" -> ")[0] for line in result.out.splitlines()[1:]
            if " -> " in line] == ["raw", "shout"]  # fmt: skip
    md5 = hashlib.md5(b"HI\n").hexdigest()
    assert f"'md5': '{md5}'" in result.out
    assert built.doit_assets("dumpdb").out == result.out
    named = built.doit("dumpdb", "--db-file", STATE)
    assert named.out == result.out


def test_dumpdb_reads_the_project_named_with_f_or_d(shop_inside: Project) -> None:
    project = shop_inside
    shop = Project(project.path("shop"))
    dump = expected_dump(shop)
    for args in (["-f", "shop/dodo.py"], ["-d", "shop"]):
        result = project.doit(*args, "dumpdb")
        assert (result.code, result.out) == (0, dump), result
    result = project.doit_assets("-f", "shop/assets.toml", "dumpdb")
    assert (result.code, result.out) == (0, dump), result


def test_dumpdb_without_a_state_says_so_in_one_line(project: Project) -> None:
    project.assets(SMALL)
    result = project.doit("dumpdb")
    assert (result.code, result.out) == (3, ""), result
    assert result.err == (
        f"ERROR: no doit state in {project.root}: neither .doit.db nor "
        f"{STATE} exists. Run doit first, or name the state file with --db-file\n"
    )


def test_dumpdb_of_a_plain_doit_project_is_doits(project: Project) -> None:
    project.write("dodo.py", PLAIN_DODO)
    project.write("in.txt", "hi\n")
    assert project.doit().code == 0
    result = project.doit("dumpdb")
    assert result.code == 0, result
    assert result.out.startswith("DBM type is '"), result
    assert "'hello' -> {" in result.out


# -- strace ---------------------------------------------------------------------


@pytest.mark.parametrize("asset", ["shout", "raw"])
def test_strace_of_an_asset_says_what_to_use_instead(
    built: Project, asset: str
) -> None:
    made = os.stat(built.path("out/shout.txt")).st_mtime_ns
    runs = built.doit("assets", "runs").out
    result = built.doit("strace", asset)
    assert (result.code, result.out) == (3, ""), result
    assert result.err == (
        f"ERROR: asset '{asset}': doit strace cannot trace assets: it traces "
        "doit's own shell actions, and doit-assets runs each transform itself. "
        f"'doit assets audit {asset}' traces what it reads and writes\n"
    )
    assert os.stat(built.path("out/shout.txt")).st_mtime_ns == made
    assert built.doit("assets", "runs").out == runs  # nothing ran
    assert not built.exists("strace.txt")


def test_strace_of_a_partition_says_what_to_use_instead(project: Project) -> None:
    project.assets(
        """\
        [assets.day]
        path = "out/{partition}.txt"
        transform = "echo {partition} > {self.path}"
        partitions = { static = ["a", "b"] }
        """
    )
    result = project.doit("strace", "day:a")
    assert result.code == 3, result
    assert result.err.startswith(
        "ERROR: asset 'day:a': doit strace cannot trace assets"
    )
    assert not project.exists("out/a.txt")


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_strace_of_a_plain_task_is_doits(project: Project) -> None:
    project.write("dodo.py", PLAIN_DODO)
    project.write("in.txt", "hi\n")
    result = project.doit("strace", "hello")
    assert result.code == 0, result
    assert result.out.startswith(".  hello\n.  strace_report\n"), result
    assert project.read("out.txt") == "hi\n"


def test_help_still_lists_dumpdb_and_strace(project: Project) -> None:
    result = run_doit("help", cwd=project.root)
    assert result.code == 0, result
    lines = result.out.splitlines()
    # python -m doit calls itself '-m'
    assert any(line.split()[1:3] == ["dumpdb", "dump"] for line in lines), lines
    assert any(line.split()[1:3] == ["strace", "use"] for line in lines), lines
