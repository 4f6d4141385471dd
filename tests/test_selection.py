"""Selections: keys, globs, group: and tag:, the + walks, and/or/not, and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from doit.exceptions import InvalidDodoFile

from doit_assets.doit_plugin.edge import as_doit_error
from doit_assets.errors import AssetError
from doit_assets.load.project import load_graph
from doit_assets.load.validate import build_graph
from doit_assets.model.graph import AssetGraph
from doit_assets.model.selection import SelectionError, select
from doit_assets.model.spec import AssetKey, AssetSpec


def spec(
    key: str, *deps: str, group: str = "default", tags: tuple[str, ...] = ()
) -> AssetSpec:
    return AssetSpec(
        key=AssetKey(key),
        paths=(f"out/{key}",),
        transform=f"make {key}" if deps else None,
        deps=tuple(AssetKey(d) for d in deps),
        group=group,
        tags=tags,
    )


# raw/orders ----> clean/orders ----> orders_report ---> dashboard
#                                   /                  /
# raw/customers -> clean/customers -+-> customer_report
# notes (on its own)
PIPELINE = [
    spec("raw/orders", group="raw", tags=("daily",)),
    spec("raw/customers", group="raw"),
    spec("clean/orders", "raw/orders", group="staging", tags=("daily",)),
    spec("clean/customers", "raw/customers", group="staging"),
    spec(
        "orders_report",
        "clean/orders",
        "clean/customers",
        group="marts",
        tags=("daily", "slow"),
    ),
    spec("customer_report", "clean/customers", group="marts", tags=("slow",)),
    spec("dashboard", "orders_report", "customer_report"),
    spec("notes"),
]

# The graph's own order (dependency order), which every result follows.
ORDER = [
    "raw/orders",
    "raw/customers",
    "notes",
    "clean/orders",
    "clean/customers",
    "orders_report",
    "customer_report",
    "dashboard",
]
EVERYTHING_BUT_NOTES = [k for k in ORDER if k != "notes"]


@pytest.fixture(scope="module")
def graph() -> AssetGraph:
    return build_graph(PIPELINE)


def sel(graph: AssetGraph, *expressions: str) -> list[str]:
    keys = select(expressions, graph)
    assert all(type(k) is AssetKey for k in keys)
    return [str(k) for k in keys]


def error(graph: AssetGraph, *expressions: str) -> str:
    with pytest.raises(SelectionError) as exc:
        select(expressions, graph)
    return str(exc.value)


def test_fixture_graph_has_the_order_the_tests_expect(graph: AssetGraph) -> None:
    assert [s.key for s in graph] == ORDER


# --- terms


def test_no_selection_selects_every_asset_in_graph_order(graph: AssetGraph) -> None:
    assert sel(graph) == ORDER


def test_key_selects_just_that_asset(graph: AssetGraph) -> None:
    assert sel(graph, "clean/orders") == ["clean/orders"]


def test_keys_with_dots_dashes_and_digits_are_plain_names() -> None:
    graph = build_graph([spec("2024"), spec("v1.2-final", "2024")])
    assert sel(graph, "v1.2-final") == ["v1.2-final"]
    assert sel(graph, "2024") == ["2024"]


def test_results_follow_graph_order_not_argument_order(graph: AssetGraph) -> None:
    assert sel(graph, "dashboard", "notes", "raw/orders") == [
        "raw/orders",
        "notes",
        "dashboard",
    ]


def test_overlapping_selections_list_each_asset_once(graph: AssetGraph) -> None:
    assert sel(graph, "clean/orders", "+clean/orders", "raw/*", "clean/orders") == [
        "raw/orders",
        "raw/customers",
        "clean/orders",
    ]


def test_star_glob_selects_every_matching_key(graph: AssetGraph) -> None:
    assert sel(graph, "raw/*") == ["raw/orders", "raw/customers"]
    assert sel(graph, "*_report") == ["orders_report", "customer_report"]


def test_star_glob_matches_across_slashes(graph: AssetGraph) -> None:
    assert sel(graph, "*orders") == ["raw/orders", "clean/orders"]


def test_question_mark_and_brackets_match_one_character(graph: AssetGraph) -> None:
    assert sel(graph, "note?") == ["notes"]
    assert sel(graph, "?aw/orders") == ["raw/orders"]
    assert sel(graph, "[cr]*/orders") == ["raw/orders", "clean/orders"]
    assert sel(graph, "[!c]*/orders") == ["raw/orders"]


def test_globs_are_case_sensitive() -> None:
    graph = build_graph([spec("Raw"), spec("raw")])
    assert sel(graph, "R*") == ["Raw"]


def test_group_selects_its_members(graph: AssetGraph) -> None:
    assert sel(graph, "group:marts") == ["orders_report", "customer_report"]
    assert sel(graph, "group:raw") == ["raw/orders", "raw/customers"]


def test_group_default_holds_assets_declared_without_a_group(
    graph: AssetGraph,
) -> None:
    assert sel(graph, "group:default") == ["notes", "dashboard"]


def test_tag_selects_every_asset_with_that_tag(graph: AssetGraph) -> None:
    assert sel(graph, "tag:daily") == ["raw/orders", "clean/orders", "orders_report"]
    assert sel(graph, "tag:slow") == ["orders_report", "customer_report"]


# --- upstream and downstream


def test_plus_before_key_selects_all_upstream(graph: AssetGraph) -> None:
    assert sel(graph, "+orders_report") == [
        "raw/orders",
        "raw/customers",
        "clean/orders",
        "clean/customers",
        "orders_report",
    ]


def test_plus_after_key_selects_all_downstream(graph: AssetGraph) -> None:
    assert sel(graph, "clean/orders+") == [
        "clean/orders",
        "orders_report",
        "dashboard",
    ]


def test_plus_on_both_sides_selects_upstream_and_downstream_not_their_other_relatives(
    graph: AssetGraph,
) -> None:
    # clean/customers feeds orders_report too, but is neither up- nor downstream.
    assert sel(graph, "+clean/orders+") == [
        "raw/orders",
        "clean/orders",
        "orders_report",
        "dashboard",
    ]


def test_plus_on_an_asset_without_neighbours_selects_only_it(
    graph: AssetGraph,
) -> None:
    assert sel(graph, "+notes+") == ["notes"]


def test_number_before_plus_limits_upstream_levels(graph: AssetGraph) -> None:
    assert sel(graph, "1+dashboard") == [
        "orders_report",
        "customer_report",
        "dashboard",
    ]
    assert sel(graph, "2+dashboard") == [
        "clean/orders",
        "clean/customers",
        "orders_report",
        "customer_report",
        "dashboard",
    ]
    assert sel(graph, "3+dashboard") == EVERYTHING_BUT_NOTES


def test_more_levels_than_the_graph_has_select_all_of_them(graph: AssetGraph) -> None:
    assert sel(graph, "99+dashboard") == sel(graph, "+dashboard")
    assert sel(graph, "raw/orders+99") == sel(graph, "raw/orders+")


def test_number_after_plus_limits_downstream_levels(graph: AssetGraph) -> None:
    assert sel(graph, "raw/orders+1") == ["raw/orders", "clean/orders"]
    assert sel(graph, "raw/orders+2") == [
        "raw/orders",
        "clean/orders",
        "orders_report",
    ]
    assert sel(graph, "raw/orders+3") == [
        "raw/orders",
        "clean/orders",
        "orders_report",
        "dashboard",
    ]


def test_levels_on_both_sides_are_counted_separately(graph: AssetGraph) -> None:
    assert sel(graph, "1+orders_report+1") == [
        "clean/orders",
        "clean/customers",
        "orders_report",
        "dashboard",
    ]
    assert sel(graph, "2+clean/orders+") == [
        "raw/orders",
        "clean/orders",
        "orders_report",
        "dashboard",
    ]


def test_leading_digits_of_a_key_are_not_taken_for_levels() -> None:
    graph = build_graph([spec("a"), spec("2024", "a"), spec("z", "2024")])
    assert sel(graph, "2024+") == ["2024", "z"]
    assert sel(graph, "1+2024") == ["a", "2024"]
    assert sel(graph, "+2024+1") == ["a", "2024", "z"]


def test_diamond_downstream_reaches_the_shared_asset_once(graph: AssetGraph) -> None:
    assert sel(graph, "clean/customers+") == [
        "clean/customers",
        "orders_report",
        "customer_report",
        "dashboard",
    ]
    assert sel(graph, "clean/customers+1") == [
        "clean/customers",
        "orders_report",
        "customer_report",
    ]


def test_diamond_upstream_reaches_the_shared_asset_once(graph: AssetGraph) -> None:
    assert sel(graph, "2+dashboard", "+customer_report") == [
        "raw/customers",
        "clean/orders",
        "clean/customers",
        "orders_report",
        "customer_report",
        "dashboard",
    ]


def test_plus_applies_to_every_asset_a_glob_matches(graph: AssetGraph) -> None:
    assert sel(graph, "raw/*+1") == [
        "raw/orders",
        "raw/customers",
        "clean/orders",
        "clean/customers",
    ]
    assert sel(graph, "1+*_report") == [
        "clean/orders",
        "clean/customers",
        "orders_report",
        "customer_report",
    ]


def test_plus_applies_to_every_member_of_a_group(graph: AssetGraph) -> None:
    assert sel(graph, "+group:marts") == [
        "raw/orders",
        "raw/customers",
        "clean/orders",
        "clean/customers",
        "orders_report",
        "customer_report",
    ]
    assert sel(graph, "group:staging+1") == [
        "clean/orders",
        "clean/customers",
        "orders_report",
        "customer_report",
    ]


def test_plus_applies_to_every_asset_with_a_tag(graph: AssetGraph) -> None:
    assert sel(graph, "tag:slow+") == ["orders_report", "customer_report", "dashboard"]
    assert sel(graph, "1+tag:slow") == [
        "clean/orders",
        "clean/customers",
        "orders_report",
        "customer_report",
    ]


def test_plus_over_several_assets_walks_from_each_of_them() -> None:
    # a -> b -> c and x -> y, with b, c and y in group g. One level up from c
    # reaches b, which is in the group too: its own level up must still be taken.
    graph = build_graph(
        [
            spec("a"),
            spec("b", "a", group="g"),
            spec("c", "b", group="g"),
            spec("x"),
            spec("y", "x", group="g"),
        ]
    )
    assert sel(graph, "group:g") == ["b", "y", "c"]
    assert sel(graph, "+group:g") == ["a", "x", "b", "y", "c"]
    assert sel(graph, "1+group:g") == ["a", "x", "b", "y", "c"]
    assert sel(graph, "group:g+") == ["b", "y", "c"]
    assert sel(graph, "a+1", "x+") == ["a", "x", "b", "y"]


# --- combining


def test_comma_selects_either(graph: AssetGraph) -> None:
    assert sel(graph, "notes,raw/orders") == ["raw/orders", "notes"]


def test_whitespace_around_commas_is_allowed(graph: AssetGraph) -> None:
    assert sel(graph, " notes , raw/orders ,dashboard ") == [
        "raw/orders",
        "notes",
        "dashboard",
    ]


def test_or_is_the_same_as_comma(graph: AssetGraph) -> None:
    assert sel(graph, "notes or group:raw") == sel(graph, "notes, group:raw")
    assert sel(graph, "notes or group:raw") == ["raw/orders", "raw/customers", "notes"]


def test_and_selects_assets_in_both(graph: AssetGraph) -> None:
    assert sel(graph, "tag:daily and tag:slow") == ["orders_report"]
    assert sel(graph, "+dashboard and group:staging") == [
        "clean/orders",
        "clean/customers",
    ]


def test_and_with_nothing_in_common_selects_nothing(graph: AssetGraph) -> None:
    assert sel(graph, "group:raw and group:marts") == []


def test_not_selects_every_other_asset(graph: AssetGraph) -> None:
    assert sel(graph, "not notes") == EVERYTHING_BUT_NOTES
    assert sel(graph, "not not notes") == ["notes"]


def test_glob_and_not_tag(graph: AssetGraph) -> None:
    assert sel(graph, "*_report and not tag:daily") == ["customer_report"]
    assert sel(graph, "raw/* and not tag:daily") == ["raw/customers"]


def test_upstream_and_not_group(graph: AssetGraph) -> None:
    assert sel(graph, "+orders_report and not group:raw") == [
        "clean/orders",
        "clean/customers",
        "orders_report",
    ]


def test_not_binds_tighter_than_and(graph: AssetGraph) -> None:
    # (not group:raw) and tag:daily, not: not (group:raw and tag:daily)
    assert sel(graph, "not group:raw and tag:daily") == [
        "clean/orders",
        "orders_report",
    ]


def test_not_binds_tighter_than_comma(graph: AssetGraph) -> None:
    # (not group:default), notes
    assert sel(graph, "not group:default, notes") == [
        "raw/orders",
        "raw/customers",
        "notes",
        "clean/orders",
        "clean/customers",
        "orders_report",
        "customer_report",
    ]


def test_and_binds_tighter_than_comma_and_or(graph: AssetGraph) -> None:
    # notes, (group:raw and tag:daily)
    assert sel(graph, "notes, group:raw and tag:daily") == ["raw/orders", "notes"]
    assert sel(graph, "group:raw and tag:daily or notes") == ["raw/orders", "notes"]


def test_parentheses_group_before_and(graph: AssetGraph) -> None:
    assert sel(graph, "(notes, group:raw) and tag:daily") == ["raw/orders"]
    assert sel(graph, "(notes,group:raw)and tag:daily") == ["raw/orders"]


def test_not_applies_to_a_parenthesised_expression(graph: AssetGraph) -> None:
    assert sel(graph, "not (group:raw, group:staging, group:marts)") == [
        "notes",
        "dashboard",
    ]
    assert sel(graph, "not(group:default)and not tag:daily") == [
        "raw/customers",
        "clean/customers",
        "customer_report",
    ]


def test_nested_parentheses(graph: AssetGraph) -> None:
    assert sel(graph, "((tag:slow and (not tag:daily)), (notes))") == [
        "notes",
        "customer_report",
    ]


def test_each_argument_is_its_own_expression(graph: AssetGraph) -> None:
    assert sel(graph, "group:raw and tag:daily", "notes") == ["raw/orders", "notes"]


def test_operator_words_are_names_unless_they_stand_alone() -> None:
    graph = build_graph(
        [spec("and"), spec("notes", "and"), spec("order", "notes"), spec("or")]
    )
    assert sel(graph, "notes, order") == ["notes", "order"]
    assert sel(graph, "+notes") == ["and", "notes"]
    assert sel(graph, "and+") == ["and", "notes", "order"]
    assert sel(graph, "[a]nd") == ["and"]
    assert sel(graph, "not [o]r and not o*") == ["and", "notes"]


# --- errors


ERRORS = [
    # names the graph does not have
    (
        "notse+",
        "unknown asset 'notse' in selection 'notse+'. Did you mean 'notes'?",
    ),
    (
        "notes, dashbord",
        "unknown asset 'dashbord' in selection 'notes, dashbord'. "
        "Did you mean 'dashboard'?",
    ),
    (
        "zzz",
        "unknown asset 'zzz' in selection 'zzz'. 'doit assets status' lists the assets",
    ),
    (
        "foo/*",
        "glob 'foo/*' matches no asset in selection 'foo/*'. "
        "'doit assets status' lists the assets",
    ),
    (
        "+foo/* and tag:slow",
        "glob 'foo/*' matches no asset in selection '+foo/* and tag:slow'. "
        "'doit assets status' lists the assets",
    ),
    (
        "group:mart",
        "unknown group 'mart' in selection 'group:mart'. Did you mean 'marts'?",
    ),
    (
        "group:xyz",
        "unknown group 'xyz' in selection 'group:xyz'. "
        "Groups in use: 'default', 'marts', 'raw', 'staging'",
    ),
    (
        "not tag:slw",
        "unknown tag 'slw' in selection 'not tag:slw'. Did you mean 'slow'?",
    ),
    (
        "tag:xyz",
        "unknown tag 'xyz' in selection 'tag:xyz'. Tags in use: 'daily', 'slow'",
    ),
    (
        "tag:Slow",
        "unknown tag 'Slow' in selection 'tag:Slow'. Did you mean 'slow'?",
    ),
    # syntax
    (
        "",
        "empty selection ''. Name an asset, a glob, 'group:NAME' or 'tag:NAME'",
    ),
    (
        "  ",
        "empty selection '  '. Name an asset, a glob, 'group:NAME' or 'tag:NAME'",
    ),
    ("notes and", "selection 'notes and': expected an asset after 'and'"),
    ("notes or", "selection 'notes or': expected an asset after 'or'"),
    ("notes,", "selection 'notes,': expected an asset after ','"),
    (
        "notes, , dashboard",
        "selection 'notes, , dashboard': expected an asset after ','",
    ),
    ("not", "selection 'not': expected an asset after 'not'"),
    ("notes and not", "selection 'notes and not': expected an asset after 'not'"),
    ("()", "selection '()': expected an asset after '('"),
    ("and notes", "selection 'and notes': expected an asset before 'and'"),
    (", notes", "selection ', notes': expected an asset before ','"),
    (")", "selection ')': expected an asset before ')'"),
    ("(notes, dashboard", "selection '(notes, dashboard': unclosed '('"),
    ("((notes)", "selection '((notes)': unclosed '('"),
    ("notes)", "selection 'notes)': unmatched ')'"),
    ("(notes))", "selection '(notes))': unmatched ')'"),
    (
        "notes dashboard",
        "selection 'notes dashboard': expected ',', 'and' or 'or' before 'dashboard'",
    ),
    (
        "notes not dashboard",
        "selection 'notes not dashboard': expected ',', 'and' or 'or' before 'not'",
    ),
    (
        "(notes dashboard)",
        "selection '(notes dashboard)': expected ',', 'and' or 'or' before 'dashboard'",
    ),
    (
        "notes (dashboard)",
        "selection 'notes (dashboard)': expected ',', 'and' or 'or' before '('",
    ),
    (
        "+ notes",
        "selection '+ notes': misplaced '+' in '+'. "
        "Write '+KEY', 'KEY+', 'N+KEY' or 'KEY+N', without spaces",
    ),
    (
        "notes+dashboard",
        "selection 'notes+dashboard': misplaced '+' in 'notes+dashboard'. "
        "Write '+KEY', 'KEY+', 'N+KEY' or 'KEY+N', without spaces",
    ),
    (
        "++notes",
        "selection '++notes': misplaced '+' in '++notes'. "
        "Write '+KEY', 'KEY+', 'N+KEY' or 'KEY+N', without spaces",
    ),
    (
        "notes+x",
        "selection 'notes+x': misplaced '+' in 'notes+x'. "
        "Write '+KEY', 'KEY+', 'N+KEY' or 'KEY+N', without spaces",
    ),
    (
        "0+notes",
        "selection '0+notes': levels must be 1 or more in '0+notes'. "
        "Write '+notes' for every level",
    ),
    (
        "tag:slow+00",
        "selection 'tag:slow+00': levels must be 1 or more in 'tag:slow+00'. "
        "Write 'tag:slow+' for every level",
    ),
    (
        "tags:slow",
        "selection 'tags:slow': unknown prefix 'tags:'. Did you mean 'tag:'?",
    ),
    (
        "kind:x",
        "selection 'kind:x': unknown prefix 'kind:'. Use 'group:NAME' or 'tag:NAME'; "
        "a selection names whole assets (for one partition: "
        "'doit assets why KEY:PARTITION')",
    ),
    ("+group:", "selection '+group:': expected a group name after 'group:'"),
    ("tag:", "selection 'tag:': expected a tag name after 'tag:'"),
    (
        "raw/orders;notes",
        "selection 'raw/orders;notes': invalid character ';' in 'raw/orders;notes'. "
        "Asset names use letters, digits, '_', '-', '.' and '/'; "
        "globs add '*', '?' and '[...]'",
    ),
    (
        "notes and café",
        "selection 'notes and café': invalid character 'é' in 'café'. "
        "Asset names use letters, digits, '_', '-', '.' and '/'; "
        "globs add '*', '?' and '[...]'",
    ),
]


@pytest.mark.parametrize(
    ("selection", "message"), ERRORS, ids=[text or "empty" for text, _ in ERRORS]
)
def test_bad_selection_reports_the_exact_message(
    graph: AssetGraph, selection: str, message: str
) -> None:
    assert error(graph, selection) == message


def test_selection_error_is_an_asset_error_doit_reports_without_traceback(
    graph: AssetGraph,
) -> None:
    with pytest.raises(SelectionError) as exc:
        select(["notes", "zzz"], graph)
    err = exc.value
    assert isinstance(err, AssetError)
    # where it reaches doit, it is doit's InvalidDodoFile, with the same line
    reported = as_doit_error(err)
    assert isinstance(reported, InvalidDodoFile)
    assert str(reported) == str(err)
    assert err.selection == "zzz"
    assert err.location is None
    assert err.key is None
    assert "\n" not in str(err)


def test_tag_hint_says_so_when_no_asset_has_a_tag() -> None:
    graph = build_graph([spec("a")])
    assert error(graph, "tag:x") == (
        "unknown tag 'x' in selection 'tag:x'. No asset has a tag"
    )


def test_first_wrong_argument_is_the_one_reported(graph: AssetGraph) -> None:
    assert error(graph, "notes", "raw/ordrs", "group:nope") == (
        "unknown asset 'raw/ordrs' in selection 'raw/ordrs'. Did you mean 'raw/orders'?"
    )


def test_first_wrong_term_in_an_expression_is_the_one_reported(
    graph: AssetGraph,
) -> None:
    assert error(graph, "not zzz and group:nope") == (
        "unknown asset 'zzz' in selection 'not zzz and group:nope'. "
        "'doit assets status' lists the assets"
    )


def test_syntax_errors_come_before_unknown_names(graph: AssetGraph) -> None:
    assert (
        error(graph, "zzz and") == "selection 'zzz and': expected an asset after 'and'"
    )


def test_empty_argument_among_others_is_an_error(graph: AssetGraph) -> None:
    assert error(graph, "notes", "") == (
        "empty selection ''. Name an asset, a glob, 'group:NAME' or 'tag:NAME'"
    )


# --- from assets.toml


def test_group_and_tags_from_assets_toml(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "orders.csv").write_text("id\n")
    toml = tmp_path / "assets.toml"
    toml.write_text(
        """\
[assets.orders]
path = "data/orders.csv"
group = "raw"

[assets.revenue]
path = "out/revenue.csv"
transform = "cp {orders.path} {self.path}"
group = "marts"
tags = ["daily", "slow"]

[assets.report]
path = "out/report.md"
transform = "cp {revenue.path} {self.path}"
tags = ["daily"]
""",
        encoding="utf-8",
    )
    _, graph = load_graph(toml)
    assert sel(graph, "group:marts") == ["revenue"]
    assert sel(graph, "group:default") == ["report"]
    assert sel(graph, "tag:daily and not tag:slow") == ["report"]
    assert sel(graph, "+tag:slow") == ["orders", "revenue"]
