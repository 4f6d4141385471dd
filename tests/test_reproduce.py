"""``doit assets reproduce``, end to end: a rebuild into staging compared with
the outputs in place (identical, or differs with a diff or sizes and digests,
per file of a folder), the refusals where a rebuild would prove nothing (with
the file and both digests), exit codes with and without ``--check``, JSON,
partitions, Python assets, the run lock, and the outputs it never touches.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import DIRECTORY, Project, copy_of

HISTORY = ".doit-assets/history.sqlite"
REFUSED_HINT = (
    "A refused asset is not made from what is there now: materialize it "
    "('doit assets materialize SELECTION'), then reproduce it."
)

PIPELINE = """\
[vars]
python = "{python}"

[assets.raw]
path = "data/raw.txt"

[assets.upper]
path = "out/upper.txt"
transform = "{vars.python} tx.py upper {self.path} {raw.path}"

[assets.stamped]
path = "out/stamped.txt"
transform = "(cat {upper.path}; date +%s%N) > {self.path}"

[assets.parts]
path = "out/parts/"
transform = "{vars.python} tx.py split {self.path} {raw.path}"

[assets.flaky]
path = "out/flaky.txt"
transform = "echo partial > {self.path}; test ! -e fail.flag && echo made > {self.path}"
"""


def build_pipeline(project: Project) -> None:
    project.assets(PIPELINE)
    project.write("data/raw.txt", "ann\nbob\ncy\n")
    project.doit_ok()


built = copy_of(build_pipeline)


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def short(project: Project, rel: str) -> str:
    return md5(project.path(rel))[:12]


def snapshot(project: Project) -> dict[str, tuple[bytes, int]]:
    """Every file under out/ with its bytes and modification time."""
    return {
        str(p.relative_to(project.root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(project.path("out").rglob("*"))
        if p.is_file()
    }


def reproduce(project: Project, *args: str) -> Any:
    return project.doit("assets", "reproduce", *args)


def reproduced_json(project: Project, *args: str) -> list[dict[str, Any]]:
    result = reproduce(project, "--json", *args)
    found: list[dict[str, Any]] = json.loads(result.out)["reproductions"]
    return found


def last_id(project: Project, task: str) -> int:
    """The id of the last materialization of an asset (or ``KEY:PARTITION``)."""
    asset, _, partition = task.partition(":")
    with sqlite3.connect(project.path(HISTORY)) as conn:
        row = conn.execute(
            "select max(id) from materializations where asset = ? "
            "and coalesce(partition, '') = ?",
            (asset, partition),
        ).fetchone()
    return int(row[0])


def history_rows(project: Project) -> int:
    with sqlite3.connect(project.path(HISTORY)) as conn:
        return int(conn.execute("select count(*) from materializations").fetchone()[0])


# -- identical, differs --------------------------------------------------------


def test_a_deterministic_asset_is_identical(built: Project) -> None:
    result = reproduce(built, "upper")
    assert result.code == 0, result
    assert result.out == "upper: identical\n\n1 asset: 1 identical\n"
    assert result.err == ""


def test_a_date_stamping_asset_differs_with_its_diff(built: Project) -> None:
    stamp = built.read("out/stamped.txt").splitlines()[-1]
    result = reproduce(built, "stamped")
    assert result.code == 0, result  # a difference fails only --check
    lines = result.out.splitlines()
    assert lines[:9] == [
        "stamped: differs",
        f"  out/stamped.txt: 31 B {short(built, 'out/stamped.txt')} → 31 B "
        + lines[1].rsplit(" ", 1)[1],
        "    --- out/stamped.txt (current)",
        "    +++ out/stamped.txt (rebuilt)",
        "    @@ -1,4 +1,4 @@",
        "     ANN",
        "     BOB",
        "     CY",
        f"    -{stamp}",
    ]
    assert re.fullmatch(r"    \+\d{19}", lines[9]), result
    assert re.fullmatch(r"[0-9a-f]{12}", lines[1].rsplit(" ", 1)[1])
    assert lines[1].rsplit(" ", 1)[1] != short(built, "out/stamped.txt")
    assert lines[10:] == ["", "1 asset: 1 differs"]


def test_every_asset_by_default_sources_skipped(built: Project) -> None:
    result = reproduce(built)
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert lines[0] == "raw: skipped: a source asset: no transform makes it"
    assert "upper: identical" in lines
    assert "parts: identical" in lines
    assert "flaky: identical" in lines
    assert "stamped: differs" in lines
    assert lines[-1] == ("5 assets: 3 identical, 1 differs, 1 skipped (a source)")


def test_a_long_diff_is_cut_at_40_lines_and_says_how_many_more(
    project: Project,
) -> None:
    project.assets(
        """\
        [assets.counter]
        path = "out/counter.txt"
        transform = "seq 1 100 | sed s/$/-$(date +%N)/ > {self.path}"
        """
    )
    project.doit_ok()
    result = reproduce(project, "counter")
    lines = result.out.splitlines()
    # the header line, 40 lines of the diff (---, +++, @@, 37 of 200 changed)
    assert len(lines) == 1 + 1 + 40 + 1 + 2, result
    diff = lines[2:42]
    assert diff[:3] == [
        "    --- out/counter.txt (current)",
        "    +++ out/counter.txt (rebuilt)",
        "    @@ -1,100 +1,100 @@",
    ]
    assert lines[42] == "    ... 163 more lines of the diff"


def test_a_binary_output_differs_by_sizes_and_digests(project: Project) -> None:
    project.assets(
        """\
        [assets.blob]
        path = "out/blob.bin"
        transform = "head -c 64 /dev/urandom > {self.path}"
        """
    )
    project.doit_ok()
    result = reproduce(project, "blob")
    lines = result.out.splitlines()
    assert re.fullmatch(
        r"  out/blob\.bin \(binary\): 64 B "
        + short(project, "out/blob.bin")
        + r" → 64 B [0-9a-f]{12}",
        lines[1],
    ), result
    assert lines[0] == "blob: differs"
    assert lines[2:] == ["", "1 asset: 1 differs"]


def test_a_text_output_over_256_kib_gets_no_diff(project: Project) -> None:
    project.assets(
        """\
        [assets.big]
        path = "out/big.txt"
        transform = "(seq 1 60000; date +%s%N) > {self.path}"
        """
    )
    project.doit_ok()
    size = project.path("out/big.txt").stat().st_size
    assert size > 256 * 1024
    lines = reproduce(project, "big").out.splitlines()
    assert re.fullmatch(
        rf"  out/big\.txt \(over 256 KiB: no diff\): 340\.7 KiB "
        rf"{short(project, 'out/big.txt')} → 340\.7 KiB [0-9a-f]{{12}}",
        lines[1],
    ), lines
    assert lines[2:] == ["", "1 asset: 1 differs"]


# -- directory outputs ---------------------------------------------------------


def test_a_directory_output_is_identical(built: Project) -> None:
    result = reproduce(built, "parts")
    assert result.out == "parts: identical\n\n1 asset: 1 identical\n", result
    assert result.code == 0


def test_a_directory_output_differs_per_file(project: Project) -> None:
    project.assets(
        """\
        [assets.stamps]
        path = "out/stamps/"
        transform = "echo same > {self.path}/same.txt; date +%s%N > {self.path}/when.txt; touch {self.path}/$(date +%N).new"
        """
    )
    project.doit_ok()
    old_new = next(project.path("out/stamps").glob("*.new")).name
    when = project.read("out/stamps/when.txt").strip()
    result = reproduce(project, "stamps")
    lines = result.out.splitlines()
    empty = hashlib.md5(b"").hexdigest()[:12]
    assert lines[0] == "stamps: differs"
    removed = f"  out/stamps/{old_new}: not in the rebuild, 0 B {empty}"
    assert removed in lines[1:3], result
    (added,) = [line for line in lines[1:3] if line != removed]
    assert re.fullmatch(
        rf"  out/stamps/\d+\.new: only in the rebuild, 0 B {empty}", added
    )
    assert lines[3].startswith(
        f"  out/stamps/when.txt: 20 B {short(project, 'out/stamps/when.txt')} → 20 B "
    )
    assert lines[4:8] == [
        "    --- out/stamps/when.txt (current)",
        "    +++ out/stamps/when.txt (rebuilt)",
        "    @@ -1 +1 @@",
        f"    -{when}",
    ]
    assert lines[9:] == ["", "1 asset: 1 differs"]


# -- the outputs are never touched ----------------------------------------------


def test_outputs_are_never_touched_identical_differing_or_failing(
    built: Project,
) -> None:
    before = snapshot(built)
    rows = history_rows(built)
    assert reproduce(built).code == 0
    built.write("fail.flag", "")  # undeclared: the rebuild of flaky fails
    failed = reproduce(built, "flaky", "stamped", "parts")
    assert failed.out.splitlines()[0] == (
        "flaky: failed: transform exited with code 1: "
        "echo partial > out/flaky.txt; test ! -e fail.flag && echo made > out/flaky.txt"
    ), failed
    assert failed.code == 1
    assert snapshot(built) == before
    assert built.staging_dirs() == []
    assert history_rows(built) == rows  # a reproduction is not recorded
    os.unlink(built.path("fail.flag"))
    assert built.doit_ok().ran == []  # doit's state is untouched too


def test_what_a_transform_prints_goes_to_stderr(project: Project) -> None:
    project.assets(
        """\
        [assets.loud]
        path = "out/loud.txt"
        transform = "echo to stdout; echo to stderr >&2; echo same > {self.path}"
        """
    )
    project.doit_ok()
    result = reproduce(project, "loud", "--json")
    assert json.loads(result.out)["reproductions"][0]["result"] == "identical"
    assert result.err == "to stdout\nto stderr\n"


# -- refusals ----------------------------------------------------------------------


def test_an_input_changed_since_the_last_materialization_is_refused(
    built: Project,
) -> None:
    old = short(built, "data/raw.txt")
    built.write("data/raw.txt", "ann\nbob\nzed\n")
    new = short(built, "data/raw.txt")
    result = reproduce(built, "upper")
    assert result.out.splitlines() == [
        "upper: refused: input 'data/raw.txt' changed since "
        f"its last materialization (#{last_id(built, 'upper')}): {old} → {new}",
        "",
        "1 asset: 1 refused",
        REFUSED_HINT,
    ], result
    assert result.code == 0  # nothing differed: only --check cares
    assert reproduce(built, "upper", "--check").code == 2


def test_a_plain_input_changed_is_refused(project: Project) -> None:
    project.assets(
        """\
        [assets.notes]
        path = "out/notes.txt"
        inputs = ["notes/*.txt"]
        transform = "cat notes/*.txt > {self.path}"
        """
    )
    project.write("notes/a.txt", "a\n")
    project.doit_ok()
    old = short(project, "notes/a.txt")
    project.write("notes/a.txt", "A\n")
    new = short(project, "notes/a.txt")
    assert reproduce(project).out.splitlines()[0] == (
        "notes: refused: input 'notes/a.txt' changed since its last "
        f"materialization (#1): {old} → {new}"
    )
    project.write("notes/a.txt", "a\n")
    project.write("notes/b.txt", "b\n")
    assert reproduce(project).out.splitlines()[0] == (
        "notes: refused: input 'notes/b.txt' is new since its last "
        "materialization (#1), which did not read it"
    )
    os.unlink(project.path("notes/b.txt"))
    os.unlink(project.path("notes/a.txt"))
    assert reproduce(project).out.splitlines()[0] == (
        "notes: refused: input 'notes/a.txt' no longer exists; its last "
        f"materialization (#1) read {old}"
    )


def test_a_changed_definition_is_refused(built: Project) -> None:
    toml = built.read("assets.toml").replace("tx.py upper", "tx.py cat")
    built.write("assets.toml", toml)
    result = reproduce(built, "upper")
    assert re.fullmatch(
        r"upper: refused: its definition changed since its last materialization "
        rf"\(#{last_id(built, 'upper')}\): fingerprint [0-9a-f]{{12}} → [0-9a-f]{{12}}",
        result.out.splitlines()[0],
    ), result


def _tool(project: Project, version: str, body: str = 'cat "$1" > "$2"') -> None:
    """``mytool --version`` prints VERSION; ``mytool IN OUT`` runs ``body``.
    On PATH (the caller's monkeypatch), with a new stamp each time: the
    version is asked again."""
    folder = project.root.parent / f"{project.root.name}-bin"
    folder.mkdir(exist_ok=True)
    tool = folder / "mytool"
    tool.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = --version ]; then echo "mytool {version}"; exit 0; fi\n'
        f"{body}\n"
    )
    tool.chmod(0o755)
    stamp = int(version.replace(".", ""))  # one per version, in one clock tick
    os.utime(tool, ns=(stamp, stamp))


TOOLED = """\
[settings]
fingerprint_env = ["OTHER"]
secret_env = ["TOKEN"]

[assets.data]
path = "data.txt"

[assets.tooled]
path = "out/tooled.txt"
transform = "mytool {data.path} {self.path}"
requires = ["mytool --version"]
env = { SEED = "7", TOKEN = "hunter2" }
"""


@pytest.fixture
def tooled(project: Project, monkeypatch: pytest.MonkeyPatch) -> Project:
    """``tooled``, made by mytool 1.0 (a copy) with SEED=7."""
    monkeypatch.setenv("PATH", f"{project.root}-bin{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("OTHER", raising=False)
    _tool(project, "1.0")
    project.assets(TOOLED)
    project.write("data.txt", "abc\n")
    assert project.doit_ok().ran == ["tooled"]
    return project


def test_an_accepted_tool_is_reproduced_identical_or_differs(tooled: Project) -> None:
    _tool(tooled, "1.1")  # the same bytes
    assert tooled.doit("assets", "accept", "tooled").code == 0
    result = reproduce(tooled, "tooled", "--check")
    assert result.out.splitlines()[0] == "tooled: identical", result
    assert result.code == 0
    _tool(tooled, "2.0", 'tr a-z A-Z < "$1" > "$2"')  # other bytes
    assert tooled.doit("assets", "accept", "tooled").code == 0
    result = reproduce(tooled, "tooled", "--check")
    assert result.out.splitlines()[:2] == [
        "tooled: differs",
        "  out/tooled.txt: 4 B 0bee89b07a24 → 4 B 6d0b865b7d33",
    ], result
    assert result.code == 1
    assert tooled.read("out/tooled.txt") == "abc\n"  # never replaced


def test_a_reset_dep_asset_is_reproduced(tooled: Project) -> None:
    _tool(tooled, "1.1")
    tooled.doit_ok("reset-dep", "tooled")
    assert reproduce(tooled, "tooled").out.splitlines()[0] == "tooled: identical"


def test_a_changed_environment_is_refused_naming_what_changed(
    tooled: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    since = f"since its last materialization (#{last_id(tooled, 'tooled')})"
    fingerprint = r" \(fingerprint [0-9a-f]{12} → [0-9a-f]{12}\)"
    _tool(tooled, "1.1")
    tooled.assets(TOOLED.replace('"7"', '"8"').replace("hunter2", "swordfish"))
    monkeypatch.setenv("OTHER", "x")
    result = reproduce(tooled, "tooled", "--check")
    assert re.fullmatch(
        re.escape(
            f"tooled: refused: its definition changed {since}: env 'SEED', "
            "env 'TOKEN', inherited env 'OTHER', tool 'mytool --version'"
        )
        + fingerprint,
        result.out.splitlines()[0],
    ), result
    assert result.code == 2
    assert "hunter2" not in result.out and "swordfish" not in result.out
    # its transform changed too: that is not the environment's doing
    tooled.assets(TOOLED.replace("mytool {data", "mytool  {data"))
    assert re.fullmatch(
        re.escape(f"tooled: refused: its definition changed {since}: ")
        + r"fingerprint [0-9a-f]{12} → [0-9a-f]{12}",
        reproduce(tooled, "tooled").out.splitlines()[0],
    )


def test_an_output_changed_or_missing_is_refused(built: Project) -> None:
    old = short(built, "out/upper.txt")
    built.write("out/upper.txt", "edited by hand\n")
    new = short(built, "out/upper.txt")
    assert reproduce(built, "upper").out.splitlines()[0] == (
        "upper: refused: output 'out/upper.txt' was changed since its last "
        f"materialization (#{last_id(built, 'upper')}): {old} → {new}"
    )
    os.unlink(built.path("out/upper.txt"))
    assert reproduce(built, "upper").out.splitlines()[0] == (
        "upper: refused: output 'out/upper.txt' is missing; its last "
        f"materialization (#{last_id(built, 'upper')}) wrote {old}"
    )


def test_an_asset_never_materialized_is_refused(project: Project) -> None:
    project.assets(PIPELINE)
    project.write("data/raw.txt", "ann\n")
    result = reproduce(project, "upper", "--check")
    assert result.out.splitlines()[:1] == [
        "upper: refused: never materialized: there is nothing to compare with"
    ], result
    assert result.code == 2


# -- exit codes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("selection", "plain", "check"),
    [
        (["upper", "parts"], 0, 0),  # identical
        (["raw"], 0, 0),  # a source only: nothing to prove
        (["stamped"], 0, 1),  # differs
        (["stamped", "flaky", "--refuse-flaky"], 0, 1),  # differs wins
        (["flaky", "--refuse-flaky"], 0, 2),  # refused
        (["flaky", "--fail-flaky"], 1, 1),  # a failed rebuild
    ],
)
def test_exit_codes_with_and_without_check(
    built: Project, selection: list[str], plain: int, check: int
) -> None:
    if "--refuse-flaky" in selection:
        built.write("out/flaky.txt", "edited\n")
    if "--fail-flaky" in selection:
        built.write("fail.flag", "")
    names = [s for s in selection if not s.startswith("--")]
    assert reproduce(built, *names).code == plain
    assert reproduce(built, *names, "--check").code == check


# -- JSON ------------------------------------------------------------------------


def test_json_has_one_object_per_asset(built: Project) -> None:
    found = reproduced_json(built, "upper", "stamped", "raw")
    assert [(r["asset"], r["result"]) for r in found] == [
        ("raw", "source"),
        ("upper", "identical"),
        ("stamped", "differs"),
    ]
    assert found[1] == {
        "asset": "upper",
        "partition": None,
        "result": "identical",
        "reason": None,
        "materialization_id": last_id(built, "upper"),
        "exit_code": None,
        "differences": [],
    }
    (difference,) = found[2]["differences"]
    assert difference["path"] == "out/stamped.txt"
    assert difference["change"] == "changed"
    assert difference["content"] == "text"
    assert difference["current"] == {
        "md5": md5(built.path("out/stamped.txt")),
        "size": 31,
    }
    assert difference["diff"][:2] == [
        "--- out/stamped.txt (current)",
        "+++ out/stamped.txt (rebuilt)",
    ]
    assert difference["diff_lines_left_out"] == 0


# -- Python assets, partitions ------------------------------------------------------

PYTHON_MODULE = """\
from pathlib import Path

from doit_assets import asset


@asset(path="out/shout.txt")
def shout(words: Path, output: Path) -> None:
    print("shouting")
    output.write_text(words.read_text(encoding="utf-8").upper(), encoding="utf-8")


@asset(io="json")
def counted(words: Path) -> dict[str, int]:
    return {"lines": len(words.read_text(encoding="utf-8").splitlines())}
"""


def test_a_python_asset_reproduces(project: Project) -> None:
    project.assets(
        """\
        [settings]
        modules = ["shouting"]

        [assets.words]
        path = "data/words.txt"
        """
    )
    project.write("shouting.py", PYTHON_MODULE)
    project.write("data/words.txt", "hello\nworld\n")
    project.doit_ok()
    result = reproduce(project, "shout", "counted")
    assert result.out == (
        "shout: identical\ncounted: identical\n\n2 assets: 2 identical\n"
    ), result
    assert result.err == "shouting\n"


PARTITIONED = """\
[assets.regions]
path = "data/{partition}.txt"
partitions = { static = ["eu", "us", "asia"] }

[assets.daily]
path = "out/daily/{partition}.txt"
partitions = { static = ["eu", "us", "asia"] }
transform = "cat {regions.path} > {self.path}"
"""


def test_partitions_by_name_and_whole(project: Project) -> None:
    project.assets(PARTITIONED)
    for region in ("eu", "us", "asia"):
        project.write(f"data/{region}.txt", f"{region}\n")
    project.doit_ok("daily:eu", "daily:us")
    assert reproduce(project, "daily:us").out == (
        "daily:us: identical\n\n1 asset: 1 identical\n"
    )
    # in the graph's order; the asset named whole: its partitions that were made
    assert reproduce(project, "daily:us", "daily:eu").out == (
        "daily:eu: identical\ndaily:us: identical\n\n2 assets: 2 identical\n"
    )
    assert reproduce(project, "daily", "daily:us").out == (
        "daily:eu: identical\ndaily:us: identical\n\n2 assets: 2 identical\n"
    )
    # a partitioned source is one line
    assert reproduce(project, "regions").out == (
        "regions: skipped: a source asset: no transform makes it\n"
        "\n1 asset: 1 skipped (a source)\n"
    )
    old = short(project, "data/us.txt")
    project.write("data/us.txt", "US\n")
    assert reproduce(project, "daily:us").out.splitlines()[0] == (
        "daily:us: refused: input 'data/us.txt' changed since its last "
        f"materialization (#{last_id(project, 'daily:us')}): {old} → "
        f"{short(project, 'data/us.txt')}"
    )
    asia = reproduce(project, "daily:asia")
    assert asia.out.splitlines()[0] == (
        "daily:asia: refused: never materialized: there is nothing to compare with"
    )
    unknown = reproduce(project, "daily:mars")
    assert unknown.code == 3
    assert unknown.err == (
        "ERROR: asset 'daily' has no partition 'mars'. "
        "'doit assets status daily --partitions' lists them\n"
    )


def test_a_partitioned_asset_never_made_is_one_refusal(project: Project) -> None:
    project.assets(PARTITIONED)
    result = reproduce(project, "daily")
    assert result.out.splitlines()[0] == (
        "daily: refused: no partition was ever materialized: there is nothing "
        "to compare with"
    ), result


def test_a_selection_that_names_nothing_is_an_error(built: Project) -> None:
    result = reproduce(built, "nope")
    assert result.code == 3
    assert result.err.startswith("ERROR: unknown asset 'nope' in selection 'nope'")


# -- the run lock -------------------------------------------------------------------

HOLD_LOCK = """\
import sys, time
from doit_assets.run.lock import RunLock
RunLock().acquire("doit holder")
print("held", flush=True)
sys.stdin.read()
"""


def test_another_run_holding_the_lock_refuses_it(built: Project) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK],
        cwd=built.root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "held\n"
        result = reproduce(built, "upper")
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    assert result.code == 3, result
    assert re.fullmatch(
        r"ERROR: \.doit-assets/lock: another doit run is using this project: "
        rf"pid {holder.pid} \('doit holder', started \d\d:\d\d:\d\d\)\. "
        r"Wait for it to finish, or stop it, then run again\n",
        result.err,
    ), result
    assert result.out == ""


def test_an_upstream_folder_is_compared_as_a_whole(project: Project) -> None:
    project.assets(DIRECTORY)
    project.write("data/raw.txt", "a\nb\n")
    project.doit_ok()
    result = reproduce(project, "parts", "listing")
    assert result.out == (
        "parts: identical\nlisting: identical\n\n2 assets: 2 identical\n"
    ), result
    old = folder_md5(project, "out/parts/")
    project.write("out/parts/part1.txt", "B\n")
    new = folder_md5(project, "out/parts/")
    lines = reproduce(project, "parts", "listing").out.splitlines()
    assert lines[:2] == [
        "parts: refused: output 'out/parts/' was changed since its last "
        f"materialization (#{last_id(project, 'parts')}): {old} → {new}",
        "listing: refused: output 'out/parts/' of upstream 'parts' changed since "
        f"its last materialization (#{last_id(project, 'listing')}): {old} → {new}",
    ]


def folder_md5(project: Project, folder: str) -> str:
    """A folder's digest as the history keeps it (store/versions.py)."""
    root = project.path(folder)
    listing = "\n".join(
        f"{p.relative_to(root).as_posix()}\t{md5(p)}"
        for p in sorted(root.rglob("*"))
        if p.is_file()
    )
    return hashlib.md5(listing.encode()).hexdigest()[:12]


def test_ctrl_c_stops_the_rebuild_and_replaces_nothing(project: Project) -> None:
    project.assets(
        """\
        [assets.slow]
        path = "out/slow.txt"
        transform = "sleep $(cat delay); echo made > {self.path}"
        """
    )
    project.write("delay", "0\n")
    project.doit_ok()
    before = snapshot(project)
    project.write("delay", "30\n")  # undeclared: not a refusal
    proc = subprocess.Popen(
        [sys.executable, "-m", "doit", "assets", "reproduce"],
        cwd=project.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not project.staging_dirs() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # the transform has started
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, (out, err)
    assert err == (
        "interrupted: no output was replaced; what was not reproduced yet was "
        "not compared\n"
    )
    assert out == ""
    assert snapshot(project) == before
    assert project.staging_dirs() == []
    project.write("delay", "0\n")
    assert reproduce(project).out == "slow: identical\n\n1 asset: 1 identical\n"


def test_a_reader_that_stops_early_gets_no_traceback(project: Project) -> None:
    project.assets(
        "".join(
            f'[assets.a{i}]\npath = "out/a{i}.txt"\ntransform = "echo {i} > {{self.path}}"\n'
            for i in range(12)
        )
    )
    project.doit_ok()
    doit = f"{shlex.quote(sys.executable)} -m doit assets reproduce"
    piped = subprocess.run(
        ["bash", "-c", f"{doit} | head -1; echo ${{PIPESTATUS[0]}} >&2"],
        cwd=project.root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert piped.stdout == "a0: identical\n"
    assert piped.stderr == "141\n"
    assert project.staging_dirs() == []


FAILING_MODULE = """\
import os
from pathlib import Path

from doit_assets import asset


@asset(path="out/checked.txt")
def checked(output: Path) -> None:
    if os.path.exists("broken.flag"):
        raise ValueError("the flag is up")
    output.write_text("fine\\n", encoding="utf-8")
"""


def test_a_failing_python_asset_shows_its_traceback_on_stderr(
    project: Project,
) -> None:
    project.assets('[settings]\nmodules = ["failing"]\n')
    project.write("failing.py", FAILING_MODULE)
    project.doit_ok()
    project.write("broken.flag", "")
    result = reproduce(project, "checked")
    assert result.out == (
        "checked: failed: ValueError: the flag is up\n\n1 asset: 1 failed\n"
    ), result
    assert result.code == 1
    assert result.err.startswith("Traceback (most recent call last):\n")
    assert 'raise ValueError("the flag is up")' in result.err
    assert result.err.endswith("ValueError: the flag is up\n")
    assert project.read("out/checked.txt") == "fine\n"
