"""Outputs are atomic: published only when a transform succeeds, never half-written."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import DIRECTORY, PYTHON, Project, copy_of

CHAIN = """\
[vars]
python = "{python}"

[assets.src]
path = "data/in.txt"

[assets.a]
path = "out/a.txt"
transform = "{vars.python} tx.py cat {self.path} {src.path}"

[assets.b]
path = "out/b.txt"
transform = "{vars.python} tx.py upper {self.path} {a.path}"
"""


def edit_toml(project: Project, old: str, new: str) -> None:
    text = project.read("assets.toml")
    assert old in text, old
    project.write("assets.toml", text.replace(old, new, 1))


def build_chain(project: Project) -> None:
    project.assets(CHAIN)
    project.write("data/in.txt", "good\n")
    first = project.doit()
    assert sorted(first.ran) == ["a", "b"], first


def age(project: Project, *paths: str) -> None:
    """Make outputs an hour old: the last good build was not a moment ago
    (see test_transform_that_writes_nothing_soon_after_a_build_did_not_write_in_place).
    """
    hour_ago = time.time() - 3600
    for path in paths:
        os.utime(project.path(path), (hour_ago, hour_ago))


chain = copy_of(build_chain)


def test_failing_transform_keeps_the_previous_output(chain: Project) -> None:
    edit_toml(chain, "tx.py cat", "tx.py fail")
    result = chain.doit()
    assert result.code == 1, result
    assert result.ran == ["a"]
    assert chain.path("out/a.txt").read_bytes() == b"good\n"
    assert chain.read("out/b.txt") == "GOOD\n"
    assert chain.staging_dirs() == []
    assert "TransformFailed - taskid:a" in result.out
    assert (
        f"transform exited with code 1: {PYTHON} tx.py fail out/a.txt data/in.txt\n"
        in result.out
    )


def test_failed_asset_runs_again_next_time(chain: Project) -> None:
    edit_toml(chain, "tx.py cat", "tx.py fail")
    assert chain.doit().code == 1
    again = chain.doit()
    assert (again.code, again.ran) == (1, ["a"]), again
    edit_toml(chain, "tx.py fail", "tx.py cat")
    fixed = chain.doit()
    assert fixed.code == 0, fixed
    # the failure forgot a's state, so it runs; its bytes are the same as
    # before, so b does not
    assert fixed.ran == ["a"]
    assert chain.doit_ok().ran == []


def test_failure_does_not_run_downstream(chain: Project) -> None:
    chain.write("data/in.txt", "new\n")
    edit_toml(chain, "tx.py cat", "tx.py fail")
    result = chain.doit()
    assert result.code == 1
    assert result.ran == ["a"]
    assert chain.read("out/b.txt") == "GOOD\n"


def test_continue_builds_what_does_not_need_the_failed_asset(
    project: Project,
) -> None:
    project.assets(
        """\
        [vars]
        python = "{python}"

        [assets.bad]
        path = "out/bad.txt"
        transform = "{vars.python} tx.py fail {self.path}"

        [assets.after_bad]
        path = "out/after_bad.txt"
        transform = "{vars.python} tx.py cat {self.path} {bad.path}"

        [assets.independent]
        path = "out/independent.txt"
        transform = "{vars.python} tx.py prefix {self.path} fine"
        """
    )
    result = project.doit("--continue")
    assert result.code != 0, result
    assert sorted(result.ran) == ["bad", "independent"]
    assert project.read("out/independent.txt") == "fine\n"
    assert not project.exists("out/bad.txt")
    assert not project.exists("out/after_bad.txt")
    assert project.staging_dirs() == []
    again = project.doit("--continue")
    assert again.ran == ["bad"]


def test_transform_that_writes_nothing_fails_with_a_clear_message(
    chain: Project,
) -> None:
    age(chain, "out/a.txt")
    edit_toml(chain, "{vars.python} tx.py cat {self.path} {src.path}", "true")
    chain.write("data/in.txt", "new\n")
    result = chain.doit()
    assert result.code == 1, result
    assert result.ran == ["a"]
    assert (
        "transform succeeded but did not write 'out/a.txt'. Write each output to "
        "the path {self.path} gives; it is moved into place when the transform "
        "succeeds\n"
    ) in result.out
    assert chain.read("out/a.txt") == "good\n"
    assert chain.staging_dirs() == []


def test_transform_that_writes_nothing_soon_after_a_build_did_not_write_in_place(
    chain: Project,
) -> None:
    # The previous run published out/a.txt a moment ago (as when runs follow
    # each other quickly); the transform now writes nothing at all.
    os.utime(chain.path("out/a.txt"))
    edit_toml(chain, "{vars.python} tx.py cat {self.path} {src.path}", "true")
    result = chain.doit()
    assert result.code == 1, result
    assert "transform succeeded but did not write 'out/a.txt'" in result.out, result
    assert "in place" not in result.out


def test_transform_writing_the_final_path_directly_is_told_to_use_staging(
    project: Project,
) -> None:
    project.assets(
        """\
        [assets.direct]
        path = "out/direct.txt"
        transform = "mkdir -p out && echo hi > out/direct.txt"
        """
    )
    result = project.doit()
    assert result.code == 1, result
    assert result.ran == ["direct"]
    assert (
        "transform wrote 'out/direct.txt' in place instead of to its staging path. "
        "Write each output to the path {self.path} gives; it is moved into place "
        "when the transform succeeds\n"
    ) in result.out
    assert project.doit().ran == ["direct"]  # a failure is never up to date


SPLIT = """\
import sys
lines = open(sys.argv[1]).read().splitlines(True)
open(sys.argv[2], "w").write("".join(lines[0::2]))
if sys.argv[4:] != ["only-first"]:
    open(sys.argv[3], "w").write("".join(lines[1::2]))
"""

MULTI = """\
[vars]
python = "{python}"

[assets.raw]
path = "data/raw.txt"

[assets.split]
path = ["out/odd.txt", "out/even.txt"]
transform = "{vars.python} split.py {raw.path} {self.paths}"

[assets.joined]
path = "out/joined.txt"
transform = "{vars.python} tx.py cat {self.path} {split.paths}"
"""


def build_multi(project: Project) -> None:
    project.assets(MULTI)
    project.write("split.py", SPLIT)
    project.write("data/raw.txt", "1\n2\n3\n4\n")
    first = project.doit()
    assert first.code == 0, first
    assert sorted(first.ran) == ["joined", "split"]


multi = copy_of(build_multi)


def test_multi_path_asset_writes_every_path(multi: Project) -> None:
    assert multi.read("out/odd.txt") == "1\n3\n"
    assert multi.read("out/even.txt") == "2\n4\n"
    assert multi.read("out/joined.txt") == "1\n3\n2\n4\n"
    assert multi.doit_ok().ran == []


def test_deleting_one_of_several_outputs_reruns_the_asset(multi: Project) -> None:
    multi.path("out/even.txt").unlink()
    result = multi.doit()
    assert result.ran == ["split"]
    assert multi.read("out/even.txt") == "2\n4\n"


def test_change_in_one_of_several_outputs_reruns_downstream(multi: Project) -> None:
    multi.write("data/raw.txt", "1\n2\n3\n5\n")
    result = multi.doit()
    assert sorted(result.ran) == ["joined", "split"]
    assert multi.read("out/joined.txt") == "1\n3\n2\n5\n"


def test_missing_one_of_several_outputs_publishes_none(multi: Project) -> None:
    age(multi, "out/odd.txt", "out/even.txt")
    edit_toml(multi, '{self.paths}"', '{self.paths} only-first"')
    multi.write("data/raw.txt", "a\nb\n")
    result = multi.doit()
    assert result.code == 1, result
    assert "did not write 'out/even.txt'" in result.out
    assert multi.read("out/odd.txt") == "1\n3\n"  # not the new 'a'
    assert multi.read("out/even.txt") == "2\n4\n"
    assert multi.staging_dirs() == []


def build_directory(project: Project) -> None:
    project.assets(DIRECTORY)
    project.write("data/raw.txt", "a\nb\n")
    first = project.doit()
    assert first.code == 0, first
    assert sorted(first.ran) == ["listing", "parts"]
    assert project.read("out/listing.txt") == "part0.txt: a\npart1.txt: b\n"


directory = copy_of(build_directory)


def test_directory_output_is_published_whole(directory: Project) -> None:
    assert sorted(os.listdir(directory.path("out/parts"))) == [
        "part0.txt",
        "part1.txt",
    ]
    assert directory.staging_dirs() == []
    assert directory.doit_ok().ran == []


def test_content_change_in_an_upstream_directory_reruns_downstream(
    directory: Project,
) -> None:
    directory.write("data/raw.txt", "a\nc\n")
    result = directory.doit()
    assert sorted(result.ran) == ["listing", "parts"]
    assert directory.read("out/listing.txt") == "part0.txt: a\npart1.txt: c\n"


def test_upstream_directory_rewritten_with_same_content_does_not_rerun_downstream(
    directory: Project,
) -> None:
    edit_toml(directory, "tx.py split", "tx.py  split")
    result = directory.doit()
    assert result.ran == ["parts"]
    assert directory.doit_ok().ran == []


def test_directory_output_loses_files_the_transform_no_longer_writes(
    directory: Project,
) -> None:
    directory.write("data/raw.txt", "a\n")
    assert sorted(directory.doit_ok().ran) == ["listing", "parts"]
    assert os.listdir(directory.path("out/parts")) == ["part0.txt"]
    assert directory.read("out/listing.txt") == "part0.txt: a\n"


def test_hand_editing_a_file_in_a_directory_output_reruns_it(
    directory: Project,
) -> None:
    directory.write("out/parts/part1.txt", "x\n")
    result = directory.doit()
    assert result.ran == ["parts"]
    assert directory.read("out/parts/part1.txt") == "b\n"


def test_a_stray_file_in_a_directory_output_fails_the_asset_and_is_kept(
    directory: Project,
) -> None:
    # a directory output is replaced whole: a file that no materialization of it
    # made would be lost, so the asset fails instead of deleting it
    directory.write("out/parts/stray.txt", "?\n")
    result = directory.doit()
    assert result.code == 1, result
    assert result.ran == ["parts"]
    assert (
        "output folder 'out/parts/' holds 1 file that no materialization of 'parts' "
        "made: 'out/parts/stray.txt'. Move them away: a directory output is "
        "replaced whole\n"
    ) in result.out
    assert directory.read("out/parts/stray.txt") == "?\n"
    assert directory.staging_dirs() == []
    directory.path("out/parts/stray.txt").unlink()
    assert directory.doit_ok().ran == ["parts"]


def test_a_hand_edited_file_in_a_directory_output_is_made_again(
    directory: Project,
) -> None:
    directory.write("out/parts/part0.txt", "edited\n")
    assert directory.doit_ok().ran == ["parts"]
    assert directory.read("out/parts/part0.txt") == "a\n"


def test_deleting_a_directory_output_reruns_it(directory: Project) -> None:
    for name in os.listdir(directory.path("out/parts")):
        directory.path(f"out/parts/{name}").unlink()
    directory.path("out/parts").rmdir()
    assert directory.doit_ok().ran == ["parts"]
    assert directory.read("out/parts/part0.txt") == "a\n"


def test_failing_directory_transform_keeps_the_previous_directory(
    directory: Project,
) -> None:
    edit_toml(directory, "tx.py split {self.path} {raw.path}", "tx.py fail {self.path}")
    result = directory.doit()
    assert result.code == 1, result
    assert sorted(os.listdir(directory.path("out/parts"))) == [
        "part0.txt",
        "part1.txt",
    ]
    assert directory.staging_dirs() == []


def test_adding_a_file_to_a_source_directory_reruns_downstream(
    project: Project,
) -> None:
    project.assets(
        """\
        [vars]
        python = "{python}"

        [assets.images]
        path = "data/images/"

        [assets.catalog]
        path = "out/catalog.txt"
        transform = "{vars.python} tx.py listdir {self.path} {images.path}"
        """
    )
    project.write("data/images/one.txt", "1\n")
    assert project.doit_ok().ran == ["catalog"]
    assert project.doit_ok().ran == []
    project.write("data/images/two.txt", "2\n")
    assert project.doit_ok().ran == ["catalog"]
    assert project.read("out/catalog.txt") == "one.txt: 1\ntwo.txt: 2\n"


def test_paths_with_spaces_quotes_and_substitutions_are_quoted(
    project: Project,
) -> None:
    project.assets(
        """\
        [vars]
        python = "{python}"

        [assets.raw]
        path = "data/my input; echo INJECTED.txt"

        [assets.odd]
        path = "out/it's a \\"test\\" $(touch PWNED) `touch PWNED2` name.txt"
        transform = "{vars.python} tx.py upper {self.path} {raw.path}"
        """
    )
    project.write("data/my input; echo INJECTED.txt", "safe\n")
    result = project.doit()
    assert result.code == 0, result
    assert result.ran == ["odd"]
    name = 'it\'s a "test" $(touch PWNED) `touch PWNED2` name.txt'
    assert os.listdir(project.path("out")) == [name]
    assert project.read(f"out/{name}") == "SAFE\n"
    assert not list(project.root.rglob("PWNED*"))
    assert "INJECTED" not in result.out.replace("data/my input; echo INJECTED", "")
    assert project.doit_ok().ran == []


def test_double_braces_render_as_literal_braces(project: Project) -> None:
    project.assets(
        """\
        [assets.braces]
        path = "out/braces.json"
        transform = "printf '%s\\\\n' '{{\\"k\\": {{}}}}' > {self.path}"
        """
    )
    result = project.doit()
    assert result.code == 0, result
    assert project.read("out/braces.json") == '{"k": {}}\n'


def test_ctrl_c_keeps_previous_output_and_reruns_the_interrupted_asset(
    project: Project,
) -> None:
    project.assets(
        """\
        [vars]
        python = "{python}"

        [assets.src]
        path = "data/in.txt"

        [assets.fast]
        path = "out/fast.txt"
        transform = "{vars.python} tx.py cat {self.path} {src.path}"

        [assets.slow]
        path = "out/slow.txt"
        transform = "{vars.python} tx.py cat {self.path} {fast.path}"

        [assets.after]
        path = "out/after.txt"
        transform = "{vars.python} tx.py upper {self.path} {slow.path}"
        """
    )
    project.write("data/in.txt", "v1\n")
    assert sorted(project.doit_ok().ran) == ["after", "fast", "slow"]

    project.write("data/in.txt", "v2\n")
    edit_toml(
        project, "cat {self.path} {fast.path}", "slow {self.path} 1.5 {fast.path}"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "doit"],
        cwd=project.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's Ctrl-C
    )
    deadline = time.monotonic() + 20
    try:
        while not any(
            p.read_text() == "partial"
            for p in project.path("out").glob(".doit-assets-staging.*/slow.txt")
        ):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the slow transform never started"
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode != 0, (out, err)
    assert [line for line in out.splitlines() if line.startswith(".  ")] == [
        ".  fast",
        ".  slow",
    ], (out, err)
    assert err.endswith(
        "interrupted: finished assets are saved; the one that was running keeps "
        "its previous output and runs again next time\n"
    )
    assert project.read("out/fast.txt") == "v2\n"
    assert project.read("out/slow.txt") == "v1\n"  # the previous good output
    assert project.read("out/after.txt") == "V1\n"
    assert project.staging_dirs() == []

    # finished 'fast' was saved; 'slow' runs again and completes this time
    result = project.doit()
    assert result.code == 0, result
    assert result.ran == ["slow", "after"]
    assert project.read("out/slow.txt") == "complete\n"
    assert project.read("out/after.txt") == "COMPLETE\n"


def test_each_attempt_stages_in_a_folder_of_its_own_under_the_output_name(
    project: Project,
) -> None:
    # the transform records the path it was given; gzip-like tools write the
    # file name into what they make, so the name must be the output's own
    project.assets(
        """\
        [assets.model]
        path = "build/model.pkl"
        transform = "echo {self.path} > {self.path}"

        [assets.plots]
        path = "build/plots/"
        transform = "echo {self.path} > {self.path}/where.txt"
        """
    )
    project.doit_ok()
    first = project.read("build/model.pkl").strip()
    assert re.fullmatch(r"build/\.doit-assets-staging\.[0-9a-f]{12}/model\.pkl", first)
    where = project.read("build/plots/where.txt").strip()
    assert re.fullmatch(r"build/\.doit-assets-staging\.[0-9a-f]{12}/plots", where)
    project.path("build/model.pkl").unlink()
    project.doit_ok()
    second = project.read("build/model.pkl").strip()
    assert second != first  # a new folder for every attempt
    assert project.staging_dirs() == []


def test_staging_leftovers_from_before_the_upgrade_are_cleared(chain: Project) -> None:
    # doit-assets 0.1 staged beside the output under one fixed name
    leftover = chain.write("out/.doit-assets-staging.a.txt", "half")
    chain.write("data/in.txt", "fresh\n")
    result = chain.doit()
    assert sorted(result.ran) == ["a", "b"]
    assert chain.read("out/a.txt") == "fresh\n"
    assert not leftover.exists()
    assert chain.staging_dirs() == []


def test_outputs_land_in_directories_that_did_not_exist(project: Project) -> None:
    project.assets(
        """\
        [vars]
        python = "{python}"

        [assets.deep]
        path = "a/b/c/deep.txt"
        transform = "{vars.python} tx.py prefix {self.path} deep"
        """
    )
    assert project.doit_ok().ran == ["deep"]
    assert project.read("a/b/c/deep.txt") == "deep\n"
    assert Path(project.root / "a/b/c").is_dir()


def test_a_command_longer_than_one_argument_may_be_still_runs(project: Project) -> None:
    # Linux refuses one argument over 128 KiB, and sh -c COMMAND is one argument
    project.assets(
        f"""\
        [vars]
        pad = "{"x" * 150_000}"

        [assets.long]
        path = "out/long.txt"
        transform = "printf %s {{vars.pad}} | wc -c > {{self.path}}"
        """
    )
    run = project.doit_ok()
    assert run.ran == ["long"], run
    assert project.read("out/long.txt").strip() == "150000"
