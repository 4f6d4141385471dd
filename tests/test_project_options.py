"""Naming the project: every form that chooses the project of a run chooses it for
``doit assets ...`` too, a wrong one says which forms exist, and a folder without
a project says so."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import DOIT_ASSETS, PYTHON, DoitRun, Prebuilt, Project

SHOP = """\
[vars]
python = "{python}"

[assets.raw]
path = "data/raw.txt"

[assets.shout]
path = "out/shout.txt"
transform = "{vars.python} tx.py upper {self.path} {raw.path}"
"""

# The project in the folder the commands start from: other names, so that an
# answer about the wrong project cannot pass for the right one.
HOME = SHOP.replace("shout", "whisper").replace("upper", "cat")

DODO_FORMS = (
    "Name a project with -f DIR/dodo.py or -d DIR before 'assets', "
    "or with -f DIR/assets.toml after it"
)
ASSETS_FORMS = (
    "Name a project with -f DIR/assets.toml, -d DIR or DOIT_ASSETS_FILE=DIR/assets.toml"
)
# answers that give ages ("3s ago") give the same ones whenever they are asked
NOW = {"DOIT_ASSETS_NOW": "2030-01-01T00:00:00"}


def run(
    program: str, *args: str, cwd: Path, env: dict[str, str] | None = None
) -> DoitRun:
    """``doit`` or ``doit-assets`` with ARGS in ``cwd``, with ``env`` added."""
    argv = [PYTHON, "-m", "doit"] if program == "doit" else [DOIT_ASSETS]
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DOIT_ASSETS_FILE", "DOIT_FILE", "DOIT_SEEK_FILE")
    }
    environ.update(env or {})
    proc = subprocess.run(
        [*argv, *args], cwd=cwd, capture_output=True, text=True, env=environ
    )
    return DoitRun((program, *args), proc.returncode, proc.stdout, proc.stderr)


def shop_with_dodo(home: Project) -> Project:
    """home/shop: a built project with a one-line dodo.py; home: another one."""
    home.assets(HOME)
    home.write("data/raw.txt", "home\n")
    shop = Project(home.path("shop"))
    shop.assets(SHOP)
    shop.write("data/raw.txt", "hi\n")
    assert run("doit", cwd=shop.root).ran == ["shout"]
    return shop


def shop_without_dodo(home: Project) -> Project:
    """home/shop/pipeline.toml, built by doit-assets; home: another project."""
    home.assets(HOME, dodo=False)
    home.write("data/raw.txt", "home\n")
    shop = Project(home.path("shop"))
    shop.assets(SHOP, dodo=False)
    shop.path("assets.toml").rename(shop.path("pipeline.toml"))
    shop.write("data/raw.txt", "hi\n")
    built = run("doit-assets", "-f", "pipeline.toml", cwd=shop.root)
    assert built.ran == ["shout"], built
    return shop


@pytest.fixture
def dodo_shop(project: Project, prebuilt: Prebuilt) -> Project:
    """A copy of what shop_with_dodo makes: ``project`` is home, this its shop."""
    project.copy_from(prebuilt(shop_with_dodo))
    return Project(project.path("shop"))


@pytest.fixture
def toml_shop(project: Project, prebuilt: Prebuilt) -> Project:
    """A copy of what shop_without_dodo makes: ``project`` is home, this its shop."""
    project.copy_from(prebuilt(shop_without_dodo))
    return Project(project.path("shop"))


def answer(result: DoitRun) -> str:
    assert (result.code, result.err) == (0, ""), result
    return result.out


# What a query answers in the shop's own folder: asked once, in the first test
# that needs it, since every test has a copy of the same shop.
ANSWERS_IN_SHOP: dict[tuple[str, ...], str] = {}


def answer_in(shop: Project, program: str, *args: str) -> str:
    """``program ARGS`` in the shop's folder (at NOW), which must succeed."""
    key = (program, *args)
    if key not in ANSWERS_IN_SHOP:
        ANSWERS_IN_SHOP[key] = answer(run(program, *args, cwd=shop.root, env=NOW))
    return ANSWERS_IN_SHOP[key]


@pytest.mark.parametrize(
    ("args", "env", "where"),
    [
        (["-f", "shop/dodo.py"], {}, "."),
        (["--file", "shop/dodo.py"], {}, "."),
        ([], {"DOIT_FILE": "shop/dodo.py"}, "."),
        (["-d", "shop"], {}, "."),
        (["--dir", "shop"], {}, "."),
        (["-k"], {}, "shop/docs"),
        (["-f", "../dodo.py", "-d", ".."], {}, "shop/docs"),
    ],
    ids=["f", "file", "DOIT_FILE", "d", "dir", "k", "f-and-d"],
)
def test_doit_options_choose_the_project_of_assets_commands(
    project: Project,
    dodo_shop: Project,
    args: list[str],
    env: dict[str, str],
    where: str,
) -> None:
    shop = dodo_shop
    shop.write("docs/readme.txt", "x\n")
    start = project.path(where)
    for command in (["show", "shout"], ["history"], ["why", "shout"]):
        here = answer_in(shop, "doit", "assets", *command)
        there = run("doit", *args, "assets", *command, cwd=start, env=env | NOW)
        assert answer(there) == here
    assert not project.exists(".doit-assets")
    assert not shop.exists("docs/.doit-assets")


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["-f", "shop/pipeline.toml"], {}),
        (["--file", "shop/pipeline.toml"], {}),
        ([], {"DOIT_ASSETS_FILE": "shop/pipeline.toml"}),
        (["-d", "shop", "-f", "pipeline.toml"], {}),
        (["--dir", "shop"], {"DOIT_ASSETS_FILE": "pipeline.toml"}),
    ],
    ids=["f", "file", "DOIT_ASSETS_FILE", "d-and-f", "dir-and-env"],
)
def test_doit_assets_options_choose_the_project_of_assets_commands(
    project: Project, toml_shop: Project, args: list[str], env: dict[str, str]
) -> None:
    shop = toml_shop
    for command in (["show", "shout"], ["history"], ["why", "shout"]):
        own = ["assets", "-f", "pipeline.toml", *command]
        here = answer_in(shop, "doit-assets", *own)
        there = run(
            "doit-assets", *args, "assets", *command, cwd=project.root, env=env | NOW
        )
        assert answer(there) == here


def test_materialize_runs_the_project_named_with_f(
    project: Project, dodo_shop: Project
) -> None:
    shop = dodo_shop
    result = run(
        "doit", "-f", "shop/dodo.py", "assets", "materialize", "shout", "--", "-a",
        cwd=project.root,
    )  # fmt: skip
    assert (result.code, result.ran) == (0, ["shout"]), result
    runs = answer(run("doit", "assets", "runs", cwd=shop.root)).splitlines()
    assert runs[1].endswith("doit -f shop/dodo.py assets materialize shout -- -a"), runs
    assert not project.exists(".doit-assets")


def test_materialize_runs_the_project_named_with_doit_assets_f(
    project: Project,
    toml_shop: Project,
) -> None:
    shop = toml_shop
    result = run(
        "doit-assets", "-f", "shop/pipeline.toml", "assets", "materialize", "shout",
        "--", "-a", cwd=project.root,
    )  # fmt: skip
    assert (result.code, result.ran) == (0, ["shout"]), result
    assert shop.exists(".doit-assets/history.sqlite")
    assert not project.exists(".doit-assets")


def test_doit_assets_reads_assets_toml_alone_like_its_run(project: Project) -> None:
    """doit-assets does not load a dodo.py: neither do its assets commands."""
    project.assets(SHOP)
    project.write("data/raw.txt", "hi\n")
    project.write(
        "dodo.py",
        "from pathlib import Path\n"
        "from doit_assets import asset\n"
        "from doit_assets.dodo import *\n\n\n"
        "@asset(path='out/extra.txt')\n"
        "def extra(output: Path) -> None:\n"
        "    output.write_text('x')\n",
    )
    listed = run("doit-assets", "list", cwd=project.root)
    assert listed.out.split() == ["raw", "shout"], listed
    status = run("doit-assets", "assets", "status", cwd=project.root)
    assert [line.split()[0] for line in answer(status).splitlines()[1:3]] == [
        "raw",
        "shout",
    ]
    assert "3 assets" in answer(run("doit", "assets", "status", cwd=project.root))


# -- wrong forms: one line that names the right ones -------------------------------


@pytest.mark.parametrize(
    ("program", "args", "env", "error"),
    [
        (
            "doit-assets",
            ["-f", "shop"],
            {},
            "-f shop: is a folder, not an assets file. Name the file "
            "(-f shop/assets.toml), or the folder with -d shop",
        ),
        (
            "doit-assets",
            [],
            {"DOIT_ASSETS_FILE": "shop"},
            "DOIT_ASSETS_FILE=shop: is a folder, not an assets file. Name the file "
            "(DOIT_ASSETS_FILE=shop/assets.toml), or the folder with -d shop",
        ),
        (
            "doit-assets",
            ["-f", "nowhere/assets.toml"],
            {},
            f"-f nowhere/assets.toml: no such file. {ASSETS_FORMS}",
        ),
        (
            "doit-assets",
            ["-d", "nowhere"],
            {},
            f"-d nowhere: no such folder. {ASSETS_FORMS}",
        ),
        (
            "doit-assets",
            ["-d", "shop/pipeline.toml"],
            {},
            f"-d shop/pipeline.toml: not a folder. {ASSETS_FORMS}",
        ),
    ],
    ids=["f-folder", "env-folder", "f-nowhere", "d-nowhere", "d-file"],
)
def test_a_wrong_doit_assets_option_says_which_forms_exist(
    project: Project,
    toml_shop: Project,
    program: str,
    args: list[str],
    env: dict[str, str],
    error: str,
) -> None:
    for command in ([], ["list"], ["assets", "status"]):
        result = run(program, *args, *command, cwd=project.root, env=env)
        assert (result.code, result.out, result.err) == (3, "", f"ERROR: {error}\n")


@pytest.mark.parametrize(
    ("args", "env", "error"),
    [
        (
            ["-f", "shop"],
            {},
            "-f shop: is a folder, not a dodo file. Name the file "
            "(-f shop/dodo.py), or the folder with -d shop",
        ),
        (["-f", "shop/dodo"], {}, f"-f shop/dodo: no such file. {DODO_FORMS}"),
        (
            [],
            {"DOIT_FILE": "nowhere/dodo.py"},
            f"DOIT_FILE=nowhere/dodo.py: no such file. {DODO_FORMS}",
        ),
        (["-d", "nowhere"], {}, f"-d nowhere: no such folder. {DODO_FORMS}"),
        (
            ["-f", "shop/assets.toml"],
            {},
            "-f shop/assets.toml: is an assets file, not a dodo file. Name it after "
            "'assets' (doit assets -f shop/assets.toml ...), or run it with "
            "doit-assets -f shop/assets.toml",
        ),
        (
            ["assets", "-f", "shop"],
            {},
            "-f shop: is a folder, not an assets file. Name the file "
            "(-f shop/assets.toml), or the folder with -d shop before 'assets'",
        ),
        (
            ["assets", "-f", "shop/nope.toml"],
            {},
            f"-f shop/nope.toml: no such file. {DODO_FORMS}",
        ),
    ],
    ids=[
        "f-folder",
        "f-nowhere",
        "DOIT_FILE-nowhere",
        "d-nowhere",
        "f-toml",
        "assets-f-folder",
        "assets-f-nowhere",
    ],
)
def test_a_wrong_doit_option_says_which_forms_exist(
    project: Project,
    dodo_shop: Project,
    args: list[str],
    env: dict[str, str],
    error: str,
) -> None:
    command = args if args[:1] == ["assets"] else [*args, "assets"]
    for sub in (["history"], ["materialize", "shout"]):
        result = run("doit", *command, *sub, cwd=project.root, env=env)
        assert (result.code, result.out, result.err) == (3, "", f"ERROR: {error}\n")


@pytest.mark.e2e
def test_k_without_a_dodo_py_above_says_so(tmp_path: Path) -> None:
    result = run("doit", "-k", "assets", "status", cwd=tmp_path)
    assert (result.code, result.out) == (3, ""), result
    assert result.err == (
        f"ERROR: -k: no dodo.py in {tmp_path} or a folder above it. {DODO_FORMS}\n"
    )


# -- a folder without a project -------------------------------------------------------

QUERIES = [
    ["status"],
    ["why", "x"],
    ["graph"],
    ["materialize", "x"],
    ["backfill", "x"],
    ["observe"],
    ["history"],
    ["history", "--json"],
    ["runs"],
    ["runs", "--json"],
    ["lineage", "x"],
    ["show", "x"],
]


@pytest.mark.e2e
@pytest.mark.parametrize("command", QUERIES, ids=" ".join)
def test_commands_in_a_folder_without_a_project_say_so(
    tmp_path: Path, command: list[str]
) -> None:
    result = run("doit", "assets", *command, cwd=tmp_path)
    assert (result.code, result.out, result.err) == (
        3,
        "",
        f"ERROR: no assets project in {tmp_path}: it has no dodo.py and no "
        f"assets.toml. {DODO_FORMS}\n",
    )
    result = run("doit-assets", "assets", *command, cwd=tmp_path)
    assert (result.code, result.out, result.err) == (
        3,
        "",
        f"ERROR: no assets project in {tmp_path}: it has no assets.toml. "
        f"{ASSETS_FORMS}\n",
    )
    assert os.listdir(tmp_path) == []


def test_a_project_without_a_history_still_answers(project: Project) -> None:
    """Only a folder without a project is an error: a project not run yet is not."""
    project.assets(SHOP)
    result = run("doit", "assets", "history", cwd=project.root)
    assert (result.code, result.out) == (
        0,
        "No history yet: .doit-assets/history.sqlite does not exist. "
        "Run 'doit' to materialize assets.\n",
    ), result


# -- the no-op fast path ------------------------------------------------------------

PROBE = """
import sys
from doit_assets.cli.console import main
code = main([])
print("doit imported:", "doit" in sys.modules)
sys.exit(code)
"""


def probe(cwd: Path, env: dict[str, str]) -> DoitRun:
    environ = {k: v for k, v in os.environ.items() if k != "DOIT_ASSETS_FILE"}
    proc = subprocess.run(
        [PYTHON, "-c", PROBE],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**environ, **env},
    )
    return DoitRun(("probe",), proc.returncode, proc.stdout, proc.stderr)


def test_fast_path_answers_for_the_file_of_doit_assets_file(project: Project) -> None:
    # built here, not copied: the no-op manifest knows the files by inode
    shop = shop_without_dodo(project)
    assert run("doit-assets", cwd=project.root).ran == ["whisper"]
    env = {"DOIT_ASSETS_FILE": "shop/pipeline.toml"}
    unchanged = probe(project.root, env)
    assert (unchanged.code, untimed(unchanged.out)) == (
        0,
        "-- raw\n-- shout\ndoit-assets: 0 made, 2 up to date in <t>\n"
        "doit imported: False\n",
    ), unchanged
    shop.write("data/raw.txt", "changed\n")
    changed = probe(project.root, env)
    assert changed.code == 0, changed
    assert changed.ran == ["shout"]
    assert "doit imported: True" in changed.out
    assert shop.read("out/shout.txt") == "CHANGED\n"
    # and without the variable, the project of the folder, as before
    home = probe(project.root, {})
    assert untimed(home.out) == (
        "-- raw\n-- whisper\ndoit-assets: 0 made, 2 up to date in <t>\n"
        "doit imported: False\n"
    ), home


def untimed(text: str) -> str:
    """The summary line's time, which varies, as <t>."""
    return re.sub(r" in \d+\.\d\ds$", " in <t>", text, flags=re.M)
