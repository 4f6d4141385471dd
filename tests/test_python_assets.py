"""Python assets end to end: ``@asset`` and ``python = "module:function"`` in one
graph with ``assets.toml``; value stores, early cutoff, automatic code versions,
worker processes, and every message a Python declaration can get.

Each project runs the real ``doit`` in a subprocess: the modules of a project are
imported there, never in the test process, so that two tests can each have a
module of the same name. The invalid corpus (``corpus/python/*.py``) is checked
in-process, from files loaded under unique names.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pickle
import re
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from conftest import DoitRun, Project, copy_of
from history_support import assert_lines, file_md5, materializations

from doit_assets import AssetError, load_graph
from doit_assets.load.decorators import collect

VALUES = ".doit-assets/values"
PYTHON_MINOR = f"{sys.version_info.major}.{sys.version_info.minor}"
CORPUS = Path(__file__).parent / "corpus" / "python"
CORPUS_CASES = sorted(CORPUS.glob("*.py"))
# Without -n doit runs each function itself; with -n 2, in worker processes.
JOBS = pytest.mark.parametrize("jobs", [[], ["-n", "2"]], ids=["serial", "workers"])


# -- helpers -------------------------------------------------------------------


def write_module(project: Project, name: str, text: str) -> Path:
    return project.write(f"{name}.py", textwrap.dedent(text))


def edit(project: Project, rel: str, old: str, new: str) -> None:
    """Replace the one occurrence of ``old``; drop bytecode that could be stale
    (an edit within the same second that keeps the size would not be seen)."""
    text = project.read(rel)
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {rel}"
    project.write(rel, text.replace(old, new))
    shutil.rmtree(project.path("__pycache__"), ignore_errors=True)


def line_of(project: Project, rel: str, fragment: str) -> int:
    """The 1-based line of the one line of ``rel`` that contains ``fragment``."""
    found = [
        n
        for n, line in enumerate(project.read(rel).splitlines(), 1)
        if fragment in line
    ]
    assert len(found) == 1, f"{fragment!r} on lines {found} of {rel}"
    return found[0]


def load_value(project: Project, key: str, extension: str = ".pickle") -> Any:
    data = project.path(f"{VALUES}/{key}{extension}").read_bytes()
    return pickle.loads(data)


def failure(result: DoitRun, key: str) -> str:
    """What doit printed about the failure of ``key``: message and traceback."""
    text = result.out + result.err
    start = text.find(f"TransformFailed - taskid:{key}\n")
    assert start >= 0, result
    block = text[start:].split("\n", 1)[1]
    return block.split("\n\n", 1)[0]


def error_lines(result: DoitRun) -> list[str]:
    """The lines of a load error, which must end doit with code 3 and no traceback."""
    assert result.code == 3, result
    assert result.out == "", result
    assert "Traceback" not in result.err, result
    assert result.err.startswith("ERROR: "), result
    return result.err.removeprefix("ERROR: ").splitlines()


# -- a mixed graph ---------------------------------------------------------------

# readings (TOML source) -> valid (Python file) -> temps (Python value, pickle)
#   -> summary (Python value, json) -> report (TOML shell transform)
#   -> final (Python file, from the TOML report and from two Python assets)
WEATHER = '''\
"""The Python half of the mixed pipeline."""

from __future__ import annotations

from pathlib import Path

from doit_assets import asset


@asset(path="build/valid.csv", description="Rows with a temperature")
def valid(readings: Path, output: Path) -> None:
    lines = readings.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not line.endswith(",")]
    output.write_text("\\n".join(kept) + "\\n", encoding="utf-8")


@asset
def temps(valid: Path) -> dict[str, list[float]]:
    result: dict[str, list[float]] = {}
    for line in valid.read_text(encoding="utf-8").splitlines()[1:]:
        station, value = line.split(",")
        result.setdefault(station, []).append(float(value))
    return result


@asset(io="json")
def summary(temps: dict[str, list[float]]) -> dict[str, float]:
    return {station: max(values) for station, values in temps.items()}


@asset(path="build/final.txt")
def final(report: Path, temps: dict[str, list[float]], valid: Path, output: Path) -> None:
    kinds = (
        f"report={report} valid={valid} "
        f"paths={isinstance(report, Path) and isinstance(valid, Path)} "
        f"temps={type(temps).__name__}:{sorted(temps)}"
    )
    output.write_text(report.read_text(encoding="utf-8").upper() + kinds + "\\n", encoding="utf-8")
'''

# Where each Python function runs: the parent of doit's own process is the test.
PROBE = """\
import os

from doit_assets import asset


@asset
def parent_pid() -> int:
    return os.getppid()
"""

WEATHER_TOML = """\
[settings]
modules = ["weather", "probe"]

[assets.readings]
path = "data/readings.csv"

[assets.report]
path = "build/report.txt"
transform = "{python} tx.py prefix {self.path} REPORT {summary.path}"
"""

READINGS = "station,temp\nzürich,3.5\nzürich,\nbsl,7.0\nzürich,4.25\n"
SUMMARY_JSON = '{\n  "bsl": 7.0,\n  "zürich": 4.25\n}\n'
WEATHER_FILES = {
    "build/valid.csv": "station,temp\nzürich,3.5\nbsl,7.0\nzürich,4.25\n",
    f"{VALUES}/summary.json": SUMMARY_JSON,
    "build/report.txt": "REPORT\n" + SUMMARY_JSON,
    "build/final.txt": "REPORT\n"
    + SUMMARY_JSON.upper()
    + "report=build/report.txt valid=build/valid.csv paths=True "
    "temps=dict:['bsl', 'zürich']\n",
}
WEATHER_ASSETS = ["valid", "temps", "summary", "report", "final", "parent_pid"]


def weather(project: Project) -> Project:
    project.write("data/readings.csv", READINGS)
    project.write("weather.py", WEATHER)
    project.write("probe.py", PROBE)
    project.assets(WEATHER_TOML)
    return project


def test_mixed_graph_builds_in_order_then_is_up_to_date(project: Project) -> None:
    weather(project)
    first = project.doit_ok()
    chain = [a for a in first.ran if a != "parent_pid"]
    assert chain == ["valid", "temps", "summary", "report", "final"], first
    assert sorted(first.ran) == sorted(WEATHER_ASSETS), first
    for rel, text in WEATHER_FILES.items():
        assert project.read(rel) == text, rel
    assert load_value(project, "temps") == {"zürich": [3.5, 4.25], "bsl": [7.0]}
    # doit runs the functions in its own process, without -n
    assert load_value(project, "parent_pid") == os.getpid()
    again = project.doit_ok()
    assert again.ran == [], again
    assert sorted(again.up_to_date) == sorted([*WEATHER_ASSETS, "readings"]), again
    # the decorator's description is the task's doc
    listed = project.doit_ok("list").out.splitlines()
    assert "valid        Rows with a temperature" in listed, listed


def test_equal_value_of_a_python_asset_cuts_off_its_toml_downstream(
    project: Project,
) -> None:
    weather(project)
    project.doit_ok()
    before = file_md5(project, f"{VALUES}/summary.json")
    # a new reading below the maximum: temps changes, the summary does not
    project.write("data/readings.csv", READINGS + "bsl,5.0\n")
    result = project.doit_ok()
    assert result.ran == ["valid", "temps", "summary", "final"], result
    assert "report" in result.up_to_date, result
    assert file_md5(project, f"{VALUES}/summary.json") == before
    assert load_value(project, "temps")["bsl"] == [7.0, 5.0]


def test_workers_of_doit_n_2_give_the_same_results(project: Project) -> None:
    weather(project)
    result = project.doit_ok("-n", "2")
    assert sorted(result.ran) == sorted(WEATHER_ASSETS), result
    for rel, text in WEATHER_FILES.items():
        assert project.read(rel) == text, rel
    assert load_value(project, "temps") == {"zürich": [3.5, 4.25], "bsl": [7.0]}
    # the function ran in a worker, a child of doit, not in doit itself
    assert load_value(project, "parent_pid") != os.getpid()
    assert project.staging_dirs() == []
    again = project.doit_ok("-n", "2")
    assert again.ran == [], again


# -- decorator options -----------------------------------------------------------

OPTIONS = '''\
"""Every option of @asset: name, ins, outputs, depends_on, inputs, metadata."""

from __future__ import annotations

from pathlib import Path

from doit_assets import asset


@asset(name="text/words", inputs=["stopwords.txt"], metadata={"owner": "nlp"})
def words(raw: Path) -> list[str]:
    stop = set(Path("stopwords.txt").read_text().split())
    return [w for w in raw.read_text().split() if w not in stop]


@asset(path=["build/left.txt", "build/right.txt"], ins={"items": "text/words"})
def halves(items: list[str], outputs: tuple[Path, ...]) -> None:
    left, right = outputs
    middle = len(items) // 2
    left.write_text(" ".join(items[:middle]) + f"\\n{left}\\n")
    right.write_text(" ".join(items[middle:]) + f"\\n{right}\\n")


@asset(path="build/marker.txt")
def marker(output: Path) -> None:
    output.write_text("made\\n")


@asset(name="layout", io="json", depends_on=["marker"])
def describe(halves: tuple[Path, ...]) -> dict[str, object]:
    return {
        "halves": [str(p) for p in halves],
        "are_paths": isinstance(halves, tuple) and all(isinstance(p, Path) for p in halves),
        "marker": Path("build/marker.txt").read_text(),
    }
'''

OPTIONS_TOML = """\
[settings]
modules = ["options"]

[assets.raw]
path = "data/raw.txt"

[assets.joined]
path = "build/joined.txt"
transform = "{python} tx.py cat {self.path} {halves.paths}"
"""

# Where the function writes: moved to the final path when it returns. Each
# attempt has a staging folder of its own (its name is random: read as X).
STAGED_LEFT = "build/.doit-assets-staging.X/left.txt"
STAGED_RIGHT = "build/.doit-assets-staging.X/right.txt"


def read_staged(project: Project, rel: str) -> str:
    text = project.read(rel)
    return re.sub(
        r"\.doit-assets-staging\.[0-9a-f]{12}/", ".doit-assets-staging.X/", text
    )


def test_decorator_options_name_ins_outputs_depends_on_and_inputs(
    project: Project,
) -> None:
    project.write("data/raw.txt", "the cat and the dog sat\n")
    project.write("stopwords.txt", "the and\n")
    project.write("options.py", OPTIONS)
    project.assets(OPTIONS_TOML)
    first = project.doit_ok()
    assert sorted(first.ran) == ["halves", "joined", "layout", "marker", "text/words"]
    # depends_on orders without passing anything: marker is made before layout
    assert first.ran.index("marker") < first.ran.index("layout"), first
    assert load_value(project, "text/words") == ["cat", "dog", "sat"]
    metadata = {m["asset"]: m["metadata"] for m in materializations(project)}
    assert metadata["text/words"] == {"owner": "nlp"}
    # each output is written at its staging path, then moved into place
    assert read_staged(project, "build/left.txt") == f"cat\n{STAGED_LEFT}\n"
    assert read_staged(project, "build/right.txt") == f"dog sat\n{STAGED_RIGHT}\n"
    assert json.loads(project.read(f"{VALUES}/layout.json")) == {
        "halves": ["build/left.txt", "build/right.txt"],
        "are_paths": True,
        "marker": "made\n",
    }
    assert read_staged(project, "build/joined.txt") == (
        f"cat\n{STAGED_LEFT}\ndog sat\n{STAGED_RIGHT}\n"
    )
    # an edit of an input re-runs the asset and what its new value reaches
    project.write("stopwords.txt", "the\n")
    second = project.doit_ok()
    assert sorted(second.ran) == ["halves", "joined", "layout", "text/words"], second
    assert load_value(project, "text/words") == ["cat", "and", "dog", "sat"]
    assert read_staged(project, "build/left.txt") == f"cat and\n{STAGED_LEFT}\n"


# -- values ----------------------------------------------------------------------

CLOSURES = '''\
"""Values that plain pickle cannot keep: a lambda and a locally defined class."""

from pathlib import Path

from doit_assets import asset


@asset
def scale():
    factor = 3
    return lambda x: x * factor


@asset
def point(scale):
    class Point:
        def __init__(self, x: int, y: int) -> None:
            self.x, self.y = x, y

        def norm1(self) -> int:
            return abs(self.x) + abs(self.y)

    return Point(scale(1), scale(-2))


@asset(path="build/point.txt")
def point_report(point, scale, output: Path) -> None:
    name = type(point).__name__
    output.write_text(f"{name} {point.x} {point.y} {point.norm1()} {scale(5)}\\n")
'''


@JOBS
def test_lambdas_and_local_classes_round_trip_through_cloudpickle(
    project: Project, jobs: list[str]
) -> None:
    project.write("closures.py", CLOSURES)
    project.assets('[settings]\nmodules = ["closures"]\n')
    result = project.doit_ok(*jobs)
    assert sorted(result.ran) == ["point", "point_report", "scale"], result
    assert project.read("build/point.txt") == "Point 3 -6 9 15\n"
    # the files hold the values themselves: they load here, without the module
    scale = load_value(project, "scale")
    assert scale(4) == 12
    point = load_value(project, "point")
    assert (point.x, point.y, point.norm1()) == (3, -6, 9)
    for value in (scale, point):
        with pytest.raises((pickle.PicklingError, AttributeError)):
            pickle.dumps(value)  # which is why the store uses cloudpickle


STORES = '''\
"""A settings module: it registers a store before any asset is built."""

from __future__ import annotations

from pathlib import Path

from doit_assets import asset, register_store


class LinesStore:
    """One item per line, so that any text tool can read the value."""

    name = "lines"
    extension = ".txt"

    def dump(self, value: list[str], path: Path) -> None:
        path.write_text("".join(f"{item}\\n" for item in value), encoding="utf-8")

    def load(self, path: Path) -> list[str]:
        return path.read_text(encoding="utf-8").splitlines()


register_store(LinesStore())


class ShoutStore:
    """Given to one asset as io=ShoutStore(): upper case on disk."""

    name = "shout"
    extension = ".shout"

    def dump(self, value: str, path: Path) -> None:
        path.write_text(value.upper(), encoding="utf-8")

    def load(self, path: Path) -> str:
        return path.read_text(encoding="utf-8").lower()


def names(raw: Path) -> list[str]:
    return sorted(raw.read_text(encoding="utf-8").split())


def stats(names: list[str]) -> dict[str, object]:
    return {"n": len(names), "first": names[0]}


@asset(io=ShoutStore())
def greeting(names: list[str]) -> str:
    return "hello " + " and ".join(names)


@asset(path="build/card.txt")
def card(greeting: str, names: list[str], stats: dict[str, object], output: Path) -> None:
    output.write_text(f"{greeting}|{names!r}|{stats!r}\\n", encoding="utf-8")
'''

STORES_TOML = """\
[settings]
modules = ["stores"]

[assets.raw]
path = "data/raw.txt"

[assets.names]
python = "stores:names"
io = "lines"
description = "Sorted names, one a line"

[assets.stats]
python = "stores:stats"
io = "json"

[assets.count]
path = "build/count.txt"
transform = "{python} tx.py count {self.path} {names.path}"
"""


def stores_project(project: Project) -> Project:
    project.write("data/raw.txt", "bob ann\n")
    project.write("stores.py", STORES)
    project.assets(STORES_TOML)
    return project


@JOBS
def test_custom_stores_from_a_settings_module_and_from_io(
    project: Project, jobs: list[str]
) -> None:
    stores_project(project)
    result = project.doit_ok(*jobs)
    assert sorted(result.ran) == ["card", "count", "greeting", "names", "stats"]
    assert project.read(f"{VALUES}/names.txt") == "ann\nbob\n"
    assert project.read(f"{VALUES}/greeting.shout") == "HELLO ANN AND BOB"
    assert project.read(f"{VALUES}/stats.json") == (
        '{\n  "first": "ann",\n  "n": 2\n}\n'
    )
    # each downstream gets the value its upstream's store loads
    assert project.read("build/card.txt") == (
        "hello ann and bob|['ann', 'bob']|{'first': 'ann', 'n': 2}\n"
    )
    # and a shell transform reads the store's file
    assert project.read("build/count.txt") == "2\n"
    again = project.doit_ok(*jobs)
    assert again.ran == [], again


def test_show_a_python_asset_declared_in_toml(project: Project) -> None:
    stores_project(project)
    project.doit_ok()
    history = project.doit("assets", "history", "names", "--json")
    assert history.code == 0, history
    (made,) = json.loads(history.out)["materializations"]
    assert re.fullmatch("[0-9a-f]{16}", made["code_version"]), made
    show = project.doit("assets", "show", "names")
    assert show.code == 0, show
    line = line_of(project, "assets.toml", "[assets.names]")
    assert_lines(
        show.out,
        [
            "asset         names",
            f"declared      assets.toml:{line}",
            "kind          transform",
            "description   Sorted names, one a line",
            "transform     python stores:names",
            f"code version  {made['code_version']} (automatic)",
            "depends on    raw",
            "inputs        -",
            f"python        {PYTHON_MINOR}",  # in its automatic code version
            f"output        {VALUES}/names.txt  8 B  md5 "
            + file_md5(project, f"{VALUES}/names.txt"),
            "status        fresh",
            f"last made     #{made['id']} (run 1): made <time> in <took>",
        ],
    )


# -- early cutoff ----------------------------------------------------------------

CUTOFF = """\
from pathlib import Path

from doit_assets import asset


@asset
def total(raw: Path) -> int:
    return sum(int(v) for v in raw.read_text().split())


@asset(path="build/shown.txt")
def shown(total: int, output: Path) -> None:
    output.write_text(f"{total}\\n")
"""

CUTOFF_TOML = """\
[settings]
modules = ["cutoff"]

[assets.raw]
path = "data/raw.txt"

[assets.copied]
path = "build/copied.txt"
transform = "cp {total.path} {self.path}"
"""


def test_equal_value_is_written_with_equal_bytes_so_downstream_is_cut_off(
    project: Project,
) -> None:
    project.write("data/raw.txt", "1 2 3\n")
    project.write("cutoff.py", CUTOFF)
    project.assets(CUTOFF_TOML)
    first = project.doit_ok()
    assert sorted(first.ran) == ["copied", "shown", "total"], first
    before = file_md5(project, f"{VALUES}/total.pickle")
    # another input with the same sum: total re-runs, nothing after it does
    project.write("data/raw.txt", "3 3\n")
    second = project.doit_ok()
    assert second.ran == ["total"], second
    assert sorted(second.up_to_date) == ["copied", "shown"], second
    assert file_md5(project, f"{VALUES}/total.pickle") == before
    # a new sum reaches both the Python and the shell downstream
    project.write("data/raw.txt", "3 4\n")
    third = project.doit_ok()
    assert sorted(third.ran) == ["copied", "shown", "total"], third
    assert project.read("build/shown.txt") == "7\n"
    assert load_value(project, "total") == 7


SETS = """\
from pathlib import Path

from doit_assets import asset


@asset
def stations(raw: Path) -> set[str]:
    return set(raw.read_text().split())


@asset(path="build/stations.txt")
def listing(stations: set[str], output: Path) -> None:
    output.write_text(",".join(sorted(stations)) + "\\n")
"""

STATIONS = [f"station{n:02}" for n in range(12)]


def test_equal_set_value_is_written_with_equal_bytes_so_downstream_is_cut_off(
    project: Project,
) -> None:
    # Each doit process has its own string hashes, so a set of strings
    # iterates in another order: equal sets must still pickle to equal bytes.
    project.write("data/raw.txt", " ".join(STATIONS) + "\n")
    project.write("sets.py", SETS)
    project.assets(
        '[settings]\nmodules = ["sets"]\n\n[assets.raw]\npath = "data/raw.txt"\n'
    )
    first = project.doit_ok()
    assert first.ran == ["stations", "listing"], first
    before = file_md5(project, f"{VALUES}/stations.pickle")
    project.write("data/raw.txt", " ".join(reversed(STATIONS)) + "\n")
    second = project.doit_ok()
    assert load_value(project, "stations") == set(STATIONS)
    assert second.ran == ["stations"], second
    assert file_md5(project, f"{VALUES}/stations.pickle") == before


# -- code versions ---------------------------------------------------------------

STEPS = '''\
"""Steps for the code-version tests: each edit re-runs exactly what it should."""

from __future__ import annotations

from pathlib import Path

import helpers
from helpers import Greeter, shout

from doit_assets import asset

OFFSET = 10


def scaled(n: int) -> int:
    return n * 2


def unused(n: int) -> int:
    return n - 1


@asset(description="Words of the raw file")
def words(raw: Path) -> list[str]:
    """The words, in order."""
    # split on whitespace
    return raw.read_text().split()


@asset(path="build/total.txt")
def total(words: list[str], output: Path) -> None:
    def cell(value: int, width: int = 4) -> str:
        return str(value).rjust(width)

    output.write_text(cell(scaled(len(words)) + OFFSET) + "\\n")


@asset(path="build/loud.txt")
def loud(words: list[str], output: Path) -> None:
    greeting = Greeter().greet(words[-1])
    output.write_text(shout(words[0]) + helpers.suffix() + " " + greeting + "\\n")


@asset(path="build/pinned.txt", code_version="1")
def pinned(raw: Path, output: Path) -> None:
    output.write_text(raw.read_text().upper())
'''

HELPERS = '''\
"""Helpers of the steps: code of the project, so an edit here counts."""


def shout(text: str) -> str:
    return text.upper()


def suffix() -> str:
    return "!"


def polite(name: str) -> str:
    return f"dear {name}"


class Greeter:
    def greet(self, name: str) -> str:
        return polite(name)
'''

STEPS_TOML = """\
[settings]
modules = ["steps"]

[assets.raw]
path = "data/raw.txt"
"""

STEPS_FILES = {
    "build/total.txt": "  16\n",
    "build/loud.txt": "ALPHA! dear gamma\n",
    "build/pinned.txt": "ALPHA BETA GAMMA\n",
}


def _build_steps(project: Project) -> None:
    """The steps project, built (a copy of one built once per session)."""
    project.write("data/raw.txt", "alpha beta gamma\n")
    project.write("steps.py", STEPS)
    project.write("helpers.py", HELPERS)
    project.assets(STEPS_TOML)
    result = project.doit_ok()
    assert sorted(result.ran) == ["loud", "pinned", "total", "words"], result
    for rel, text in STEPS_FILES.items():
        assert project.read(rel) == text, rel


steps = copy_of(_build_steps)


# (id, file, old text, new text, the assets that must re-run)
CODE_EDITS = [
    ("nothing-changed", "steps.py", "", "", []),
    (
        "reformatted",
        "steps.py",
        '    output.write_text(cell(scaled(len(words)) + OFFSET) + "\\n")',
        "    output.write_text(\n        cell( scaled(len(words))+OFFSET ) + '\\n'\n    )",
        [],
    ),
    (
        "comment-only",
        "steps.py",
        "    # split on whitespace\n",
        "    # split on any whitespace: spaces, tabs, newlines\n    # (and more)\n",
        [],
    ),
    (
        "docstring-only",
        "steps.py",
        '"""The words, in order."""',
        '"""Every word of the raw file, in the order the file has them."""',
        [],
    ),
    (
        "description-changed",
        "steps.py",
        'description="Words of the raw file"',
        'description="All the words"',
        [],
    ),
    (
        "functions-moved-down",
        "steps.py",
        "OFFSET = 10\n",
        "OFFSET = 10\n\n# A comment that moves every function down.\n",
        [],
    ),
    ("unused-helper-changed", "steps.py", "return n - 1", "return n - 2", []),
    (
        "literal-changed",
        "steps.py",
        'OFFSET) + "\\n"',
        'OFFSET) + " words\\n"',
        ["total"],
    ),
    ("default-changed", "steps.py", "width: int = 4", "width: int = 6", ["total"]),
    ("helper-changed", "steps.py", "return n * 2", "return n * 3", ["total"]),
    ("module-constant-changed", "steps.py", "OFFSET = 10", "OFFSET = 11", ["total"]),
    (
        # the function changes but its value does not: early cutoff after it
        "value-asset-changed-same-value",
        "steps.py",
        "return raw.read_text().split()",
        "return raw.read_text().split(None)",
        ["words"],
    ),
    (
        "imported-helper-changed",
        "helpers.py",
        "return text.upper()",
        "return text.upper().strip()",
        ["loud"],
    ),
    (
        "helper-called-as-module-attribute-changed",
        "helpers.py",
        'return "!"',
        'return "?"',
        ["loud"],
    ),
    (
        "helper-called-by-a-project-class-changed",
        "helpers.py",
        'return f"dear {name}"',
        'return f"Dear {name}"',
        ["loud"],
    ),
    (
        "explicit-code-version-kept-while-body-changes",
        "steps.py",
        "raw.read_text().upper()",
        "raw.read_text().lower()",
        [],
    ),
    (
        "explicit-code-version-bumped",
        "steps.py",
        'code_version="1"',
        'code_version="2"',
        ["pinned"],
    ),
]


@pytest.mark.parametrize(
    ("rel", "old", "new", "reruns"),
    [case[1:] for case in CODE_EDITS],
    ids=[case[0] for case in CODE_EDITS],
)
def test_code_edit_reruns_exactly_what_it_changes(
    steps: Project, rel: str, old: str, new: str, reruns: list[str]
) -> None:
    if old:
        edit(steps, rel, old, new)
    result = steps.doit_ok()
    assert sorted(result.ran) == reruns, result
    if not reruns:
        for rel_out, text in STEPS_FILES.items():
            assert steps.read(rel_out) == text, rel_out


def history_of(project: Project, key: str) -> list[dict[str, Any]]:
    result = project.doit("assets", "history", key, "--json")
    assert result.code == 0, result
    found: list[dict[str, Any]] = json.loads(result.out)["materializations"]
    return found


def test_show_gives_where_a_python_asset_is_declared_and_its_code_version(
    steps: Project,
) -> None:
    (made,) = history_of(steps, "total")
    code_version = made["code_version"]
    assert re.fullmatch("[0-9a-f]{16}", code_version), made
    line = line_of(steps, "steps.py", 'path="build/total.txt"')
    show = steps.doit("assets", "show", "total")
    assert show.code == 0, show
    assert_lines(
        show.out,
        [
            "asset         total",
            f"declared      steps.py:{line}",
            "kind          transform",
            "description   -",
            "transform     python steps:total",
            f"code version  {code_version} (automatic)",
            "depends on    words",
            "inputs        -",
            f"python        {PYTHON_MINOR}",  # in its automatic code version
            "output        build/total.txt  5 B  md5 "
            + file_md5(steps, "build/total.txt"),
            "status        fresh",
            f"last made     #{made['id']} (run 1): made <time> in <took>",
        ],
    )
    # a changed constant: a new code version, stale until it runs, then recorded
    edit(steps, "steps.py", "OFFSET = 10", "OFFSET = 11")
    stale = steps.doit("assets", "show", "total")
    assert f"code version  {code_version} (automatic)" not in stale.out, stale
    new_version = re.search(r"code version  ([0-9a-f]{16}) \(automatic\)", stale.out)
    assert new_version, stale
    assert (
        f"status        stale: its code version changed: {code_version} → "
        f"{new_version[1]}\n" in stale.out
    ), stale
    assert steps.doit_ok().ran == ["total"]
    newest, oldest = history_of(steps, "total")
    assert oldest["code_version"] == code_version
    assert newest["code_version"] != code_version
    assert re.fullmatch("[0-9a-f]{16}", newest["code_version"]), newest
    assert f"code version  {newest['code_version']} (automatic)" in (
        steps.doit("assets", "show", "total").out
    )
    assert len(history_of(steps, "words")) == 1


def test_explicit_code_version_is_shown_and_recorded_as_given(steps: Project) -> None:
    show = steps.doit("assets", "show", "pinned")
    assert show.code == 0, show
    lines = show.out.splitlines()
    assert "code version  1" in lines, show
    line = line_of(steps, "steps.py", 'code_version="1"')
    assert f"declared      steps.py:{line}" in lines, show
    edit(steps, "steps.py", 'code_version="1"', 'code_version="2"')
    assert steps.doit_ok().ran == ["pinned"]
    assert [m["code_version"] for m in history_of(steps, "pinned")] == ["2", "1"]


# -- failures --------------------------------------------------------------------

FAILING = """\
from pathlib import Path

from doit_assets import asset


def parse(text: str) -> int:
    if "boom" in text:
        raise ValueError("boom")
    return len(text)


@asset
def size(raw: Path) -> int:
    return parse(raw.read_text())


@asset(path="build/size.txt")
def size_file(raw: Path, output: Path) -> None:
    output.write_text("partial")
    output.write_text(str(parse(raw.read_text())))
"""


@JOBS
def test_exception_fails_the_asset_with_the_users_traceback_and_keeps_outputs(
    project: Project, jobs: list[str]
) -> None:
    project.write("data/raw.txt", "fine\n")
    project.write("failing.py", FAILING)
    project.assets(
        '[settings]\nmodules = ["failing"]\n\n[assets.raw]\npath = "data/raw.txt"\n'
    )
    project.doit_ok(*jobs)
    value_before = project.path(f"{VALUES}/size.pickle").read_bytes()
    project.write("data/raw.txt", "boom\n")
    result = project.doit("--continue", *jobs)
    assert result.code == 1, result
    source = project.path("failing.py")
    raised = line_of(project, "failing.py", "raise ValueError")
    calls = {
        "size": line_of(project, "failing.py", "return parse(raw.read_text())"),
        "size_file": line_of(project, "failing.py", "write_text(str(parse("),
    }
    for key, line in calls.items():
        text = failure(result, key)
        assert text.startswith("ValueError: boom\nTraceback (most recent call last):\n")
        assert text.endswith("\nValueError: boom"), text
        # the user's frames only: none of doit's, none of doit-assets'
        frames = [f for f in text.splitlines() if f.startswith("  File ")]
        assert frames == [
            f'  File "{source}", line {line}, in {key}',
            f'  File "{source}", line {raised}, in parse',
        ], text
    # the previous outputs stay, and nothing half-written is left behind
    assert project.path(f"{VALUES}/size.pickle").read_bytes() == value_before
    assert project.read("build/size.txt") == "5"
    assert project.staging_dirs() == []
    failed = [m for m in materializations(project) if m["status"] == "failed"]
    assert sorted((m["asset"], m["error"]) for m in failed) == [
        ("size", "ValueError: boom"),
        ("size_file", "ValueError: boom"),
    ]
    project.write("data/raw.txt", "fixed!\n")
    fixed = project.doit_ok(*jobs)
    assert sorted(fixed.ran) == ["size", "size_file"], fixed
    assert project.read("build/size.txt") == "7"


EXITING = """\
import sys
from pathlib import Path

from doit_assets import asset


@asset(path="build/quits.txt")
def quits(output: Path) -> None:
    sys.exit("bye")


@asset(path="build/after.txt")
def after(quits: Path, output: Path) -> None:
    output.write_text("after")


@asset(path="build/alone.txt")
def alone(output: Path) -> None:
    output.write_text("alone")
"""


@JOBS
def test_sys_exit_in_a_function_fails_its_asset_not_the_run(
    project: Project, jobs: list[str]
) -> None:
    project.write("exiting.py", EXITING)
    project.assets('[settings]\nmodules = ["exiting"]\n')
    result = project.doit(*jobs)
    assert result.code == 1, result
    assert "x  after (blocked by quits)" in result.out, result
    assert "failed: quits: SystemExit: bye" in result.out, result
    assert project.read("build/alone.txt") == "alone"
    rows = {(m["asset"], m["status"]) for m in materializations(project)}
    assert rows == {("quits", "failed"), ("after", "blocked"), ("alone", "success")}


MISWRITING = """\
from pathlib import Path

from doit_assets import asset


@asset(path="build/returned.txt")
def returned(raw: Path, output: Path) -> str:
    output.write_text("written")
    return "done"


@asset(path="build/forgotten.txt")
def forgotten(raw: Path, output: Path) -> None:
    pass


@asset(path="build/in_place.txt")
def in_place(raw: Path, output: Path) -> None:
    Path("build/in_place.txt").write_text("in place")
"""

WRITE_HINT = (
    "Write each output to the path in the 'output' parameter; it is moved into "
    "place when the function returns"
)


def test_file_asset_that_returns_or_misses_its_output_fails_with_a_message(
    project: Project,
) -> None:
    project.write("data/raw.txt", "x\n")
    project.write("miswriting.py", MISWRITING)
    project.assets(
        '[settings]\nmodules = ["miswriting"]\n\n[assets.raw]\npath = "data/raw.txt"\n'
    )
    result = project.doit("--continue")
    assert result.code == 1, result
    assert failure(result, "returned") == (
        "returned a str, but a file asset writes its output. Write to the "
        "'output' parameter, or remove 'path' to keep the return value"
    )
    assert failure(result, "forgotten") == (
        f"transform succeeded but did not write 'build/forgotten.txt'. {WRITE_HINT}"
    )
    assert failure(result, "in_place") == (
        "transform wrote 'build/in_place.txt' in place instead of to its staging "
        f"path. {WRITE_HINT}"
    )
    assert not project.exists("build/returned.txt")
    assert project.staging_dirs() == []
    assert "Traceback" not in result.out + result.err


def test_message_for_a_returned_int_reads_an_int(project: Project) -> None:
    write_module(
        project,
        "counting",
        """\
        from pathlib import Path

        from doit_assets import asset


        @asset(path="build/count.txt")
        def count(output: Path) -> int:
            output.write_text("3")
            return 3
        """,
    )
    project.assets('[settings]\nmodules = ["counting"]\n')
    result = project.doit()
    assert result.code == 1, result
    assert failure(result, "count").startswith(
        "returned an int, but a file asset writes its output."
    ), result


# -- declarations that are rejected ------------------------------------------------


def corpus_errors(path: Path) -> list[str]:
    """The ``# error:`` header lines of a corpus case, ``{path}`` filled in."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("# error: "):
            break
        lines.append(line.removeprefix("# error: ").replace("{path}", path.name))
    assert lines, f"{path.name} has no '# error:' header"
    return lines


def test_python_corpus_is_not_empty() -> None:
    assert len(CORPUS_CASES) >= 12


@pytest.mark.parametrize("case", CORPUS_CASES, ids=lambda p: p.stem)
def test_invalid_python_corpus_reports_expected_error(
    case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(CORPUS)  # messages name the file relative to the project
    spec = importlib.util.spec_from_file_location(f"corpus_python_{case.stem}", case)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(AssetError) as exc:
        load_graph("no-assets.toml", python_assets=collect([module]))
    assert str(exc.value).splitlines() == corpus_errors(case)


def test_every_python_problem_is_reported_at_once_with_exit_code_3(
    project: Project,
) -> None:
    names = []
    for case in CORPUS_CASES:
        shutil.copy(case, project.path(case.name))
        names.append(case.stem)
    project.assets(f"[settings]\nmodules = {json.dumps(names)}\n")
    lines = error_lines(project.doit())
    # one line per problem, each at file.py:LINE of its decorator, by file and line
    expected = [line for case in CORPUS_CASES for line in corpus_errors(case)]
    assert [line for line in lines if line in expected] == expected
    for line in lines:
        assert re.match(r"[a-z_]+\.py:\d+: ", line), line


SHAPES = """\
from pathlib import Path


def area(side: Path) -> float:
    return float(side.read_text()) ** 2


def sketch(side: Path, output: Path) -> None:
    output.write_text(side.read_text())
"""

SHAPES_TOML = """\
[assets.side]
path = "data/side.txt"

[assets.square]
python = "shapes:aera"

[assets.circle]
python = "geometry:area"

[assets.triangle]
python = "shapes.area"

[assets.hexagon]
path = "build/hexagon.txt"
python = "shapes:sketch"
transform = "cp {side.path} {self.path}"

[assets.pentagon]
python = "shapes:area"
io = "jsn"

[assets.drawing]
python = "shapes:sketch"

[assets.outline]
path = "build/outline.txt"
python = "shapes:sketch"
io = "json"
"""


def test_python_assets_in_toml_report_every_problem(project: Project) -> None:
    project.write("data/side.txt", "2\n")
    project.write("shapes.py", SHAPES)
    toml = project.assets(SHAPES_TOML)

    def at(name: str, key: str) -> str:
        header = line_of(project, toml.name, f"[assets.{name}]")
        lines = project.read(toml.name).splitlines()
        line = next(
            n
            for n in range(header, len(lines) + 1)
            if lines[n - 1].startswith(f"{key} =")
        )
        return f"assets.toml:{line}: asset '{name}'"

    assert error_lines(project.doit()) == [
        f"{at('square', 'python')}: module 'shapes' has no function 'aera'. "
        "Did you mean 'area'?",
        f"{at('circle', 'python')}: cannot import 'geometry': ModuleNotFoundError: "
        "No module named 'geometry'. The project directory is on the import path; "
        "check the module name",
        f"{at('triangle', 'python')}: 'python' must be 'module:function', got "
        "'shapes.area'. For example python = \"pipeline:clean\"",
        f"{at('hexagon', 'python')}: has both 'transform' and 'python'. Keep one: a "
        "shell command or a Python function",
        f"{at('pentagon', 'io')}: unknown value store 'jsn'. Did you mean 'json'?",
        f"{at('drawing', 'python')}: a value asset has no 'output' parameter. "
        "Return the value, or give the asset a 'path' to write",
        f"{at('outline', 'io')}: 'io' is for value assets (Python assets without a "
        "'path'). Remove 'io', or remove 'path' to keep the return value",
    ]


def test_settings_modules_that_fail_to_import_are_reported(project: Project) -> None:
    project.write("exploding.py", 'raise RuntimeError("no config for this host")\n')
    project.write("needs_pkg.py", "import pkg_that_is_not_installed\n")
    project.write(
        "bad_store.py",
        "from doit_assets import register_store\n\nregister_store(object())\n",
    )
    project.assets(
        """\
        [settings]
        modules = ["exploding", "absent", "needs_pkg", "bad_store"]

        [assets.raw]
        path = "raw.txt"
        """
    )
    project.write("raw.txt", "")
    # each error where it happened: in the module, or at the setting when the
    # module named is not there at all
    assert error_lines(project.doit()) == [
        "assets.toml:2: setting 'modules': cannot import 'absent': "
        "ModuleNotFoundError: No module named 'absent'. Modules are imported from "
        "the project directory",
        "bad_store.py:3: cannot import module 'bad_store': TypeError: a value store "
        "needs 'name', 'extension', 'dump(value, path)' and 'load(path)', got object",
        "exploding.py:1: cannot import module 'exploding': RuntimeError: no config "
        "for this host",
        "needs_pkg.py:1: cannot import module 'needs_pkg': ModuleNotFoundError: No "
        "module named 'pkg_that_is_not_installed'",
    ]


# A module with an @asset and a plain function, for the tests of modules that
# are not loaded.
TOTALS = """\
from pathlib import Path

from doit_assets import asset


@asset
def total(orders: Path) -> int:
    return len(orders.read_text().splitlines())


@asset(name="grand/total")
def grand(total: int) -> int:
    return total


def helper(orders: Path) -> int:
    return 0
"""

READERS = """\
[assets.orders]
path = "data/orders.csv"

[assets.report]
path = "out/report.txt"
transform = "cat {total.path} > {self.path}"

[assets.summary]
path = "out/summary.txt"
depends_on = ["grand/total", "helper"]
transform = "touch {self.path}"
"""


def test_an_asset_in_a_module_that_is_not_loaded_says_what_to_add(
    project: Project,
) -> None:
    project.write("data/orders.csv", "1\n")
    project.write("lib/totals.py", TOTALS)
    project.assets(READERS)
    assert error_lines(project.doit("list")) == [
        "assets.toml:6: asset 'report': unknown dependency 'total'. "
        "lib/totals.py:6 declares it with @asset, but module 'lib.totals' is not "
        'loaded: add modules = ["lib.totals"] under [settings]',
        "assets.toml:10: asset 'summary': unknown dependency 'grand/total'. "
        "lib/totals.py:11 declares it with @asset, but module 'lib.totals' is not "
        'loaded: add modules = ["lib.totals"] under [settings]',
        "assets.toml:10: asset 'summary': unknown dependency 'helper'. "
        "lib/totals.py:16 has a function 'helper' without @asset: decorate it, and "
        'load its module: add modules = ["lib.totals"] under [settings]',
    ]
    project.write("assets.toml", "[settings]\nmodules = []\n\n" + READERS)
    assert error_lines(project.doit("list"))[0].endswith(
        "module 'lib.totals' is not loaded: add \"lib.totals\" to [settings] modules"
    )
    project.write("assets.toml", '[settings]\nmodules = ["lib.totals"]\n\n' + READERS)
    assert error_lines(project.doit("list")) == [
        "assets.toml:13: asset 'summary': unknown dependency 'helper'. "
        "lib/totals.py:16 has a function 'helper' without @asset: decorate it",
    ]


def test_an_asset_in_a_module_a_dodo_does_not_import_says_to_import_it(
    project: Project,
) -> None:
    project.write("data/orders.csv", "1\n")
    project.write("totals.py", TOTALS)
    project.write(
        "dodo.py",
        "from pathlib import Path\n\n"
        "from doit_assets import asset\n"
        "from doit_assets.dodo import *\n\n\n"
        "@asset\n"
        "def doubled(total: int) -> int:\n"
        "    return 2 * total\n",
    )
    assert error_lines(project.doit("list")) == [
        "dodo.py:7: asset 'doubled': unknown dependency 'total'. totals.py:6 "
        "declares it with @asset, but module 'totals' is not loaded: import it in "
        "dodo.py (from totals import *)",
    ]


BROKEN = """\
from pathlib import Path

from doit_assets import asset


@asset
def total(orders: Path) -> int:
    return len(orders.read_text().splitlines()) +
"""


def test_a_syntax_error_in_a_module_points_at_it_without_follow_on_errors(
    project: Project,
) -> None:
    project.write("data/orders.csv", "1\n")
    project.write("totals.py", BROKEN)
    project.assets('[settings]\nmodules = ["totals"]\n\n' + READERS)
    expected = [
        "totals.py:8:50: cannot import module 'totals': SyntaxError: invalid syntax"
    ]
    assert error_lines(project.doit("list")) == expected
    assert error_lines(project.doit()) == expected
    status = project.doit("assets", "status")
    assert (status.code, status.err) == (3, f"ERROR: {expected[0]}\n"), status


def test_an_error_raised_while_importing_points_at_the_line_that_raised(
    project: Project,
) -> None:
    project.write("data/orders.csv", "1\n")
    project.write(
        "settings_of_host.py", "import os\n\nHOST = os.environ['NO_SUCH_VAR']\n"
    )
    project.write("totals.py", "from settings_of_host import HOST\n\n" + TOTALS)
    project.assets('[settings]\nmodules = ["totals"]\n\n' + READERS)
    assert error_lines(project.doit("list")) == [
        "settings_of_host.py:3: cannot import module 'totals': KeyError: 'NO_SUCH_VAR'"
    ]


def test_a_broken_module_named_by_python_is_reported_once_at_the_module(
    project: Project,
) -> None:
    project.write("data/orders.csv", "1\n")
    project.write(
        "totals.py", BROKEN + "\n\ndef twice(total: int) -> int:\n    return 2\n"
    )
    project.assets(
        """\
        [assets.orders]
        path = "data/orders.csv"

        [assets.total]
        python = "totals:total"

        [assets.twice]
        python = "totals:twice"

        [assets.report]
        path = "out/report.txt"
        transform = "cat {twice.path} > {self.path}"
        """
    )
    assert error_lines(project.doit("list")) == [
        "totals.py:8:50: cannot import module 'totals': SyntaxError: invalid syntax"
    ]


def test_an_import_error_in_a_dodo_points_at_its_line_for_doit_assets(
    project: Project,
) -> None:
    project.write("data/orders.csv", "1\n")
    project.write("helpers.py", "def clean() -> None: ...\n")
    project.write(
        "dodo.py",
        "from doit_assets.dodo import *\nfrom helpers import clean_up\n",
    )
    project.assets('[assets.orders]\npath = "data/orders.csv"\n', dodo=False)
    result = project.doit("assets", "status")
    assert (result.code, result.out) == (3, ""), result
    assert result.err == (
        "ERROR: dodo.py:2: cannot import module 'dodo': ImportError: cannot import "
        f"name 'clean_up' from 'helpers' ({project.root.resolve()}/helpers.py)\n"
    ), result


def test_a_var_of_the_wrong_type_is_not_also_unknown(project: Project) -> None:
    project.assets(
        """\
        [vars]
        python = true

        [assets.report]
        path = "out/report.txt"
        transform = "{vars.python} make.py {self.path}"
        """
    )
    assert error_lines(project.doit("list")) == [
        "assets.toml:2: var 'python' must be a string, got boolean. Quote it: python = \"true\""
    ]


def test_settings_modules_must_be_a_list(project: Project) -> None:
    project.assets(
        '[settings]\nmodules = "pipeline"\n\n[assets.raw]\npath = "raw.txt"\n'
    )
    project.write("raw.txt", "")
    assert error_lines(project.doit()) == [
        "assets.toml:2: setting 'modules' must be a list of module names, got "
        'string. For example modules = ["pipeline"]'
    ]


DUPLICATES = """\
from pathlib import Path

from doit_assets import asset


@asset(path="build/rows.txt")
def rows(output: Path) -> None:
    output.write_text("python rows")


@asset(name="pair")
def first(rows: Path) -> int:
    return 1


@asset(name="pair")
def second(rows: Path) -> int:
    return 2
"""


def test_asset_declared_twice_is_reported_where_the_second_one_is(
    project: Project,
) -> None:
    project.write("dups.py", DUPLICATES)
    project.assets(
        """\
        [settings]
        modules = ["dups"]

        [assets.rows]
        path = "build/toml_rows.txt"
        transform = "echo toml > {self.path}"
        """
    )
    toml_line = line_of(project, "assets.toml", "[assets.rows]")
    rows_line = line_of(project, "dups.py", 'path="build/rows.txt"')
    first_line, second_line = (
        n
        for n, line in enumerate(project.read("dups.py").splitlines(), 1)
        if line == '@asset(name="pair")'
    )
    assert error_lines(project.doit()) == [
        f"dups.py:{rows_line}: asset 'rows': declared twice (first at "
        f"assets.toml:{toml_line}). Rename one of them",
        f"dups.py:{second_line}: asset 'pair': declared twice (first at "
        f"dups.py:{first_line}). Rename one of them",
    ]


# -- assets in a dodo.py ---------------------------------------------------------

DODO = """\
from pathlib import Path

from doit_assets import asset
from doit_assets.dodo import *


@asset
def numbers() -> list[int]:
    return [1, 2, 3]


@asset(path="build/total.txt")
def total(numbers: list[int], output: Path) -> None:
    output.write_text(f"{sum(numbers)}\\n")
"""


def test_assets_in_the_dodo_py_need_no_assets_toml(project: Project) -> None:
    project.write("dodo.py", DODO)
    first = project.doit_ok()
    assert first.ran == ["numbers", "total"], first
    assert project.read("build/total.txt") == "6\n"
    assert project.doit_ok().ran == []


def test_assets_in_the_dodo_py_join_the_toml_graph_both_ways(
    project: Project,
) -> None:
    project.write("data/raw.txt", "a\nb\nc\n")
    project.assets(
        """\
        [assets.raw]
        path = "data/raw.txt"

        [assets.doubled]
        path = "build/doubled.txt"
        transform = "{python} tx.py cat {self.path} {lines.path} {lines.path}"
        """
    )
    write_module(
        project,
        "dodo",
        """\
        from pathlib import Path

        from doit_assets import asset
        from doit_assets.dodo import *


        @asset(io="json")
        def lines(raw: Path) -> list[str]:
            return raw.read_text().splitlines()


        @asset(path="build/size.txt")
        def size(doubled: Path, output: Path) -> None:
            output.write_text(f"{len(doubled.read_text())}\\n")
        """,
    )
    first = project.doit_ok()
    assert first.ran == ["lines", "doubled", "size"], first
    lines_json = '[\n  "a",\n  "b",\n  "c"\n]\n'
    assert project.read("build/doubled.txt") == lines_json * 2
    assert project.read("build/size.txt") == f"{2 * len(lines_json)}\n"


def test_show_knows_the_assets_declared_in_the_dodo_py(project: Project) -> None:
    project.write("dodo.py", DODO)
    project.doit_ok()
    show = project.doit("assets", "show", "total")
    assert show.code == 0, show
    line = line_of(project, "dodo.py", 'path="build/total.txt"')
    assert f"declared      dodo.py:{line}" in show.out.splitlines(), show


def test_a_broken_module_in_settings_and_in_python_is_reported_once(
    project: Project,
) -> None:
    project.write("data/orders.csv", "1\n")
    project.write(
        "totals.py", BROKEN + "\n\ndef twice(total: int) -> int:\n    return 2\n"
    )
    project.assets(
        """\
        [settings]
        modules = ["totals"]

        [assets.orders]
        path = "data/orders.csv"

        [assets.twice]
        python = "totals:twice"
        """
    )
    assert error_lines(project.doit("list")) == [
        "totals.py:8:50: cannot import module 'totals': SyntaxError: invalid syntax"
    ]
