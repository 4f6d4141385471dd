"""The fast path with Python assets: vouched for by the modules' bytes, the
interpreter and its import path, and what the modules read while they were
imported; left off when a module runs a command then."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PYTHON, Project
from history_support import assert_lines
from test_cone import CONE_PROBE, fast
from test_fastpath import MANIFEST, probe

import doit_assets

STEPS = """\
from pathlib import Path

from doit_assets import asset
from helpers import shout

SALT = "1"


@asset(path="out/loud.txt")
def loud(raw: Path, output: Path) -> None:
    output.write_text(shout(raw.read_text()) + SALT + "\\n")


@asset
def size(loud: Path) -> int:
    return len(loud.read_text())
"""

HELPERS = """\
def shout(text: str) -> str:
    return text.upper()
"""

TOML = """\
[settings]
modules = ["steps"]

[assets.raw]
path = "data/raw.txt"

[assets.copy]
path = "out/copy.txt"
transform = "cat {loud.path} > {self.path}"
"""


def built(project: Project, steps: str = STEPS) -> Project:
    project.write("data/raw.txt", "a\n")
    project.write("steps.py", steps)
    project.write("helpers.py", HELPERS)
    project.assets(TOML, dodo=False)
    assert project.doit_assets().ran == ["loud", "copy", "size"]
    return project


def test_an_unchanged_python_project_is_answered_without_doit(
    project: Project,
) -> None:
    built(project)
    result = probe(project)
    assert result.returncode == 0, result
    assert_lines(
        result.stdout,
        [
            "-- raw",
            "-- loud",
            "-- copy",
            "-- size",
            "doit-assets: 0 made, 4 up to date in <took>",
            "doit imported: False",
        ],
    )


def test_a_changed_source_hands_doit_the_cone_of_python_assets(
    project: Project,
) -> None:
    built(project)
    project.write("data/raw.txt", "b\n")
    assert fast(project)[:2] == (["loud", "copy", "size"], "copy loud raw size")
    assert project.read("out/copy.txt") == "B\n1\n"


@pytest.mark.parametrize(
    ("module", "old", "new", "ran"),
    [
        ("steps.py", 'SALT = "1"', 'SALT = "2"', ["loud", "copy", "size"]),
        ("helpers.py", "upper()", "lower()", ["loud", "copy", "size"]),
        ("steps.py", "from pathlib", "# a comment\nfrom pathlib", []),
    ],
)
def test_an_edited_module_loads_everything(
    project: Project, module: str, old: str, new: str, ran: list[str]
) -> None:
    built(project)
    text = project.read(module)
    project.write(module, text.replace(old, new))
    assert fast(project)[:2] == (ran, "-")
    assert fast(project)[:2] == ([], "(none)")  # and vouches for the new code


def test_a_changed_package_folder_loads_everything(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write("site/.keep", "")
    monkeypatch.setenv("PYTHONPATH", str(project.path("site")))
    built(project)
    assert fast(project)[:2] == ([], "(none)")
    project.write("site/newly_installed.py", "")  # pip install adds an entry
    assert fast(project)[:2] == ([], "-")
    assert fast(project)[:2] == ([], "(none)")
    monkeypatch.setenv("PYTHONPATH", str(project.path("data")))
    assert fast(project)[:2] == ([], "-")


LISTING = """\
import os
from pathlib import Path

from doit_assets import asset

# one asset per file of conf/: the module decides its assets by the disk
for name in sorted(os.listdir("conf")):
    def make(output: Path, name: str = name) -> None:
        output.write_text(name)
    globals()[name] = asset(name=name, path=f"out/{name}.out")(make)
"""


def test_a_folder_listed_when_imported_is_listed_again(project: Project) -> None:
    project.write("conf/a", "")
    project.write("steps.py", LISTING)
    project.assets('[settings]\nmodules = ["steps"]\n', dodo=False)
    assert project.doit_assets().ran == ["a"]
    assert fast(project)[:2] == ([], "(none)")
    project.write("conf/a", "edited")  # the same names: nothing to load again
    assert fast(project)[:2] == ([], "(none)")
    project.write("conf/b", "")
    assert fast(project)[:2] == (["b"], "-")


@pytest.mark.parametrize(
    "read",
    [
        'open("salt.txt").read().strip()',
        'pkgutil.get_data("steps", "salt.txt").decode().strip()',
    ],
)
def test_a_file_read_when_imported_is_looked_at_again(
    project: Project, read: str
) -> None:
    reading = "import pkgutil\n" + STEPS.replace('SALT = "1"', f"SALT = {read}")
    project.write("salt.txt", "1\n")
    built(project, reading)
    assert fast(project)[:2] == ([], "(none)")
    project.write("salt.txt", "2\n")
    assert fast(project)[:2] == (["loud", "copy", "size"], "-")
    assert project.read("out/copy.txt") == "A\n2\n"


def test_a_module_that_runs_a_command_when_imported_gets_no_fast_path(
    project: Project,
) -> None:
    running = STEPS.replace(
        'SALT = "1"',
        'import subprocess\nSALT = subprocess.run(["echo", "1"], '
        "capture_output=True, text=True).stdout.strip()",
    )
    built(project, running)
    assert not project.exists(MANIFEST)
    assert fast(project)[:2] == ([], "-")


PACKAGE = {
    "pkg/__init__.py": "from . import data\n",
    "pkg/data.py": "import pathlib\n"
    "VALUE = (pathlib.Path(__file__).parent / 'v.txt').read_text()\n",
    "pkg/v.txt": "v",
}


@pytest.mark.parametrize("inside", [False, True])
def test_a_package_that_reads_its_data_when_imported(
    project: Project, monkeypatch: pytest.MonkeyPatch, inside: bool
) -> None:
    """A package on PYTHONPATH, or kept in the project: its modules are
    digested, the data it reads is looked at again."""
    site = project.path("lib") if inside else project.root.parent / "site"
    for name, text in PACKAGE.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text)
    monkeypatch.setenv("PYTHONPATH", str(site))
    built(project, "import pkg  # noqa: F401\n" + STEPS)
    assert fast(project)[:2] == ([], "(none)")
    (site / "pkg/v.txt").write_text("w")
    assert fast(project)[:2] == ([], "-")
    assert fast(project)[:2] == ([], "(none)")
    (site / "pkg/data.py").write_text(PACKAGE["pkg/data.py"] + "# edited in place\n")
    assert fast(project)[:2] == ([], "-")


def test_a_module_added_where_an_import_looks_is_noticed(project: Project) -> None:
    optional = STEPS.replace(
        'SALT = "1"',
        'SALT = "1"\ntry:\n    from local_settings import *  # noqa: F403\n'
        "except ImportError:\n    pass",
    )
    built(project, optional)
    assert fast(project)[:2] == ([], "(none)")
    project.write("local_settings.py", 'SALT = "local"\n')
    assert fast(project)[:2] == (["loud", "copy", "size"], "-")
    assert project.read("out/copy.txt") == "A\nlocal\n"


def test_a_module_outside_the_project_edited_in_place_is_noticed(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = project.root.parent / "shared"
    shared.mkdir()
    (shared / "consts.py").write_text('SALT = "1"\n')
    monkeypatch.setenv("PYTHONPATH", str(shared))
    built(project, STEPS.replace('SALT = "1"', "from consts import SALT"))
    (shared / "consts.py").write_text('SALT = "2"\n')  # its folder stays the same
    assert fast(project)[:2] == (["loud", "copy", "size"], "-")


def test_a_module_linked_from_outside_the_project_is_followed(
    project: Project,
) -> None:
    elsewhere = project.root.parent / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "steps.py").write_text(STEPS)
    project.path("steps.py").symlink_to(elsewhere / "steps.py")
    built(project, project.read("steps.py"))
    assert fast(project)[:2] == ([], "(none)")
    (elsewhere / "steps.py").write_text(STEPS.replace('SALT = "1"', 'SALT = "2"'))
    assert fast(project)[:2] == (["loud", "copy", "size"], "-")


def test_a_link_to_a_module_retargeted_is_noticed(project: Project) -> None:
    project.write("impl/v1.py", HELPERS)
    project.write("impl/v2.py", HELPERS.replace("upper()", "upper() + '!'"))
    project.path("helpers.py").symlink_to("impl/v1.py")
    project.write("data/raw.txt", "a\n")
    project.write("steps.py", STEPS)
    project.assets(TOML, dodo=False)
    assert project.doit_assets().ran == ["loud", "copy", "size"]
    assert fast(project)[:2] == ([], "(none)")
    project.path("helpers.py").unlink()
    project.path("helpers.py").symlink_to("impl/v2.py")
    assert fast(project)[:2] == (["loud", "copy", "size"], "-")
    assert project.read("out/copy.txt") == "A\n!1\n"


def test_doit_with_a_dodo_py_that_imports_the_module_gets_every_task(
    project: Project,
) -> None:
    built(project)
    project.write(
        "dodo.py", "import steps  # noqa: F401\nfrom doit_assets.dodo import *\n"
    )
    assert project.doit().code == 0
    assert not project.exists(MANIFEST + ".dodo")  # imported where no one watched
    project.write("dodo.py", "from doit_assets.dodo import *\n")
    assert project.doit().code == 0
    assert project.exists(MANIFEST + ".dodo")
    assert fast(project, "doit")[:2] == ([], "(none)")


def test_assets_of_a_dodo_py_get_no_fast_path(project: Project) -> None:
    project.write("data/raw.txt", "a\n")
    project.write(
        "dodo.py",
        "from pathlib import Path\nfrom doit_assets import asset\n"
        "from doit_assets.dodo import *\n\n"
        "@asset(path='out/loud.txt')\n"
        "def loud(raw: Path, output: Path) -> None:\n"
        "    output.write_text(raw.read_text().upper())\n",
    )
    project.assets('[assets.raw]\npath = "data/raw.txt"\n', dodo=False)
    assert project.doit().ran == ["loud"]
    assert not project.exists(MANIFEST + ".dodo")


def test_a_library_that_reads_a_project_file_when_imported(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = project.root.parent / "lib"
    lib.mkdir()
    (lib / "sitecfg.py").write_text(
        'with open("settings.ini") as f:\n    SALT = f.read().strip()\n'
    )
    monkeypatch.setenv("PYTHONPATH", str(lib))
    project.write("settings.ini", "1\n")
    built(project, STEPS.replace('SALT = "1"', "from sitecfg import SALT"))
    assert fast(project)[:2] == ([], "(none)")
    project.write("settings.ini", "2\n")
    assert fast(project)[:2] == (["loud", "copy", "size"], "-")


GLOBBING = """\
import glob
from pathlib import Path

from doit_assets import asset

READY = "-".join(sorted(p.split("/")[1] for p in glob.glob("data/*/ready.flag")))


@asset(path=f"out/{READY or 'none'}.txt")
def ready(output: Path) -> None:
    output.write_text(READY)
"""


def test_a_glob_run_when_imported_is_run_again(project: Project) -> None:
    project.write("data/a/ready.flag", "")
    project.write("data/b/other", "")
    project.write("steps.py", GLOBBING)
    project.assets('[settings]\nmodules = ["steps"]\n', dodo=False)
    assert project.doit_assets().ran == ["ready"]
    assert fast(project)[:2] == ([], "(none)")
    project.write("data/b/ready.flag", "")  # the folders listed stay the same
    assert fast(project)[:2] == (["ready"], "-")
    assert project.read("out/a-b.txt") == "a-b"


EXECUTED = """\
import importlib.util
from pathlib import Path

from doit_assets import asset

spec = importlib.util.spec_from_file_location("config", "config.py")
config = importlib.util.module_from_spec(spec)
spec.loader.exec_module(config)
NAME = config.NAME


@asset(path=f"out/{NAME}.txt")
def made(output: Path) -> None:
    output.write_text(NAME)
"""


def test_a_module_executed_from_its_bytecode_is_digested(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """exec'd, not kept in sys.modules, and with its bytecode cached the
    import system only looks at the source: its source is digested all the
    same."""
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    project.write("config.py", 'NAME = "one"\n')
    project.write("steps.py", EXECUTED)
    project.assets('[settings]\nmodules = ["steps"]\n', dodo=False)
    assert project.doit_assets().ran == ["made"]
    assert project.doit_assets("run").ran == []  # a load that reads the bytecode
    assert project.exists("__pycache__")
    assert fast(project)[:2] == ([], "(none)")
    # (another size: within the same second Python would take the bytecode)
    project.write("config.py", 'NAME = "three"\n')
    assert fast(project)[:2] == (["made"], "-")
    assert project.read("out/three.txt") == "three"


NAMED = """\
from pathlib import Path

from doit_assets import asset
from naming import NAME


@asset(path=f"out/{NAME}.txt")
def made(output: Path) -> None:
    output.write_text(NAME)
"""


def test_another_import_path_at_start_is_noticed(
    project: Project, tmp_path: Path
) -> None:
    """A .pth file edited, or pyvenv.cfg: the interpreter starts with another
    sys.path, and the modules found may be others."""
    venv = tmp_path / "venv"
    subprocess.run([PYTHON, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    site = subprocess.run(
        [python, "-c", "import site; print(site.getsitepackages()[0])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = [*sys.path[1:], str(Path(doit_assets.__file__).parent.parent)]
    Path(site, "zz_doit_assets.pth").write_text("\n".join(ours) + "\n")
    for name in ("one", "two"):
        Path(tmp_path, name).mkdir()
        Path(tmp_path, name, "naming.py").write_text(f'NAME = "{name}"\n')
    Path(site, "naming.pth").write_text(str(tmp_path / "one") + "\n")
    project.write("steps.py", NAMED)
    project.assets('[settings]\nmodules = ["steps"]\n', dodo=False)

    def cone() -> str:
        done = subprocess.run(
            [python, "-c", CONE_PROBE, "doit-assets"],
            cwd=project.root,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done
        return next(line for line in done.stderr.splitlines() if "cone" in line)

    assert cone() == "cone: -"  # the first run
    assert project.exists("out/one.txt")
    assert cone() == "cone: (none)"
    Path(site, "naming.pth").write_text(str(tmp_path / "two") + "\n")
    assert cone() == "cone: -"
    assert project.exists("out/two.txt")


def test_only_the_interpreters_library_and_packages_go_unwatched(
    tmp_path: Path,
) -> None:
    """What the interpreter installed is vouched for by its folders' stamps;
    anything else under its prefix (/usr/local/etc) is looked at."""
    from doit_assets.load.python_code import _left_out

    root = str(tmp_path)
    state = str(tmp_path / ".doit-assets") + "/"
    assert _left_out(subprocess.__file__, root, state)  # the standard library
    assert _left_out(pytest.__file__, root, state)  # an installed package
    assert _left_out("/proc/self/status", root, state)
    assert _left_out(str(tmp_path / ".doit-assets" / "x"), root, state)
    assert not _left_out(str(Path(sys.prefix, "etc", "pipeline.cfg")), root, state)
    assert not _left_out(str(tmp_path / "settings.ini"), root, state)


def test_fast_path_false_loads_everything_every_time(project: Project) -> None:
    """For a module whose assets depend on what the fast path cannot see."""
    clocked = STEPS.replace('SALT = "1"', "import time\nSALT = str(time.time_ns())")
    project.write("data/raw.txt", "a\n")
    project.write("steps.py", clocked)
    project.write("helpers.py", HELPERS)
    project.assets(
        TOML.replace("[settings]\n", "[settings]\nfast_path = false\n"), dodo=False
    )
    assert project.doit_assets().ran == ["loud", "copy", "size"]
    assert not project.exists(MANIFEST)
    assert fast(project)[:2] == (["loud", "copy", "size"], "-")


def test_a_log_file_opened_when_imported_is_not_an_input(project: Project) -> None:
    logged = STEPS.replace(
        'SALT = "1"',
        'import logging\nlogging.basicConfig(filename="steps.log", level=logging.INFO)\n'
        'SALT = "1"',
    ).replace(
        "    output.write_text(shout(",
        '    logging.info("loud")\n    output.write_text(shout(',
        1,
    )
    built(project, logged)
    assert fast(project)[:2] == ([], "(none)")
    project.write("data/raw.txt", "b\n")
    assert fast(project)[:2] == (["loud", "copy", "size"], "copy loud raw size")
    assert "loud" in project.read("steps.log")
    assert fast(project)[:2] == ([], "(none)")


def test_temporary_files_made_when_imported_keep_the_fast_path(
    project: Project,
) -> None:
    scratch = STEPS.replace(
        'SALT = "1"',
        "import tempfile\nwith tempfile.TemporaryFile() as f:\n    pass\n"
        "with tempfile.TemporaryDirectory() as d:\n    pass\n"
        'SALT = "1"',
    )
    built(project, scratch)
    assert fast(project)[:2] == ([], "(none)")
    assert fast(project)[:2] == ([], "(none)")
