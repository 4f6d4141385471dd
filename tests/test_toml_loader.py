"""assets.toml -> Project: what load_toml keeps, and the line scanner behind messages."""

from __future__ import annotations

import codecs
import os
import textwrap
from pathlib import Path

import pytest

from doit_assets import AssetError, AssetKey, Location, load_toml
from doit_assets.errors import AssetSyntaxError
from doit_assets.load.toml import _parse_dotted, _scan_lines


def write(tmp_path: Path, text: str, name: str = "assets.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def scan(text: str) -> dict[tuple[str, ...], int]:
    return _scan_lines(textwrap.dedent(text))


# The line scanner ---------------------------------------------------------


def test_scanner_maps_headers_and_keys_to_their_lines() -> None:
    lines = scan(
        """\
        # comment
        [vars]
        python = "python3"

        [assets.report]
        path = "out/report.html"
        """
    )
    assert lines == {
        ("vars",): 2,
        ("vars", "python"): 3,
        ("assets",): 5,
        ("assets", "report"): 5,
        ("assets", "report", "path"): 6,
    }


def test_scanner_reads_quoted_keys_with_slashes_and_dots() -> None:
    lines = scan(
        """\
        [assets."raw/orders"]
        path = "data/orders.csv"
        [assets.'report.v2']
        "path" = "out/report.txt"
        """
    )
    assert lines[("assets", "raw/orders")] == 1
    assert lines[("assets", "raw/orders", "path")] == 2
    assert lines[("assets", "report.v2")] == 3
    assert lines[("assets", "report.v2", "path")] == 4


def test_scanner_allows_spaces_and_comments_around_header_parts() -> None:
    lines = scan('[ assets . "raw/orders" ]   # the raw orders\npath = "x"\n')
    assert lines[("assets", "raw/orders")] == 1
    assert lines[("assets", "raw/orders", "path")] == 2


def test_scanner_reads_dotted_keys_below_a_table() -> None:
    lines = scan(
        """\
        [assets]
        report.path = "out/report.html"
        report.metadata.owner = "me"
        """
    )
    assert lines[("assets", "report")] == 2
    assert lines[("assets", "report", "path")] == 2
    assert lines[("assets", "report", "metadata", "owner")] == 3


def test_scanner_skips_the_inside_of_multi_line_basic_strings() -> None:
    lines = scan(
        '''\
        [assets.report]
        transform = """
        path = "not a key"
        [assets.fake]
        """
        path = "out/report.html"
        '''
    )
    assert ("assets", "fake") not in lines
    assert lines[("assets", "report", "transform")] == 2
    assert lines[("assets", "report", "path")] == 6


def test_scanner_skips_the_inside_of_multi_line_literal_strings() -> None:
    lines = scan(
        """\
        [assets.report]
        transform = '''
        code_version = "not a key"
        '''
        code_version = "1"
        """
    )
    assert lines[("assets", "report", "code_version")] == 5


def test_scanner_handles_a_multi_line_string_closed_on_its_first_line() -> None:
    lines = scan(
        '''\
        [assets.report]
        transform = """make {self.path}"""
        path = "out/report.html"
        '''
    )
    assert lines[("assets", "report", "path")] == 3


def test_scanner_handles_a_multi_line_string_closed_after_text() -> None:
    lines = scan(
        '''\
        [assets.report]
        transform = """make \\
          {self.path}"""
        path = "out/report.html"
        '''
    )
    assert lines[("assets", "report", "path")] == 4


def test_scanner_ignores_lines_of_a_multi_line_array() -> None:
    lines = scan(
        """\
        [assets.split]
        path = [
          "out/train.csv",
          "out/test.csv",
        ]
        transform = "split {self.paths}"
        """
    )
    assert lines[("assets", "split", "transform")] == 6
    assert ("assets", "split", "out/train.csv") not in lines


def test_scanner_keeps_the_first_line_a_key_appears_on() -> None:
    lines = scan("[assets.a]\npath = 'x'\n[assets.a.metadata]\nowner = 'me'\n")
    assert lines[("assets", "a")] == 1
    assert lines[("assets", "a", "metadata")] == 3
    assert lines[("assets", "a", "metadata", "owner")] == 4


def test_scanner_reads_quoted_key_containing_an_equals_sign() -> None:
    assert scan('[vars]\n"a=b" = "1"\n')[("vars", "a=b")] == 2


def test_scanner_is_not_fooled_by_triple_quotes_in_a_comment() -> None:
    lines = scan(
        '''\
        [assets.report]
        path = "out/report.html"   # not a """ string
        transform = "touch {self.path}"
        description = "the report"
        '''
    )
    assert lines.get(("assets", "report", "transform")) == 3
    assert lines.get(("assets", "report", "description")) == 4


def test_parse_dotted_returns_parts_and_the_rest() -> None:
    assert _parse_dotted('a."b/c".d = 1', terminator="=") == (("a", "b/c", "d"), " 1")
    assert _parse_dotted("assets.x]  # c") == (("assets", "x"), "  # c")


@pytest.mark.parametrize("text", ["", "= 1", '"unclosed = 1', "a b = 1", "a. = 1"])
def test_parse_dotted_rejects_what_is_not_a_key(text: str) -> None:
    assert _parse_dotted(text, terminator="=") is None


# What load_toml returns ---------------------------------------------------


def test_load_toml_returns_vars_settings_and_specs(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        [vars]
        python = "python3"
        rows = 10
        ratio = 0.5

        [settings]
        progress = false

        [assets.raw]
        path = "data/raw.csv"
        description = "Raw export"

        [assets.report]
        path = "out/report.html"
        transform = "{vars.python} r.py {raw.path} {self.path}"
        inputs = ["r.py"]
        metadata = { owner = "me" }
        code_version = "3"
        """,
    )
    project = load_toml(path)
    assert project.vars == {"python": "python3", "rows": "10", "ratio": "0.5"}
    assert project.settings == {"progress": False}
    assert project.root == tmp_path.resolve()
    raw, report = project.specs
    assert raw.key == AssetKey("raw")
    assert raw.is_source
    assert (raw.paths, raw.deps, raw.description) == (
        ("data/raw.csv",),
        (),
        "Raw export",
    )
    assert not report.is_source
    assert report.transform == "{vars.python} r.py {raw.path} {self.path}"
    assert report.deps == (AssetKey("raw"),)
    assert report.inputs == ("r.py",)
    assert dict(report.metadata) == {"owner": "me"}
    assert report.code_version == "3"
    assert report.location == Location(os.path.relpath(path), 13)


def test_load_toml_names_a_relative_path_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, '[assets.a]\npath = "a"\n', "pipe.toml")
    monkeypatch.chdir(tmp_path)
    (spec,) = load_toml("pipe.toml").specs
    assert spec.location == Location("pipe.toml", 1)


def test_paths_are_normalised_and_directories_keep_their_slash(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        """\
        [assets.a]
        path = ["./out//a.csv", "out/x/../b.csv", "out\\\\c.csv", "plots/", "./figs//"]
        transform = "make {self.paths}"
        """,
    )
    (spec,) = load_toml(path).specs
    assert spec.paths == ("out/a.csv", "out/b.csv", "out/c.csv", "plots/", "figs/")


def test_deps_merge_depends_on_and_template_refs_without_duplicates(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        """\
        [assets.a]
        path = "a"
        [assets.b]
        path = "b"
        [assets.c]
        path = "c"
        [assets.d]
        path = "d"
        depends_on = ["c", "a"]
        transform = "x {b.path} {a.paths} {self.path} {b.path}"
        """,
    )
    spec = load_toml(path).specs[-1]
    assert spec.deps == ("c", "a", "b")


def test_a_source_asset_has_no_transform_and_no_deps(tmp_path: Path) -> None:
    path = write(tmp_path, '[assets.raw]\npath = "data/raw.csv"\n')
    (spec,) = load_toml(path).specs
    assert (spec.transform, spec.deps, spec.is_source) == (None, (), True)


def test_empty_transform_is_not_a_source_asset(tmp_path: Path) -> None:
    path = write(tmp_path, '[assets.a]\npath = "a"\ntransform = ""\n')
    (spec,) = load_toml(path).specs
    assert spec.transform == ""
    assert not spec.is_source


def test_inline_tables_and_dotted_keys_declare_assets_too(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        [assets]
        raw = { path = "raw.csv" }
        report.path = "report.txt"
        report.transform = "wc {raw.path} > {self.path}"
        """,
    )
    project = load_toml(path)
    assert [s.key for s in project.specs] == ["raw", "report"]
    assert project.specs[1].location == Location(os.path.relpath(path), 3)


def test_non_strict_load_keeps_problems_and_leaves_bad_assets_out(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        """\
        [assets.good]
        path = "good.csv"

        [assets.bad]
        path = 3
        """,
    )
    project = load_toml(path, strict=False)
    assert [s.key for s in project.specs] == ["good"]
    assert project.declared == {"good", "bad"}
    assert [p.problem for p in project.problems] == [
        "'path' must be a non-empty string or list of strings, got integer"
    ]
    with pytest.raises(AssetError):
        load_toml(path)


def test_where_points_at_a_field_or_falls_back_to_the_header(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        [assets.raw]
        path = "raw.csv"

        [assets.report]
        path = "report.txt"
        transform = "wc {raw.path} > {self.path}"
        """,
    )
    project = load_toml(path)
    assert project.where("report", "transform").line == 6
    assert project.where("report", "path").line == 5
    assert project.where("report", "dep:raw").line == 6
    assert project.where("report", "inputs").line == 4
    assert project.where("report").line == 4


def test_syntax_error_carries_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, '[assets.a]\npath = "a\n')
    with pytest.raises(AssetSyntaxError) as exc:
        load_toml(path)
    assert exc.value.location is not None
    assert (exc.value.location.line, exc.value.location.col) == (2, 10)


def test_non_utf8_error_points_at_the_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "assets.toml"
    path.write_bytes(b'[assets.a]\npath = "a"\ndescription = "\xff"\n')
    with pytest.raises(AssetSyntaxError) as exc:
        load_toml(path)
    assert exc.value.location is not None
    assert (exc.value.location.line, exc.value.location.col) == (3, 16)
    assert exc.value.problem == "file is not UTF-8 (byte 0xff)"


def test_non_ascii_utf8_loads(tmp_path: Path) -> None:
    path = tmp_path / "assets.toml"
    path.write_bytes('[assets.a]\npath = "café.csv"\n'.encode())
    (spec,) = load_toml(path).specs
    assert spec.paths == ("café.csv",)


def test_a_byte_order_mark_is_skipped_and_positions_stay_as_without_it(
    tmp_path: Path,
) -> None:
    text = '[assets.a]\npath = "a.csv" x\n'
    plain, marked = tmp_path / "plain.toml", tmp_path / "marked.toml"
    plain.write_bytes(text.encode())
    marked.write_bytes(codecs.BOM_UTF8 + text.encode())
    errors = []
    for path in (plain, marked):
        with pytest.raises(AssetSyntaxError) as exc:
            load_toml(path)
        errors.append(str(exc.value).replace(path.name, "assets.toml"))
    assert errors[0] == errors[1]
    assert errors[0].endswith(
        "assets.toml:2:16: invalid TOML: Expected newline or end of document after a statement"
    )
    marked.write_bytes(codecs.BOM_UTF8 + b'[assets.a]\npath = "a.csv"\n')
    assert load_toml(marked).specs[0].paths == ("a.csv",)


def test_nesting_deeper_than_the_parser_follows_is_an_error_at_its_bracket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = write(
        tmp_path, "[assets.a]\nmetadata = { x = [\n" + "[" * 2000 + "]" * 2000 + "] }\n"
    )
    with pytest.raises(AssetSyntaxError) as exc:
        load_toml(path)
    assert exc.value.problem == (
        "invalid TOML: arrays and inline tables nested 2002 levels deep, "
        "deeper than the parser can follow"
    )
    assert exc.value.location == Location("assets.toml", 3, 2000)


def test_brackets_in_strings_and_comments_do_not_count_as_nesting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    deep = "[" * 600 + "]" * 600
    path = write(
        tmp_path,
        f'# [[[[[[[[[[\n[assets.a]\ndescription = "[[[[[[[[[[["\n'
        f"code_version = '{{{{{{{{{{{{'\nmetadata = {{ x = {deep} }}\n",
    )
    with pytest.raises(AssetSyntaxError) as exc:
        load_toml(path)
    assert exc.value.problem.startswith(
        "invalid TOML: arrays and inline tables nested 601 "
    )
    assert exc.value.location == Location("assets.toml", 5, 617)


def test_external_roots_are_kept_normalised_in_the_settings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        [settings]
        external_roots = ["/mnt/big/", "/srv//data/../cache", "/mnt/big"]

        [assets.a]
        path = "a.csv"
        """,
    )
    project = load_toml(path)
    assert project.settings["external_roots"] == ["/mnt/big", "/srv/cache"]


def test_a_path_longer_than_the_file_system_allows_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    # 16 parts of 250 bytes: each part fits, the whole does not
    long = "/".join(["p" * 250] * 16) + "/out.csv"
    path = write(
        tmp_path,
        f'[assets.a]\npath = "{long}"\ntransform = "touch {{self.path}}"\n',
    )
    with pytest.raises(AssetError) as exc:
        load_toml(path)
    full = len(str(tmp_path.resolve())) + 1 + len(long)
    assert str(exc.value) == (
        f"assets.toml:2: asset 'a': path '{long[:40]}...{long[-20:]}' is too long: "
        f"{full} bytes with the project directory, over the limit of 4061. "
        "Shorten it, or move the project: the file system refuses paths over "
        "4095 bytes, and staging adds up to 34"
    )


def test_a_path_that_fits_with_room_for_staging_loads(tmp_path: Path) -> None:
    room = 4061 - len(str(tmp_path.resolve())) - 1
    parts = (room - 1) // 201
    long = ("p" * 200 + "/") * parts + "x" * (room - parts * 201)
    assert len(str(tmp_path.resolve())) + 1 + len(long) == 4061
    path = write(
        tmp_path, f'[assets.a]\npath = "{long}"\ntransform = "touch {{self.path}}"\n'
    )
    assert load_toml(path).specs[0].paths == (long,)
