"""Imports flow one way between the layers (docs/design.md, "The map").

model <- load <- plan <- store <- run <- inspect <- draw <- doit_plugin <- cli

A module may import its own layer and the layers before it, and the base
modules (errors, paths, atomic, memory, text), which import nothing of
doit-assets. Every import counts, also one inside a function: a cycle hidden
in a function is still a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "doit_assets"
LAYERS = (
    "model",
    "load",
    "plan",
    "store",
    "run",
    "inspect",
    "automate",
    "draw",
    "doit_plugin",
    "cli",
)
BASE = ("errors", "paths", "atomic", "memory", "text")
EDGES = ("__init__", "dodo")  # the public faces: they may import anything


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def layer_of(module: tuple[str, ...]) -> str:
    """('run', 'execute') -> 'run'; ('errors',) -> 'errors'."""
    return module[0]


def name_of(path: Path) -> tuple[str, ...]:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[:-1] if parts[-1] == "__init__" and len(parts) > 1 else parts


def imported(path: Path) -> list[tuple[int, tuple[str, ...]]]:
    """(line, module inside doit_assets) for every import of this module."""
    me = name_of(path)
    package = me if path.name == "__init__.py" and me != ("__init__",) else me[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = (*base, *(node.module.split(".") if node.module else ()))
                if node.module is None:  # from . import x, y: modules themselves
                    found += [(node.lineno, (*target, a.name)) for a in node.names]
                    continue
                found.append((node.lineno, target))
            elif node.module and node.module.split(".")[0] == "doit_assets":
                found.append((node.lineno, tuple(node.module.split(".")[1:])))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "doit_assets":
                    found.append((node.lineno, tuple(alias.name.split(".")[1:])))
    return [(line, target) for line, target in found if target]


def allowed(importer: tuple[str, ...], target: tuple[str, ...]) -> bool:
    mine, theirs = layer_of(importer), layer_of(target)
    if mine in EDGES:
        return True
    if mine in BASE:
        return False  # the base imports nothing of ours
    if theirs in BASE:
        return True
    if theirs not in LAYERS or mine not in LAYERS:
        return False
    return LAYERS.index(theirs) <= LAYERS.index(mine)


def test_every_module_belongs_to_a_layer() -> None:
    stray = [
        str(p.relative_to(PACKAGE))
        for p in modules()
        if layer_of(name_of(p)) not in (*LAYERS, *BASE, *EDGES)
    ]
    assert stray == []


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_flow_one_way(path: Path) -> None:
    me = name_of(path)
    wrong = [
        f"{path.relative_to(PACKAGE)}:{line} imports {'.'.join(target)}"
        for line, target in imported(path)
        if not allowed(me, target)
    ]
    assert wrong == []
