"""``doit-assets``: doit for a directory that holds only ``assets.toml``.

``AssetsLoader`` is also a doit LOADER plugin, for projects that prefer
``[tool.doit] loader = "assets"`` in ``pyproject.toml`` to a ``dodo.py``.
"""

from __future__ import annotations

import os
from typing import Any

from doit import loader as doit_loader
from doit.cmd_base import TaskLoader2
from doit.doit_cmd import DoitMain

from ..run.context import RunContext
from .edge import reported_by_doit
from .locate import Given, assets_file_place
from .tasks import AssetTasks, doit_config

opt_assets_file = {
    "section": "task loader",
    "name": "assets_file",
    "short": "f",
    "long": "file",
    "type": str,
    "default": "assets.toml",
    "env_var": "DOIT_ASSETS_FILE",
    "help": "the assets.toml to load [default: %(default)s]",
}

opt_project_dir = {
    "section": "task loader",
    "name": "project_dir",
    "short": "d",
    "long": "dir",
    "type": str,
    "default": None,
    "help": "run in this directory [default: the current one]",
}


class AssetsLoader(TaskLoader2):  # type: ignore[misc]
    """Load tasks straight from an ``assets.toml``; no dodo.py needed."""

    cmd_options = (opt_assets_file, opt_project_dir)

    def __init__(self, context: RunContext | None = None) -> None:
        super().__init__()
        # the run's context (doit assets materialize gives one), else a new one
        self.context = context or RunContext()

    def setup(self, opt_values: dict[str, Any]) -> None:
        with reported_by_doit():
            self._setup(opt_values)

    def _setup(self, opt_values: dict[str, Any]) -> None:
        # Like doit with -f DODO: work in the folder of the file, so that the
        # state and history sit beside it whichever directory we started in.
        place = assets_file_place(
            _given(opt_values["assets_file"], "DOIT_ASSETS_FILE", "-f"),
            _given(opt_values.get("project_dir"), None, "-d"),
        )
        os.chdir(place.folder)
        self.assets_file = place.assets_file

    def load_doit_config(self) -> dict[str, Any]:
        return doit_config()

    def load_tasks(self, cmd: Any, pos_args: list[str]) -> list[Any]:
        creator = AssetTasks(
            self.assets_file,
            reserved_names=frozenset(self.cmd_names),
            standalone=True,
            context=self.context,
        )
        return doit_loader.load_tasks(  # type: ignore[no-any-return]
            {"assets_toml": creator},
            self.cmd_names,
            allow_delayed=cmd.execute_tasks,
            args=pos_args,
            config=self.config,
            task_opts=self.task_opts,
        )


def _given(value: Any, env_var: str | None, flag: str) -> Given:
    """How an option was given, as far as its value tells (for messages)."""
    if value is None or value == "assets.toml":
        return Given(value)
    if env_var and os.environ.get(env_var) == value:
        return Given(value, env_var)
    return Given(value, flag)


def run(args: list[str], context: RunContext | None = None) -> int:
    """doit, loading tasks from ``assets.toml`` (see console.py for the script)."""
    code = DoitMain(AssetsLoader(context)).run(args)
    return int(code or 0)  # some doit commands return None for success
