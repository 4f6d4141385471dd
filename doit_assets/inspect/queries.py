"""Answers for ``doit assets ...`` as plain data: the JSON formats are these dicts.

The shapes here are a documented interface (docs/history.md): add keys, never
rename or remove them.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..model.traversal import walk_once
from ..plan.plan import Plan
from ..plan.records import Kind
from ..store.history import History, Input, Materialization, Output, Run
from ..store.versions import output_state
from ..text import iso

JSON_VERSION = 1


def run_dict(run: Run) -> dict[str, Any]:
    duration = None if run.ended_at is None else run.ended_at - run.started_at
    return {
        "id": run.id,
        "started_at": iso(run.started_at),
        "ended_at": iso(run.ended_at),
        "duration_s": duration,
        "command": run.command,
        "outcome": run.outcome,
        "materialized": run.materialized,
        "up_to_date": run.up_to_date,
        "failed": run.failed,
        "backfill_id": run.backfill_id,
        "trigger": run.trigger or "manual",  # what started it (automation)
    }


def materialization_dict(history: History, mat: Materialization) -> dict[str, Any]:
    return materialization_dict_of(
        mat, history.outputs(mat.id), history.inputs_with_kind(mat.id)
    )


def materialization_dicts(
    history: History, mat_ids: Sequence[int]
) -> list[dict[str, Any]]:
    """``materialization_dict`` of each recorded one of ``mat_ids``, in order,
    in a few queries."""
    mats = history.get_many(mat_ids)
    outputs = history.outputs_of(mat_ids)
    inputs = history.inputs_with_kind_of(mat_ids)
    return [
        materialization_dict_of(mats[m], outputs[m], inputs[m])
        for m in mat_ids
        if m in mats
    ]


def materialization_dict_of(
    mat: Materialization,
    outputs: list[Output],
    inputs: list[tuple[Input, Kind | None]],
) -> dict[str, Any]:
    """One materialization, from what was read of it (``outputs`` as
    ``History.outputs``, ``inputs`` as ``History.inputs_with_kind`` give them)."""
    return {
        "id": mat.id,
        "run_id": mat.run_id,
        "asset": mat.asset,
        "partition": mat.partition,
        "kind": mat.kind,
        "status": mat.status,
        "started_at": iso(mat.started_at),
        "ended_at": iso(mat.ended_at),
        "duration_s": mat.duration,
        "transform": mat.transform,
        "code_version": mat.code_version,
        "fingerprint": mat.fingerprint,
        "metadata": dict(mat.metadata),
        "error": mat.error,
        "exit_code": mat.exit_code,
        "attempt": mat.attempt,  # of its task in its run, from 1 (retries)
        # logs: what the transform reported, its log file, a failure's stderr
        "reported_metadata": dict(mat.reported_metadata or {}),
        "log": mat.log,
        "stderr_tail": mat.stderr_tail,
        "trigger": mat.trigger,  # why automation chose it; null: a user did
        # what it ran in: env, tools, packages, host, versions (schema 8)
        "environment": dict(mat.environment or {}),
        "outputs": [output_dict(o) for o in outputs],
        "inputs": [
            {
                "path": i.path,
                "asset": i.asset,
                "md5": i.md5,
                "upstream_id": i.upstream_id,
                "upstream_kind": kind,
            }
            for i, kind in inputs
        ],
    }


def output_dict(output: Output) -> dict[str, Any]:
    return {"path": output.path, "md5": output.md5, "size": output.size}


def outputs_on_disk(root: str, paths: Sequence[str]) -> list[dict[str, Any]]:
    """Each of ``paths`` (relative to ``root``) as it is now: exists, size, md5."""
    result = []
    for path in paths:
        state = output_state(os.path.join(root, path))
        result.append(
            {
                "path": path,
                "exists": state is not None,
                "md5": state and state["md5"],
                "size": state and state["size"],
            }
        )
    return result


def producer(history: History | None, outputs: list[dict[str, Any]]) -> int | None:
    """The materialization that wrote the current version of an asset's outputs."""
    if history is None:
        return None
    for output in outputs:
        if output["exists"]:
            found = history.producer_of(output["path"], output["md5"])
            if found is not None:
                return found
    return None


def chain_upstream(
    history: History, start: int, depth: int | None
) -> list[dict[str, Any]]:
    """Materializations that made the versions ``start`` read, breadth first."""
    if depth is None:  # all of them: their edges in one query
        return _walk(history, start, depth, _known(history.upstream_closure(start)))
    return _walk(history, start, depth, history.upstream_ids)


def chain_downstream(
    history: History, start: int, depth: int | None
) -> list[dict[str, Any]]:
    """Materializations that read what ``start`` wrote, and theirs, breadth first."""
    if depth is None:
        return _walk(history, start, depth, _known(history.downstream_closure(start)))
    return _walk(history, start, depth, history.consumer_ids)


Edges = Callable[[Sequence[int]], Mapping[int, Sequence[int]]]


def _known(edges: dict[int, list[int]]) -> Edges:
    return lambda mat_ids: {m: edges.get(m, []) for m in mat_ids}


def _walk(
    history: History, start: int, depth: int | None, edges: Edges
) -> list[dict[str, Any]]:
    """``start`` and what its edges reach, breadth first, each with its depth:
    the edges of a whole level are one query (or known), the materializations
    a few."""
    level = {start: 0}
    frontier = [start]
    while frontier and (depth is None or level[frontier[0]] < depth):
        found = edges(frontier)
        reached = []
        for mat_id in frontier:
            for other in found[mat_id]:
                if other not in level:
                    level[other] = level[mat_id] + 1
                    reached.append(other)
        frontier = reached
    entries = materialization_dicts(history, list(level))
    for entry in entries:
        entry["depth"] = level[entry["id"]]
    return entries


def declared(
    plan: Plan, key: str, direction: str, depth: int | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The declared graph around ``key`` as a tree of {asset, children}, and the
    trees continued from assets met deeper than MAX_NESTING levels.

    Each asset is expanded once, where it is first met; every later meeting is
    ``{asset, children: [], ref: true}``. With ``depth``, the assets at most
    ``depth`` steps away are shown, and only those nearer than ``depth`` are
    expanded.
    """

    def edges(k: str) -> tuple[str, ...]:
        if direction == "upstream":
            return plan.deps(k)
        return plan.downstream.get(k, ())

    nearest = _distances(key, edges) if depth is not None else {}

    def children(k: str) -> tuple[str, ...]:
        return edges(k) if depth is None or nearest[k] < depth else ()

    tree: list[dict[str, Any]] = []
    continued: list[dict[str, Any]] = []
    open_lists: list[list[dict[str, Any]]] = []  # the children being filled, by level
    for step in walk_once([key], lambda k: k, children):
        node: dict[str, Any] = {"asset": step.node, "children": []}
        if step.level == 0:
            if step.node != key:
                continued.append(node)
            open_lists = [node["children"] if step.node != key else tree]
            continue
        open_lists[step.level - 1].append(node)
        del open_lists[step.level :]
        if step.shown == "here":
            open_lists.append(node["children"])
        else:
            node["ref"] = True
    return tree, continued


def _distances(start: str, edges: Callable[[str], Sequence[str]]) -> dict[str, int]:
    """How many steps each asset reachable from ``start`` is from it, at least."""
    found = {start: 0}
    queue = deque([start])
    while queue:
        k = queue.popleft()
        for other in edges(k):
            if other not in found:
                found[other] = found[k] + 1
                queue.append(other)
    return found
