"""doit-assets: declare the data you want to exist; doit builds exactly what is stale.

``__all__`` is the public API. Each name is imported on first use from the
module ``_HOMES`` names, so that ``doit-assets`` can answer a no-op run before
doit itself is loaded (see doit_plugin/fastpath.py); type checkers read the
imports below. ``tests/test_public_api.py`` keeps the three, and
docs/python-api.md, in step.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_HOMES = {
    "asset": "load.decorators",
    "observable_source": "load.decorators",
    "AssetDef": "load.decorators",
    "ValueStore": "model.values",
    "PickleStore": "model.values",
    "JsonStore": "model.values",
    "register_store": "model.values",
    "AssetTasks": "doit_plugin.tasks",
    "doit_config": "doit_plugin.tasks",
    "load_toml": "load.toml",
    "build_graph": "load.validate",
    "load_graph": "load.project",
    "to_doit_tasks": "doit_plugin.tasks",
    "AssetSpec": "model.spec",
    "AssetKey": "model.spec",
    "Location": "errors",
    "Project": "load.toml",
    "AssetGraph": "model.graph",
    "AssetError": "errors",
    "PartitionKey": "model.partitions",
    "asset_check": "load.decorators",
    "AssetCheckDef": "load.decorators",
    "CheckResult": "model.checks",
    "MaterializeResult": "model.results",
    "sensor": "load.decorators",
    "SensorDef": "load.decorators",
}
__all__ = [
    "AssetCheckDef",
    "AssetDef",
    "AssetError",
    "AssetGraph",
    "AssetKey",
    "AssetSpec",
    "AssetTasks",
    "CheckResult",
    "JsonStore",
    "Location",
    "MaterializeResult",
    "PartitionKey",
    "PickleStore",
    "Project",
    "SensorDef",
    "ValueStore",
    "asset",
    "asset_check",
    "build_graph",
    "doit_config",
    "load_graph",
    "load_toml",
    "observable_source",
    "register_store",
    "sensor",
    "to_doit_tasks",
]

if TYPE_CHECKING:  # the same names, for type checkers
    from .doit_plugin.tasks import AssetTasks, doit_config, to_doit_tasks
    from .errors import AssetError, Location
    from .load.decorators import (
        AssetCheckDef,
        AssetDef,
        SensorDef,
        asset,
        asset_check,
        observable_source,
        sensor,
    )
    from .load.project import load_graph
    from .load.toml import Project, load_toml
    from .load.validate import build_graph
    from .model.checks import CheckResult
    from .model.graph import AssetGraph
    from .model.partitions import PartitionKey
    from .model.results import MaterializeResult
    from .model.spec import AssetKey, AssetSpec
    from .model.values import JsonStore, PickleStore, ValueStore, register_store


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'doit_assets' has no attribute '{name}'")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
