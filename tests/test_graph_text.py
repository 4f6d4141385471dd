"""``doit assets graph --format text``: the graph drawn for a terminal, with each
asset's state, and a list instead when the graph is too large to draw."""

from __future__ import annotations

from conftest import Project, copy_of

from doit_assets.draw.drawing import TEXT_MAX_ASSETS, TEXT_MAX_LANES, render
from doit_assets.draw.lanes import draw


def drawing(deps: dict[str, list[str]]) -> list[str]:
    rows = draw(deps)
    width = max(len(row.lanes) for row in rows)
    return [f"{row.lanes.ljust(width)}  {row.asset}".rstrip() for row in rows]


# -- the drawing alone ---------------------------------------------------------


def test_a_chain_is_one_lane() -> None:
    assert drawing({"a": [], "b": ["a"], "c": ["b"]}) == [
        "●  a",
        "●  b",
        "●  c",
    ]


def test_a_diamond_branches_and_joins() -> None:
    assert drawing({"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}) == [
        "●    a",
        "├─●  b",
        "● │  c",
        "●─┘  d",
    ]


def test_three_readers_of_one_asset_and_a_line_over_a_lane() -> None:
    # c is read by e only: its lane passes under the line from a to d
    assert drawing(
        {"a": [], "b": ["a"], "c": ["a"], "d": ["a"], "e": ["b", "c", "d"]}
    ) == [
        "●      a",
        "├─●    b",
        "├─│─●  c",
        "● │ │  d",
        "●─┴─┘  e",
    ]


def test_a_source_comes_when_its_reader_needs_it() -> None:
    assert drawing(
        {
            "raw": [],
            "clean": ["raw"],
            "stats": ["clean"],
            "rates": [],
            "report": ["stats", "rates"],
        }
    ) == [
        "●    raw",
        "●    clean",
        "●    stats",
        "│ ●  rates",
        "●─┘  report",
    ]


def test_a_new_asset_never_sits_right_under_one_it_does_not_read() -> None:
    rows = drawing({"a": [], "b": [], "c": ["b"]})
    assert rows == [
        "●    a",
        "  ●  b",
        "  ●  c",
    ]


def test_upstream_assets_not_drawn_are_left_out() -> None:
    assert drawing({"b": ["a"], "c": ["b"]}) == ["●  b", "●  c"]


def node(
    asset: str, *deps: str, state: str = "fresh", reason: str = ""
) -> dict[str, object]:
    return {"asset": asset, "state": state, "reason": reason, "deps": list(deps)}


def test_text_has_the_state_and_the_reason_of_each_asset() -> None:
    nodes = [
        node("orders", state="source"),
        node("clean", "orders", state="stale", reason="input 'orders.csv' changed"),
        node("report", "clean", state="missing", reason="never materialized"),
    ]
    assert render("text", nodes, "quickstart: assets") == (
        "●  orders  source\n"
        "●  clean   stale    input 'orders.csv' changed\n"
        "●  report  missing  never materialized\n"
    )


def test_too_many_assets_are_listed_instead() -> None:
    nodes = [
        node(f"a{i}", *([f"a{i - 1}"] if i else [])) for i in range(TEXT_MAX_ASSETS + 1)
    ]
    lines = render("text", nodes, "t").splitlines()
    assert lines[:4] == [
        f"too large to draw (more than {TEXT_MAX_ASSETS} assets): each asset with "
        "what it depends on",
        "ASSET  STATUS  DEPENDS ON  REASON",
        "a0     fresh   -",
        "a1     fresh   a0",
    ]
    assert len(lines) == 2 + TEXT_MAX_ASSETS + 1
    assert render("text", nodes[:-1], "t").splitlines()[0] == "●  a0   fresh"


def test_too_wide_a_graph_is_listed_instead() -> None:
    sources = [node(f"s{i}") for i in range(TEXT_MAX_LANES + 1)]
    reader = node("all", *(n["asset"] for n in sources))  # type: ignore[misc]
    lines = render("text", [*sources, reader], "t").splitlines()
    assert lines[0] == (
        f"too large to draw (more than {TEXT_MAX_LANES} lanes side by side): each "
        "asset with what it depends on"
    )
    assert lines[-1] == "all    fresh   " + ", ".join(f"s{i}" for i in range(17))
    narrower = render(
        "text", [*sources[1:], node("all", *(f"s{i}" for i in range(1, 17)))], "t"
    )
    assert narrower.splitlines()[-1].startswith("●─" + "┴─" * 14 + "┘  all")


# -- the command ---------------------------------------------------------------

PIPELINE = """\
[vars]
python = "{python}"

[assets.raw]
path = "data/raw.txt"

[assets.upper]
path = "out/upper.txt"
transform = "{vars.python} tx.py upper {self.path} {raw.path}"

[assets.count]
path = "out/count.txt"
transform = "{vars.python} tx.py count {self.path} {upper.path}"

[assets.head]
path = "out/head.txt"
transform = "{vars.python} tx.py head {self.path} {raw.path}"

[assets.joined]
path = "out/joined.txt"
transform = "{vars.python} tx.py cat {self.path} {head.path} {count.path}"
"""


def build(project: Project) -> None:
    """The pipeline, built."""
    project.assets(PIPELINE)
    project.write("data/raw.txt", "a\nb\n")
    assert project.doit_ok().ran == ["upper", "head", "count", "joined"]


built = copy_of(build)


def test_graph_text_draws_the_project_with_states(built: Project) -> None:
    built.write("data/raw.txt", "a\nc\n")
    built.path("out/head.txt").unlink()
    result = built.doit("assets", "graph", "--format", "text")
    assert (result.code, result.err) == (0, ""), result
    assert result.out == (
        "●    raw     source\n"
        "├─●  upper   stale    input 'data/raw.txt' changed\n"
        "│ ●  count   stale    upstream 'upper' will re-run: input 'data/raw.txt' changed\n"
        "● │  head    missing  output 'out/head.txt' does not exist (and 1 more)\n"
        "●─┘  joined  stale    upstream 'count' will re-run, because 'upper': input "
        "'data/raw.txt' changed (and 1 more)\n"
        "\n"
        "5 assets: 3 stale, 1 missing, 1 source\n"
    )


def test_graph_text_of_a_selection(built: Project) -> None:
    result = built.doit("assets", "graph", "--format", "text", "joined", "+count")
    assert result.out == (
        "●  raw     source\n"
        "●  upper   fresh\n"
        "●  count   fresh\n"
        "●  joined  fresh\n"  # head is not drawn, nor its edge
        "\n"
        "4 assets: 3 fresh, 1 source\n"
    )


def test_graph_text_to_a_file(built: Project) -> None:
    result = built.doit("assets", "graph", "--format", "text", "-o", "graph.txt")
    assert (result.code, result.out) == (
        0,
        "wrote graph.txt: 5 assets: 4 fresh, 1 source\n",
    ), result
    assert built.read("graph.txt").splitlines()[0] == "●    raw     source"


def test_graph_text_of_partitioned_assets(project: Project) -> None:
    project.assets(
        """\
        [assets.day]
        path = "out/{partition}.txt"
        transform = "echo {partition} > {self.path}"
        partitions = { static = ["a", "b"] }

        [assets.all]
        path = "out/all.txt"
        transform = "cat {day.paths} > {self.path}"
        """
    )
    assert project.doit_ok("day:a").ran == ["day:a"]
    assert project.doit("assets", "graph", "--format", "text").out == (
        "●  day  missing  1/2 fresh, 1 missing\n"
        "●  all  missing  never materialized\n"
        "\n"
        "2 assets: 2 missing\n"
    )
