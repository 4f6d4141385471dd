"""Is an asset fresh? doit's own answer, read without running or writing anything.

The assets are turned into doit tasks exactly as a run would, and doit's
``Dependency.get_status`` is asked with the project's saved state, so the
answer cannot drift from what ``doit`` then does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from doit.dependency import Dependency
from doit.task import dict_to_task

from .graph import AssetGraph
from .state import AssetStateDB, MD5Checker
from .tasks import STATE_FILE, to_doit_tasks
from .toml_loader import Project
from .versioning import FINGERPRINT, OUTPUTS, unchanged


@dataclass(frozen=True)
class AssetStatus:
    state: str  # 'fresh' | 'stale' | 'missing' | 'source'
    reasons: list[str] = field(default_factory=list)


def asset_statuses(
    project: Project, graph: AssetGraph
) -> dict[str, tuple[dict[str, Any], AssetStatus]]:
    """Each asset's task meta and own status (a stale upstream is not propagated)."""
    tasks = {}
    for task_dict in to_doit_tasks(project, graph):
        task_dict = dict(task_dict, name=task_dict["basename"])
        del task_dict["basename"]
        task = dict_to_task(task_dict)
        tasks[task.name] = task
    state_exists = os.path.exists(STATE_FILE)
    manager = (
        Dependency(AssetStateDB, STATE_FILE, checker_cls=MD5Checker)
        if state_exists
        else None
    )
    result = {}
    for name, task in tasks.items():
        result[name] = (task.meta["asset"], _status(task, tasks, manager))
    return result


def _status(
    task: Any, tasks: dict[str, Any], manager: Dependency | None
) -> AssetStatus:
    meta = task.meta["asset"]
    missing = [t for t in meta["targets"] if not os.path.exists(t.rstrip("/"))]
    if meta["kind"] == "source":
        if missing:
            return AssetStatus(
                "missing", [f"source file '{m}' is missing" for m in missing]
            )
        return AssetStatus("source", [])
    if missing:
        return AssetStatus("missing", [f"output '{m}' does not exist" for m in missing])
    if manager is None:
        return AssetStatus("stale", ["never materialized"])
    values = manager.get_values(task.name)
    if not values:
        return AssetStatus("stale", ["never materialized (or its last run failed)"])
    status = manager.get_status(task, tasks, get_log=True)
    if status.status == "up-to-date":
        return AssetStatus("fresh", [])
    return AssetStatus("stale", _reasons(meta, values, status.reasons))


def _reasons(
    meta: dict[str, Any], values: dict[str, Any], doit_reasons: dict[str, Any]
) -> list[str]:
    reasons = []
    if "uptodate_false" in doit_reasons:
        if values.get(FINGERPRINT) != meta["fingerprint"]:
            reasons.append("its transform or code version changed")
        stored = values.get(OUTPUTS) or {}
        for target in meta["targets"]:
            if not unchanged(target, stored.get(target)):
                reasons.append(f"output '{target}' was changed since it was made")
        if not reasons:
            reasons.append("an upstream directory changed")
    added = set(doit_reasons.get("added_file_dep", []))
    for path in doit_reasons.get("changed_file_dep", []):
        if path not in added:  # doit lists a new input as changed too
            reasons.append(f"input '{path}' changed")
    for path in doit_reasons.get("added_file_dep", []):
        reasons.append(f"new input '{path}'")
    for path in doit_reasons.get("removed_file_dep", []):
        reasons.append(f"input '{path}' no longer used")
    for path in doit_reasons.get("missing_file_dep", []):
        reasons.append(f"input '{path}' is missing")
    return reasons or ["doit would run it"]
