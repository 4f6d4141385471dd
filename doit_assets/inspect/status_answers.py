"""The answers of ``doit assets status|why|graph``, as plain data.

Each function loads the plan, works out the statuses it needs (status.py) and
returns them chosen and counted, with the JSON in ``to_dict``; the table, the
tree of causes and the picture are the command line's (cli/status.py).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..model import clock
from ..model.selection import select
from ..model.spec import AssetKey
from ..paths import HISTORY_FILE
from ..plan.loading import load_plan
from ..plan.plan import Plan
from ..plan.records import Planned, PlannedAsset, PlannedGroup
from ..store.history import History, RecordedCheck
from .causes import STATES, AssetStatus, State, explain, planned_check_dict
from .history_answers import known_partition
from .queries import materialization_dict
from .status import partitions_of, project_status, summarize

HISTORY_SHOWN = 10  # materializations of each asset in the graph's JSON


@dataclass(frozen=True, slots=True)
class StatusAnswer:
    """``doit assets status``: the selected assets (or their partitions), and
    what a run of them would do."""

    shown: list[AssetStatus]  # one per asset, or per partition
    counts: dict[State, int]  # of ``shown``, every state
    now: float
    members: int  # the selected assets and partitions, each counted
    would_run: int  # of ``members``: transforms doit would run
    ignored: int  # of ``members``: set aside by 'doit ignore'
    partitioned: bool  # the project has partitioned assets

    def to_dict(self) -> dict[str, Any]:
        entries, continued = explain(self.shown, self.now)
        data: dict[str, Any] = {
            "assets": entries,
            "summary": {s: n for s, n in self.counts.items() if n},
        }
        return _with_continued(data, continued)


def status_answer(
    file: str, dodo: str | None, selection: Sequence[str], each_partition: bool
) -> StatusAnswer:
    """The status of the assets ``selection`` names (every asset when empty),
    with ``each_partition`` one per partition of a partitioned asset."""
    plan = load_plan(file, dodo)
    keys = select(selection, plan)
    found = project_status(plan, keys)
    chosen = shown_statuses(plan, keys, found, each_partition)
    now = clock.now()
    counts = {s: sum(1 for a in chosen if a.state == s) for s in STATES}
    parts = partitions_of(plan)
    members = [found[n] for k in keys for n in parts.get(k, [k])]
    return StatusAnswer(
        chosen,
        counts,
        now,
        members=len(members),
        would_run=sum(1 for a in members if a.will_run and a.kind != "source"),
        # doit skips what 'doit ignore' set aside: it is not counted, only named
        ignored=sum(1 for a in members if a.state == "ignored"),
        partitioned=bool(parts),
    )


def shown_statuses(
    plan: Plan,
    keys: list[AssetKey],
    statuses: dict[str, AssetStatus],
    each_partition: bool,
) -> list[AssetStatus]:
    """One status per asset (a partitioned one summed up), or per partition."""
    parts = partitions_of(plan)
    groups = plan.groups
    shown = []
    for key in keys:
        if key not in parts:
            shown.append(statuses[key])
        elif each_partition:
            shown += [statuses[n] for n in parts[key]]
        else:
            members = [statuses[n] for n in parts[key]]
            shown.append(summarize(key, members, groups[key]))
    return shown


@dataclass(frozen=True, slots=True)
class WhyAnswer:
    """``doit assets why``: one asset's status with its causes, or each
    partition's of a partitioned asset."""

    name: str
    statuses: list[AssetStatus]
    partitioned: bool  # ``statuses`` are the partitions of ``name``
    now: float

    def to_dict(self) -> dict[str, Any]:
        entries, continued = explain(self.statuses, self.now)
        if self.partitioned:
            data = {"asset": self.name, "partitions": entries}
            return _with_continued(data, continued)
        return _with_continued(entries[0], continued)


def why_answer(file: str, dodo: str | None, name: str) -> WhyAnswer:
    """The status of ``name`` (``KEY`` or ``KEY:PARTITION``) with its causes."""
    plan = load_plan(file, dodo)
    parts = partitions_of(plan)
    key, _ = known_partition(plan, name)
    found = project_status(plan, [key])
    now = clock.now()
    if name in parts:  # every partition that would run, each with its causes
        return WhyAnswer(name, [found[n] for n in parts[name]], True, now)
    return WhyAnswer(name, [found[name]], False, now)


def _with_continued(
    data: dict[str, Any], continued: list[dict[str, Any]]
) -> dict[str, Any]:
    """``continued``: the upstreams met too deep to be explained in place."""
    return {**data, "continued": continued} if continued else data


@dataclass(frozen=True, slots=True)
class GraphAnswer:
    """``doit assets graph``: a node per selected asset, as the drawings and
    the JSON take it, and how many are in each state."""

    nodes: list[dict[str, Any]]
    counts: dict[State, int]


def graph_answer(file: str, dodo: str | None, selection: Sequence[str]) -> GraphAnswer:
    """The assets ``selection`` names (every asset when empty), each with its
    status, its edges to the others and its last materializations."""
    plan = load_plan(file, dodo)
    keys = select(selection, plan)
    found = project_status(plan, keys)
    shown = {s.asset: s for s in shown_statuses(plan, keys, found, False)}
    now = clock.now()
    chosen = {str(k) for k in keys}
    history = (
        History.open(HISTORY_FILE, readonly=True)
        if os.path.exists(HISTORY_FILE)
        else None
    )
    try:
        latest = history.latest_checks(chosen) if history is not None else {}
        nodes = [_node(shown[k], plan, chosen, history, now, latest) for k in keys]
    finally:
        if history is not None:
            history.close()
    counts = {s: sum(1 for n in nodes if n["state"] == s) for s in STATES}
    return GraphAnswer(nodes, counts)


def _node(
    status: AssetStatus,
    plan: Plan,
    chosen: set[str],
    history: History | None,
    now: float,
    latest: dict[tuple[str, str], RecordedCheck],
) -> dict[str, Any]:
    info = plan[status.asset]
    mats = (
        history.materializations(status.asset, limit=HISTORY_SHOWN) if history else []
    )
    mat_dicts = [materialization_dict(history, m) for m in mats] if history else []
    last = next((m for m in mat_dicts if m["status"] == "success"), None)
    if last is None and history is not None and status.kind == "transform":
        success = history.last_success(status.asset)
        last = materialization_dict(history, success) if success else None
    age = status.age(now)
    return {
        "asset": status.asset,
        "kind": status.kind,
        "state": status.state,
        "reason": status.reason,
        "group": info.group,
        "tags": list(info.tags),
        "description": info.doc or None,
        "paths": list(info.paths),
        "transform": (info.transform or "")
        if isinstance(info, PlannedGroup)
        else info.transform,
        "deps": [d for d in plan.deps(status.asset) if d in chosen],
        "max_age": None
        if status.max_age is None
        else clock.format_duration(status.max_age),
        "age": None if age is None else clock.format_duration(age),
        "last_materialization": last,
        "history": mat_dicts,
        **({"checks": _checks(info, latest)} if _declared(info) else {}),
    }


def _declared(info: Planned) -> bool:
    return isinstance(info, PlannedAsset) and bool(info.checks)


def _checks(
    info: Planned, latest: dict[tuple[str, str], RecordedCheck]
) -> list[dict[str, Any]]:
    """checks: each declared check, with its latest result."""
    assert isinstance(info, PlannedAsset)
    return [planned_check_dict(c, latest.get((info.task, c.name))) for c in info.checks]
