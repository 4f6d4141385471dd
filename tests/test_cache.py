"""The project cache: a validated assets.toml is not parsed again until it changes."""

from __future__ import annotations

from conftest import Project

CACHE = ".doit-assets/project.cache"

PIPELINE = """\
[vars]
python = "{python}"

[assets.raw]
path = "data/raw.txt"

[assets.upper]
path = "out/upper.txt"
transform = "{vars.python} tx.py upper {self.path} {raw.path}"
inputs = ["notes/*.txt"]
"""


def pipeline(project: Project) -> Project:
    project.write("data/raw.txt", "a\n")
    project.write("notes/one.txt", "1\n")
    project.assets(PIPELINE)
    return project


def test_a_run_leaves_a_cache_and_the_next_run_reads_it(project: Project) -> None:
    pipeline(project)
    assert project.doit_ok().ran == ["upper"]
    first = project.path(CACHE).stat().st_mtime_ns
    assert project.doit_ok().up_to_date == ["raw", "upper"]
    # Read, not rewritten: the file is as the first run left it.
    assert project.path(CACHE).stat().st_mtime_ns == first


def test_editing_assets_toml_is_seen_at_once(project: Project) -> None:
    pipeline(project)
    project.doit_ok()
    toml = project.path("assets.toml")
    toml.write_text(toml.read_text().replace("upper {self.path}", "cat {self.path}"))
    assert project.doit_ok().ran == ["upper"]
    assert project.read("out/upper.txt") == "a\n"


def test_a_cached_project_still_checks_the_disk(project: Project) -> None:
    pipeline(project)
    project.doit_ok()
    project.path("data/raw.txt").unlink()
    result = project.doit()
    problem = (
        "asset 'raw': source file 'data/raw.txt' does not exist. "
        "Create it, or give the asset a 'transform' that makes it"
    )
    assert (result.code, result.err) == (
        1,
        f"assets.toml:5: warning: {problem}\n",
    ), result
    assert f"MissingInput - taskid:raw\nassets.toml:5: {problem}\n" in result.out


def test_a_new_file_matching_an_input_glob_is_seen_with_a_cache(
    project: Project,
) -> None:
    pipeline(project)
    project.doit_ok()
    project.write("notes/two.txt", "2\n")
    assert project.doit_ok().ran == ["upper"]


def test_a_broken_cache_file_is_ignored_and_replaced(project: Project) -> None:
    pipeline(project)
    project.doit_ok()
    project.write(CACHE, "not a cache")
    assert project.doit_ok().up_to_date == ["raw", "upper"]
    assert project.path(CACHE).read_bytes() != b"not a cache"


def test_an_invalid_project_is_not_cached(project: Project) -> None:
    project.assets('[assets.a]\npath = "a.txt"\ntransform = "x {b.path}"\n')
    assert project.doit().code == 3
    assert not project.exists(CACHE)
