"""Pictures of the asset graph for ``doit assets graph``: DOT, Mermaid, JSON, HTML,
and text for a terminal.

Pure rendering: the command builds one JSON-ready dict per asset (its state,
reason, paths, history...) and ``render`` turns the list into text. The HTML page
is one self-contained file (graph_page.html, .css and .js next to this module,
with the data and a layout from layout.py inlined); it makes no network request.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from importlib import resources
from typing import Any, NamedTuple

from ..inspect.queries import JSON_VERSION
from .lanes import draw
from .layout import layout

FORMATS = ("dot", "mermaid", "json", "html", "text")
# Beyond these, a text drawing no longer reads well: the text format lists the
# assets instead (docs/graph.md says so).
TEXT_MAX_ASSETS = 100
TEXT_MAX_LANES = 16


class Colors(NamedTuple):
    fill: str
    stroke: str
    text: str


# One palette for every format, built on Okabe and Ito's colour-blind-safe set.
# States also differ in more than hue: "failed" is the one dark fill, "missing"
# the one dashed outline, and every node spells its state out.
PALETTE: dict[str, Colors] = {
    "fresh": Colors("#d3efe4", "#009e73", "#0b3d2e"),
    "stale": Colors("#fdebc4", "#e69f00", "#4a3300"),
    "missing": Colors("#f9dccb", "#d55e00", "#4d2000"),
    "failed": Colors("#a3161b", "#6e0b0f", "#ffffff"),
    "source": Colors("#e1e8f0", "#5d7a99", "#1e2b3a"),
    "ignored": Colors("#f6e3ee", "#cc79a7", "#4d1f3a"),  # set aside by 'doit ignore'
    # waits for an upstream that failed: pale, outlined in the failure's red
    "blocked": Colors("#f3e1e1", "#a3161b", "#4d0a0d"),
}
# A state this module does not know yet still gets drawn, in neutral grey.
OTHER = Colors("#eeeeee", "#888888", "#222222")
DASHED = frozenset({"missing"})


def render(fmt: str, nodes: list[dict[str, Any]], title: str) -> str:
    """The graph of ``nodes`` (in dependency order) as a ``fmt`` document.

    Each node is a dict with at least ``asset``, ``state``, ``reason`` and
    ``deps``; the JSON and HTML formats carry every key along. Edges go from each
    dep to its asset; deps that are not among the nodes are left out. The text
    ends with a newline. Raises ValueError for a format not in FORMATS.
    """
    renderers = {
        "dot": _dot,
        "mermaid": _mermaid,
        "json": _json,
        "html": _html,
        "text": _text,
    }
    if fmt not in renderers:
        raise ValueError(
            f"unknown graph format '{fmt}': choose one of {', '.join(FORMATS)}"
        )
    return renderers[fmt](nodes, title)


def edges(nodes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(dep, asset) for every dependency between two of ``nodes``."""
    keys = {node["asset"] for node in nodes}
    return [
        (dep, node["asset"])
        for node in nodes
        for dep in dict.fromkeys(node["deps"])
        if dep in keys
    ]


def colors(state: str) -> Colors:
    return PALETTE.get(state, OTHER)


# -- dot -----------------------------------------------------------------------


def _dot(nodes: list[dict[str, Any]], title: str) -> str:
    font = _dot_quote("Helvetica,Arial,sans-serif")
    lines = [
        "digraph assets {",
        f"  graph [rankdir=LR, label={_dot_quote(title)}, labelloc=t,"
        f" fontname={font}, tooltip={_dot_quote(title)}];",
        f'  node [shape=box, style="rounded,filled", fontname={font},'
        " fontsize=11, penwidth=1.5];",
        '  edge [color="#64748b", arrowsize=0.7];',
    ]
    for node in nodes:
        state = node["state"]
        fill, stroke, text = colors(state)
        style = ', style="rounded,filled,dashed"' if state in DASHED else ""
        tooltip = node.get("reason") or state
        lines.append(
            f"  {_dot_quote(node['asset'])} [label="
            f"{_dot_quote(node['asset'] + chr(10) + state)}, fillcolor="
            f'"{fill}", color="{stroke}", fontcolor="{text}"{style}, '
            f"tooltip={_dot_quote(tooltip)}];"
        )
    for dep, key in edges(nodes):
        lines.append(f"  {_dot_quote(dep)} -> {_dot_quote(key)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_quote(text: str) -> str:
    """A DOT double-quoted string; a newline becomes DOT's centred line break."""
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return f'"{text}"'


# -- mermaid -------------------------------------------------------------------

# Mermaid reads "#NUMBER;" in a quoted label as that character: the one escape
# that works in every renderer (GitHub, GitLab, mermaid.live).
_MERMAID_ESCAPES = {c: f"#{ord(c)};" for c in '#"<>&`'}


def _mermaid(nodes: list[dict[str, Any]], title: str) -> str:
    ids = {node["asset"]: f"n{i}" for i, node in enumerate(nodes)}
    lines = [f"%% {_one_line(title)}", "flowchart LR"]
    for node in nodes:
        label = f"{_mermaid_text(node['asset'])}<br/>{_mermaid_text(node['state'])}"
        lines.append(f'    {ids[node["asset"]]}["{label}"]')
    for dep, key in edges(nodes):
        lines.append(f"    {ids[dep]} --> {ids[key]}")
    for state, (fill, stroke, text) in PALETTE.items():
        dash = ",stroke-dasharray:5 4" if state in DASHED else ""
        lines.append(
            f"    classDef {state} fill:{fill},stroke:{stroke},color:{text}{dash}"
        )
    by_state: dict[str, list[str]] = {}
    for node in nodes:
        # a state outside the palette has no classDef: mermaid's default look
        if node["state"] in PALETTE:
            by_state.setdefault(node["state"], []).append(ids[node["asset"]])
    for state, members in by_state.items():
        lines.append(f"    class {','.join(members)} {state}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    return "".join(_MERMAID_ESCAPES.get(c, c) for c in _one_line(text))


def _one_line(text: str) -> str:
    return " ".join(text.split())


# -- json ----------------------------------------------------------------------


def _json(nodes: list[dict[str, Any]], title: str) -> str:
    data = {
        "version": JSON_VERSION,
        "nodes": nodes,
        "edges": [{"from": dep, "to": key} for dep, key in edges(nodes)],
    }
    return json.dumps(data, indent=2) + "\n"


# -- text ----------------------------------------------------------------------


def _text(nodes: list[dict[str, Any]], title: str) -> str:
    """One line per asset: the lanes of the graph, the key, the state, the reason;
    a list of the assets and what each depends on when the graph is too large."""
    rows, why = None, f"more than {TEXT_MAX_ASSETS} assets"
    if len(nodes) <= TEXT_MAX_ASSETS:
        rows = draw({node["asset"]: node["deps"] for node in nodes})
        if max((len(row.lanes) for row in rows), default=0) > 2 * TEXT_MAX_LANES - 1:
            rows, why = None, f"more than {TEXT_MAX_LANES} lanes side by side"
    by_key = {node["asset"]: node for node in nodes}
    if rows is None:
        table = [
            [
                node["asset"],
                node["state"],
                ", ".join(node["deps"]) or "-",
                node["reason"],
            ]
            for node in nodes
        ]
        head = f"too large to draw ({why}): each asset with what it depends on\n"
        return head + _columns([["ASSET", "STATUS", "DEPENDS ON", "REASON"], *table])
    width = max(len(row.lanes) for row in rows)
    table = [
        [
            row.lanes.ljust(width),
            row.asset,
            by_key[row.asset]["state"],
            by_key[row.asset]["reason"],
        ]
        for row in rows
    ]
    return _columns(table)


def _columns(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        + "\n"
        for row in rows
    )


# -- html ----------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"/\*\{\{(\w+)\}\}\*/|\{\{(\w+)\}\}")


def _html(nodes: list[dict[str, Any]], title: str) -> str:
    shape = layout({node["asset"]: node["deps"] for node in nodes})
    data = {
        "version": JSON_VERSION,
        "title": title,
        "states": list(PALETTE),
        "nodes": nodes,
        "layers": shape.layers,
        "positions": shape.positions,
        "edges": [
            {"from": dep, "to": key, "bends": bends} for dep, key, bends in shape.edges
        ],
    }
    parts = {
        "title": html.escape(title),
        "palette": _css_palette(PALETTE.items()),
        "style": _package_text("graph_page.css"),
        "script": _package_text("graph_page.js"),
        "data": _script_json(data),
    }
    # one pass, so that nothing inserted is ever read as a placeholder
    return _PLACEHOLDER.sub(
        lambda m: parts[m.group(1) or m.group(2)], _package_text("graph_page.html")
    )


def _css_palette(items: Iterable[tuple[str, Colors]]) -> str:
    rules = []
    for state, (fill, stroke, text) in items:
        rules.append(
            f".state-{state} {{ --fill: {fill}; --stroke: {stroke}; --on-fill: {text}; }}"
        )
    return "\n".join(rules)


def _script_json(data: object) -> str:
    """JSON that is safe inside <script>: no "</script>" or "<!--" can appear."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    return text


def _package_text(name: str) -> str:
    return (
        resources.files("doit_assets.draw").joinpath(name).read_text(encoding="utf-8")
    )
