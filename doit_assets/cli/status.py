"""``doit assets status|why|graph``: what would run and why, as text, JSON or a picture."""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from typing import Any

from ..atomic import write_atomically
from ..draw.drawing import render
from ..inspect.causes import (
    STATES,
    AssetStatus,
    Cause,
    explain,
    explained_status,
    explanation,
    partition_summary,
)
from ..inspect.queries import materialization_dict
from ..inspect.status import partitions_of, project_status, summarize
from ..model import clock
from ..model.selection import select
from ..model.spec import AssetKey
from ..paths import GRAPH_PAGE, HISTORY_FILE
from ..plan.loading import load_plan
from ..plan.plan import Plan
from ..plan.records import PlannedGroup
from ..store.history import History
from .history import _print_json, _table, known_partition

HISTORY_SHOWN = 10


def status_command(args: argparse.Namespace) -> int:
    plan = load_plan(args.file, args.dodo)
    keys = select(args.selection, plan)
    statuses = project_status(plan, keys)
    chosen = shown_statuses(plan, keys, statuses, args.partitions)
    now = clock.now()
    counts = {s: sum(1 for a in chosen if a.state == s) for s in STATES}
    if args.json:
        entries, continued = explain(chosen, now)
        data: dict[str, Any] = {
            "assets": entries,
            "summary": {s: n for s, n in counts.items() if n},
        }
        _print_json(_with_continued(data, continued))
    else:
        rows = [[a.asset, a.state, _age(a, now), a.reason] for a in chosen]
        sys.stdout.write(_table(["ASSET", "STATUS", "AGE", "REASON"], rows, set()))
        every_partition = all(a.partition for a in chosen)
        noun = "partition" if args.partitions and every_partition else "asset"
        sys.stdout.write("\n" + summary_line(counts, noun) + "\n")
    parts = partitions_of(plan)
    members = [statuses[n] for k in keys for n in parts.get(k, [k])]
    would_run = sum(1 for a in members if a.will_run and a.kind != "source")
    # doit skips what 'doit ignore' set aside: it is not counted, only named
    ignored = sum(1 for a in members if a.state == "ignored")
    if args.check and (would_run or ignored):
        noun = "partitions and assets" if parts else "assets"
        line = (
            f"status --check: {would_run} of {len(members)} selected {noun} would run"
        )
        if ignored:
            line += f"; {ignored} ignored {'is' if ignored == 1 else 'are'} not counted"
        sys.stderr.write(line + "\n")
    return 1 if args.check and would_run else 0


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


def why_command(args: argparse.Namespace) -> int:
    plan = load_plan(args.file, args.dodo)
    parts = partitions_of(plan)
    name = args.asset
    key, _ = known_partition(plan, name)
    statuses = project_status(plan, [key])
    now = clock.now()
    if name in parts:  # every partition that would run, each with its causes
        members = [statuses[n] for n in parts[name]]
        if args.json:
            entries, continued = explain(members, now)
            data = {"asset": name, "partitions": entries}
            return _print_json(_with_continued(data, continued))
        source = bool(members) and members[0].kind == "source"
        summary = partition_summary(_counts(members), len(members), source)
        lines = [f"{name}: {summary}"]
        waiting = [m for m in members if m.causes]
        lines += [""] * bool(waiting) + why_lines(waiting, now)
        sys.stdout.write("\n".join(lines) + "\n")
        return 0
    status = statuses[name]
    if args.json:
        entries, continued = explain([status], now)
        return _print_json(_with_continued(entries[0], continued))
    sys.stdout.write("\n".join(why_lines([status], now)) + "\n")
    return 0


def _with_continued(
    data: dict[str, Any], continued: list[dict[str, Any]]
) -> dict[str, Any]:
    """``continued``: the upstreams met too deep to be explained in place."""
    return {**data, "continued": continued} if continued else data


def _counts(members: list[AssetStatus]) -> dict[str, int]:
    counts = {s: sum(1 for m in members if m.state == s) for s in STATES}
    return {s: n for s, n in counts.items() if n}


def why_lines(statuses: list[AssetStatus], now: float) -> list[str]:
    """Each status and its tree of causes, down to the root causes.

    An upstream that will re-run is explained where it is first met; later it
    is one line, ``(stale, shown above)``. One met more than MAX_NESTING levels
    down is ``(stale, shown below)``, and explained in a paragraph of its own
    after the others.
    """
    lines: list[str] = []
    ignored, top = False, 0  # an ignored asset: its first cause is the ignoring
    for step in explanation(statuses):
        node = step.node
        if step.level == 0:
            root = explained_status(node)
            lines += ([""] if lines else []) + [_headline(root, now)]
            ignored, top = root.state == "ignored", 0
            continue
        assert isinstance(node, Cause)
        if step.level == 1:
            top += 1
            if ignored and top == 2:
                lines.append("otherwise it would run, because:")
        lines += _cause_lines(node, "  " * step.level, step.shown, now)
    return lines


def _headline(status: AssetStatus, now: float) -> str:
    name = status.asset
    if status.state == "ignored":
        return f"{name} is ignored: doit skips it, because:"
    if status.kind == "source" and status.state == "missing":
        return f"{name} is missing: doit fails it and skips what reads it, because:"
    if status.kind == "source":
        if status.observable:
            if status.observation is None:
                return f"{name} is an observable source, not observed yet"
            when = _when(status.made_at, now)
            return (
                f"{name} is an observable source: last observed {status.observation} "
                f"(new since {when}); every run observes it again"
            )
        return f"{name} is a source: made outside the pipeline, read as it is"
    if not status.causes:
        line = f"{name} is fresh: made {_when(status.made_at, now)}"
        if status.max_age is not None:
            line += f", max_age {clock.format_duration(status.max_age)}"
        return line + "; nothing it depends on has changed since"
    kinds = {c.kind for c in status.causes}
    if kinds & {"input_missing", "input_unmatched"} and status.state == "failed":
        return f"{name} failed last time and would fail again, because:"
    if kinds & {"input_missing", "input_unmatched"}:
        return f"{name} is {status.state} and would fail, because:"
    if "upstream_missing" in kinds:
        return f"{name} is {status.state} and cannot run, because:"
    if status.state == "failed":
        return f"{name} failed last time and would run again, because:"
    return f"{name} is {status.state} and would run, because:"


SHOWN = {"here": "", "above": ", shown above", "below": ", shown below"}


def _cause_lines(cause: Cause, indent: str, shown: str, now: float) -> list[str]:
    """One cause: its line, and the details of a changed file or transform."""
    text = cause.text
    if cause.kind == "upstream" and cause.upstream is not None:
        text += f" ({cause.upstream.state}{SHOWN[shown]})"
    elif cause.upstream is not None and shown != "here":
        text += f" ({SHOWN[shown].removeprefix(', ')})"
    lines = [indent + text]
    detail = indent + "  "
    if cause.diff:
        lines += [detail + line for line in cause.diff]
    elif cause.kind in ("input_changed", "output_edited") and cause.old:
        change = f"{_short(cause.old)} → {_short(cause.new)}"
        if cause.changed_at is not None:
            change += f", changed {_when(cause.changed_at, now)}"
        lines.append(detail + change)
    return lines


def summary_line(counts: dict[str, int], noun: str = "asset") -> str:
    total = sum(counts.values())
    parts = [f"{n} {state}" for state, n in counts.items() if n]
    noun = noun if total == 1 else noun + "s"
    return f"{total} {noun}: " + (", ".join(parts) if parts else "none selected")


def graph_command(args: argparse.Namespace) -> int:
    plan = load_plan(args.file, args.dodo)
    keys = select(args.selection, plan)
    statuses = project_status(plan, keys)
    shown = {s.asset: s for s in shown_statuses(plan, keys, statuses, False)}
    now = clock.now()
    chosen = {str(k) for k in keys}
    history = (
        History.open(HISTORY_FILE, readonly=True)
        if os.path.exists(HISTORY_FILE)
        else None
    )
    try:
        nodes = [_node(shown[k], plan, chosen, history, now) for k in keys]
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
    write_atomically(output, text.encode("utf-8"))  # never through a planted link
    sys.stdout.write(f"wrote {output}: {summary_line(counts)}\n")
    return 0


def _node(
    status: AssetStatus,
    plan: Plan,
    chosen: set[str],
    history: History | None,
    now: float,
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
