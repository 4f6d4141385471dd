"""``doit assets accept SELECTION``: record a new environment without running.

An upgraded tool or package makes every asset that uses it stale, which is
right but can be costly. ``accept`` records, for each selected asset whose
only changes are of its environment (env, inherited variables, tools,
packages, Python), the new fingerprint in doit's state, as if it had been
made with it, and says what it accepted. An asset whose transform, code or
paths changed is refused: only running it can make its outputs true again
(``doit reset-dep`` records anything, without asking).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import AssetError
from ..inspect.causes import AssetStatus
from ..inspect.history_answers import named_tasks
from ..inspect.status import project_status
from ..paths import STATE_FILE
from ..plan.loading import load_plan
from ..plan.records import PlannedAsset
from ..run.lock import RunLock
from ..store.saved import SavedState, save_values
from ..store.versions import ENVIRONMENT, FINGERPRINT
from .jsontext import print_json

ENVIRONMENT_CAUSES = frozenset({"env_changed", "tool_changed", "package_changed"})
DEFINITION_CAUSES = frozenset(
    {"transform_changed", "code_version_changed", "paths_changed", "definition"}
)


def accept_command(args: argparse.Namespace) -> int:
    plan = load_plan(args.file, args.dodo)
    tasks = named_tasks(plan, args.selection)
    keys = list(dict.fromkeys(t.partition(":")[0] for t in tasks))
    lock = RunLock()
    lock.acquire("doit assets accept")
    try:
        statuses = project_status(plan, keys)
        state = SavedState(STATE_FILE)
        rows, updates = _decided(plan.by_task, tasks, plan, statuses, state)
        if updates:
            save_values(STATE_FILE, updates)
    finally:
        lock.release()
    refused = any(row["outcome"] == "refused" for row in rows)
    if args.json:
        print_json({"assets": rows})
        return 1 if refused else 0
    for row in rows:
        sys.stdout.write(_line(row))
    accepted = sum(1 for row in rows if row["outcome"] == "accepted")
    noun = "asset" if accepted == 1 else "assets"
    sys.stdout.write(f"accepted the new environment of {accepted} {noun}\n")
    return 1 if refused else 0


def _decided(
    by_task: dict[str, PlannedAsset],
    tasks: list[str],
    plan: Any,
    statuses: dict[str, AssetStatus],
    state: SavedState,
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    rows: list[dict[str, Any]] = []
    updates: dict[str, dict[str, Any]] = {}
    for task in tasks:
        asset = by_task.get(task)
        if asset is None:
            continue
        if asset.kind != "transform":  # said, not left out without a word
            reason = "a source asset: nothing runs to make it"
            rows.append({"asset": task, "outcome": "skipped", "reason": reason})
            continue
        saved = state.get_values(task)
        causes = statuses[task].causes
        changed = [c.text for c in causes if c.kind in ENVIRONMENT_CAUSES]
        other = [c.text for c in causes if c.kind in DEFINITION_CAUSES]
        still = [
            c.text
            for c in causes
            if c.kind not in ENVIRONMENT_CAUSES | DEFINITION_CAUSES
            and c.kind != "upstream"
        ]
        row: dict[str, Any] = {"asset": task, "changes": changed}
        broken = [m.problem for m in plan.missing(asset) if m.kind == "tool_failed"]
        if broken:
            row |= {
                "outcome": "refused",
                "reason": f"{'; '.join(broken)}: no version to accept",
            }
        elif not saved.get(FINGERPRINT):
            reason = "it has no saved state (never made, failed since, or forgotten)"
            row |= {"outcome": "skipped", "reason": f"{reason}: run it"}
        elif saved[FINGERPRINT] == asset.fingerprint:
            row |= {"outcome": "unchanged", "reason": "its environment is as recorded"}
        elif other:
            row |= {
                "outcome": "refused",
                "reason": f"{'; '.join(other)}: only running it records that "
                f"(doit {task})",
            }
        else:
            row["outcome"] = "accepted"
            updates[task] = {
                FINGERPRINT: asset.fingerprint,
                ENVIRONMENT: plan.environment.get(task) or {},
            }
        if still and row["outcome"] in ("accepted", "unchanged"):
            row["still_stale"] = still
        rows.append(row)
    if not any("changes" in row for row in rows):  # transforms have changes
        raise AssetError(
            "the selection holds no asset with a transform",
            hint="accept records the environment of assets that run a transform",
        )
    return rows, updates


def _line(row: dict[str, Any]) -> str:
    task, outcome = row["asset"], row["outcome"]
    if outcome == "accepted":
        text = f"accepted {task}: {'; '.join(row['changes'])}\n"
    else:
        text = f"{outcome} {task}: {row['reason']}\n"
    if row.get("still_stale"):
        text += f"  still stale: {'; '.join(row['still_stale'])}\n"
    return text
