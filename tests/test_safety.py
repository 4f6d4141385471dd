"""Nothing is lost through a path: what an output would replace is checked first,
``doit clean`` deletes only what materializations made, and the state folder
is trusted only as far as docs/design.md says."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import Project, copy_of
from history_support import Background, wait_for

SIMPLE = """\
[vars]
python = "{python}"

[assets.src]
path = "data/in.txt"

[assets.made]
path = "out/made.txt"
transform = "{vars.python} tx.py upper {self.path} {src.path}"
"""


def build_simple(project: Project) -> None:
    """SIMPLE, built."""
    project.write("data/in.txt", "hello\n")
    project.assets(SIMPLE)
    assert project.doit_ok().ran == ["made"]


simple = copy_of(build_simple)


# -- shapes on disk --------------------------------------------------------------


def test_a_folder_where_a_file_output_goes_fails_the_asset_and_is_kept(
    project: Project,
) -> None:
    project.write("data/in.txt", "hello\n")
    project.write("out/made.txt/precious.csv", "my data\n")
    project.assets(SIMPLE)
    result = project.doit()
    assert result.code == 1, result
    assert (
        "output 'out/made.txt' is a folder here, but the asset declares a file. Move "
        'the folder away, or declare a directory output: path = "out/made.txt/"\n'
    ) in result.out
    assert project.read("out/made.txt/precious.csv") == "my data\n"
    clean = project.doit("clean")
    assert clean.code == 0, clean
    assert "out/made.txt - kept: a folder, but the output is a file" in clean.out
    assert project.read("out/made.txt/precious.csv") == "my data\n"


def test_a_directory_output_over_a_folder_of_other_files_fails_and_keeps_them(
    project: Project,
) -> None:
    project.write("data/raw.txt", "a\nb\n")
    project.write("data/config.json", "{}\n")
    project.assets(
        """\
        [vars]
        python = "{python}"

        [assets.raw]
        path = "notes/raw.txt"

        [assets.parts]
        path = "data/"
        transform = "{vars.python} tx.py split {self.path} {raw.path}"
        """
    )
    project.write("notes/raw.txt", "a\nb\n")
    result = project.doit()
    assert result.code == 1, result
    assert (
        "output folder 'data/' holds 2 files that no materialization of 'parts' made: "
        "'data/config.json', 'data/raw.txt'. Move them away: a directory output is "
        "replaced whole\n"
    ) in result.out
    assert project.read("data/config.json") == "{}\n"
    assert project.read("data/raw.txt") == "a\nb\n"


def test_a_file_output_written_as_a_folder_fails_that_asset_only(
    project: Project,
) -> None:
    project.write("data/in.txt", "hello\n")
    project.assets(
        SIMPLE
        + """
[assets.folder]
path = "out/plots"
transform = "mkdir -p {self.path} && echo x > {self.path}/a.txt"

[assets.after]
path = "out/after.txt"
transform = "{vars.python} tx.py upper {self.path} {made.path}"
"""
    )
    result = project.doit("--continue")
    assert result.code == 1, result
    assert (
        "transform wrote a folder at 'out/plots', but the asset declares a file. "
        'Declare a directory output: path = "out/plots/"\n'
    ) in result.out
    assert sorted(result.ran) == ["after", "folder", "made"]
    assert project.read("out/after.txt") == "HELLO\n"
    assert not project.exists("out/plots")
    assert project.staging_dirs() == []
    history = project.doit("assets", "runs", "--json")
    assert '"outcome": "failed"' in history.out


def test_a_directory_output_written_as_a_file_says_so(project: Project) -> None:
    project.assets(
        """\
        [assets.parts]
        path = "out/parts/"
        transform = "rmdir {self.path} && echo x > {self.path}"
        """
    )
    result = project.doit()
    assert result.code == 1, result
    assert (
        "transform wrote a file at 'out/parts/', but the asset declares a folder (its "
        "path ends with '/'). Write the files inside the folder {self.path} gives, or "
        'declare a file output: path = "out/parts"\n'
    ) in result.out


def test_doit_clean_removes_only_what_a_directory_output_made(
    project: Project,
) -> None:
    project.write("data/raw.txt", "a\nb\n")
    project.assets(
        """\
        [vars]
        python = "{python}"

        [assets.raw]
        path = "data/raw.txt"

        [assets.parts]
        path = "out/parts/"
        transform = "{vars.python} tx.py split {self.path} {raw.path}"
        """
    )
    project.doit_ok()
    project.write("out/parts/mine.txt", "keep me\n")
    result = project.doit("clean")
    assert result.code == 0, result
    assert "out/parts/ - kept 1 file that no materialization made\n" in result.out
    assert sorted(os.listdir(project.path("out/parts"))) == ["mine.txt"]
    project.path("out/parts/mine.txt").unlink()
    project.doit_ok()
    result = project.doit("clean")
    assert "out/parts/ - removed\n" in result.out, result
    assert not project.exists("out/parts")


# -- symbolic links --------------------------------------------------------------


def test_an_output_through_a_symlink_out_of_the_project_fails_and_writes_nothing(
    project: Project, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "made.txt").write_text("not yours\n")
    project.write("data/in.txt", "hello\n")
    project.assets(SIMPLE)
    os.symlink(outside, project.path("out"))
    result = project.doit()
    assert result.code == 1, result
    assert (
        f"output 'out/made.txt' resolves outside the project, through a symbolic "
        f"link, to '{outside}/made.txt'. Allow that folder with [settings] "
        f'external_roots = ["{outside}"], or change the link\n'
    ) in result.out
    assert (outside / "made.txt").read_text() == "not yours\n"
    assert os.listdir(outside) == ["made.txt"]
    clean = project.doit("clean")
    assert "out/made.txt - kept: it resolves outside the project" in clean.out
    assert (outside / "made.txt").read_text() == "not yours\n"


def test_a_symlink_inside_the_project_is_followed(project: Project) -> None:
    project.write("data/in.txt", "hello\n")
    project.path("real").mkdir()
    os.symlink("real", project.path("out"))
    project.assets(SIMPLE)
    assert project.doit_ok().ran == ["made"]
    assert project.read("real/made.txt") == "HELLO\n"


# -- what the transform did to its inputs and to the disk -----------------------------


def test_a_transform_that_deletes_its_input_keeps_the_previous_output(
    simple: Project,
) -> None:
    simple.write("data/in.txt", "changed\n")
    simple.write(
        "assets.toml",
        simple.read("assets.toml").replace(
            "tx.py upper {self.path} {src.path}",
            "tx.py upper {self.path} {src.path} && rm {src.path}",
        ),
    )
    result = simple.doit()
    assert result.code == 1, result
    assert (
        "input 'data/in.txt' no longer exists after the transform ran (did the "
        "transform delete it?); the previous output is kept\n"
    ) in result.out
    assert simple.read("out/made.txt") == "HELLO\n"
    assert simple.staging_dirs() == []


@pytest.fixture
def small_disk(project: Project) -> Path:
    """A 256 KiB file system in the project (tmpfs; needs root)."""
    mount = project.path("small")
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip("cannot mount a small file system here (needs root)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_fails_the_asset_and_keeps_the_previous_output(
    project: Project, small_disk: Path
) -> None:
    project.assets(
        """\
        [assets.big]
        path = "small/big.bin"
        transform = "head -c $(cat size.txt) /dev/zero > {self.path}"
        inputs = ["size.txt"]
        """
    )
    project.write("size.txt", "1000\n")
    assert project.doit_ok().ran == ["big"]
    project.write("size.txt", "1000000\n")
    result = project.doit()
    assert result.code == 1, result
    assert "transform exited with code 1: head -c" in result.out, result
    assert "No space left on device" in result.err + result.out
    assert os.path.getsize(small_disk / "big.bin") == 1000
    assert os.listdir(small_disk) == ["big.bin"]


def test_a_value_the_store_cannot_write_fails_like_a_shell_transform(
    project: Project,
) -> None:
    project.write(
        "pipeline.py",
        """\
from doit_assets import asset


@asset(io="json")
def tags():
    return {"b", "a"}
""",
    )
    project.write("dodo.py", "from doit_assets.dodo import *\nfrom pipeline import *\n")
    result = project.doit()
    assert result.code == 1, result
    assert "Traceback" not in result.out + result.err, result
    assert "doit_assets" not in result.out + result.err, result
    assert (
        "the value store 'json' cannot keep the returned set: TypeError: Object of "
        "type set is not JSON serializable. Return a value it can write, or choose "
        "another store with 'io'\n"
    ) in result.out
    history = project.doit("assets", "history", "tags", "--json")
    assert "cannot keep the returned set" in history.out


def test_a_transform_writing_its_final_path_is_stopped_early(project: Project) -> None:
    project.assets(
        """\
        [assets.direct]
        path = "out/direct.txt"
        transform = "echo old > out/direct.txt; sleep 30; echo {self.path}"
        """
    )
    project.write("out/direct.txt", "previous\n")
    result = project.doit()
    assert result.code == 1, result
    assert (
        "transform wrote 'out/direct.txt' in place instead of to its staging path, so "
        "the previous output was overwritten. Write each output to the path "
        "{self.path} gives; it is moved into place when the transform succeeds. It "
        "was stopped: echo old > out/direct.txt; sleep 30; echo out/direct.txt\n"
    ) in result.out


# -- the state folder ---------------------------------------------------------------


def test_a_symlink_planted_at_the_lock_is_refused_and_its_target_untouched(
    simple: Project, tmp_path: Path
) -> None:
    target = tmp_path / "victim.txt"
    target.write_text("precious\n")
    simple.path(".doit-assets/lock").unlink()
    os.symlink(target, simple.path(".doit-assets/lock"))
    result = simple.doit()
    assert result.code == 3, result
    assert result.err == (
        "ERROR: .doit-assets/lock: cannot open the lock: Too many levels of symbolic "
        "links. It must be a plain file (not a symbolic link)\n"
    )
    assert target.read_text() == "precious\n"


def test_a_state_folder_that_is_a_symlink_is_refused(
    simple: Project, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "state"
    shutil.move(simple.path(".doit-assets"), elsewhere)
    os.symlink(elsewhere, simple.path(".doit-assets"))
    result = simple.doit()
    assert result.code == 3, result
    assert result.err == (
        "ERROR: '.doit-assets' is a symbolic link; doit-assets keeps its state in a "
        "real folder. Remove it; doit-assets makes it again\n"
    )


def test_a_project_cache_copied_from_another_checkout_is_not_used(
    project: Project, tmp_path: Path
) -> None:
    # The cache holds the commands that run. One made elsewhere, with the same
    # key and a changed command, must never be taken for this checkout's.
    project.write("data/in.txt", "hello\n")
    project.assets(SIMPLE, dodo=False)
    assert project.doit_assets().code == 0
    twin = Project(tmp_path / "twin")
    twin.root.mkdir()
    twin.copy_from(project.root)
    shutil.rmtree(twin.path(".doit-assets"))
    twin.path("out/made.txt").unlink()
    cache = project.path(".doit-assets/project.cache").read_bytes()
    marker = b"tx.py upper"
    planted = cache.replace(marker, b"tx.py prefix")
    assert planted != cache
    twin.path(".doit-assets").mkdir()
    twin.path(".doit-assets/project.cache").write_bytes(planted)
    result = twin.doit_assets()
    assert result.code == 0, result
    assert twin.read("out/made.txt") == "HELLO\n"  # the declared command ran


def test_a_noop_manifest_from_elsewhere_does_not_skip_anything(
    project: Project, tmp_path: Path
) -> None:
    project.write("data/in.txt", "hello\n")
    project.assets(SIMPLE, dodo=False)
    assert project.doit_assets().code == 0
    assert project.exists(".doit-assets/noop.manifest")
    twin = Project(tmp_path / "twin")
    twin.root.mkdir()
    twin.copy_from(project.root)
    twin.path("out/made.txt").unlink()
    # stamps of every file made to match what the manifest vouched for
    for rel in ("data/in.txt", "assets.toml"):
        st = os.stat(project.path(rel))
        os.utime(twin.path(rel), ns=(st.st_atime_ns, st.st_mtime_ns))
    result = twin.doit_assets()
    assert result.code == 0, result
    assert ".  made" in result.out, result
    assert twin.read("out/made.txt") == "HELLO\n"


# -- commands that change the state take the run lock ----------------------------------


@pytest.mark.parametrize(
    "command",
    [("forget", "made"), ("ignore", "made"), ("clean",), ("reset-dep",)],
    ids=["forget", "ignore", "clean", "reset-dep"],
)
def test_commands_that_change_the_state_wait_for_no_run(
    simple: Project, command: tuple[str, ...]
) -> None:
    simple.write(
        "assets.toml",
        simple.read("assets.toml").replace(
            "tx.py upper {self.path} {src.path}",
            "tx.py wait {self.path} go",  # runs until the file 'go' exists
        ),
    )
    with Background(simple) as run:
        wait_for(lambda: any(simple.path("out").glob(".doit-assets-staging.*")), "run")
        refused = simple.doit(*command)
        assert refused.code == 3, refused
        assert refused.err.startswith(
            "ERROR: .doit-assets/lock: another doit run is using this project: pid "
        ), refused
        simple.write("go", "")
        finished = run.finish()
    assert finished.code == 0, finished
    assert simple.read("out/made.txt") == "complete\n"
    assert simple.doit_ok().ran == []
