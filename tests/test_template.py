"""Transform templates: parsing into literals and references, and rendering."""

from __future__ import annotations

import pytest

from doit_assets.model.template import Ref, Template, TemplateError, parse_template


def test_plain_text_is_one_literal() -> None:
    assert parse_template("make all").parts == ("make all",)


def test_empty_template_has_no_parts() -> None:
    assert parse_template("").parts == ()


def test_references_split_the_text_into_literals_and_refs() -> None:
    template = parse_template("cp {raw.path} {self.path}")
    assert template.parts == (
        "cp ",
        Ref("raw", "path", 4),
        " ",
        Ref("self", "path", 15),
    )


def test_refs_lists_only_the_references_in_order() -> None:
    template = parse_template("{vars.python} x.py {a.paths} {self.path}")
    assert [(r.scope, r.attr) for r in template.refs] == [
        ("vars", "python"),
        ("a", "paths"),
        ("self", "path"),
    ]


def test_reference_column_is_one_based_position_of_the_brace() -> None:
    (ref,) = parse_template("echo {x.path}").refs
    assert ref.col == 6


def test_var_name_keeps_everything_after_vars_dot() -> None:
    (ref,) = parse_template("{vars.a.b}").refs
    assert (ref.scope, ref.attr) == ("vars", "a.b")


def test_asset_names_with_dots_and_slashes_split_on_the_last_dot() -> None:
    refs = parse_template("{raw/orders.path} {report.v2.paths}").refs
    assert [(r.scope, r.attr) for r in refs] == [
        ("raw/orders", "path"),
        ("report.v2", "paths"),
    ]


def test_spaces_inside_a_reference_are_ignored() -> None:
    (ref,) = parse_template("{ raw.path }").refs
    assert (ref.scope, ref.attr) == ("raw", "path")


def test_ref_text_is_the_reference_as_written_without_spaces() -> None:
    assert Ref("raw", "pth", 1).text == "{raw.pth}"


def test_double_braces_are_literal_braces() -> None:
    template = parse_template("echo {{}} {{x}} }}{{")
    assert template.parts == ("echo {} {x} }{",)
    assert template.refs == ()


def test_double_braces_next_to_a_reference() -> None:
    template = parse_template("{{{self.path}}}")
    assert template.parts == ("{", Ref("self", "path", 3), "}")


@pytest.mark.parametrize(
    ("text", "problem", "hint"),
    [
        (
            "echo {self.path",
            "unbalanced '{' at column 6 of transform",
            "Write '{{' for a literal brace",
        ),
        (
            "echo {a {self.path}",
            "unbalanced '{' at column 6 of transform",
            "Write '{{' for a literal brace",
        ),
        (
            "x {",
            "unbalanced '{' at column 3 of transform",
            "Write '{{' for a literal brace",
        ),
        (
            "awk '}' {self.path}",
            "unbalanced '}' at column 6 of transform",
            "Write '}}' for a literal brace",
        ),
        (
            "echo {} > {self.path}",
            "empty reference '{}' at column 6 of transform",
            "Write '{{}}' for literal braces",
        ),
        (
            "echo {   }",
            "empty reference '{}' at column 6 of transform",
            "Write '{{}}' for literal braces",
        ),
        (
            "cat {raw}",
            "reference '{raw}' names no attribute",
            "Write '{raw.path}'",
        ),
    ],
    ids=[
        "unclosed",
        "nested-open",
        "open-at-end",
        "lone-close",
        "empty",
        "blank",
        "no-attribute",
    ],
)
def test_malformed_template_raises_with_column_and_hint(
    text: str, problem: str, hint: str
) -> None:
    with pytest.raises(TemplateError) as exc:
        parse_template(text)
    assert (exc.value.problem, exc.value.hint) == (problem, hint)
    assert str(exc.value) == problem


def test_render_substitutes_each_reference_through_the_callback() -> None:
    template = parse_template("cp {raw.path} {self.path} # {{done}}")
    rendered = template.render(lambda ref: f"<{ref.scope}:{ref.attr}>")
    assert rendered == "cp <raw:path> <self:path> # {done}"


def test_render_calls_back_once_per_reference_in_order() -> None:
    seen: list[str] = []

    def resolve(ref: Ref) -> str:
        seen.append(ref.scope)
        return ref.scope

    assert parse_template("{a.path}{b.path}{a.paths}").render(resolve) == "aba"
    assert seen == ["a", "b", "a"]


def test_render_does_not_reinterpret_braces_in_substituted_values() -> None:
    template = parse_template("echo {x.path}")
    assert template.render(lambda ref: "{self.path}") == "echo {self.path}"


def test_same_parse_renders_differently_for_different_callbacks() -> None:
    template = Template(("a ", Ref("self", "path", 3)))
    assert template.render(lambda r: "out/x") == "a out/x"
    assert template.render(lambda r: "stage/x") == "a stage/x"
