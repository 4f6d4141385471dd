"""The stale-cone fast path runs exactly what doit runs.

Two copies of one random project take the same series of random edits: one
is run by ``doit-assets`` (the fast path: doit gets only the cone of what can
be stale), the other by ``doit-assets run`` (an argument: doit loads every
task). After each edit both must run the same assets and leave the same
files.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import PYTHON, Project

pytestmark = pytest.mark.e2e

# Runs the console script as `doit-assets` would, and says on stderr which
# tasks the fast path handed doit ("cone: -" when it loaded everything).
CONE_PROBE = """
import sys
from doit_assets.cli import console
from doit_assets.doit_plugin import fastpath

triage = fastpath.triage

def told(toml="assets.toml", dodo=None):
    found = triage(toml, dodo)
    if isinstance(found, fastpath.Cone) and found.tasks:
        sys.stderr.write("cone: " + " ".join(sorted(found.tasks)) + "\\n")
    elif found is None:
        sys.stderr.write("cone: -\\n")
    else:
        sys.stderr.write("cone: (none)\\n")
    return found

fastpath.triage = told
if sys.argv[1:] == ["doit"]:  # doit with the project's dodo.py
    from doit.doit_cmd import DoitMain

    sys.exit(DoitMain().run([]))
sys.exit(console.main([]))
"""


def fast(project: Project, way: str = "doit-assets") -> tuple[list[str], str, str]:
    """`doit-assets` (or `doit`) with no argument: what ran, the cone, the output."""
    done = subprocess.run(
        [PYTHON, "-c", CONE_PROBE, way],
        cwd=project.root,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done
    cone = [line[6:] for line in done.stderr.splitlines() if line.startswith("cone: ")]
    ran = [line[3:] for line in done.stdout.splitlines() if line.startswith(".  ")]
    return ran, cone[0] if cone else "not asked", done.stdout


def random_project(rng: random.Random, size: int) -> str:
    """A random DAG of shell assets over a few sources, some with extra inputs
    and a partitioned source."""
    lines = [
        '[assets.part]\npath = "data/part-{partition}.txt"\n'
        'partitions = { static = ["a", "b"] }\n'
    ]
    names = ["part"]
    for i in range(3):
        lines.append(f'[assets.src{i}]\npath = "data/src{i}.txt"\n')
        names.append(f"src{i}")
    for i in range(size):
        ups = rng.sample(names, k=min(len(names), rng.randint(1, 3)))
        refs = " ".join(
            "{" + up + (".paths}" if up == "part" else ".path}") for up in ups
        )
        extra = ""
        if i % 5 == 4:  # a glob: a new or a removed match changes what it reads
            extra = 'inputs = ["notes/*.txt"]\n'
            refs += " notes/*.txt"
        elif rng.random() < 0.3:
            extra = f'inputs = ["data/extra{i}.txt"]\n'
            refs += f" data/extra{i}.txt"
        lines.append(
            f'[assets.n{i}]\npath = "out/n{i}.txt"\n'
            f'transform = "cat {refs} | cksum > {{self.path}}"\n{extra}'
        )
        names.append(f"n{i}")
    return "\n".join(lines)


# Python assets of the project (``[settings] modules``): one reads a shell
# asset, one a helper of another module, and a shell asset reads both.
STEPS = """\
from pathlib import Path

from doit_assets import asset
from helpers import shout

SALT = "0"


@asset(path="out/py0.txt")
def py0({up}: Path, output: Path) -> None:
    output.write_text({up}.read_text() + SALT + "\\n")


@asset(path="out/py1.txt")
def py1(py0: Path, src1: Path, output: Path) -> None:
    output.write_text(shout(py0.read_text() + src1.read_text()))
"""

HELPERS = """\
def shout(text: str) -> str:
    return text.upper()
"""

PYTHON_TOML = """
[settings]
modules = ["steps"]

[assets.py_after]
path = "out/py_after.txt"
transform = "cat {py0.path} {py1.path} | cksum > {self.path}"
"""


def with_python(toml: str, rng: random.Random) -> tuple[str, str]:
    """The project with Python assets too, and its module."""
    up = f"n{rng.randrange(14)}"
    return PYTHON_TOML + "\n" + toml, STEPS.replace("{up}", up)


def files_of(project: Project) -> dict[str, str]:
    found = {}
    for folder in ("data", "out", "notes"):
        for path in sorted(project.path(folder).glob("*.txt")):
            found[f"{folder}/{path.name}"] = path.read_text()
    return found


EDITS = (
    "source",
    "touch",
    "output",
    "delete",
    "extra",
    "nothing",
    "same_size",
    "new_note",
    "drop_note",
)


# Edits of the Python modules: the code of an asset, a helper, only a comment.
CODE_EDITS = ("salt", "helper", "comment")


def edit(
    rng: random.Random, projects: list[Project], step: int, python: bool = False
) -> str:
    kind = rng.choice(EDITS + CODE_EDITS if python else EDITS)
    if kind in CODE_EDITS:
        return edit_code(kind, projects, step)
    files = sorted(files_of(projects[0]))
    outputs = [f for f in files if f.startswith("out/")]
    sources = [f for f in files if f.startswith("data/") and "extra" not in f]
    extras = [f for f in files if "extra" in f]
    pick = {
        "source": sources,
        "touch": sources + outputs,
        "output": outputs,
        "delete": outputs,
        "extra": extras or sources,
        "nothing": sources,
        "same_size": outputs,
        "new_note": [f"notes/n{step}.txt"],
        "drop_note": [f for f in files if f.startswith("notes/")][1:] or sources,
    }[kind]
    target = rng.choice(pick)
    for project in projects:
        path = project.path(target)
        if kind == "drop_note" and target.startswith("notes/"):
            path.unlink()
        elif kind in ("source", "extra", "new_note", "drop_note"):
            path.write_text(f"{target} {step}\n")
        elif kind == "touch":
            os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000_000))
        elif kind == "output":
            path.write_text("hand edited\n")
        elif kind == "delete":
            path.unlink()
        elif kind == "same_size":  # same size, another mtime, other content
            text = path.read_text()
            path.write_text(text[::-1])
    return f"{kind} {target}"


def edit_code(kind: str, projects: list[Project], step: int) -> str:
    for project in projects:
        if kind == "salt":
            steps = project.path("steps.py").read_text()
            start = steps.index('SALT = "') + 8
            end = steps.index('"', start)
            project.write("steps.py", f"{steps[:start]}{step}{steps[end:]}")
        elif kind == "helper":
            helpers = project.path("helpers.py").read_text()
            swap = ("upper", "lower") if "upper" in helpers else ("lower", "upper")
            project.write("helpers.py", helpers.replace(*swap))
        else:
            steps = project.path("steps.py").read_text()
            project.write("steps.py", steps + f"# step {step}\n")
    return kind


@pytest.mark.parametrize(
    ("seed", "way", "python"),
    [
        (1, "doit-assets", False),
        (2, "doit-assets", False),
        (3, "doit", False),
        (4, "doit-assets", True),
        (5, "doit", True),
    ],
)
def test_the_cone_runs_exactly_what_doit_runs(
    tmp_path: Path, seed: int, way: str, python: bool
) -> None:
    rng = random.Random(seed)
    toml = random_project(rng, 14)
    steps = ""
    if python:
        toml, steps = with_python(toml, rng)
    projects = [Project(tmp_path / "fast"), Project(tmp_path / "full")]
    for project in projects:
        project.root.mkdir()
        project.write("assets.toml", toml)
        if python:
            project.write("steps.py", steps)
            project.write("helpers.py", HELPERS)
        project.write("dodo.py", "from doit_assets.dodo import *\n")
        for name in ("data/part-a.txt", "data/part-b.txt"):
            project.write(name, name + "\n")
        for i in range(3):
            project.write(f"data/src{i}.txt", f"src{i}\n")
        project.write("notes/first.txt", "first\n")
        for i in range(14):
            if f"extra{i}" in toml:
                project.write(f"data/extra{i}.txt", f"extra{i}\n")
    fast_project, full_project = projects
    assert fast_project.doit_assets().code == 0
    assert fast(fast_project, way)[1] in ("-", "(none)")  # writes its manifest
    assert full_project.doit_assets("run").code == 0
    cones = 0
    code_edits = 0
    for step in range(12):
        what = edit(rng, projects, step, python)
        ran, cone, out = fast(fast_project, way)
        full = full_project.doit_assets("run")
        assert full.code == 0, full
        assert sorted(ran) == sorted(full.ran), (what, cone, out, full)
        assert files_of(fast_project) == files_of(full_project), what
        # an edited module: the manifest no longer holds, doit loads everything
        code_edits += what in CODE_EDITS
        cones += cone not in ("-",)
        assert (cone == "-") == (what in CODE_EDITS), (what, cone)
    assert cones == 12 - code_edits  # every other run was triaged
    assert not python or 0 < code_edits < 12


PIPELINE = """\
[assets.raw]
path = "data/raw.txt"

[assets.upper]
path = "out/upper.txt"
transform = "tr a-z A-Z < {raw.path} > {self.path}"

[assets.count]
path = "out/count.txt"
transform = "wc -l < {upper.path} > {self.path}"
"""


def test_a_change_hands_doit_its_cone_alone(project: Project) -> None:
    project.write("data/raw.txt", "a\nb\n")
    project.assets(PIPELINE, dodo=False)
    assert project.doit_assets().code == 0
    project.write("out/count.txt", "99\n")
    ran, cone, out = fast(project)
    assert (ran, cone) == (["count"], "count")
    # doit's lines for what it never saw, then its own, then the summary
    assert out.splitlines()[:3] == ["-- raw", "-- upper", ".  count"], out
    assert out.splitlines()[3].startswith("doit-assets: 1 made, 2 up to date in ")
    assert fast(project)[1] == "(none)"


def test_a_partial_run_keeps_the_fast_path(project: Project) -> None:
    project.write("data/raw.txt", "a\nb\n")
    project.assets(PIPELINE, dodo=False)
    assert project.doit_assets().code == 0
    project.write("data/raw.txt", "a\nb\nc\n")
    assert project.doit_assets("upper").ran == ["upper"]
    ran, cone, _ = fast(project)
    assert (ran, cone) == (["count"], "count")


SLOW = """\
[assets.first]
path = "out/first.txt"
transform = "echo one > {self.path}"

[assets.second]
path = "out/second.txt"
transform = "touch started; test -f go || sleep 30; cat {first.path} > {self.path}"
"""


def test_a_killed_run_keeps_the_stamps_of_what_it_finished(project: Project) -> None:
    project.assets(SLOW, dodo=False)
    assert project.doit_assets("first").code == 0  # the manifest, and a stamp
    project.write("out/first.txt", "hand edited\n")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "doit-assets")],
        cwd=project.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 30
        while not project.exists("started"):
            assert time.time() < deadline, "second never started"
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # the doit process, not its group
        proc.wait()
    assert project.read("out/first.txt") == "one\n"  # made again, then killed
    project.write("go", "")
    ran, cone, _ = fast(project)  # what the killed run left is cleared first
    assert (ran, cone) == (["second"], "second")
    assert fast(project)[1] == "(none)"


# `doit-assets assets status` in a fresh interpreter: the answer, and whether
# doit was imported; with "long", the stamps are not asked (doit answers).
STATUS_PROBE = """
import sys
from doit_assets.cli import console, stamped_status

if sys.argv[1] == "long":
    stamped_status.stamped_status = lambda toml: None
code = console.main(["assets", "status"])
sys.stderr.write(f"doit imported: {'doit' in sys.modules}\\n")
sys.exit(code)
"""

MIXED = """\
[assets.raw]
path = "data/raw.txt"

[assets.sales]
path = "data/{partition}.csv"
partitions = { static = ["eu", "us"] }

[assets.up]
path = "out/up.txt"
transform = "cat {raw.path} {sales.paths} > {self.path}"
max_age = "1h"

[assets.per]
path = "out/per-{partition}.txt"
partitions = { static = ["eu", "us"] }
transform = "cat data/{partition}.csv > {self.path}"
"""


def status(project: Project, way: str, now: float) -> tuple[str, str]:
    done = subprocess.run(
        [PYTHON, "-c", STATUS_PROBE, way],
        cwd=project.root,
        capture_output=True,
        text=True,
        env={**os.environ, "DOIT_ASSETS_NOW": str(now)},  # the same ages
    )
    assert done.returncode == 0, done
    return done.stdout, done.stderr.strip()


def test_status_from_the_stamps_is_the_status_doit_gives(project: Project) -> None:
    project.write("data/raw.txt", "a\n")
    project.write("data/eu.csv", "1\n")
    project.write("data/us.csv", "2\n")
    project.assets(MIXED, dodo=False)
    assert project.doit_assets().code == 0
    now = time.time() + 65
    fast_answer, fast_doit = status(project, "fast", now)
    long_answer, long_doit = status(project, "long", now)
    assert (fast_doit, long_doit) == ("doit imported: False", "doit imported: True")
    assert fast_answer == long_answer
    assert fast_answer.splitlines()[-1] == "4 assets: 2 fresh, 2 source"
    project.write("data/raw.txt", "b\n")  # stale: doit answers
    assert status(project, "fast", now)[1] == "doit imported: True"


EARLY_CUTOFF = """\
[assets.raw]
path = "data/raw.txt"

[assets.first]
path = "out/first.txt"
transform = "head -c 1 {raw.path} > {self.path}"

[assets.second]
path = "out/second.txt"
transform = "cat {first.path} {first.path} > {self.path}"
"""


def test_an_output_made_again_the_same_leaves_nothing_stale(project: Project) -> None:
    project.write("data/raw.txt", "abc\n")
    project.assets(EARLY_CUTOFF, dodo=False)
    assert project.doit_assets().code == 0
    project.write("data/raw.txt", "axyz\n")  # first makes the same byte again
    ran, cone, _ = fast(project)
    assert (ran, cone) == (["first"], "first raw second")
    # second was up to date (the same content, a new mtime): its new stamp is
    # saved, so that it is not handed to doit again and again
    assert fast(project)[1] == "(none)"


def test_doit_with_a_dodo_py_hands_doit_the_cone_too(project: Project) -> None:
    project.write("data/raw.txt", "a\nb\n")
    project.assets(PIPELINE)  # with the one-line dodo.py
    assert project.doit().code == 0
    project.write("out/count.txt", "99\n")
    ran, cone, out = fast(project, "doit")
    assert (ran, cone) == (["count"], "count")
    assert out.splitlines()[:3] == ["-- raw", "-- upper", ".  count"], out
    # nothing stale: doit gets the last task alone, finds it up to date
    ran, cone, out = fast(project, "doit")
    assert (ran, cone) == ([], "(none)")
    assert out.splitlines()[:3] == ["-- raw", "-- upper", "-- count"], out
    assert out.splitlines()[3].startswith("doit-assets: 0 made, 3 up to date in ")
    # a selection, list, -a: every task, as doit has them
    assert project.doit("list").out.split() == ["count", "raw", "upper"]
    assert project.doit("-a").ran == ["upper", "count"]


def test_a_dodo_py_with_tasks_of_its_own_gets_every_task(project: Project) -> None:
    project.write("data/raw.txt", "a\nb\n")
    project.assets(PIPELINE)
    dodo = project.read("dodo.py")
    project.write(
        "dodo.py",
        dodo + "\ndef task_report():\n    return {'actions': ['true'], "
        "'task_dep': ['count']}\n",
    )
    assert project.doit().code == 0
    assert fast(project, "doit")[1] == "not asked"
