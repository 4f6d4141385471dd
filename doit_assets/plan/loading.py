"""The project as the ``doit assets`` commands see it: what doit itself would load.

``load_project`` gives the validated declarations. ``load_plan`` gives the
plan a run would make, from the project cache for a project without Python
assets, so that ``status`` on 10 000 assets costs about what a no-op run does.
"""

from __future__ import annotations

import os
from types import ModuleType

from ..errors import AssetError, Location
from ..load.decorators import Declared, collect
from ..load.files import print_warnings
from ..load.imports import ModuleImportError, import_module
from ..load.project import load_graph
from ..load.toml import Project
from ..memory import collector_paused
from ..model.graph import AssetGraph
from .plan import Plan, plan_project


def load_project(path: str, dodo: str | None = "dodo.py") -> tuple[Project, AssetGraph]:
    """The project as doit sees it: assets.toml, and the @assets of the dodo file
    ``dodo`` if it exists (imported as doit would), with the file it loads.
    ``dodo=None``: assets.toml alone, as ``doit-assets`` reads it."""
    path, python_assets = _with_dodo(path, dodo)
    return load_graph(path, python_assets=python_assets)


def load_plan(
    path: str, dodo: str | None = "dodo.py", warned: set[str] | None = None
) -> Plan:
    """The plan a run would make, from the cache when the project allows it
    (and writing none: status and friends write nothing). Its warnings are
    printed, each once in ``warned``."""
    path, python_assets = _with_dodo(path, dodo)
    with collector_paused(freeze=True):  # as for a run
        plan = plan_project(path, python_assets=python_assets, write_cache=False)
    print_warnings(plan.on_disk.warnings, set() if warned is None else warned)
    return plan


def _with_dodo(path: str, dodo: str | None) -> tuple[str, list[Declared]]:
    python_assets: list[Declared] = []
    module = import_dodo(dodo)
    if module is not None:
        python_assets = collect([module])
        creators = [v for v in vars(module).values() if _is_creator(v)]
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
        return import_module(os.path.splitext(name)[0], folder, path)
    except ModuleImportError as err:
        if err.location is None:  # raised outside the project's files
            raise AssetError(err.problem, location=shown) from None
        raise
    except Exception as err:  # the user's file: any error is theirs
        raise AssetError(
            f"cannot import: {type(err).__name__}: {err}", location=shown
        ) from None


def _is_creator(value: object) -> bool:
    """An ``AssetTasks`` of the dodo file: a doit task creator with an assets file."""
    return hasattr(value, "create_doit_tasks") and isinstance(
        getattr(value, "path", None), (str, os.PathLike)
    )
