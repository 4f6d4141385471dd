"""Shared fixtures: a temporary project and the real ``doit`` run as a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

PYTHON = sys.executable
DOIT_ASSETS = str(Path(sys.executable).parent / "doit-assets")

# A small tool the test pipelines use as their transforms:
#   tx.py MODE OUT [IN ...]
# Each mode writes OUT (the staged path doit-assets hands over) from the inputs.
TX = """\
import os, sys, time

mode, out, ins = sys.argv[1], sys.argv[2], sys.argv[3:]

def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()

def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)

if mode == "cat":          # concatenation of the inputs
    write(out, "".join(read(p) for p in ins))
elif mode == "upper":      # the inputs, upper-cased
    write(out, "".join(read(p) for p in ins).upper())
elif mode == "prefix":     # the first argument as a line, then the other inputs
    write(out, ins[0] + "\\n" + "".join(read(p) for p in ins[1:]))
elif mode == "head":       # first line of the first input only
    write(out, read(ins[0]).splitlines(True)[0])
elif mode == "count":      # number of lines in the inputs
    write(out, f"{sum(len(read(p).splitlines()) for p in ins)}\\n")
elif mode == "split":      # a directory: one file per line of the input
    os.makedirs(out, exist_ok=True)
    for i, line in enumerate(read(ins[0]).splitlines()):
        write(os.path.join(out, f"part{i}.txt"), line + "\\n")
elif mode == "listdir":    # a file listing a directory's files and contents
    names = sorted(os.listdir(ins[0]))
    write(out, "".join(f"{n}: {read(os.path.join(ins[0], n))}" for n in names))
elif mode == "fail":       # writes a partial output, then fails
    write(out, "partial")
    sys.exit(1)
elif mode == "slow":       # writes a partial output, waits, then finishes
    write(out, "partial")
    time.sleep(float(ins[0]))
    write(out, "complete\\n")
else:
    sys.exit(f"unknown mode {mode}")
"""


# A pipeline with a directory output in the middle (tx.py split / listdir).
DIRECTORY = """\
[vars]
python = "{python}"

[assets.raw]
path = "data/raw.txt"

[assets.parts]
path = "out/parts/"
transform = "{vars.python} tx.py split {self.path} {raw.path}"

[assets.listing]
path = "out/listing.txt"
transform = "{vars.python} tx.py listdir {self.path} {parts.path}"
"""


@dataclass(repr=False)
class DoitRun:
    """What one doit process did."""

    args: tuple[str, ...]
    code: int
    out: str
    err: str

    @property
    def ran(self) -> list[str]:
        """Assets (tasks) that executed: doit prints ``.  NAME`` for each."""
        return [line[3:] for line in self.out.splitlines() if line.startswith(".  ")]

    @property
    def up_to_date(self) -> list[str]:
        """Tasks doit skipped as up to date: ``-- NAME``."""
        return [line[3:] for line in self.out.splitlines() if line.startswith("-- ")]

    def __repr__(self) -> str:
        # what pytest shows when an assertion about a run fails
        return (
            f"$ {' '.join(self.args)}\nexit {self.code}\n"
            f"--- stdout\n{self.out}--- stderr\n{self.err}"
        )


def _run(argv: list[str], cwd: str | os.PathLike[str] | None) -> DoitRun:
    env = dict(os.environ)
    env.pop("DOIT_ASSETS_FILE", None)
    proc = subprocess.run(
        argv,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    return DoitRun(tuple(argv), proc.returncode, proc.stdout, proc.stderr)


def run_doit(*args: str, cwd: str | os.PathLike[str] | None = None) -> DoitRun:
    """Run the real ``doit`` (``python -m doit ARGS``) in ``cwd``."""
    return _run([PYTHON, "-m", "doit", *args], cwd)


def run_doit_assets(*args: str, cwd: str | os.PathLike[str] | None = None) -> DoitRun:
    """Run the ``doit-assets`` console script in ``cwd``."""
    return _run([DOIT_ASSETS, *args], cwd)


class Project:
    """A temporary project directory with helpers to write and read its files."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, rel: str) -> Path:
        return self.root / rel

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def read(self, rel: str) -> str:
        return (self.root / rel).read_text(encoding="utf-8")

    def exists(self, rel: str) -> bool:
        return (self.root / rel).exists()

    def assets(self, toml: str, *, dodo: bool = True) -> Path:
        """Write ``assets.toml`` (dedented; ``{python}`` and ``{tx}`` filled in)
        and, unless told otherwise, the one-line dodo.py and the ``tx.py`` tool."""
        if dodo:
            self.write("dodo.py", "from doit_assets.dodo import *\n")
        self.write_tool()
        text = textwrap.dedent(toml).replace("{python}", PYTHON)
        return self.write("assets.toml", text)

    def write_tool(self, rel: str = "tx.py") -> Path:
        """The ``tx.py`` transform tool (see ``TX``)."""
        return self.write(rel, TX)

    def doit(self, *args: str) -> DoitRun:
        return run_doit(*args, cwd=self.root)

    def doit_assets(self, *args: str) -> DoitRun:
        return run_doit_assets(*args, cwd=self.root)

    def doit_ok(self, *args: str) -> DoitRun:
        """``doit ARGS``, which must succeed."""
        result = self.doit(*args)
        assert result.code == 0, result
        assert "Traceback" not in result.err, result
        return result

    def copy_from(self, template: Path) -> Project:
        """Fill this project with a copy of ``template``, file times kept."""
        # a run's watchdog may still be removing its marker in .doit-assets/running
        skip = shutil.ignore_patterns("watchdog-*")
        shutil.copytree(
            template, self.root, symlinks=True, dirs_exist_ok=True, ignore=skip
        )
        return self

    def staging_dirs(self) -> list[str]:
        """Every staging folder (or file) left anywhere in the project."""
        return sorted(
            str(p.relative_to(self.root))
            for p in self.root.rglob(".doit-assets-staging.*")
        )


Setup = Callable[[Project], None]
Prebuilt = Callable[[str, Setup], Path]


@pytest.fixture(scope="session")
def prebuilt(tmp_path_factory: pytest.TempPathFactory) -> Prebuilt:
    """``prebuilt(name, setup)``: a project made by ``setup`` once per session.

    Tests copy it (``Project.copy_from``) instead of building their own: the copy
    keeps file times, so it is as up to date as the original (which
    test_moving_the_project_keeps_everything_up_to_date checks).
    """
    made: dict[str, Path] = {}

    def get(name: str, setup: Setup) -> Path:
        if name not in made:
            root = tmp_path_factory.mktemp(name) / "project"
            root.mkdir()
            setup(Project(root))
            made[name] = root
        return made[name]

    return get


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """An empty project directory, also the current directory."""
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    return Project(root)
