"""Answers for ``doit assets ...`` as plain data: the JSON formats are these dicts.

The shapes here are a documented interface (docs/history.md): add keys, never
rename or remove them.
"""

from __future__ import annotations

import datetime
import os
from collections import deque
from typing import Any

from .graph import AssetGraph
from .history import History, Materialization, Output, Run
from .partitions import render_key
from .spec import AssetSpec
from .toml_loader import Project
from .versioning import output_state

JSON_VERSION = 1


def iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
    }


def materialization_dict(history: History, mat: Materialization) -> dict[str, Any]:
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
        "outputs": [output_dict(o) for o in history.outputs(mat.id)],
        "inputs": [
            {
                "path": i.path,
                "asset": i.asset,
                "md5": i.md5,
                "upstream_id": i.upstream_id,
                "upstream_kind": kind,
            }
            for i, kind in history.inputs_with_kind(mat.id)
        ],
    }


def output_dict(output: Output) -> dict[str, Any]:
    return {"path": output.path, "md5": output.md5, "size": output.size}


def current_outputs(
    project: Project, spec: AssetSpec, partition: str | None = None
) -> list[dict[str, Any]]:
    """What is on disk now for each output (of one partition): exists, size, md5."""
    result = []
    paths = spec.paths
    if partition is not None and spec.partitions is not None:
        paths = tuple(render_key(p, partition, spec.partitions) for p in paths)
    for path in paths:
        state = output_state(os.path.join(project.root, path))
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
    return _walk(
        history,
        start,
        depth,
        lambda mat_id: [
            i.upstream_id for i in history.inputs(mat_id) if i.upstream_id is not None
        ],
    )


def chain_downstream(
    history: History, start: int, depth: int | None
) -> list[dict[str, Any]]:
    """Materializations that read what ``start`` wrote, and theirs, breadth first."""
    return _walk(history, start, depth, lambda m: [c.id for c in history.consumers(m)])


def _walk(
    history: History, start: int, depth: int | None, edges: Any
) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    seen = {start}
    queue: deque[tuple[int, int]] = deque([(start, 0)])
    while queue:
        mat_id, level = queue.popleft()
        mat = history.get(mat_id)
        if mat is None:
            continue
        entry = materialization_dict(history, mat)
        entry["depth"] = level
        result.append(entry)
        if depth is not None and level >= depth:
            continue
        for other in edges(mat_id):
            if other not in seen:
                seen.add(other)
                queue.append((other, level + 1))
    return result


def declared(graph: AssetGraph, key: str, direction: str, depth: int | None) -> Any:
    """The declared graph around ``key`` as a nested tree of {asset, children}."""

    def edges(k: str) -> tuple[str, ...]:
        if direction == "upstream":
            return tuple(graph[k].deps)
        return graph.downstream.get(graph[k].key, ())

    def tree(k: str, level: int, path: frozenset[str]) -> list[dict[str, Any]]:
        if depth is not None and level >= depth:
            return []
        return [
            {"asset": other, "children": tree(other, level + 1, path | {other})}
            for other in edges(k)
            if other not in path
        ]

    return tree(key, 0, frozenset({key}))
