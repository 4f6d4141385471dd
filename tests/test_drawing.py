"""render() for every format of ``doit assets graph``, and the layered layout."""

from __future__ import annotations

import itertools
import json
import random
import re
import shutil
import subprocess
from typing import Any

import pytest

from doit_assets.draw.drawing import FORMATS, PALETTE, edges, render
from doit_assets.draw.layout import layout
from doit_assets.inspect.queries import JSON_VERSION


def node(
    asset: str, state: str = "fresh", deps: tuple[str, ...] = (), reason: str = ""
) -> dict[str, Any]:
    return {
        "asset": asset,
        "kind": "source" if state == "source" else "transform",
        "state": state,
        "reason": reason,
        "group": "default",
        "tags": [],
        "description": None,
        "paths": [f"out/{asset}"],
        "transform": None if state == "source" else "python3 make.py",
        "deps": list(deps),
        "max_age": None,
        "age": None,
        "last_materialization": None,
        "history": [],
    }


SCRIPT = "</script><script>alert(1)</script><!--"
QUOTED = 'say "hi"'
ODD = "a<b&c"


def tricky() -> list[dict[str, Any]]:
    """Keys with a slash, quotes, < and &; a reason that tries to end the script."""
    return [
        node("raw/orders", "source"),
        node(QUOTED, "stale", ("raw/orders",), "input 'raw/orders.csv' changed"),
        node(ODD, "failed", ("raw/orders", QUOTED), SCRIPT),
        node("report.md", "missing", (ODD,), "output 'report.md' does not exist"),
    ]


def test_formats_are_the_five_documented() -> None:
    assert FORMATS == ("dot", "mermaid", "json", "html", "text")


def test_unknown_format_raises_value_error() -> None:
    with pytest.raises(ValueError) as exc:
        render("svg", tricky(), "t")
    assert str(exc.value) == (
        "unknown graph format 'svg': choose one of dot, mermaid, json, html, text"
    )


def test_edges_go_from_dep_to_asset_and_skip_unknown_deps() -> None:
    nodes = [node("a"), node("b", deps=("a", "elsewhere", "a"))]
    assert edges(nodes) == [("a", "b")]


# -- dot -----------------------------------------------------------------------


def test_dot_quotes_keys_and_colours_nodes_by_state() -> None:
    text = render("dot", tricky(), 'graph of "demo"')
    lines = text.splitlines()
    assert lines[0] == "digraph assets {"
    assert lines[-1] == "}"
    assert text.endswith("}\n")
    assert 'label="graph of \\"demo\\""' in lines[1]
    body = [line for line in lines if line.startswith('  "')]
    assert body == [
        '  "raw/orders" [label="raw/orders\\nsource", fillcolor="#e1e8f0",'
        ' color="#5d7a99", fontcolor="#1e2b3a", tooltip="source"];',
        '  "say \\"hi\\"" [label="say \\"hi\\"\\nstale", fillcolor="#fdebc4",'
        ' color="#e69f00", fontcolor="#4a3300",'
        " tooltip=\"input 'raw/orders.csv' changed\"];",
        '  "a<b&c" [label="a<b&c\\nfailed", fillcolor="#a3161b",'
        ' color="#6e0b0f", fontcolor="#ffffff",'
        ' tooltip="</script><script>alert(1)</script><!--"];',
        '  "report.md" [label="report.md\\nmissing", fillcolor="#f9dccb",'
        ' color="#d55e00", fontcolor="#4d2000", style="rounded,filled,dashed",'
        " tooltip=\"output 'report.md' does not exist\"];",
        '  "raw/orders" -> "say \\"hi\\"";',
        '  "raw/orders" -> "a<b&c";',
        '  "say \\"hi\\"" -> "a<b&c";',
        '  "a<b&c" -> "report.md";',
    ]


def test_dot_escapes_backslashes_and_newlines() -> None:
    text = render("dot", [node("a\\b", reason="line one\nline two")], "t")
    assert '"a\\\\b" [label="a\\\\b\\nfresh"' in text
    assert 'tooltip="line one\\nline two"' in text


@pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz (dot) is not installed"
)
def test_dot_output_is_read_by_graphviz() -> None:
    result = subprocess.run(
        ["dot", "-Tsvg"],
        input=render("dot", tricky(), "t"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    titles = re.findall(
        r"<g id=\"node\d+\" class=\"node\">\s*<title>(.*?)</title>", result.stdout
    )
    assert titles == ["raw/orders", "say &quot;hi&quot;", "a&lt;b&amp;c", "report.md"]
    assert result.stdout.count('class="edge"') == 4


# -- mermaid -------------------------------------------------------------------


def test_mermaid_uses_safe_ids_escaped_labels_and_a_class_per_state() -> None:
    text = render("mermaid", tricky(), "demo\nof #1")
    assert text == (
        "%% demo of #1\n"
        "flowchart LR\n"
        '    n0["raw/orders<br/>source"]\n'
        '    n1["say #34;hi#34;<br/>stale"]\n'
        '    n2["a#60;b#38;c<br/>failed"]\n'
        '    n3["report.md<br/>missing"]\n'
        "    n0 --> n1\n"
        "    n0 --> n2\n"
        "    n1 --> n2\n"
        "    n2 --> n3\n"
        "    classDef fresh fill:#d3efe4,stroke:#009e73,color:#0b3d2e\n"
        "    classDef stale fill:#fdebc4,stroke:#e69f00,color:#4a3300\n"
        "    classDef missing fill:#f9dccb,stroke:#d55e00,color:#4d2000,"
        "stroke-dasharray:5 4\n"
        "    classDef failed fill:#a3161b,stroke:#6e0b0f,color:#ffffff\n"
        "    classDef source fill:#e1e8f0,stroke:#5d7a99,color:#1e2b3a\n"
        "    classDef ignored fill:#f6e3ee,stroke:#cc79a7,color:#4d1f3a\n"
        "    classDef blocked fill:#f3e1e1,stroke:#a3161b,color:#4d0a0d\n"
        "    class n0 source\n"
        "    class n1 stale\n"
        "    class n2 failed\n"
        "    class n3 missing\n"
    )


def test_mermaid_groups_assets_of_one_state_on_one_class_line() -> None:
    nodes = [node("a"), node("b", "stale", ("a",)), node("c", deps=("a",))]
    lines = render("mermaid", nodes, "t").splitlines()
    assert [line for line in lines if line.startswith("    class ")] == [
        "    class n0,n2 fresh",
        "    class n1 stale",
    ]


def test_mermaid_escapes_hash_and_backtick() -> None:
    text = render("mermaid", [node("x#y `z`")], "t")
    assert '    n0["x#35;y #96;z#96;<br/>fresh"]\n' in text


# -- json ----------------------------------------------------------------------


def test_json_round_trips_the_nodes_and_lists_the_edges() -> None:
    nodes = tricky()
    text = render("json", nodes, "ignored")
    assert json.loads(text) == {
        "version": JSON_VERSION,
        "nodes": nodes,
        "edges": [
            {"from": "raw/orders", "to": QUOTED},
            {"from": "raw/orders", "to": ODD},
            {"from": QUOTED, "to": ODD},
            {"from": ODD, "to": "report.md"},
        ],
    }
    assert text.startswith('{\n  "version": 1,\n  "nodes": [\n    {\n')
    assert text.endswith("}\n")


def test_json_of_no_nodes_is_empty_lists() -> None:
    assert json.loads(render("json", [], "t")) == {
        "version": JSON_VERSION,
        "nodes": [],
        "edges": [],
    }


# -- html ----------------------------------------------------------------------


def _embedded(page: str) -> Any:
    start = page.index('<script type="application/json" id="graph-data">')
    start = page.index(">", start) + 1
    return json.loads(page[start : page.index("</script>", start)])


def test_html_is_one_file_that_asks_the_network_for_nothing() -> None:
    page = render("html", tricky(), "demo")
    # the SVG namespace is a name, not a request
    rest = page.replace("http://www.w3.org/2000/svg", "")
    assert "http://" not in rest
    assert "https://" not in rest
    for outside in (
        "<link",
        " src=",
        "@import",
        "url(http",
        "fetch(",
        "XMLHttpRequest",
    ):
        assert outside not in page, outside
    assert "default-src 'none'" in page  # and the browser enforces it (CSP)


def test_html_user_text_cannot_end_the_data_script() -> None:
    page = render("html", tricky(), "demo")
    # only the two scripts of the page end: the data's "</script>" is escaped
    assert page.count("</script>") == 2
    assert page.count("<script") == 2
    assert "\\u003c/script\\u003e" in page
    data = _embedded(page)
    assert data["nodes"] == tricky()
    assert data["nodes"][2]["reason"] == SCRIPT


def test_html_title_is_escaped() -> None:
    page = render("html", tricky(), "<b>Tom & Jerry</b>")
    assert "<title>&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;</title>" in page
    assert "<h1>&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;</h1>" in page
    assert "<b>Tom" not in page


def test_html_embeds_a_position_for_every_node_and_bends_for_long_edges() -> None:
    data = _embedded(render("html", tricky(), "demo"))
    assert data["version"] == JSON_VERSION
    assert data["states"] == [
        "fresh",
        "stale",
        "missing",
        "failed",
        "source",
        "ignored",
        "blocked",
    ]
    assert data["layers"] == 4
    assert {k: v[0] for k, v in data["positions"].items()} == {
        "raw/orders": 0,
        QUOTED: 1,
        ODD: 2,
        "report.md": 3,
    }
    bends = {(e["from"], e["to"]): e["bends"] for e in data["edges"]}
    assert len(bends[("raw/orders", ODD)]) == 1  # it crosses layer 1
    assert bends[(ODD, "report.md")] == []


def test_html_colours_each_state_with_the_palette_of_the_other_formats() -> None:
    page = render("html", [], "empty")
    for state, (fill, stroke, text) in PALETTE.items():
        rule = f".state-{state} {{ --fill: {fill}; --stroke: {stroke}; --on-fill: {text}; }}"
        assert rule in page


def test_html_inlines_its_style_and_script() -> None:
    page = render("html", [], "empty")
    assert not re.search(r"\{\{\w+\}\}", page)  # every placeholder filled
    assert "document.body.dataset.rendered" in page
    assert ".asset .box" in page


def test_unknown_state_is_drawn_in_neutral_grey() -> None:
    nodes = [node("a", "partial")]
    assert 'fillcolor="#eeeeee"' in render("dot", nodes, "t")
    assert "class n0" not in render("mermaid", nodes, "t")


# -- layout --------------------------------------------------------------------


def test_layer_is_the_longest_path_from_the_sources() -> None:
    shape = layout({"a": [], "b": ["a"], "c": ["b"], "d": ["a", "c"], "e": []})
    assert {k: p[0] for k, p in shape.positions.items()} == {
        "a": 0,
        "b": 1,
        "c": 2,
        "d": 3,
        "e": 0,
    }
    assert shape.layers == 4


def test_a_long_edge_bends_once_per_layer_it_crosses() -> None:
    shape = layout({"a": [], "b": ["a"], "c": ["b"], "d": ["a", "c"]})
    bends = {(f, t): b for f, t, b in shape.edges}
    assert [layer for layer, _ in bends[("a", "d")]] == [1, 2]
    assert bends[("c", "d")] == []


def test_order_within_a_layer_follows_the_upstream_positions() -> None:
    # declared so that drawing in input order would cross: a-d and b-c
    shape = layout({"a": [], "b": [], "c": ["b"], "d": ["a"]})
    y = {k: p[1] for k, p in shape.positions.items()}
    assert y["a"] < y["b"]
    assert y["d"] < y["c"]


def test_a_chain_is_drawn_straight() -> None:
    shape = layout({"a": [], "b": ["a"], "c": ["b"]})
    assert {p[1] for p in shape.positions.values()} == {0.0}


def test_nodes_of_one_layer_do_not_overlap() -> None:
    deps = {"s": [], **{f"t{i}": ["s"] for i in range(6)}, "u": ["t0", "t5"]}
    shape = layout(deps)
    column = sorted(y for layer, y in shape.positions.values() if layer == 1)
    assert all(b - a >= 1.0 - 1e-9 for a, b in itertools.pairwise(column))
    assert min(y for _, y in shape.positions.values()) == 0.0


def test_layout_ignores_unknown_deps_and_is_stable() -> None:
    deps = {"a": ["nowhere"], "b": ["a"], "c": ["a"], "d": ["b", "c"]}
    assert layout(deps) == layout(dict(deps))
    assert [(f, t) for f, t, _ in layout(deps).edges] == [
        ("a", "b"),
        ("a", "c"),
        ("b", "d"),
        ("c", "d"),
    ]


def test_layout_of_nothing_is_empty() -> None:
    shape = layout({})
    assert (shape.layers, shape.positions, shape.edges) == (0, {}, [])


def test_layout_scales_to_hundreds_of_assets() -> None:
    # 300 assets like a warehouse's: 25 sources, each other asset reading one to
    # three of the 40 declared before it (a fixed seed: the same graph every time)
    pick = random.Random(7)
    deps: dict[str, list[str]] = {}
    for i in range(300):
        earlier = list(deps)[max(0, i - 40) :]
        deps[f"n{i}"] = [] if i < 25 else pick.sample(earlier, pick.choice([1, 2, 3]))
    shape = layout(deps)
    assert len(shape.positions) == 300
    assert [k for k, (layer, _) in shape.positions.items() if layer == 0] == [
        f"n{i}" for i in range(25)
    ]
    for layer in range(shape.layers):
        column = sorted(y for lay, y in shape.positions.values() if lay == layer)
        assert all(b - a >= 1.0 - 1e-9 for a, b in itertools.pairwise(column))
