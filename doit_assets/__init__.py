"""doit-assets: declare the data you want to exist; doit builds exactly what is stale.

Names are imported on first use, so that ``doit-assets`` can answer a no-op
run before doit itself is loaded (see fastpath.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .doit_plugin.tasks import AssetTasks, doit_config, to_doit_tasks
    from .errors import AssetError, Location
    from .load.decorators import AssetDef, asset, observable_source
    from .load.project import load_graph
    from .load.toml import Project, load_toml
    from .load.validate import build_graph
    from .model.graph import AssetGraph
    from .model.partitions import PartitionKey
    from .model.spec import AssetKey, AssetSpec
    from .model.values import JsonStore, PickleStore, ValueStore, register_store

_HOMES = {
    "AssetDef": "load.decorators",
    "asset": "load.decorators",
    "observable_source": "load.decorators",
    "AssetError": "errors",
    "Location": "errors",
    "AssetGraph": "model.graph",
    "build_graph": "load.validate",
    "load_graph": "load.project",
    "PartitionKey": "model.partitions",
    "AssetKey": "model.spec",
    "AssetSpec": "model.spec",
    "AssetTasks": "doit_plugin.tasks",
    "doit_config": "doit_plugin.tasks",
    "to_doit_tasks": "doit_plugin.tasks",
    "Project": "load.toml",
    "load_toml": "load.toml",
    "JsonStore": "model.values",
    "PickleStore": "model.values",
    "ValueStore": "model.values",
    "register_store": "model.values",
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
