"""Shared fixtures: a temporary project and the real ``doit`` run as a subprocess.

The suite has two layers. The fast one runs in this process: it loads, plans,
selects, draws and queries without starting ``doit`` (``pytest -m "not e2e"``).
The end-to-end one drives the real ``doit``: every test that uses the
``project`` or ``prebuilt`` fixture is marked ``e2e`` here, at collection, and
the few that start doit some other way carry the mark themselves. A test left
unmarked that starts ``doit``, ``doit-assets`` or another Python (or runs
doit's ``DoitMain`` in this process) fails at once, saying so (see
``_refuse_outside_e2e``), so the fast layer stays in-process.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from doit.doit_cmd import DoitMain

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
elif mode == "wait":       # the same, waiting until the file IN exists (a minute at most)
    write(out, "partial")
    deadline = time.monotonic() + 60
    while not os.path.exists(ins[0]) and time.monotonic() < deadline:
        time.sleep(0.01)
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


Setup = Callable[[Project], object]
Prebuilt = Callable[[Setup], Path]


@pytest.fixture(scope="session")
def prebuilt(tmp_path_factory: pytest.TempPathFactory) -> Prebuilt:
    """``prebuilt(setup)``: the folder of a project made by ``setup`` (which
    writes it and runs doit in it), once per session whoever asks.

    Tests copy it (``Project.copy_from``) instead of building their own: the copy
    keeps file times, so it is as up to date as the original (which
    test_moving_the_project_keeps_everything_up_to_date checks). Not for the
    no-op fast path: its manifest knows the files by inode, so a copy is never
    answered without doit (test_a_noop_manifest_from_elsewhere_does_not_skip_anything).
    Rather than call it, give a module a fixture with ``copy_of`` or ``shared``.
    """
    made: dict[Setup, Path] = {}

    def get(setup: Setup) -> Path:
        if setup not in made:
            root = tmp_path_factory.mktemp(setup.__name__) / "project"
            root.mkdir()
            setup(Project(root))
            made[setup] = root
        return made[setup]

    return get


def copy_of(setup: Setup) -> Any:
    """A fixture: the project ``setup`` makes (built once, see ``prebuilt``),
    copied into the test's own ``project``, which the test may change at will::

        built = copy_of(build_pipeline)
    """

    def fixture(project: Project, prebuilt: Prebuilt) -> Project:
        return project.copy_from(prebuilt(setup))

    fixture.__doc__ = setup.__doc__ or f"A copy of what {setup.__name__} makes."
    return pytest.fixture(fixture)


def shared(setup: Setup) -> Any:
    """A fixture: the one project ``setup`` makes (see ``prebuilt``), not
    copied, for tests that only read it (the query commands write nothing)."""

    def fixture(prebuilt: Prebuilt) -> Project:
        return Project(prebuilt(setup))

    fixture.__doc__ = setup.__doc__ or f"What {setup.__name__} makes, read only."
    return pytest.fixture(fixture)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """An empty project directory, also the current directory (end to end)."""
    return _empty_project(tmp_path, monkeypatch)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """The same, for a test that loads or plans it in this process: the test
    stays in the fast layer, where starting doit fails it."""
    return _empty_project(tmp_path, monkeypatch)


def _empty_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    return Project(root)


# -- the two layers ------------------------------------------------------------

# A test that uses one of these fixtures drives the real doit: it is end to end.
E2E_FIXTURES = frozenset({"project", "prebuilt"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``e2e`` every test whose fixtures (or theirs) include E2E_FIXTURES."""
    for item in items:
        if E2E_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)


# The test being run, while it is not marked e2e (None otherwise).
_in_process_test: str | None = None


def _starts_doit_or_python(args: Any) -> str | None:
    """What ``args`` (of Popen) starts that the fast layer must not: a doit,
    a doit-assets or a Python; None if it is something else (dot, make, sh)."""
    if isinstance(args, (str, bytes)):  # a shell command line, or one program
        line = os.fsdecode(args)
        try:
            words = shlex.split(line)
        except ValueError:  # unbalanced quotes: words are enough to look at
            words = line.split()
    elif isinstance(args, os.PathLike):
        words = [os.fsdecode(args)]
    else:
        words = [os.fsdecode(a) for a in args]
    for i, word in enumerate(words):
        name = os.path.basename(word)
        if name in ("doit", "doit-assets") or name.startswith("python"):
            return name
        if word == "-m" and words[i + 1 : i + 2] == ["doit"]:
            return "python -m doit"
    return None


def _refuse_outside_e2e(what: str) -> None:
    if _in_process_test is not None:
        pytest.fail(
            f"{_in_process_test} starts {what} but is not marked e2e: use the "
            "project or prebuilt fixture, or mark it @pytest.mark.e2e",
            pytrace=False,
        )


def pytest_configure(config: pytest.Config) -> None:
    """Guard where processes start and where doit runs in this process."""
    # croniter's import runs `file -b <python>` (platform.architecture(), to
    # tell a 32-bit build): imported before the guard, so that a fast test
    # that loads a cron automation does not look like one starting Python.
    with contextlib.suppress(ImportError):
        import croniter  # noqa: F401
    popen_init = subprocess.Popen.__init__
    doit_run = DoitMain.run

    def guarded_popen_init(self: Any, args: Any, *rest: Any, **kwargs: Any) -> None:
        started = _starts_doit_or_python(args)
        if started is not None:
            _refuse_outside_e2e(started)
        popen_init(self, args, *rest, **kwargs)

    def guarded_doit_run(self: Any, *args: Any, **kwargs: Any) -> Any:
        _refuse_outside_e2e("doit in this process (DoitMain.run)")
        return doit_run(self, *args, **kwargs)

    subprocess.Popen.__init__ = guarded_popen_init  # type: ignore[method-assign]
    DoitMain.run = guarded_doit_run  # type: ignore[method-assign]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    """Run a test not marked e2e (its fixtures too) with the guard on."""
    global _in_process_test
    if item.get_closest_marker("e2e") is None:
        _in_process_test = item.nodeid
    try:
        yield
    finally:
        _in_process_test = None
