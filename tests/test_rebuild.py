"""Real doit in temporary projects: exactly what is stale is rebuilt, nothing else."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from pathlib import Path

from conftest import DIRECTORY, Project, copy_of, run_doit

# raw -> tidy -> features (first line only) -> model -> report
#            \-> stats (line count) --------/
# other_raw -> other (prefixed with a var)
PIPELINE = """\
[vars]
python = "{python}"
title = "Other"
unused = "nobody reads this"

[assets.raw]
path = "data/raw.txt"
description = "Raw lines"

[assets.other_raw]
path = "data/other.txt"

[assets.tidy]
path = "out/tidy.txt"
transform = "{vars.python} tx.py upper {self.path} {raw.path}"
description = "Upper-cased raw lines"

[assets.features]
path = "out/features.txt"
transform = "{vars.python} tx.py head {self.path} {tidy.path}"

[assets.stats]
path = "out/stats.txt"
transform = "{vars.python} tx.py count {self.path} {tidy.path}"

[assets.model]
path = "out/model.txt"
transform = "{vars.python} tx.py cat {self.path} {features.path} {stats.path}"
description = "The model"

[assets.report]
path = "out/report.txt"
transform = "{vars.python} tx.py cat {self.path} {model.path}"

[assets.other]
path = "out/other.txt"
transform = "{vars.python} tx.py prefix {self.path} {vars.title} {other_raw.path}"
"""

TRANSFORMS = ["features", "model", "other", "report", "stats", "tidy"]
ALL = sorted([*TRANSFORMS, "other_raw", "raw"])


def make_pipeline(project: Project, toml: str = PIPELINE) -> None:
    project.assets(toml)
    project.write("data/raw.txt", "a\nb\n")
    project.write("data/other.txt", "o\n")


def edit_toml(project: Project, old: str, new: str) -> None:
    text = project.read("assets.toml")
    assert old in text, old
    project.write("assets.toml", text.replace(old, new, 1))


def build_pipeline(project: Project) -> None:
    """The pipeline, built."""
    make_pipeline(project)
    first = project.doit_ok()
    assert first.code == 0, first
    assert sorted(first.ran) == TRANSFORMS, first


built = copy_of(build_pipeline)


def test_first_run_builds_every_asset(project: Project) -> None:
    make_pipeline(project)
    result = project.doit_ok()
    assert result.code == 0, result
    assert sorted(result.ran) == TRANSFORMS
    assert project.read("out/tidy.txt") == "A\nB\n"
    assert project.read("out/features.txt") == "A\n"
    assert project.read("out/stats.txt") == "2\n"
    assert project.read("out/model.txt") == "A\n2\n"
    assert project.read("out/report.txt") == "A\n2\n"
    assert project.read("out/other.txt") == "Other\no\n"
    assert project.staging_dirs() == []


def test_first_run_runs_each_asset_after_its_upstreams(project: Project) -> None:
    make_pipeline(project)
    ran = project.doit_ok().ran
    assert ran.index("tidy") < ran.index("features") < ran.index("model")
    assert ran.index("stats") < ran.index("model") < ran.index("report")


def test_second_run_runs_nothing(built: Project) -> None:
    result = built.doit_ok()
    assert result.code == 0, result
    assert result.ran == []
    assert sorted(result.up_to_date) == ALL


def test_editing_a_source_reruns_exactly_its_downstream_cone(built: Project) -> None:
    built.write("data/raw.txt", "a\nb\nc\n")
    result = built.doit_ok()
    assert result.code == 0, result
    assert sorted(result.ran) == ["features", "model", "report", "stats", "tidy"]
    assert built.read("out/report.txt") == "A\n3\n"
    assert built.doit_ok().ran == []


def test_editing_the_other_source_reruns_only_its_asset(built: Project) -> None:
    built.write("data/other.txt", "changed\n")
    result = built.doit_ok()
    assert result.ran == ["other"]
    assert built.read("out/other.txt") == "Other\nchanged\n"


def test_upstream_writing_identical_bytes_stops_the_rebuild(built: Project) -> None:
    # 'A' upper-cases to what 'a' did: tidy re-runs, its output is unchanged.
    built.write("data/raw.txt", "A\nb\n")
    result = built.doit_ok()
    assert result.ran == ["tidy"]


def test_early_cutoff_stops_below_assets_whose_output_did_not_change(
    built: Project,
) -> None:
    # tidy changes; features (first line) and stats (line count) do not.
    built.write("data/raw.txt", "a\nx\n")
    result = built.doit_ok()
    assert sorted(result.ran) == ["features", "stats", "tidy"]
    assert built.read("out/tidy.txt") == "A\nX\n"
    assert built.read("out/model.txt") == "A\n2\n"


def test_editing_a_transform_reruns_it_and_downstream_when_output_changes(
    built: Project,
) -> None:
    edit_toml(
        built,
        "count {self.path} {tidy.path}",
        "count {self.path} {tidy.path} {tidy.path}",
    )
    result = built.doit_ok()
    assert sorted(result.ran) == ["model", "report", "stats"]
    assert built.read("out/stats.txt") == "4\n"


def test_editing_a_transform_without_changing_its_output_reruns_only_it(
    built: Project,
) -> None:
    edit_toml(built, "tx.py head {self.path}", "tx.py  head  {self.path}")
    result = built.doit_ok()
    assert result.ran == ["features"]


def test_editing_description_does_not_rerun_anything(built: Project) -> None:
    edit_toml(built, 'description = "The model"', 'description = "A better model"')
    edit_toml(
        built, "[assets.report]\n", '[assets.report]\nmetadata = { owner = "me" }\n'
    )
    result = built.doit_ok()
    assert result.code == 0, result
    assert result.ran == []


def test_changing_code_version_reruns_that_asset(built: Project) -> None:
    edit_toml(built, "[assets.stats]\n", '[assets.stats]\ncode_version = "2"\n')
    result = built.doit_ok()
    assert result.ran == ["stats"]


def test_reordering_assets_in_the_file_reruns_nothing(built: Project) -> None:
    blocks = PIPELINE.strip().split("\n\n")
    built.assets("\n\n".join([blocks[0], *reversed(blocks[1:])]) + "\n")
    assert built.read("assets.toml").index("[assets.other]") < built.read(
        "assets.toml"
    ).index("[assets.raw]")
    result = built.doit_ok()
    assert result.code == 0, result
    assert result.ran == []


def test_adding_an_asset_runs_only_the_new_one(built: Project) -> None:
    text = built.read("assets.toml") + (
        '\n[assets.extra]\npath = "out/extra.txt"\n'
        'transform = "{vars.python} tx.py cat {self.path} {report.path}"\n'
    )
    built.write("assets.toml", text)
    result = built.doit_ok()
    assert result.ran == ["extra"]
    assert built.read("out/extra.txt") == "A\n2\n"


def test_editing_a_var_reruns_only_assets_that_use_it(built: Project) -> None:
    edit_toml(built, 'title = "Other"', 'title = "Another"')
    result = built.doit_ok()
    assert result.ran == ["other"]
    assert built.read("out/other.txt") == "Another\no\n"


def test_editing_an_unused_var_reruns_nothing(built: Project) -> None:
    edit_toml(built, 'unused = "nobody reads this"', 'unused = "still nobody"')
    assert built.doit_ok().ran == []


def test_editing_a_var_used_everywhere_reruns_every_transform(built: Project) -> None:
    edit_toml(built, 'python = "', 'python = "env ')
    result = built.doit_ok()
    assert result.code == 0, result
    assert sorted(result.ran) == TRANSFORMS


INPUTS = """\
[vars]
python = "{python}"

[assets.configured]
path = "out/configured.txt"
inputs = ["settings.txt", "conf/*.yaml"]
transform = "{vars.python} tx.py cat {self.path} settings.txt"

[assets.plain]
path = "out/plain.txt"
transform = "{vars.python} tx.py prefix {self.path} plain"
"""


def build_with_inputs(project: Project) -> None:
    project.assets(INPUTS)
    project.write("settings.txt", "threshold=1\n")
    project.write("conf/a.yaml", "a: 1\n")
    first = project.doit_ok()
    assert sorted(first.ran) == ["configured", "plain"], first


with_inputs = copy_of(build_with_inputs)


def test_editing_an_input_file_reruns_its_asset(with_inputs: Project) -> None:
    with_inputs.write("settings.txt", "threshold=2\n")
    result = with_inputs.doit_ok()
    assert result.ran == ["configured"]
    assert with_inputs.read("out/configured.txt") == "threshold=2\n"


def test_editing_a_file_matched_by_an_input_glob_reruns_its_asset(
    with_inputs: Project,
) -> None:
    with_inputs.write("conf/a.yaml", "a: 2\n")
    assert with_inputs.doit_ok().ran == ["configured"]


def test_a_new_file_matched_by_an_input_glob_reruns_its_asset(
    with_inputs: Project,
) -> None:
    with_inputs.write("conf/b.yaml", "b: 1\n")
    assert with_inputs.doit_ok().ran == ["configured"]


def test_input_glob_matching_the_assets_own_output_does_not_make_a_cycle(
    project: Project,
) -> None:
    project.assets(
        """\
        [vars]
        python = "{python}"

        [assets.summary]
        path = "notes/summary.txt"
        inputs = ["notes/*.txt"]
        transform = "{vars.python} tx.py cat {self.path} notes/a.txt"
        """
    )
    project.write("notes/a.txt", "a\n")
    first = project.doit_ok()
    assert (first.code, first.ran) == (0, ["summary"]), first
    second = project.doit_ok()  # the glob now also matches notes/summary.txt
    assert "Cyclic/recursive dependencies" not in second.err, second
    assert (second.code, second.ran) == (0, []), second
    project.write("notes/a.txt", "b\n")
    third = project.doit_ok()
    assert (third.code, third.ran) == (0, ["summary"]), third
    assert project.read("notes/summary.txt") == "b\n"


def test_an_input_directory_stands_for_the_files_in_it(project: Project) -> None:
    project.assets(
        """\
        [vars]
        python = "{python}"

        [assets.bundle]
        path = "out/bundle.txt"
        inputs = ["conf"]
        transform = "{vars.python} tx.py cat {self.path} conf/a.yaml"
        """
    )
    project.write("conf/a.yaml", "a\n")
    runs = [project.doit_ok()]
    runs.append(project.doit_ok())
    project.write("conf/a.yaml", "b\n")
    runs.append(project.doit_ok())
    project.write("conf/deeper/c.yaml", "c\n")
    runs.append(project.doit_ok())
    assert [(r.code, r.ran) for r in runs] == [
        (0, ["bundle"]),
        (0, []),
        (0, ["bundle"]),
        (0, ["bundle"]),
    ], runs
    assert project.read("out/bundle.txt") == "b\n"


def test_deleting_an_output_reruns_only_its_asset(built: Project) -> None:
    built.path("out/tidy.txt").unlink()
    result = built.doit_ok()
    assert result.ran == ["tidy"]
    assert built.read("out/tidy.txt") == "A\nB\n"


def test_truncating_an_output_reruns_it(built: Project) -> None:
    built.write("out/stats.txt", "")
    result = built.doit_ok()
    assert result.ran == ["stats"]
    assert built.read("out/stats.txt") == "2\n"


def test_hand_editing_an_output_reruns_it(built: Project) -> None:
    built.write("out/tidy.txt", "X\nY\n")  # same size, other bytes
    result = built.doit_ok()
    assert result.ran == ["tidy"]
    assert built.read("out/tidy.txt") == "A\nB\n"


def test_hand_editing_the_last_output_reruns_it(built: Project) -> None:
    built.write("out/report.txt", "hacked\n")
    result = built.doit_ok()
    assert result.ran == ["report"]
    assert built.read("out/report.txt") == "A\n2\n"


def test_touching_an_output_alone_reruns_nothing(built: Project) -> None:
    later = time.time() + 100
    for name in ("tidy", "model"):
        os.utime(built.path(f"out/{name}.txt"), (later, later))
    assert built.doit_ok().ran == []
    assert built.doit_ok().ran == []


def test_touching_a_source_alone_reruns_nothing(built: Project) -> None:
    later = time.time() + 100
    os.utime(built.path("data/raw.txt"), (later, later))
    assert built.doit_ok().ran == []


def test_naming_an_asset_runs_only_it_and_its_upstreams(project: Project) -> None:
    make_pipeline(project)
    result = project.doit_ok("model")
    assert result.code == 0, result
    assert sorted(result.ran) == ["features", "model", "stats", "tidy"]
    assert not project.exists("out/report.txt")
    assert not project.exists("out/other.txt")
    assert sorted(project.doit_ok().ran) == ["other", "report"]


def test_assets_with_slashes_in_their_names_can_be_named(project: Project) -> None:
    project.assets(
        """\
        [vars]
        python = "{python}"

        [assets."raw/orders"]
        path = "data/orders.txt"

        [assets."clean/orders"]
        path = "out/orders.txt"
        transform = "{vars.python} tx.py upper {self.path} {raw/orders.path}"

        [assets."clean/customers"]
        path = "out/customers.txt"
        transform = "{vars.python} tx.py prefix {self.path} c"
        """
    )
    project.write("data/orders.txt", "o\n")
    result = project.doit_ok("clean/orders")
    assert result.code == 0, result
    assert result.ran == ["clean/orders"]
    assert project.read("out/orders.txt") == "O\n"
    assert not project.exists("out/customers.txt")


def test_naming_an_up_to_date_asset_runs_nothing(built: Project) -> None:
    result = built.doit_ok("report")
    assert result.code == 0, result
    assert result.ran == []


DIAMOND = """\
[vars]
python = "{python}"

[assets.top]
path = "data/top.txt"

[assets.left]
path = "out/left.txt"
transform = "{vars.python} tx.py upper {self.path} {top.path}"

[assets.right]
path = "out/right.txt"
transform = "{vars.python} tx.py count {self.path} {top.path}"

[assets.bottom]
path = "out/bottom.txt"
transform = "{vars.python} tx.py cat {self.path} {left.path} {right.path}"
"""


def test_parallel_run_builds_a_diamond(project: Project) -> None:
    project.assets(DIAMOND)
    project.write("data/top.txt", "x\ny\n")
    result = project.doit_ok("-n", "2")
    assert result.code == 0, result
    assert sorted(result.ran) == ["bottom", "left", "right"]
    assert result.ran[-1] == "bottom"
    assert project.read("out/bottom.txt") == "X\nY\n2\n"
    assert project.doit_ok().ran == []
    project.write("data/top.txt", "x\n")
    again = project.doit_ok("-n", "2")
    assert sorted(again.ran) == ["bottom", "left", "right"]
    assert project.read("out/bottom.txt") == "X\n1\n"


def test_doit_list_shows_each_asset_with_its_description(built: Project) -> None:
    result = built.doit_ok("list")
    assert result.code == 0, result
    listed = {}
    for line in result.out.splitlines():
        name, _, doc = line.partition(" ")
        listed[name] = doc.strip()
    assert listed == {
        "features": "",
        "model": "The model",
        "other": "",
        "other_raw": "",
        "raw": "Raw lines",
        "report": "",
        "stats": "",
        "tidy": "Upper-cased raw lines",
    }


def test_doit_info_describes_an_up_to_date_asset(built: Project) -> None:
    result = built.doit_ok("info", "tidy")
    assert result.code == 0, result
    assert "Upper-cased raw lines" in result.out
    assert "status     : up-to-date" in result.out
    assert " - data/raw.txt" in result.out
    assert " - out/tidy.txt" in result.out


def test_doit_info_gives_the_reason_an_asset_would_run(built: Project) -> None:
    built.write("data/raw.txt", "changed\n")
    result = built.doit("info", "tidy")
    assert result.code == 1, result
    assert "status     : run" in result.out
    assert (
        " * The following file dependencies have changed:\n    - data/raw.txt"
        in result.out
    )


def test_doit_info_names_a_missing_output(built: Project) -> None:
    built.path("out/model.txt").unlink()
    result = built.doit("info", "model")
    assert result.code == 1, result
    assert " * The following targets do not exist:\n    - out/model.txt" in result.out


def test_doit_clean_removes_outputs_and_directory_outputs(project: Project) -> None:
    project.assets(DIRECTORY)
    project.write("data/raw.txt", "a\nb\n")
    assert sorted(project.doit_ok().ran) == ["listing", "parts"]
    assert sorted(os.listdir(project.path("out/parts"))) == ["part0.txt", "part1.txt"]
    result = project.doit_ok("clean")
    assert result.code == 0, result
    assert not project.exists("out/parts")
    assert not project.exists("out/listing.txt")
    assert project.read("data/raw.txt") == "a\nb\n"  # a source is never cleaned
    rebuilt = project.doit_ok()
    assert sorted(rebuilt.ran) == ["listing", "parts"]
    assert project.read("out/listing.txt") == "part0.txt: a\npart1.txt: b\n"


def test_doit_clean_one_asset_leaves_the_others(built: Project) -> None:
    result = built.doit_ok("clean", "report")
    assert result.code == 0, result
    assert not built.exists("out/report.txt")
    assert built.read("out/model.txt") == "A\n2\n"
    assert built.read("data/raw.txt") == "a\nb\n"
    assert built.doit_ok().ran == ["report"]


def test_forget_all_makes_the_next_run_rebuild_everything(built: Project) -> None:
    forget = built.doit_ok("forget", "--all")
    assert forget.code == 0, forget
    result = built.doit_ok()
    assert result.code == 0, result
    assert sorted(result.ran) == TRANSFORMS
    assert built.doit_ok().ran == []


def test_forget_one_asset_reruns_only_it(built: Project) -> None:
    assert built.doit_ok("forget", "stats").code == 0
    assert built.doit_ok().ran == ["stats"]


def test_moving_the_project_keeps_everything_up_to_date(
    built: Project, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "moved" / "to" / "another place"
    shutil.copytree(built.root, elsewhere, symlinks=True)
    shutil.rmtree(built.root)
    result = run_doit(cwd=elsewhere)
    assert result.code == 0, result
    assert result.ran == []
    assert sorted(result.up_to_date) == ALL
    (elsewhere / "data/raw.txt").write_text("a\nb\nc\n")
    assert sorted(run_doit(cwd=elsewhere).ran) == [
        "features",
        "model",
        "report",
        "stats",
        "tidy",
    ]


def test_state_is_saved_in_sqlite_under_the_state_folder(built: Project) -> None:
    db = built.path(".doit-assets/state.sqlite")
    with sqlite3.connect(db) as conn:
        names = {row[0] for row in conn.execute("select task_id from doit")}
    assert set(TRANSFORMS) <= names
    assert not list(built.root.glob(".doit.db*"))
