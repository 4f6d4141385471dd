"""Helpers for the history, durability and command tests.

A small pipeline whose every version is known in advance, the history read
straight from SQLite (so the tests do not trust the code they check), doit
started in the background for kills and interrupts, and regex line matching
for text with times in it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from conftest import PYTHON, DoitRun, Project

HISTORY = ".doit-assets/history.sqlite"
STATE = ".doit-assets/state.sqlite"

# raw_data (a source) -> processed_data (+ params.txt) -> summary -> report,
# and report also reads processed_data.
INPUT = "id,name\n1,ann\n2,bob\n"
PARAMS = "threshold=1\n"
PIPELINE = """\
[assets.raw_data]
path = "data/input.csv"
description = "Rows as exported"

[assets.processed_data]
path = "out/processed.csv"
transform = "{python} tx.py upper {self.path} {raw_data.path} params.txt"
inputs = ["params.txt"]
description = "Upper-cased rows"
code_version = "1"
metadata = { owner = "data-team", rows = 3 }

[assets.summary]
path = "out/summary.txt"
transform = "{python} tx.py count {self.path} {processed_data.path}"

[assets.report]
path = "out/report.txt"
transform = "{python} tx.py cat {self.path} {summary.path} {processed_data.path}"
"""

# The transforms above, rendered with final paths.
TRANSFORMS = {
    "processed_data": f"{PYTHON} tx.py upper out/processed.csv data/input.csv params.txt",
    "summary": f"{PYTHON} tx.py count out/summary.txt out/processed.csv",
    "report": f"{PYTHON} tx.py cat out/report.txt out/summary.txt out/processed.csv",
}


def contents(data: str = INPUT, params: str = PARAMS) -> dict[str, str]:
    """What each file of PIPELINE holds once it is built from ``data``/``params``."""
    processed = (data + params).upper()
    summary = f"{len(processed.splitlines())}\n"
    return {
        "data/input.csv": data,
        "params.txt": params,
        "out/processed.csv": processed,
        "out/summary.txt": summary,
        "out/report.txt": summary + processed,
    }


# A three-level graph where an edit of the source re-runs only part of it:
#   raw -> tidy (+ params.txt) -> count -> total
#                               -> title -> banner
# Adding a line to raw changes tidy and count, but not title (its first line),
# so banner is cut off and not re-run.
THREE_LEVELS = """\
[assets.raw]
path = "data/raw.txt"

[assets.tidy]
path = "out/tidy.txt"
transform = "{python} tx.py cat {self.path} {raw.path} params.txt"
inputs = ["params.txt"]

[assets.count]
path = "out/count.txt"
transform = "{python} tx.py count {self.path} {tidy.path}"

[assets.total]
path = "out/total.txt"
transform = "{python} tx.py upper {self.path} {count.path}"

[assets.title]
path = "out/title.txt"
transform = "{python} tx.py head {self.path} {tidy.path}"

[assets.banner]
path = "out/banner.txt"
transform = "{python} tx.py upper {self.path} {title.path}"
"""


def ladder_toml(layers: int) -> str:
    """LAYERS layers of two assets, ``aK`` and ``bK``, each reading both assets
    of the layer above; ``a0`` and ``b0`` are source files. From ``bK`` there are
    2^K paths back to the sources, and each asset makes ``2\\n``."""
    lines = ['[assets.a0]\npath = "data/a0.txt"', '[assets.b0]\npath = "data/b0.txt"']
    for k in range(1, layers):
        reads = f"{{a{k - 1}.path}} {{b{k - 1}.path}}"
        lines += [
            f'[assets.{side}{k}]\npath = "out/{side}{k}.txt"\n'
            f'transform = "{{python}} tx.py count {{self.path}} {reads}"'
            for side in "ab"
        ]
    return "\n\n".join(lines) + "\n"


def build_ladder(project: Project, layers: int) -> Project:
    """The ladder of ``layers`` layers, built in one run, one asset at a time
    (so that the materialization ids follow the graph's order)."""
    project.write("data/a0.txt", "a0\n")
    project.write("data/b0.txt", "b0\n")
    project.assets(ladder_toml(layers))
    result = project.doit()
    assert result.code == 0 and len(result.ran) == 2 * layers - 2, result
    return project


LADDER_LAYERS = 24  # from b23 there are 2^23 paths back to a0
LADDER_BUILT = 1_700_000_000.0  # when it was built: 2023-11-14T22:13:20Z


def build_ladder_24(project: Project) -> None:
    """The ladder of LADDER_LAYERS layers, built at LADDER_BUILT one asset at a
    time: a0 is #1, b0 #2, then aK is #2K+1 and bK #2K+2."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DOIT_ASSETS_NOW", str(LADDER_BUILT))
        build_ladder(project, LADDER_LAYERS)


def build_three_levels(project: Project) -> Project:
    """THREE_LEVELS built (run 1), then rebuilt in part after an edit of its
    source (run 2): banner is the one asset not re-run."""
    project.write("data/raw.txt", "header\nrow1\n")
    project.write("params.txt", "p=1\n")
    project.assets(THREE_LEVELS)
    first = project.doit()
    assert sorted(first.ran) == ["banner", "count", "tidy", "title", "total"], first
    project.write("data/raw.txt", "header\nrow1\nrow2\n")
    second = project.doit()
    assert sorted(second.ran) == ["count", "tidy", "title", "total"], second
    assert second.up_to_date == ["banner"], second
    return project


def pipeline(project: Project, toml: str = PIPELINE, **extra: str) -> Project:
    """Write PIPELINE (or ``toml``) with its source file and plain input."""
    project.write("data/input.csv", INPUT)
    project.write("params.txt", PARAMS)
    for rel, text in extra.items():
        project.write(rel, text)
    project.assets(toml)
    return project


def build_pipeline(project: Project) -> None:
    """PIPELINE, materialized once."""
    pipeline(project)
    result = project.doit()
    assert result.code == 0, result
    assert result.ran == ["processed_data", "summary", "report"], result


def md5(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return hashlib.md5(data).hexdigest()


def file_md5(project: Project, rel: str) -> str:
    return md5(project.path(rel).read_bytes())


# -- the history, read with plain SQL ------------------------------------------


def query(project: Project, sql: str, *params: Any) -> list[dict[str, Any]]:
    """Rows of ``sql`` on the project's history, read-only (never creates it)."""
    path = project.path(HISTORY)
    assert path.exists(), f"{HISTORY} does not exist"
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute(sql, params)]
    finally:
        conn.close()


def materializations(project: Project) -> list[dict[str, Any]]:
    """Every materialization, oldest first, metadata decoded."""
    rows = query(project, "select * from materializations order by id")
    for row in rows:
        row["metadata"] = json.loads(row["metadata"]) if row["metadata"] else {}
    return rows


def summary_of(project: Project) -> list[tuple[int, int, str, str, str]]:
    """(id, run, asset, kind, status) of every materialization, oldest first."""
    return [
        (m["id"], m["run_id"], m["asset"], m["kind"], m["status"])
        for m in materializations(project)
    ]


def row(project: Project, asset: str, run_id: int) -> dict[str, Any]:
    """The one materialization of ``asset`` in run ``run_id``."""
    found = [
        m
        for m in materializations(project)
        if m["asset"] == asset and m["run_id"] == run_id
    ]
    assert len(found) == 1, f"{asset} in run {run_id}: {found}"
    return found[0]


def runs(project: Project) -> list[dict[str, Any]]:
    return query(project, "select * from runs order by id")


def outputs(project: Project, mat_id: int) -> list[tuple[str, str, int]]:
    return [
        (r["path"], r["md5"], r["size"])
        for r in query(
            project,
            "select * from outputs where materialization_id = ? order by path",
            mat_id,
        )
    ]


def inputs(project: Project, mat_id: int) -> list[tuple[str, str | None, str, Any]]:
    """(path, asset, md5, upstream_id) of what one materialization read, by path."""
    return [
        (r["path"], r["asset"], r["md5"], r["upstream_id"])
        for r in query(
            project,
            "select * from inputs where materialization_id = ? order by path",
            mat_id,
        )
    ]


def integrity(project: Project, rel: str) -> str:
    conn = sqlite3.connect(project.path(rel))
    try:
        return str(conn.execute("pragma integrity_check").fetchone()[0])
    finally:
        conn.close()


def history_exists(project: Project) -> bool:
    return project.path(HISTORY).exists()


# -- doit in the background ----------------------------------------------------


def _default_sigint() -> None:
    # A shell without job control starts background jobs with SIGINT ignored,
    # and Python then never raises KeyboardInterrupt: give doit the default.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Background:
    """``doit ARGS`` in its own process group, so a test can signal all of it."""

    def __init__(self, project: Project, *args: str) -> None:
        env = dict(os.environ)
        env.pop("DOIT_ASSETS_FILE", None)
        self.args = (PYTHON, "-m", "doit", *args)
        self.proc = subprocess.Popen(
            self.args,
            cwd=project.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            start_new_session=True,
            preexec_fn=_default_sigint,
        )
        self.pid = self.proc.pid

    def running(self) -> bool:
        return self.proc.poll() is None

    def finish(self, timeout: float = 60) -> DoitRun:
        out, err = self.proc.communicate(timeout=timeout)
        return DoitRun(self.args, self.proc.returncode, out, err)

    def kill(self) -> DoitRun:
        """SIGKILL doit alone (as the OOM killer would), then wait for it."""
        os.kill(self.pid, signal.SIGKILL)
        result = self.finish()
        self.kill_group()
        return result

    def interrupt(self) -> DoitRun:
        """Ctrl-C: SIGINT to the whole process group, as a terminal sends it."""
        os.killpg(self.pid, signal.SIGINT)
        return self.finish()

    def kill_group(self) -> None:
        """End whatever this run left behind (a transform orphaned by SIGKILL)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)

    def __enter__(self) -> Background:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.running():
            self.proc.kill()
            self.proc.communicate()
        self.kill_group()


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except (sqlite3.Error, AssertionError, OSError):
            pass  # not there yet
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def command_line(pid: int) -> str:
    """The command line of process ``pid``, words joined by spaces ('' if gone)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def runs_in(project: Project, command: str) -> bool:
    """A process runs ``command`` (its whole command line) in the project's folder
    (Linux: read from /proc)."""
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and command_line(int(entry.name)) == command:
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{entry.name}/cwd") == str(project.root):
                    return True
    return False


# -- text with times in it -----------------------------------------------------

# Tokens in expected lines; everything else is matched literally.
TOKENS = {
    "<time>": r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d",  # local time, as views print it
    "<took>": r"\d\.\d\ds",  # under 10 s: always 5 characters
    "<clock>": r"\d+:\d\d",  # the progress line's m:ss
}
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def line_pattern(expected: str) -> re.Pattern[str]:
    parts = re.split("(" + "|".join(map(re.escape, TOKENS)) + ")", expected)
    return re.compile(
        "".join(TOKENS.get(part, re.escape(part)) for part in parts) + r"\Z"
    )


def assert_lines(text: str, expected: Sequence[str]) -> None:
    """``text`` is exactly ``expected``, line by line, tokens matched as patterns."""
    lines = text.splitlines()
    assert len(lines) == len(expected), "\n".join(
        ["got:", *lines, "expected:", *expected]
    )
    for got, want in zip(lines, expected, strict=True):
        assert line_pattern(want).match(got), f"\n got: {got!r}\nwant: {want!r}"


def normalise_times(data: Any) -> Any:
    """Replace ISO timestamps by '<iso>' and durations by '<s>' after checking them."""
    if isinstance(data, dict):
        result = {}
        for key, value in data.items():
            if key in ("started_at", "ended_at") and value is not None:
                assert ISO.fullmatch(value), f"{key}: {value!r}"
                result[key] = "<iso>"
            elif key == "duration_s" and value is not None:
                assert isinstance(value, float) and 0 <= value < 60, value
                result[key] = "<s>"
            else:
                result[key] = normalise_times(value)
        return result
    if isinstance(data, list):
        return [normalise_times(item) for item in data]
    return data


def assets_cmd(project: Project, *args: str) -> DoitRun:
    """``doit assets ARGS`` run in this process, in the project directory.

    The query commands are read-only, so the many checks of their output run
    in-process (20 ms, not a 300 ms interpreter); the tests that compare them
    with the real ``doit`` command line keep the two honest.
    """
    from doit.doit_cmd import DoitMain

    out, err = io.StringIO(), io.StringIO()
    before = os.getcwd()
    os.chdir(project.root)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = DoitMain().run(["assets", *args])
    finally:
        os.chdir(before)
    return DoitRun(("doit", "assets", *args), code, out.getvalue(), err.getvalue())


def doit_json(project: Project, *args: str) -> dict[str, Any]:
    """``doit assets ARGS --json``, checked to succeed and to carry version 1."""
    result = assets_cmd(project, *args, "--json")
    assert result.code == 0, result
    data: dict[str, Any] = json.loads(result.out)
    assert data["version"] == 1
    return data
