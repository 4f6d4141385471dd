"""The text and JSON that ``doit assets history|lineage|show|runs`` print."""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import sys
from collections.abc import Sequence
from typing import Any

from ..errors import AssetError, did_you_mean
from ..inspect.queries import (
    JSON_VERSION,
    chain_downstream,
    chain_upstream,
    declared,
    materialization_dict,
    outputs_on_disk,
    producer,
    run_dict,
)
from ..inspect.status import project_status, summarize
from ..model.traversal import walk_once
from ..paths import HISTORY_FILE
from ..plan.loading import load_plan, load_project
from ..plan.plan import Plan, plan_of
from ..plan.records import PlannedAsset, PlannedGroup
from ..run.lock import running_pid
from ..store.history import ANY, History, Run
from . import jsontext

NO_HISTORY = (
    "No history yet: {path} does not exist. Run 'doit' to materialize assets.\n"
)


def history_command(args: argparse.Namespace) -> int:
    history = _open_history(args.json, {"materializations": []})
    if history is None:
        return 0
    with history:
        asset, colon, partition = (args.asset or "").partition(":")
        which = partition if colon else ANY
        if args.asset and not history.materializations(asset, limit=1, partition=which):
            _check_known(args, args.asset)
        mats = history.materializations(
            asset or None, limit=args.limit, failed_only=args.failed, partition=which
        )
        if args.json:
            data = [materialization_dict(history, m) for m in mats]
            return _print_json({"materializations": data})
        if not mats:
            what = " that failed" if args.failed else ""
            of = f" of '{args.asset}'" if args.asset else ""
            _out(f"No materializations{of}{what} recorded in {history.path}.\n")
            return 0
        rows = []
        for mat in mats:
            outputs = history.outputs(mat.id)
            if mat.status == "success":
                detail = "  ".join(
                    f"{o.path} {_short(o.md5)} {_size(o.size)}" for o in outputs
                )
            else:
                detail = _first_line(mat.error)
            rows.append(
                [
                    str(mat.id),
                    str(mat.run_id),
                    mat.task,
                    "observed"
                    if mat.kind == "source" and mat.status == "success"
                    else mat.status,
                    _time(mat.ended_at),
                    _seconds(mat.duration),
                    detail,
                ]
            )
        headers = ["ID", "RUN", "ASSET", "STATUS", "FINISHED", "TOOK", "OUTPUT"]
        _out(_table(headers, rows, right={0, 1, 5}))
        return 0


def runs_command(args: argparse.Namespace) -> int:
    history = _open_history(args.json, {"runs": []})
    if history is None:
        return 0
    with history:
        runs = [_as_seen_now(r, running_pid()) for r in history.runs(args.limit)]
        if args.json:
            return _print_json({"runs": [run_dict(r) for r in runs]})
        if not runs:
            _out(f"No runs recorded in {history.path}.\n")
            return 0
        rows = [
            [
                str(r.id),
                _time(r.started_at),
                _seconds(None if r.ended_at is None else r.ended_at - r.started_at),
                r.outcome,
                str(r.materialized),
                str(r.up_to_date),
                str(r.failed),
                r.command,
            ]
            for r in runs
        ]
        headers = ["RUN", "STARTED", "TOOK", "OUTCOME", "MADE", "UP-TO-DATE"]
        headers += ["FAILED", "COMMAND"]
        _out(_table(headers, rows, right={0, 2, 4, 5, 6}))
        return 0


def _as_seen_now(run: Run, live: int | None) -> Run:
    """A run left 'running' by a doit that was killed is shown as interrupted
    (the next run records it so)."""
    if run.outcome == "running" and run.pid != live:
        return dataclasses.replace(run, outcome="interrupted")
    return run


def show_command(args: argparse.Namespace) -> int:
    project, graph = load_project(args.file, args.dodo)
    plan = plan_of(project, graph)
    key, partition = known_partition(plan, args.asset)
    spec = graph[key]
    statuses = project_status(plan, [key])
    record = plan[key] if partition is None else plan.by_task[args.asset]
    if isinstance(record, PlannedGroup):
        members = [statuses[n] for n in record.tasks]
        status = summarize(key, members, record)
        inputs = list(spec.inputs)
    else:
        status = statuses[args.asset]
        inputs = list(plan.inputs(record))
    transform = record.transform
    if transform is None and callable(spec.transform):
        transform = f"python {spec.transform.__module__}:{spec.transform.__qualname__}"
    grouped = isinstance(record, PlannedGroup)
    outputs = [] if grouped else outputs_on_disk(str(project.root), record.paths)
    which = ANY if partition is None else partition
    history = _open_history(True, None) if os.path.exists(HISTORY_FILE) else None
    last = last_ok = None
    if history is not None:
        with history:
            attempts = history.materializations(key, limit=1, partition=which)
            last = materialization_dict(history, attempts[0]) if attempts else None
            success = history.last_success(key, which)
            last_ok = success and materialization_dict(history, success)
    data = {
        "asset": args.asset,
        "partitions": spec.partitions.describe() if spec.partitions else None,
        "declared_at": str(spec.location) if spec.location else None,
        "kind": record.kind,
        "description": spec.description,
        "transform": transform,
        "code_version": record.code_version,
        "depends_on": list(spec.deps),
        "inputs": inputs,
        "outputs": outputs,
        "metadata": dict(spec.metadata),
        "status": {
            "state": status.state,
            "reasons": [c.text for c in status.causes],
        },
        "last_materialization": last_ok,
        "last_attempt": last,
    }
    if args.json:
        return _print_json(data)
    lines = [
        ("asset", key),
        ("declared", data["declared_at"] or "-"),
        ("kind", record.kind),
        ("description", spec.description or "-"),
    ]
    if spec.partitions is not None:
        lines.append(("partitions", spec.partitions.describe()))
    if isinstance(record, PlannedAsset) and record.observable:
        lines.append(("observe", record.observed_as() or "-"))
        lines.append(("observed", status.observation or "not yet"))
    if record.kind == "transform":
        lines.append(("transform", transform or ""))
        automatic = " (automatic)" if spec.is_python and not spec.code_version else ""
        lines.append(("code version", (record.code_version or "-") + automatic))
        lines.append(("depends on", ", ".join(spec.deps) or "-"))
        lines.append(("inputs", ", ".join(inputs) or "-"))
    for output in outputs:
        if output["exists"]:
            text = f"{output['path']}  {_size(output['size'])}  md5 {output['md5']}"
        else:
            text = f"{output['path']}  (missing)"
        lines.append(("output", text))
    state = status.state
    if status.reason:
        state += ": " + status.reason
    lines.append(("status", state))
    lines.append(("last made", _describe(last_ok) if last_ok else "never"))
    if last and (not last_ok or last["id"] != last_ok["id"]):
        lines.append(("last attempt", _describe(last)))
    width = max(len(label) for label, _ in lines)
    _out("".join(f"{label:<{width}}  {value}\n" for label, value in lines))
    return 0


def lineage_command(args: argparse.Namespace) -> int:
    # The tasks, from the project cache: at 10 000 assets, validating the
    # project again would cost more than the whole answer.
    plan = load_plan(args.file, args.dodo)
    key, partition = known_partition(plan, args.asset)
    if key in plan.groups and partition is None:
        raise AssetError(
            f"asset '{key}' has partitions: lineage follows one of them",
            hint=f"Name it as {key}:PARTITION; "
            f"'doit assets status {key} --partitions' lists them",
        )
    up, down = not args.downstream, not args.upstream
    asset = plan.by_task[args.asset]
    outputs = outputs_on_disk(asset.root, asset.paths)
    history = History.open(HISTORY_FILE) if os.path.exists(HISTORY_FILE) else None
    data: dict[str, Any] = {"asset": args.asset, "outputs": outputs, "declared": {}}
    continued: dict[str, list[dict[str, Any]]] = {}
    for direction, wanted in (("upstream", up), ("downstream", down)):
        if wanted:
            tree, deeper = declared(plan, key, direction, args.depth)
            data["declared"][direction] = tree
            if deeper:
                continued[direction] = deeper
    mat_id = producer(history, outputs)
    data["materialization"] = None
    for direction, wanted in (("upstream", up), ("downstream", down)):
        if wanted:
            data[f"{direction}_chain"] = []
    if history is not None and mat_id is not None:
        with history:
            chains = {"upstream": chain_upstream, "downstream": chain_downstream}
            for direction, wanted in (("upstream", up), ("downstream", down)):
                if wanted:
                    chain = chains[direction](history, mat_id, args.depth)
                    data["materialization"] = chain[0]
                    data[f"{direction}_chain"] = chain[1:]
    elif history is not None:
        history.close()
    if continued:  # the trees of assets met too deep to be expanded in place
        data["declared_continued"] = continued
    if args.json:
        return _print_json(data)
    _out(_lineage_text(data, history is not None))
    return 0


def _lineage_text(data: dict[str, Any], has_history: bool) -> str:
    lines = [data["asset"]]
    for output in data["outputs"]:
        if output["exists"]:
            lines.append(
                f"  {output['path']}  {_size(output['size'])}  md5 {output['md5']}"
            )
        else:
            lines.append(f"  {output['path']}  (missing)")
    shown: set[str] = set()  # the assets expanded so far: a ref to one is above
    for direction, tree in data["declared"].items():
        lines.append(f"\ndeclared {direction}:")
        lines += _tree_lines(tree, shown) or ["  (none)"]
        for more in data.get("declared_continued", {}).get(direction, []):
            lines.append(f"\ndeclared {direction} of {more['asset']}:")
            shown.add(more["asset"])
            lines += _tree_lines(more["children"], shown)
        shown.clear()  # each direction is a tree of its own
    mat = data["materialization"]
    if mat is None:
        lines.append("")
        if not has_history:
            lines.append(NO_HISTORY.format(path=HISTORY_FILE).rstrip())
        elif not any(o["exists"] for o in data["outputs"]):
            lines.append("No current version: the output does not exist.")
        else:
            lines.append(
                "The current version was not made by any recorded materialization "
                "(edited by hand, or made before the history began)."
            )
        return "\n".join(lines) + "\n"
    lines.append(f"\ncurrent version made by {_describe(mat)}:")
    lines += _mat_lines(mat, "  ")
    for direction in ("upstream", "downstream"):
        chain = data.get(f"{direction}_chain")
        if chain is None:
            continue
        title = "made from" if direction == "upstream" else "read by"
        lines.append(f"\n{title}:")
        if not chain:
            lines.append("  (nothing recorded)")
        lines += _chain_tree(mat, chain, upstream=direction == "upstream")
    return "\n".join(lines) + "\n"


def _chain_tree(
    root: dict[str, Any], chain: list[dict[str, Any]], *, upstream: bool
) -> list[str]:
    """The chain as a tree: each materialization under the one that read it
    (upstream) or that it read (downstream), expanded once (see trees.walk_once);
    one met again is "(shown above)"."""
    by_id = {entry["id"]: entry for entry in chain}
    readers: dict[int, list[dict[str, Any]]] = {}
    if not upstream:
        for entry in chain:
            for read_id in _upstream_ids(entry):
                readers.setdefault(read_id, []).append(entry)

    def children(entry: dict[str, Any]) -> list[dict[str, Any]]:
        if upstream:
            return [by_id[i] for i in _upstream_ids(entry) if i in by_id]
        return readers.get(entry["id"], [])

    lines: list[str] = []
    heads: dict[int, str] = {}  # each once: a reference repeats the line
    for step in walk_once([root], lambda entry: entry["id"], children):
        entry = step.node
        head = heads.get(entry["id"])
        if head is None:
            head = heads[entry["id"]] = f"{entry['asset']} {_describe(entry)}"
        if step.level == 0:
            if entry is not root:  # continued from deeper down
                lines += ["", head + ":"]
                lines.extend(_mat_lines(entry, "  "))
            continue
        indent = "  " * step.level
        if step.shown != "here":
            lines.append(f"{indent}{head} (shown {step.shown})")
            continue
        lines.append(indent + head)
        if entry["kind"] == "transform":
            lines.extend(_mat_lines(entry, indent + "  "))
    return lines


def _upstream_ids(entry: dict[str, Any]) -> list[int]:
    ids = (i["upstream_id"] for i in entry["inputs"])
    return [i for i in dict.fromkeys(ids) if i is not None]


def _mat_lines(mat: dict[str, Any], indent: str) -> list[str]:
    lines = []
    transform = mat["transform"]
    if transform and transform.startswith("python "):
        lines.append(f"{indent}called {transform.removeprefix('python ')}")
    elif transform:
        lines.append(f"{indent}$ {transform}")
    for item in mat["inputs"]:
        if item["upstream_id"] is None:
            source = f"from {item['asset']} (unrecorded)" if item["asset"] else "file"
        elif item["upstream_kind"] == "source":
            source = f"from source {item['asset']}, observed #{item['upstream_id']}"
        else:
            source = f"from {item['asset']} #{item['upstream_id']}"
        lines.append(f"{indent}read {item['path']}  {_short(item['md5'])}  {source}")
    for output in mat["outputs"]:
        lines.append(
            f"{indent}wrote {output['path']}  {_short(output['md5'])}  "
            f"{_size(output['size'])}"
        )
    return lines


def _tree_lines(tree: list[dict[str, Any]], shown: set[str]) -> list[str]:
    """A declared tree, two spaces a level; ``shown``: the assets expanded
    above, to which the tree adds its own."""
    lines = []
    stack = [(node, 1) for node in reversed(tree)]
    while stack:
        node, level = stack.pop()
        name = node["asset"]
        if node.get("ref"):
            where = "above" if name in shown else "below"
            lines.append(f"{'  ' * level}{name} (shown {where})")
            continue
        shown.add(name)
        lines.append(f"{'  ' * level}{name}")
        stack.extend((child, level + 1) for child in reversed(node["children"]))
    return lines


def _describe(mat: dict[str, Any]) -> str:
    when = _time_iso(mat["ended_at"])
    if mat["kind"] == "source":
        return f"#{mat['id']} (source, observed {when})"
    took = _seconds(mat["duration_s"])
    verb = {"success": "made"}.get(mat["status"], mat["status"])
    text = f"#{mat['id']} (run {mat['run_id']}): {verb} {when} in {took}"
    if mat["status"] != "success" and mat["error"]:
        text += f": {_first_line(mat['error'])}"
    return text


# -- helpers -------------------------------------------------------------------


def _open_history(quiet: bool, empty_json: dict[str, Any] | None) -> History | None:
    if not os.path.exists(HISTORY_FILE):
        if empty_json is not None and quiet:
            _print_json(empty_json)
            sys.stderr.write(NO_HISTORY.format(path=HISTORY_FILE))
        else:
            _out(NO_HISTORY.format(path=HISTORY_FILE))
        return None
    return History.open(HISTORY_FILE)


def known_partition(plan: Plan, name: str) -> tuple[str, str | None]:
    """``KEY`` or ``KEY:PARTITION`` of a declared asset, or an AssetError."""
    key, colon, partition = name.partition(":")
    if key not in plan:
        raise AssetError(
            f"unknown asset '{key}'",
            hint=did_you_mean(key, plan.keys) or "'doit list' shows the assets",
        )
    if not colon:
        return key, None
    group = plan.groups.get(key)
    if group is None:
        raise AssetError(f"asset '{key}' has no partitions", hint=f"Name it as '{key}'")
    keys = [task.partition(":")[2] for task in group.tasks]
    if partition not in keys:
        raise AssetError(
            f"asset '{key}' has no partition '{partition}'",
            hint=did_you_mean(partition, keys)
            or f"'doit assets status {key} --partitions' lists them",
        )
    return key, partition


def _check_known(args: argparse.Namespace, key: str) -> None:
    """Raise for a name that is neither declared nor in the history."""
    try:
        plan = load_plan(args.file, args.dodo)
    except AssetError:
        return  # cannot tell; an empty answer will say there is nothing recorded
    known_partition(plan, key)


def _print_json(data: dict[str, Any]) -> int:
    jsontext.write({"version": JSON_VERSION, **data}, sys.stdout, end="\n")
    return 0


def _out(text: str) -> None:
    sys.stdout.write(text)


def _table(headers: Sequence[str], rows: list[list[str]], right: set[int]) -> str:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    lines = []
    for row in [list(headers), *rows]:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def _time(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return datetime.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def _time_iso(text: str | None) -> str:
    if text is None:
        return "-"
    moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return _time(moment.timestamp())


def _seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.2f}s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s"


def _size(size: int | None) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def _short(md5: str | None) -> str:
    return md5[:12] if md5 else "-"


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""
