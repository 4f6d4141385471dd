"""The answer of ``doit assets checks``: each declared check of the selected
assets, with its latest result in the history, as plain data.

An asset has a row per check; a partitioned asset a row per check and
partition that has a result (or, with none yet, a row per check for the asset
as a whole). The table is the command line's (cli/checks.py).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from ..model.selection import select
from ..paths import HISTORY_FILE
from ..plan.loading import load_plan
from ..plan.plan import Plan
from ..plan.records import PlannedCheck
from ..store.history import History, RecordedCheck
from .causes import planned_check_dict

# What a check's latest result was: a failed non-blocking check is a warning.
CheckState = Literal["passed", "failed", "warning", "not run"]
CHECK_STATES: tuple[CheckState, ...] = get_args(CheckState)


@dataclass(frozen=True, slots=True)
class CheckRow:
    """One declared check of one asset (or partition), and its latest result."""

    asset: str
    partition: str | None
    check: PlannedCheck
    last: RecordedCheck | None

    @property
    def task(self) -> str:
        return (
            self.asset if self.partition is None else f"{self.asset}:{self.partition}"
        )

    @property
    def state(self) -> CheckState:
        if self.last is None:
            return "not run"
        if self.last.passed:
            return "passed"
        return "failed" if self.last.blocking else "warning"

    def to_dict(self) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "partition": self.partition,
            "result": self.state,
            **planned_check_dict(self.check, self.last),
        }


@dataclass(frozen=True, slots=True)
class ChecksAnswer:
    rows: list[CheckRow]

    @property
    def counts(self) -> dict[CheckState, int]:
        return {s: sum(1 for r in self.rows if r.state == s) for s in CHECK_STATES}

    def to_dict(self) -> dict[str, Any]:
        return {
            "checks": [row.to_dict() for row in self.rows],
            "summary": {s: n for s, n in self.counts.items() if n},
        }


def checks_answer(
    file: str, dodo: str | None, selection: Sequence[str]
) -> ChecksAnswer:
    """The checks of the assets ``selection`` names (every asset when empty)."""
    plan = load_plan(file, dodo)
    keys = [k for k in select(selection, plan) if _checks_of(plan, k)]
    latest: dict[tuple[str, str], RecordedCheck] = {}
    if keys and os.path.exists(HISTORY_FILE):
        with History.open(HISTORY_FILE, readonly=True) as history:
            latest = history.latest_checks(keys)
    rows: list[CheckRow] = []
    for key in keys:
        checks = _checks_of(plan, key)
        tasks = plan.tasks_of(key)
        if key not in plan.groups:
            rows += [CheckRow(key, None, c, latest.get((key, c.name))) for c in checks]
            continue
        found = [
            CheckRow(key, task.partition(":")[2], c, last)
            for task in tasks
            for c in checks
            if (last := latest.get((task, c.name))) is not None
        ]
        rows += found or [CheckRow(key, None, c, None) for c in checks]
    return ChecksAnswer(rows)


def _checks_of(plan: Plan, key: str) -> tuple[PlannedCheck, ...]:
    """An asset's checks, as its (first) task has them."""
    tasks = plan.tasks_of(key)
    first = plan.by_task.get(tasks[0]) if tasks else None
    return first.checks if first is not None else ()
