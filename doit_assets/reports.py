"""``doit assets status|why|graph``: what would run and why, as text, JSON or a picture."""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from typing import Any

from . import clock
from .causes import STATES, AssetStatus, Cause, partition_summary
from .drawing import render
from .history import History
from .loading import load_assets
from .queries import materialization_dict
from .schema import HISTORY_FILE
from .selection import select
from .spec import AssetKey
from .status import groups_of, partitions_of, project_status, summarize
from .views import _print_json, _table, known_partition

GRAPH_PAGE = ".doit-assets/graph.html"
HISTORY_SHOWN = 10


def status_command(args: argparse.Namespace) -> int:
    assets = load_assets(args.file, args.dodo)
    keys = select(args.selection, assets.graph)
    statuses = project_status(assets.tasks, keys)
    chosen = shown_statuses(assets.tasks, keys, statuses, args.partitions)
    now = clock.now()
    counts = {s: sum(1 for a in chosen if a.state == s) for s in STATES}
    if args.json:
        _print_json(
            {
                "assets": [a.to_dict(now) for a in chosen],
                "summary": {s: n for s, n in counts.items() if n},
            }
        )
    else:
        rows = [[a.asset, a.state, _age(a, now), a.reason] for a in chosen]
        sys.stdout.write(_table(["ASSET", "STATUS", "AGE", "REASON"], rows, set()))
        every_partition = all(a.meta.get("partition") for a in chosen)
        noun = "partition" if args.partitions and every_partition else "asset"
        sys.stdout.write("\n" + summary_line(counts, noun) + "\n")
    parts = partitions_of(assets.tasks)
    members = [statuses[n] for k in keys for n in parts.get(k, [k])]
    would_run = sum(1 for a in members if a.will_run and a.kind != "source")
    if args.check and would_run:
        noun = "partitions and assets" if parts else "assets"
        sys.stderr.write(
            f"status --check: {would_run} of {len(members)} selected {noun} would run\n"
        )
        return 1
    return 0


def shown_statuses(
    tasks: list[dict[str, Any]],
    keys: list[AssetKey],
    statuses: dict[str, AssetStatus],
    each_partition: bool,
) -> list[AssetStatus]:
    """One status per asset (a partitioned one summed up), or per partition."""
    parts = partitions_of(tasks)
    groups = groups_of(tasks)
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


def why_command(args: argparse.Namespace) -> int:
    assets = load_assets(args.file, args.dodo)
    parts = partitions_of(assets.tasks)
    name = args.asset

    def keys_of(key: str) -> list[str] | None:
        return [n.partition(":")[2] for n in parts[key]] if key in parts else None

    key, _ = known_partition(assets.graph, name, keys_of)
    statuses = project_status(assets.tasks, [key])
    now = clock.now()
    if name in parts:  # every partition that would run, each with its causes
        members = [statuses[n] for n in parts[name]]
        waiting = [m for m in members if m.causes]
        if args.json:
            return _print_json(
                {
                    "asset": name,
                    "partitions": [m.to_dict(now) for m in members],
                }
            )
        lines = [f"{name}: {partition_summary(_counts(members), len(members))}"]
        for member in waiting:
            lines += ["", *why_lines(member, now)]
        sys.stdout.write("\n".join(lines) + "\n")
        return 0
    status = statuses[name]
    if args.json:
        return _print_json(status.to_dict(now))
    sys.stdout.write("\n".join(why_lines(status, now)) + "\n")
    return 0


def _counts(members: list[AssetStatus]) -> dict[str, int]:
    counts = {s: sum(1 for m in members if m.state == s) for s in STATES}
    return {s: n for s, n in counts.items() if n}


def why_lines(status: AssetStatus, now: float) -> list[str]:
    """The cause tree of one asset, down to the root causes."""
    name = status.asset
    if status.kind == "source":
        if status.meta.get("observable"):
            if status.observation is None:
                return [f"{name} is an observable source, not observed yet"]
            when = _when(status.made_at, now)
            return [
                f"{name} is an observable source: last observed {status.observation} "
                f"(new since {when}); every run observes it again"
            ]
        return [f"{name} is a source: made outside the pipeline, read as it is"]
    if not status.causes:
        line = f"{name} is fresh: made {_when(status.made_at, now)}"
        if status.max_age is not None:
            line += f", max_age {clock.format_duration(status.max_age)}"
        return [line + "; nothing it depends on has changed since"]
    if status.state == "failed":
        lines = [f"{name} failed last time and would run again, because:"]
    else:
        lines = [f"{name} is {status.state} and would run, because:"]
    lines += _cause_lines(status.causes, "  ", now)
    return lines


def _cause_lines(causes: list[Cause], indent: str, now: float) -> list[str]:
    lines = []
    for cause in causes:
        text = cause.text
        if cause.upstream is not None:
            text += f" ({cause.upstream.state})"
        lines.append(indent + text)
        detail = indent + "  "
        if cause.diff:
            lines += [detail + line for line in cause.diff]
        elif cause.kind in ("input_changed", "output_edited") and cause.old:
            change = f"{_short(cause.old)} → {_short(cause.new)}"
            if cause.changed_at is not None:
                change += f", changed {_when(cause.changed_at, now)}"
            lines.append(detail + change)
        if cause.upstream is not None:
            lines += _cause_lines(cause.upstream.causes, detail, now)
    return lines


def summary_line(counts: dict[str, int], noun: str = "asset") -> str:
    total = sum(counts.values())
    parts = [f"{n} {state}" for state, n in counts.items() if n]
    noun = noun if total == 1 else noun + "s"
    return f"{total} {noun}: " + (", ".join(parts) if parts else "none selected")


def graph_command(args: argparse.Namespace) -> int:
    assets = load_assets(args.file, args.dodo)
    graph = assets.graph
    keys = select(args.selection, graph)
    statuses = project_status(assets.tasks, keys)
    shown = {s.asset: s for s in shown_statuses(assets.tasks, keys, statuses, False)}
    now = clock.now()
    chosen = {str(k) for k in keys}
    history = (
        History.open(HISTORY_FILE, readonly=True)
        if os.path.exists(HISTORY_FILE)
        else None
    )
    try:
        nodes = [_node(shown[k], graph[k], chosen, history, now) for k in keys]
    finally:
        if history is not None:
            history.close()
    title = f"{os.path.basename(os.getcwd())}: assets"
    text = render(args.format, nodes, title)
    output = args.output or (GRAPH_PAGE if args.format == "html" else None)
    counts = {s: sum(1 for n in nodes if n["state"] == s) for s in STATES}
    if output in (None, "-"):
        sys.stdout.write(text)
        if args.format == "text":  # for reading, as status ends
            sys.stdout.write(f"\n{summary_line(counts)}\n")
        return 0
    folder = os.path.dirname(output)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(output, "w", encoding="utf-8") as f:
        f.write(text)
    sys.stdout.write(f"wrote {output}: {summary_line(counts)}\n")
    return 0


def _node(
    status: AssetStatus,
    spec: Any,
    chosen: set[str],
    history: History | None,
    now: float,
) -> dict[str, Any]:
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
        "group": spec.group,
        "tags": list(spec.tags),
        "description": spec.description,
        "paths": list(spec.paths),
        "transform": status.meta.get("transform"),
        "deps": [d for d in spec.deps if d in chosen],
        "max_age": None
        if status.max_age is None
        else clock.format_duration(status.max_age),
        "age": None if age is None else clock.format_duration(age),
        "last_materialization": last,
        "history": mat_dicts,
    }


def _age(status: AssetStatus, now: float) -> str:
    age = status.age(now)
    text = "-" if age is None else clock.format_duration(age)
    if status.max_age is not None:
        text += f" / {clock.format_duration(status.max_age)}"
    return text


def _when(timestamp: float | None, now: float) -> str:
    if timestamp is None:
        return "at an unknown time"
    moment = datetime.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")
    return f"{moment} ({clock.format_duration(max(0.0, now - timestamp))} ago)"


def _short(md5: str | None) -> str:
    return md5[:12] if md5 else "(none)"
