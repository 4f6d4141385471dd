"""A whole dodo.py in one import: ``from doit_assets.dodo import *``.

It reads ``assets.toml`` beside the dodo.py, keeps doit's state in SQLite under
``.doit-assets/`` and records every materialization with the lineage reporter.
"""

from __future__ import annotations

from .doit_plugin.tasks import AssetTasks, doit_config

DOIT_CONFIG = doit_config()

# Not named 'assets': doit refuses a task creator named like the 'assets' command.
assets_toml = AssetTasks("assets.toml")

__all__ = ["DOIT_CONFIG", "assets_toml"]
