"""Synthetic asset graphs, written three ways with identical work per node.

The graph is a layered DAG of width about sqrt(N), each asset reading two
assets of the layer above, plus a chain of about sqrt(N) assets hanging off
the last layer. Layer 0 are source files. Every other node runs the same
shell command: checksum its inputs into its output (``cat IN... | cksum >
OUT``), so every file stays a few bytes whatever the depth.

The same graph is written as ``assets.toml`` (doit-assets), as a hand-written
``dodo.py`` (plain doit, with the same SQLite backend) and as a ``Makefile``.

    python benchmarks/generate.py N DIR [fan|ladder]

``ladder`` writes another shape instead: layers of two assets, each reading
both assets of the layer above (see ladder_graph).
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Node:
    name: str
    path: str
    deps: tuple[str, ...]  # names
    inputs: tuple[str, ...] = ()  # plain files it reads besides its deps


def layered_graph(n: int) -> list[Node]:
    """N nodes: sources, layers of width ~sqrt(N), then a tail chain of N/100.

    The chain also reads ``data/seed.txt``, the input exactly ~1% of the
    graph depends on: editing it is the "1% change" scenario.
    """
    width = max(2, round(math.sqrt(n)))
    chain = max(1, n // 100)
    layered = n - chain - 1
    nodes: list[Node] = [Node("seed", "data/seed.txt", ())]
    above: list[str] = []
    layer = 0
    while len(nodes) - 1 < layered:
        count = min(width, layered - (len(nodes) - 1))
        current = []
        for i in range(count):
            name = f"l{layer}_{i}"
            deps: tuple[str, ...] = ()
            if layer:
                picks = (above[i % len(above)], above[(i + 1) % len(above)])
                deps = tuple(dict.fromkeys(picks))
            folder = "build" if layer else "data"
            nodes.append(Node(name, f"{folder}/{name}.txt", deps))
            current.append(name)
        above = current
        layer += 1
    previous = above[-1]
    for i in range(chain):
        name = f"chain_{i}"
        deps = ("seed", previous) if i == 0 else (previous,)
        # the last asset alone reads data/tail.txt: "one input changed"
        inputs = (TAIL,) if i == chain - 1 else ()
        nodes.append(Node(name, f"build/{name}.txt", deps, inputs))
        previous = name
    return nodes


TAIL = "data/tail.txt"


def ladder_graph(n: int) -> list[Node]:
    """N nodes in layers of two, each reading both of the layer above.

    Layer 0 (``a0``, ``b0``) are source files. Every asset has 2^k paths back to
    the sources: a walk that expands each path instead of each asset blows up.
    """
    nodes: list[Node] = []
    for layer in range(max(1, n // 2)):
        folder = "build" if layer else "data"
        deps = (f"a{layer - 1}", f"b{layer - 1}") if layer else ()
        for side in ("a", "b"):
            name = f"{side}{layer}"
            nodes.append(Node(name, f"{folder}/{name}.txt", deps))
    return nodes


def write_sources(nodes: list[Node], root: str) -> None:
    os.makedirs(os.path.join(root, "data"), exist_ok=True)
    os.makedirs(os.path.join(root, "build"), exist_ok=True)
    for node in nodes:
        if not node.deps:
            with open(os.path.join(root, node.path), "w") as f:
                f.write(f"{node.name}\n")
        for path in node.inputs:
            with open(os.path.join(root, path), "w") as f:
                f.write(f"{path}\n")


def assets_toml(nodes: list[Node]) -> str:
    lines = []
    for node in nodes:
        lines.append(f"[assets.{node.name}]")
        lines.append(f'path = "{node.path}"')
        if node.deps:
            refs = " ".join(["{" + d + ".path}" for d in node.deps] + list(node.inputs))
            lines.append(f'transform = "cat {refs} | cksum > {{self.path}}"')
            if node.inputs:
                lines.append(f"inputs = {list(node.inputs)!r}".replace("'", '"'))
        lines.append("")
    return "\n".join(lines)


def dodo_py(nodes: list[Node]) -> str:
    """What a user would write by hand: one task per node, file_dep and targets."""
    paths = {node.name: node.path for node in nodes}
    lines = [
        '"""Hand-written doit tasks for the same graph."""',
        "",
        'DOIT_CONFIG = {"backend": "sqlite3", "dep_file": ".doit-plain.sqlite"}',
        "",
        "NODES = [",
    ]
    for node in nodes:
        if node.deps:
            deps = ", ".join(
                [repr(paths[d]) for d in node.deps] + list(map(repr, node.inputs))
            )
            lines.append(f"    ({node.name!r}, {node.path!r}, [{deps}]),")
    lines += [
        "]",
        "",
        "",
        "def task_build():",
        "    for name, path, deps in NODES:",
        "        yield {",
        '            "name": name,',
        '            "actions": ["cat %s | cksum > %s" % (" ".join(deps), path)],',
        '            "file_dep": deps,',
        '            "targets": [path],',
        '            "clean": True,',
        "        }",
        "",
    ]
    return "\n".join(lines)


def makefile(nodes: list[Node]) -> str:
    paths = {node.name: node.path for node in nodes}
    targets = [node.path for node in nodes if node.deps]
    lines = [".PHONY: all", "all: " + " ".join(targets), ""]
    for node in nodes:
        if node.deps:
            deps = " ".join([paths[d] for d in node.deps] + list(node.inputs))
            lines.append(f"{node.path}: {deps}")
            lines.append(f"\t@cat {deps} | cksum > $@")
    return "\n".join(lines) + "\n"


SHAPES = {"fan": layered_graph, "ladder": ladder_graph}


def write_project(n: int, root: str, shape: str = "fan") -> list[Node]:
    """Write all three forms of an N-node graph of ``shape`` into ``root``."""
    nodes = SHAPES[shape](n)
    os.makedirs(root, exist_ok=True)
    write_sources(nodes, root)
    files = {
        "assets.toml": assets_toml(nodes),
        "dodo_plain.py": dodo_py(nodes),
        "Makefile": makefile(nodes),
        "dodo.py": "from doit_assets.dodo import *\n",
    }
    for name, text in files.items():
        with open(os.path.join(root, name), "w") as f:
            f.write(text)
    return nodes


if __name__ == "__main__":
    count, folder = int(sys.argv[1]), sys.argv[2]
    made = write_project(count, folder, *sys.argv[3:4])
    print(f"{len(made)} nodes written to {folder}")
