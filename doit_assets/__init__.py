"""doit-assets: declare the data you want to exist; doit builds exactly what is stale."""

from .decorators import AssetDef, asset
from .errors import AssetError, Location
from .graph import AssetGraph, build_graph
from .project import load_graph
from .spec import AssetKey, AssetSpec
from .tasks import AssetTasks, doit_config, to_doit_tasks
from .toml_loader import Project, load_toml
from .values import JsonStore, PickleStore, ValueStore, register_store

__all__ = [
    "AssetDef",
    "AssetError",
    "AssetGraph",
    "AssetKey",
    "AssetSpec",
    "AssetTasks",
    "JsonStore",
    "Location",
    "PickleStore",
    "Project",
    "ValueStore",
    "asset",
    "build_graph",
    "doit_config",
    "load_graph",
    "load_toml",
    "register_store",
    "to_doit_tasks",
]
