"""``doit assets audit``, ``[settings] strict_io`` and ``audit_ignore`` (issue 16):
transforms traced by the real strace, through the real ``doit``; and the
reading of strace's lines and the findings, in this process."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest
from conftest import Project

from doit_assets.plan.loading import load_plan
from doit_assets.run.audit import AssetAudit, Finding, classify, merged
from doit_assets.run.lock import RunLock
from doit_assets.run.trace import Trace, ignored_paths, parse_trace

needs_strace = pytest.mark.skipif(
    shutil.which("strace") is None or not sys.platform.startswith("linux"),
    reason="needs strace (Linux)",
)

PIPELINE = """\
[assets.raw]
path = "data/raw.txt"

[assets.tidy]
path = "out/tidy.txt"
depends_on = ["raw"]
transform = "tr a-z A-Z < {raw.path} > {self.path}"

[assets.report]
path = "out/report.txt"
depends_on = ["raw"]
transform = "cat {raw.path} out/tidy.txt notes/extra.txt > {self.path}; echo x > out/stray.txt"
"""


def build(project: Project, toml: str = PIPELINE) -> None:
    project.assets(toml)
    project.write("data/raw.txt", "hello\n")
    project.write("notes/extra.txt", "extra\n")
    result = project.doit()
    assert result.code == 0, result
    os.remove(project.path("out/stray.txt"))  # what the real run wrote


def versions(project: Project, *paths: str) -> dict[str, tuple[bytes, int]]:
    return {
        p: (project.path(p).read_bytes(), os.stat(project.path(p)).st_mtime_ns)
        for p in paths
    }


REPORT_LINES = (
    "assets.toml:9: asset 'report': reads 'notes/extra.txt', which it does not "
    'declare. Add to its declaration: inputs = ["notes/extra.txt"]\n'
    "assets.toml:9: asset 'report': reads 'out/tidy.txt', an output of 'tidy', "
    'without depending on it. Add to its declaration: depends_on = ["raw", "tidy"]\n'
    "assets.toml:9: asset 'report': writes 'out/stray.txt' outside its outputs. "
    "Declare it an output (and write it where {self.paths} says): "
    'path = ["out/report.txt", "out/stray.txt"]\n'
)


@needs_strace
def test_audit_finds_an_undeclared_read_an_upstream_output_and_a_stray_write(
    project: Project,
) -> None:
    build(project)
    before = versions(project, "out/tidy.txt", "out/report.txt", "data/raw.txt")
    result = project.doit("assets", "audit")
    assert result.code == 1, result
    assert result.out == (
        REPORT_LINES + "Audited 2 assets: 1 clean, 1 with findings.\n"
    ), result
    # the outputs in place are untouched, bytes and times; no staging is left
    assert versions(project, *before) == before
    assert project.staging_dirs() == []


@needs_strace
def test_the_proposed_lines_make_the_audit_clean(project: Project) -> None:
    build(project)
    fixed = PIPELINE.replace(
        'transform = "cat {raw.path} out/tidy.txt notes/extra.txt > {self.path}; '
        'echo x > out/stray.txt"',
        'inputs = ["notes/extra.txt"]\n'
        'transform = "cat {raw.path} {tidy.path} notes/extra.txt > {self.path}"',
    )
    fixed = fixed.replace(
        'path = "out/report.txt"\ndepends_on = ["raw"]',
        'path = "out/report.txt"\ndepends_on = ["raw", "tidy"]',
    )
    project.assets(fixed)
    result = project.doit("assets", "audit", "report")
    assert (result.code, result.out) == (
        0,
        "Audited 1 asset: each reads and writes only what it declares.\n",
    ), result


@needs_strace
def test_a_clean_asset_reports_nothing_and_exits_0(project: Project) -> None:
    build(project)
    result = project.doit("assets", "audit", "tidy")
    assert (result.code, result.out) == (
        0,
        "Audited 1 asset: each reads and writes only what it declares.\n",
    ), result


@needs_strace
def test_audit_json(project: Project) -> None:
    build(project)
    result = project.doit("assets", "audit", "--json")
    assert result.code == 1, result
    answer = json.loads(result.out)
    assert answer["clean"] is False
    tidy, report = answer["assets"]
    assert tidy == {
        "asset": "tidy",
        "location": "assets.toml:4",
        "transform": "shell",
        "clean": True,
        "failure": None,
        "findings": [],
    }
    assert [
        (f["kind"], f["path"], f["upstream"], f["add"]) for f in report["findings"]
    ] == [
        ("input", "notes/extra.txt", None, 'inputs = ["notes/extra.txt"]'),
        ("depends_on", "out/tidy.txt", "tidy", 'depends_on = ["raw", "tidy"]'),
        ("write", "out/stray.txt", None, 'path = ["out/report.txt", "out/stray.txt"]'),
    ]
    assert "".join(f["message"] + "\n" for f in report["findings"]) == REPORT_LINES


@needs_strace
def test_audit_resolves_paths_where_the_command_stands(project: Project) -> None:
    project.assets(
        """\
        [assets.deep]
        path = "out/deep.txt"
        transform = "(cd notes && cat extra.txt sub/more.txt) > {self.path} && cd notes/sub && mkdir -p made && rm -f gone.txt"
        """
    )
    project.write("notes/extra.txt", "extra\n")
    project.write("notes/sub/more.txt", "more\n")
    project.write("notes/sub/gone.txt", "gone\n")
    result = project.doit("assets", "audit")
    assert result.code == 1, result
    assert result.out == (
        "assets.toml:1: asset 'deep': reads 'notes/extra.txt', which it does not "
        'declare. Add to its declaration: inputs = ["notes/extra.txt", '
        '"notes/sub/more.txt"]\n'
        "assets.toml:1: asset 'deep': reads 'notes/sub/more.txt', which it does not "
        'declare. Add to its declaration: inputs = ["notes/extra.txt", '
        '"notes/sub/more.txt"]\n'
        "assets.toml:1: asset 'deep': writes 'notes/sub/gone.txt' outside its outputs. "
        "Declare it an output (and write it where {self.paths} says): "
        'path = ["out/deep.txt", "notes/sub/gone.txt", "notes/sub/made"]\n'
        "assets.toml:1: asset 'deep': writes 'notes/sub/made' outside its outputs. "
        "Declare it an output (and write it where {self.paths} says): "
        'path = ["out/deep.txt", "notes/sub/gone.txt", "notes/sub/made"]\n'
        "Audited 1 asset: 0 clean, 1 with findings.\n"
    ), result


@needs_strace
def test_audit_of_one_partition_as_doit_strace_names_it(project: Project) -> None:
    project.assets(
        """\
        [assets.day]
        path = "out/{partition}.txt"
        transform = "echo {partition} > {self.path}; cat notes.txt >> {self.path}"
        partitions = { static = ["a", "b"] }
        """
    )
    project.write("notes.txt", "n\n")
    pointed = project.doit("strace", "day:a")
    assert pointed.err.endswith(
        "'doit assets audit day:a' traces what it reads and writes\n"
    ), pointed
    result = project.doit("assets", "audit", "day:a")
    assert (result.code, result.out) == (
        1,
        "assets.toml:1: asset 'day:a': reads 'notes.txt', which it does not "
        'declare. Add to its declaration: inputs = ["notes.txt"]\n'
        "Audited 1 asset: 0 clean, 1 with findings.\n",
    ), result
    assert not project.exists("out/a.txt")


@needs_strace
def test_audit_ignore_leaves_out_a_project_folder(project: Project) -> None:
    project.assets(
        """\
        [settings]
        audit_ignore = ["notes/"]

        [assets.noted]
        path = "out/noted.txt"
        transform = "cat notes/extra.txt > {self.path}"
        """
    )
    project.write("notes/extra.txt", "extra\n")
    result = project.doit("assets", "audit")
    assert (result.code, result.out) == (
        0,
        "Audited 1 asset: each reads and writes only what it declares.\n",
    ), result


PYTHON_ASSETS = """\
from pathlib import Path

from doit_assets import asset


@asset(path="out/py.txt", depends_on=["raw"])
def py(raw: Path, output: Path) -> None:
    import fractions  # an import is not a read
    text = raw.read_text() + Path("notes/extra.txt").read_text()
    output.write_text(text + Path("out/tidy.txt").read_text())
    Path("out/py-stray.txt").write_text("x")


@asset(path="out/fine.txt", depends_on=["raw"])
def fine(raw: Path, output: Path) -> None:
    import decimal
    output.write_text(raw.read_text())
"""


@needs_strace
def test_audit_of_python_assets(project: Project) -> None:
    project.write("pipeline.py", PYTHON_ASSETS)
    build(project, PIPELINE + '\n[settings]\nmodules = ["pipeline"]\n')
    before = versions(project, "out/py.txt", "out/fine.txt")
    os.remove(project.path("out/py-stray.txt"))  # what the real run wrote
    result = project.doit("assets", "audit", "py", "fine")
    assert result.code == 1, result
    assert result.out == (
        "pipeline.py:6: asset 'py': reads 'notes/extra.txt', which it does not "
        'declare. Add to its declaration: inputs=["notes/extra.txt"]\n'
        "pipeline.py:6: asset 'py': reads 'out/tidy.txt', an output of 'tidy', "
        'without depending on it. Add to its declaration: depends_on=["raw", "tidy"]\n'
        "pipeline.py:6: asset 'py': writes 'out/py-stray.txt' outside its outputs. "
        "Declare it an output (and write it to the path in its 'output' parameter): "
        'path=["out/py.txt", "out/py-stray.txt"]\n'
        "Audited 2 assets: 1 clean, 1 with findings.\n"
    ), result
    assert versions(project, *before) == before


@needs_strace
def test_a_transform_that_fails_is_not_audited(project: Project) -> None:
    project.assets(
        """\
        [assets.broken]
        path = "out/broken.txt"
        transform = "exit 4"
        """
    )
    result = project.doit("assets", "audit")
    assert (result.code, result.out) == (
        1,
        "assets.toml:1: asset 'broken': not audited: transform exited with code 4: "
        "exit 4\nAudited 1 asset: 0 clean, 1 with findings.\n",
    ), result


@needs_strace
def test_audit_waits_for_no_one_it_is_refused_while_a_run_holds_the_lock(
    project: Project,
) -> None:
    build(project)
    lock = RunLock(str(project.path(".doit-assets/lock")))
    lock.acquire("a run")
    try:
        result = project.doit("assets", "audit")
    finally:
        lock.release()
    assert (result.code, result.out) == (3, ""), result
    assert result.err.startswith(
        "ERROR: .doit-assets/lock: another doit run is using this project: "
        f"pid {os.getpid()} ("
    ), result
    assert result.err.endswith("Wait for it to finish, or stop it, then run again\n")
    assert not project.exists("out/stray.txt")  # nothing ran


def test_audit_without_strace_says_so_in_one_line(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.assets(PIPELINE)
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = project.doit("assets", "audit")
    assert (result.code, result.out) == (3, ""), result
    assert result.err == (
        "ERROR: doit assets audit needs strace, which is not on PATH. "
        "Install it: apt-get install strace\n"
    )


# -- strict_io ------------------------------------------------------------------

STRICT = """\
[settings]
strict_io = true

[assets.neat]
path = "out/neat.txt"
transform = "echo neat > {self.path}"

[assets.messy]
path = "out/messy.txt"
transform = "echo {vars.word} > {self.path}"

[vars]
word = "one"
"""


@needs_strace
def test_strict_io_fails_a_stray_write_and_keeps_the_previous_output(
    project: Project,
) -> None:
    project.assets(STRICT)
    assert project.doit().code == 0
    before = versions(project, "out/messy.txt")
    project.assets(
        STRICT.replace(
            'transform = "echo {vars.word} > {self.path}"',
            'transform = "echo two > {self.path}; echo x > stray.txt"',
        )
    )
    result = project.doit()
    assert result.code == 1, result
    message = (
        "asset 'messy': transform wrote 'stray.txt' outside its outputs "
        "(strict_io). Write only where {self.path} says, or declare it in 'path'; "
        "the previous output is kept"
    )
    assert message + "\n" in result.out, result
    assert versions(project, "out/messy.txt") == before
    assert project.read("out/messy.txt") == "one\n"


def test_strict_io_without_strace_fails_the_asset_in_one_line(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.assets(STRICT)
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = project.doit()
    assert result.code == 1, result
    assert (
        "asset 'neat': [settings] strict_io needs strace, which is not on PATH. "
        "Install it: apt-get install strace\n"
    ) in result.out, result
    assert not project.exists("out/neat.txt")


# -- in this process: strace's lines, the findings ------------------------------


def _hex(text: str) -> str:
    return "".join(f"\\x{b:02x}" for b in text.encode())


def test_trace_lines_resolve_relative_paths_where_each_process_stands() -> None:
    lines = [
        f'10 openat(AT_FDCWD<{_hex("/p")}>, "{_hex("a.txt")}", O_RDONLY) = 3<{_hex("/p/a.txt")}>',
        "10 clone(child_stack=NULL, flags=CLONE_CHILD_SETTID|SIGCHLD) = 11",
        f'11 chdir("{_hex("sub")}") = 0',
        f'11 mkdir("{_hex("made")}", 0777) = 0',
        f'11 renameat2(AT_FDCWD<{_hex("/p/sub")}>, "{_hex("x")}", AT_FDCWD<{_hex("/p/sub")}>, "{_hex("y")}", RENAME_NOREPLACE) = 0',
        f'10 openat(AT_FDCWD<{_hex("/p")}>, "{_hex("out é")}", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 4<{_hex("/p/out é")}>',
        f'10 openat(AT_FDCWD<{_hex("/p")}>, "{_hex("missing")}", O_RDONLY) = -1 ENOENT (No such file or directory)',
        f'10 openat(AT_FDCWD<{_hex("/p")}>, "{_hex("data")}", O_RDONLY|O_DIRECTORY) = 5<{_hex("/p/data")}>',
        f'10 unlink("{_hex("old")}") = 0',
        f'12 execve("{_hex("./run.sh")}", [], 0x0 /* 1 var */) = 0',
    ]
    trace = parse_trace(lines, "/p")
    assert trace.reads == {"/p/a.txt", "/p/run.sh"}
    assert trace.writes == {"/p/sub/made", "/p/sub/x", "/p/sub/y", "/p/out é", "/p/old"}


def test_trace_between_markers_keeps_only_what_the_function_did() -> None:
    lines = [
        f'10 openat(AT_FDCWD<{_hex("/p")}>, "{_hex("assets.toml")}", O_RDONLY) = 3<{_hex("/p/assets.toml")}>',
        f'10 openat(AT_FDCWD<{_hex("/p")}>, "{_hex("/t/begin")}", O_RDONLY) = 3<{_hex("/t/begin")}>',
        f'10 openat(AT_FDCWD<{_hex("/p")}>, "{_hex("in.txt")}", O_RDONLY) = 3<{_hex("/p/in.txt")}>',
        f'10 openat(AT_FDCWD<{_hex("/p")}>, "{_hex("/t/end")}", O_RDONLY) = 3<{_hex("/t/end")}>',
        f'10 openat(AT_FDCWD<{_hex("/p")}>, "{_hex("late.txt")}", O_RDONLY) = 3<{_hex("/p/late.txt")}>',
    ]
    assert parse_trace(lines, "/p", ("/t/begin", "/t/end")).reads == {"/p/in.txt"}


def test_a_file_outside_the_project_is_a_finding_unless_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (root / "assets.toml").write_text(
        '[assets.a]\npath = "out/a.txt"\ntransform = "cat /opt/ref.csv > {self.path}"\n'
    )
    monkeypatch.chdir(root)
    plan = load_plan("assets.toml", None)
    asset = plan.by_task["a"]
    trace = Trace(reads={"/opt/ref.csv", "/usr/lib/x.so", "/proc/self/maps"})
    findings = classify(plan, asset, trace, ignored_paths(str(root)))
    assert [(f.kind, f.path, f.add) for f in findings] == [
        ("outside", "/opt/ref.csv", 'audit_ignore = ["/opt/ref.csv"]')
    ]
    ignoring = ignored_paths(str(root), ["/opt"])
    assert classify(plan, asset, trace, ignoring) == []


# -- review 16: symlinks, temporary files, cycles, partitions -------------------


@needs_strace
def test_strict_io_lets_a_transform_make_a_symlink_into_its_output(
    project: Project,
) -> None:
    project.write("data/d.txt", "d\n")
    target = project.path("data/d.txt")
    project.assets(
        f"""\
        [settings]
        strict_io = true

        [assets.site]
        path = "build/site/"
        transform = "mkdir -p {{self.path}} && echo hi > {{self.path}}/index.html && ln -s {target} {{self.path}}/d.txt"
        """
    )
    result = project.doit()
    assert result.code == 0, result
    assert os.readlink(project.path("build/site/d.txt")) == str(target)


@needs_strace
def test_audit_names_a_symlink_it_writes_not_its_target(project: Project) -> None:
    project.write("data/d.txt", "d\n")
    target = project.path("data/d.txt")
    project.path("out").mkdir()
    os.symlink(target, project.path("out/link"))  # ln -sf replaces it by a rename
    project.assets(
        f"""\
        [assets.linked]
        path = "out/linked.txt"
        transform = "ln -sf {target} out/link && echo a > {{self.path}}"
        """
    )
    result = project.doit("assets", "audit")
    assert (result.code, result.out) == (
        1,
        "assets.toml:1: asset 'linked': writes 'out/link' outside its outputs. "
        "Declare it an output (and write it where {self.paths} says): "
        'path = ["out/linked.txt", "out/link"]\n'
        "Audited 1 asset: 0 clean, 1 with findings.\n",
    ), result


TEMPORARY = (
    "echo x > scratch.tmp; cat scratch.tmp > {self.path}; rm scratch.tmp; "
    "echo y > moved.tmp; mv moved.tmp kept.txt"
)


@needs_strace
def test_audit_leaves_out_files_the_transform_removes_or_renames_away(
    project: Project,
) -> None:
    project.assets(
        f"""\
        [assets.temp]
        path = "out/temp.txt"
        transform = "{TEMPORARY}"
        """
    )
    result = project.doit("assets", "audit")
    assert (result.code, result.out) == (
        1,
        "assets.toml:1: asset 'temp': writes 'kept.txt' outside its outputs. "
        "Declare it an output (and write it where {self.paths} says): "
        'path = ["out/temp.txt", "kept.txt"]\n'
        "Audited 1 asset: 0 clean, 1 with findings.\n",
    ), result


@needs_strace
def test_strict_io_lets_a_transform_use_a_temporary_file(project: Project) -> None:
    project.assets(
        """\
        [settings]
        strict_io = true

        [assets.temp]
        path = "out/temp.txt"
        transform = "echo x > scratch.tmp; cat scratch.tmp > {self.path}; rm scratch.tmp"
        """
    )
    result = project.doit()
    assert result.code == 0, result
    assert project.read("out/temp.txt") == "x\n"
    assert not project.exists("scratch.tmp")


@needs_strace
def test_audit_does_not_propose_a_dependency_that_makes_a_cycle(
    project: Project,
) -> None:
    project.assets(
        """\
        [assets.a]
        path = "build/a.txt"
        transform = "cat build/b.txt > {self.path} 2>/dev/null; echo a >> {self.path}"

        [assets.b]
        path = "build/b.txt"
        transform = "cat {a.path} > {self.path}"
        """
    )
    assert project.doit().code == 0
    result = project.doit("assets", "audit")
    assert (result.code, result.out) == (
        1,
        "assets.toml:1: asset 'a': reads 'build/b.txt', an output of 'b', which "
        "depends on it: depending on 'b' would make a cycle. Make it from what "
        "'b' is made of instead\n"
        "Audited 2 assets: 1 clean, 1 with findings.\n",
    ), result
    answer = json.loads(project.doit("assets", "audit", "a", "--json").out)
    assert [
        (f["kind"], f["path"], f["upstream"], f["add"])
        for f in answer["assets"][0]["findings"]
    ] == [("cycle", "build/b.txt", "b", None)]


@needs_strace
def test_audit_merges_the_lines_of_the_partitions_of_one_asset(
    project: Project,
) -> None:
    project.assets(
        """\
        [assets.pu]
        path = "build/pu/{partition}.txt"
        partitions = { static = ["x", "y"] }
        transform = "cat data/{partition}.csv > {self.path}; echo > build/{partition}.log"
        """
    )
    project.write("data/x.csv", "x\n")
    project.write("data/y.csv", "y\n")
    result = project.doit("assets", "audit")
    inputs = 'inputs = ["data/x.csv", "data/y.csv"]'
    paths = 'path = ["build/pu/{partition}.txt", "build/{partition}.log"]'
    assert (result.code, result.out) == (
        1,
        "assets.toml:1: asset 'pu:x': reads 'data/x.csv', which it does not "
        f"declare. Add to its declaration: {inputs}\n"
        "assets.toml:1: asset 'pu:x': writes 'build/x.log' outside its outputs. "
        f"Declare it an output (and write it where {{self.paths}} says): {paths}\n"
        "assets.toml:1: asset 'pu:y': reads 'data/y.csv', which it does not "
        f"declare. Add to its declaration: {inputs}\n"
        "assets.toml:1: asset 'pu:y': writes 'build/y.log' outside its outputs. "
        f"Declare it an output (and write it where {{self.paths}} says): {paths}\n"
        "Audited 2 assets: 0 clean, 2 with findings.\n",
    ), result


def test_trace_keeps_no_file_the_command_wrote_and_removed() -> None:
    at = f"AT_FDCWD<{_hex('/p')}>"
    lines = [
        f'10 openat({at}, "{_hex("t")}", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3<{_hex("/p/t")}>',
        f'10 openat({at}, "{_hex("t")}", O_RDONLY) = 3<{_hex("/p/t")}>',
        f'10 unlinkat({at}, "{_hex("t")}", 0) = 0',
        f'10 mkdir("{_hex("d")}", 0777) = 0',
        f'10 openat({at}, "{_hex("d/f")}", O_WRONLY|O_CREAT, 0666) = 3<{_hex("/p/d/f")}>',
        f'10 renameat2({at}, "{_hex("d")}", {at}, "{_hex("e")}", 0) = 0',
        f'10 unlink("{_hex("old")}") = 0',
        f'10 openat({at}, "{_hex("k")}", O_WRONLY|O_CREAT, 0666) = 3<{_hex("/p/k")}>',
    ]
    trace = parse_trace(lines, "/p")
    assert trace.reads == set()
    assert trace.writes == {"/p/e", "/p/old", "/p/k"}


def test_lines_for_settings_list_what_every_asset_found() -> None:
    def outside(task: str, path: str, ignore: str) -> AssetAudit:
        line = f'audit_ignore = ["/opt/keep", "{ignore}"]'
        return AssetAudit(
            task, f"{task}.toml:1", "shell", (Finding("outside", path, line),)
        )

    audits = merged(
        [outside("a", "/opt/a", "/opt/a"), outside("b", "/srv/b", "/srv/b")]
    )
    assert [f.add for a in audits for f in a.findings] == [
        'audit_ignore = ["/opt/keep", "/opt/a", "/srv/b"]'
    ] * 2


SQLITE = """\
[settings]
strict_io = true

[assets.db]
path = "data/db.sqlite"

[assets.q]
path = "build/q.txt"
depends_on = ["db"]
transform = "python3 -c \\"import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select * from t').fetchall())\\" {db.path} > {self.path}"
"""


@needs_strace
def test_a_file_opened_for_writing_but_not_changed_is_not_a_write(
    project: Project,
) -> None:
    """sqlite opens its database O_RDWR even to read it."""
    project.assets(SQLITE)
    project.path("data").mkdir()
    with contextlib.closing(sqlite3.connect(project.path("data/db.sqlite"))) as db:
        db.execute("create table t (x)")
        db.execute("insert into t values (1)")
        db.commit()
    os.utime(project.path("data/db.sqlite"), ns=(0, 0))  # older than the run
    result = project.doit()
    assert result.code == 0, result
    assert project.read("build/q.txt") == "[(1,)]\n"
    result = project.doit("assets", "audit")
    assert (result.code, result.out) == (
        0,
        "Audited 1 asset: each reads and writes only what it declares.\n",
    ), result


@needs_strace
def test_strict_io_lets_a_transform_hard_link_its_input(project: Project) -> None:
    project.assets(
        """\
        [settings]
        strict_io = true

        [assets.raw]
        path = "data/raw.txt"

        [assets.linked]
        path = "build/linked.txt"
        depends_on = ["raw"]
        transform = "ln {raw.path} {self.path}"
        """
    )
    project.write("data/raw.txt", "hello\n")
    result = project.doit()
    assert result.code == 0, result
    assert project.read("build/linked.txt") == "hello\n"


@needs_strace
def test_audit_proposes_no_line_for_a_write_into_another_assets_output(
    project: Project,
) -> None:
    project.assets(
        """\
        [assets.q]
        path = "build/q.txt"
        transform = "echo q > {self.path}"

        [assets.w]
        path = "build/w.txt"
        depends_on = ["q"]
        transform = "cat {q.path} > {self.path}; echo hacked > {q.path}"
        """
    )
    assert project.doit().code == 0
    result = project.doit("assets", "audit", "w")
    assert (result.code, result.out) == (
        1,
        "assets.toml:5: asset 'w': writes 'build/q.txt', an output of 'q': only "
        "'q' may write it. Write its own outputs instead, where {self.paths} says\n"
        "Audited 1 asset: 0 clean, 1 with findings.\n",
    ), result
    answer = json.loads(project.doit("assets", "audit", "w", "--json").out)
    assert [
        (f["kind"], f["path"], f["upstream"], f["add"])
        for f in answer["assets"][0]["findings"]
    ] == [("write", "build/q.txt", "q", None)]


@needs_strace
def test_audit_proposes_no_line_for_a_file_every_partition_writes(
    project: Project,
) -> None:
    project.assets(
        """\
        [assets.pu]
        path = "build/pu/{partition}.txt"
        partitions = { static = ["x"] }
        transform = "echo > {self.path}; echo > build/side.log"
        """
    )
    result = project.doit("assets", "audit")
    assert (result.code, result.out) == (
        1,
        "assets.toml:1: asset 'pu:x': writes 'build/side.log' outside its "
        "outputs, a file whose name does not hold its partition: no line in "
        "'path' can declare it for every partition. Write its own outputs "
        "instead, where {self.paths} says\n"
        "Audited 1 asset: 0 clean, 1 with findings.\n",
    ), result


@needs_strace
def test_audit_finds_a_write_through_a_hard_link_into_its_source(
    project: Project,
) -> None:
    project.assets(
        """\
        [assets.raw]
        path = "data/raw.txt"

        [assets.linked]
        path = "build/linked.txt"
        depends_on = ["raw"]
        transform = "ln {raw.path} {self.path}; echo more >> {self.path}"
        """
    )
    project.write("data/raw.txt", "hello\n")
    result = project.doit("assets", "audit", "linked")
    assert (result.code, result.out) == (
        1,
        "assets.toml:4: asset 'linked': writes 'data/raw.txt', an output of "
        "'raw': only 'raw' may write it. Write its own outputs instead, where "
        "{self.paths} says\n"
        "Audited 1 asset: 0 clean, 1 with findings.\n",
    ), result
