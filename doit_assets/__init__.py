"""doit-assets: declare the data you want to exist; doit builds exactly what is stale.

Names are imported on first use, so that ``doit-assets`` can answer a no-op
run before doit itself is loaded (see fastpath.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .decorators import AssetDef, asset, observable_source
    from .errors import AssetError, Location
    from .graph import AssetGraph, build_graph
    from .partitions import PartitionKey
    from .project import load_graph
    from .spec import AssetKey, AssetSpec
    from .tasks import AssetTasks, doit_config, to_doit_tasks
    from .toml_loader import Project, load_toml
    from .values import JsonStore, PickleStore, ValueStore, register_store

_HOMES = {
    "AssetDef": "decorators",
    "asset": "decorators",
    "observable_source": "decorators",
    "AssetError": "errors",
    "Location": "errors",
    "AssetGraph": "graph",
    "build_graph": "graph",
    "load_graph": "project",
    "PartitionKey": "partitions",
    "AssetKey": "spec",
    "AssetSpec": "spec",
    "AssetTasks": "tasks",
    "doit_config": "tasks",
    "to_doit_tasks": "tasks",
    "Project": "toml_loader",
    "load_toml": "toml_loader",
    "JsonStore": "values",
    "PickleStore": "values",
    "ValueStore": "values",
    "register_store": "values",
}

__all__ = [
    "AssetDef",
    "AssetError",
    "AssetGraph",
    "AssetKey",
    "AssetSpec",
    "AssetTasks",
    "JsonStore",
    "Location",
    "PartitionKey",
    "PickleStore",
    "Project",
    "ValueStore",
    "asset",
    "build_graph",
    "doit_config",
    "load_graph",
    "load_toml",
    "observable_source",
    "register_store",
    "to_doit_tasks",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'doit_assets' has no attribute '{name}'")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value
