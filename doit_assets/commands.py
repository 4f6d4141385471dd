"""`doit assets ...`."""

from __future__ import annotations

from typing import Any

from doit.cmd_base import Command


class AssetsCommand(Command):  # type: ignore[misc]
    name = "assets"
    doc_purpose = "inspect assets"
    doc_usage = "init"
    doc_description = None

    def execute(self, opt_values: Any, pos_args: Any) -> int:
        return 0
