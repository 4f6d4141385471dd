"""doit-assets: declare the data you want to exist; doit builds exactly what is stale."""

from .errors import AssetError, Location
from .graph import AssetGraph, build_graph
from .spec import AssetKey, AssetSpec
from .tasks import AssetTasks, doit_config, load_graph, to_doit_tasks
from .toml_loader import Project, load_toml

__all__ = [
    "AssetError",
    "AssetGraph",
    "AssetKey",
    "AssetSpec",
    "AssetTasks",
    "Location",
    "Project",
    "build_graph",
    "doit_config",
    "load_graph",
    "load_toml",
    "to_doit_tasks",
]
