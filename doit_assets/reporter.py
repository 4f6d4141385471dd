"""LineageReporter: doit's console output, with each task's state committed as it ends."""

from __future__ import annotations

from typing import Any

from doit import Globals
from doit.reporter import ConsoleReporter


class LineageReporter(ConsoleReporter):  # type: ignore[misc]
    desc = "console output; records materializations (doit-assets)"

    def add_success(self, task: Any) -> None:
        super().add_success(task)
        _flush(task.name)

    def add_failure(self, task: Any, fail: Any) -> None:
        super().add_failure(task, fail)
        _flush(task.name)


def _flush(task_id: str) -> None:
    manager = Globals.dep_manager
    flush = getattr(getattr(manager, "backend", None), "flush", None)
    if flush is not None:
        flush(task_id)
