"""The project as the ``doit assets`` commands see it: what doit itself would load.

``load_project`` gives the validated declarations. ``load_assets`` gives the
doit tasks a run would make, and a graph for selections; for a project
without Python assets both come from the project cache, so that ``status``
on 10 000 assets costs about what a no-op run does.
"""

from __future__ import annotations

import gc
import os
from collections import defaultdict
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from ..doit_plugin.tasks import AssetTasks
from ..errors import AssetError, Location
from ..load.decorators import AssetDef, collect
from ..load.imports import ModuleImportError, import_module
from ..load.project import load_graph
from ..load.toml import Project
from ..model.graph import AssetGraph
from ..model.spec import AssetKey, AssetSpec


@dataclass(frozen=True)
class Assets:
    tasks: list[dict[str, Any]]  # doit task dicts, upstream first
    graph: AssetGraph


def load_project(path: str, dodo: str | None = "dodo.py") -> tuple[Project, AssetGraph]:
    """The project as doit sees it: assets.toml, and the @assets of the dodo file
    ``dodo`` if it exists (imported as doit would), with the file it loads.
    ``dodo=None``: assets.toml alone, as ``doit-assets`` reads it."""
    path, python_assets = _with_dodo(path, dodo)
    return load_graph(path, python_assets=python_assets)


def load_assets(path: str, dodo: str | None = "dodo.py") -> Assets:
    """The tasks a run would make, from the cache when the project allows it."""
    path, python_assets = _with_dodo(path, dodo)
    creator = AssetTasks(path)
    creator.write_cache = False  # status and friends write nothing
    # As for a run (AssetTasks._create): the collector would walk the many
    # long-lived objects made here again and again, and free nothing; frozen,
    # they cost the collections of the command nothing either.
    collecting = gc.isenabled()
    gc.disable()
    try:
        tasks = creator._tasks(python_assets)
        return Assets(tasks, graph_of(tasks))
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


def graph_of(tasks: list[dict[str, Any]]) -> AssetGraph:
    """What selections and pictures need of each asset, read back from its task."""
    specs: dict[AssetKey, AssetSpec] = {}
    downstream: dict[AssetKey, list[AssetKey]] = defaultdict(list)
    for task in tasks:
        meta = task["meta"].get("asset") or task["meta"]["asset_group"]
        key = AssetKey(meta["key"])
        if key in specs:
            continue  # another partition of the same asset
        deps = tuple(AssetKey(d) for d in meta["deps"])
        specs[key] = AssetSpec(
            key,
            tuple(meta["paths"]),
            None if meta["kind"] == "source" else meta["transform"],
            deps,
            description=task["doc"] or None,
            metadata=meta["metadata"],
            code_version=meta["code_version"],
            group=meta["group"],
            tags=tuple(meta["tags"]),
            max_age=meta["max_age"],
            observe=meta.get("observe"),
        )
        for dep in deps:
            downstream[dep].append(key)
    return AssetGraph(specs, {k: tuple(v) for k, v in downstream.items()})


def _with_dodo(path: str, dodo: str | None) -> tuple[str, list[AssetDef]]:
    python_assets: list[AssetDef] = []
    module = import_dodo(dodo)
    if module is not None:
        python_assets = collect([module])
        creators = [v for v in vars(module).values() if isinstance(v, AssetTasks)]
        if creators and path == "assets.toml":
            path = str(creators[0].path)
    return path, python_assets


def import_dodo(path: str | None) -> ModuleType | None:
    """The dodo file at ``path``, imported as doit imports it (its folder on
    ``sys.path``, named after the file); None when there is none."""
    if path is None or not os.path.exists(path):
        return None
    folder, name = os.path.split(os.path.abspath(path))
    shown = Location(os.path.relpath(path))
    try:
        return import_module(os.path.splitext(name)[0], folder)
    except ModuleImportError as err:
        if err.location is None:  # raised outside the project's files
            raise AssetError(err.problem, location=shown) from None
        raise
    except Exception as err:  # the user's file: any error is theirs
        raise AssetError(
            f"cannot import: {type(err).__name__}: {err}", location=shown
        ) from None
