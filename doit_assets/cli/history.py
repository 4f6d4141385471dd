"""``doit assets history|runs|show|lineage``: their answers
(inspect/history_answers.py) as text or JSON."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from ..inspect.history_answers import (
    LineageAnswer,
    ShowAnswer,
    history_answer,
    lineage_answer,
    runs_answer,
    show_answer,
)
from ..model.traversal import walk_once
from ..paths import HISTORY_FILE
from ..plan.records import PlannedAsset
from ..store.history import Materialization
from ..text import (
    first_line,
    format_size,
    format_took,
    local_time,
    local_time_of_iso,
    short_md5,
    table,
)
from .jsontext import print_json

NO_HISTORY = (
    "No history yet: {path} does not exist. Run 'doit' to materialize assets.\n"
)


def history_command(args: argparse.Namespace) -> int:
    if args.prune or args.older_than:
        from .prune import prune_command

        return prune_command(args)
    answer = history_answer(
        args.file,
        args.dodo,
        args.asset,
        limit=args.limit,
        failed_only=args.failed,
        with_inputs=args.json,  # the table shows none
    )
    if answer is None:
        return _no_history(args.json, {"materializations": []})
    if args.json:
        return print_json(answer.to_dict())
    if not answer.materializations:
        what = " that failed" if args.failed else ""
        of = f" of '{args.asset}'" if args.asset else ""
        _out(f"No materializations{of}{what} recorded in {HISTORY_FILE}.\n")
        return 0
    rows: list[list[str]] = []
    notes: dict[int, list[str]] = {}  # lines under a row: its log, its stderr
    # a task tried more than once in a run (retries): each row names its attempt
    retried = {
        (m.run_id, m.task) for m in answer.materializations if (m.attempt or 1) > 1
    }
    for mat in answer.materializations:
        notes[len(rows)] = _notes(mat)
        if mat.status == "success":
            detail = "  ".join(
                f"{o.path} {short_md5(o.md5)} {format_size(o.size)}"
                for o in answer.outputs[mat.id]
            )
        else:
            detail = first_line(mat.error)
        rows.append(
            [
                str(mat.id),
                str(mat.run_id),
                mat.task,
                "observed"
                if mat.kind == "source" and mat.status == "success"
                else mat.status
                + (
                    f" (attempt {mat.attempt})"
                    if (mat.run_id, mat.task) in retried
                    else ""
                ),
                local_time(mat.ended_at),
                format_took(mat.duration),
                detail,
            ]
        )
    headers = ["ID", "RUN", "ASSET", "STATUS", "FINISHED", "TOOK", "OUTPUT"]
    text = table(headers, rows, right={0, 1, 5})
    _out(_with_notes(text, notes, indent=text.index("ASSET")))
    return 0


# How many of a failure's last lines of stderr the history table shows
# (show shows all the row keeps).
HISTORY_TAIL_LINES = 3
NOTE_WIDTH = 200  # characters of reported metadata under a row


TRIGGER_WIDTH = 40  # characters of a run's trigger in the runs table (--json: all)


def _shortened(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _notes(mat: Materialization) -> list[str]:
    """logs: what the transform reported, and of a failure, its log and the
    last lines of its stderr."""
    notes = []
    if mat.trigger:
        notes.append(f"triggered by: {mat.trigger}")
    if mat.reported_metadata:
        reported = compact_json(mat.reported_metadata)
        if len(reported) > NOTE_WIDTH:  # a preview: show and --json have it all
            reported = reported[: NOTE_WIDTH - 1] + "…"
        notes.append(f"metadata: {reported}")
    if mat.status != "success" and mat.log:
        notes.append(f"log: {mat.log}")
    if mat.status != "success" and mat.stderr_tail:
        lines = mat.stderr_tail.splitlines()[-HISTORY_TAIL_LINES:]
        notes += [f"> {line}" for line in lines]
    return notes


def _with_notes(text: str, notes: dict[int, list[str]], indent: int) -> str:
    """The table with each row's notes on lines of their own under it."""
    lines = text.splitlines()
    out = [lines[0]]
    for number, line in enumerate(lines[1:]):
        out.append(line)
        out += [" " * indent + note for note in notes.get(number, [])]
    return "\n".join(out) + "\n"


def compact_json(data: object) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def runs_command(args: argparse.Namespace) -> int:
    answer = runs_answer(args.limit)
    if answer is None:
        return _no_history(args.json, {"runs": []})
    if args.json:
        return print_json(answer.to_dict())
    if not answer.runs:
        _out(f"No runs recorded in {HISTORY_FILE}.\n")
        return 0
    rows = [
        [
            str(r.id),
            local_time(r.started_at),
            format_took(None if r.ended_at is None else r.ended_at - r.started_at),
            r.outcome,
            str(r.materialized),
            str(r.up_to_date),
            str(r.failed),
            _shortened(r.trigger or "manual", TRIGGER_WIDTH),
            r.command,
        ]
        for r in answer.runs
    ]
    headers = ["RUN", "STARTED", "TOOK", "OUTCOME", "MADE", "UP-TO-DATE"]
    headers += ["FAILED", "TRIGGER", "COMMAND"]
    _out(table(headers, rows, right={0, 2, 4, 5, 6}))
    return 0


def show_command(args: argparse.Namespace) -> int:
    answer = show_answer(args.file, args.dodo, args.asset)
    if args.json:
        return print_json(answer.to_dict())
    _out(_show_text(answer))
    return 0


def _show_text(answer: ShowAnswer) -> str:
    spec, record, status = answer.spec, answer.record, answer.status
    lines = [
        ("asset", answer.key),
        ("declared", answer.declared_at or "-"),
        ("kind", record.kind),
        ("description", spec.description or "-"),
    ]
    if spec.partitions is not None:
        lines.append(("partitions", spec.partitions.describe()))
    if isinstance(record, PlannedAsset) and record.observable:
        lines.append(("observe", record.observed_as() or "-"))
        lines.append(("observed", status.observation or "not yet"))
    if record.kind == "transform":
        lines.append(("transform", answer.transform or ""))
        automatic = " (automatic)" if spec.is_python and not spec.code_version else ""
        lines.append(("code version", (record.code_version or "-") + automatic))
        lines.append(("depends on", ", ".join(spec.deps) or "-"))
        lines.append(("inputs", ", ".join(answer.inputs) or "-"))
    lines += _environment_lines(answer.fingerprint)
    lines += [("output", _on_disk(output)) for output in answer.outputs]
    lines += [("check", declared_check(check)) for check in answer.checks]
    state = f"{status.state}: {status.reason}" if status.reason else status.state
    lines.append(("status", state))
    last_ok, last = answer.last_success, answer.last_attempt
    lines.append(("last made", _describe(last_ok) if last_ok else "never"))
    if last and (not last_ok or last["id"] != last_ok["id"]):
        lines.append(("last attempt", _describe(last)))
    lines += _show_log_lines(last_ok, last)
    width = max(len(label) for label, _ in lines)
    return "".join(f"{label:<{width}}  {value}\n" for label, value in lines)


def _environment_lines(fingerprint: dict[str, Any]) -> list[tuple[str, str]]:
    """The components of a fingerprint beyond the transform, code version and
    inputs (shown above them): env, inherited variables, tools, packages."""
    lines = []
    for name, value in (fingerprint.get("env") or {}).items():
        lines.append(("env", f"{name}={value}"))
    for name, value in (fingerprint.get("inherited") or {}).items():
        shown = "(unset)" if value is None else value
        lines.append(("inherited env", f"{name}={shown}"))
    for command, version in (fingerprint.get("tools") or {}).items():
        lines.append(("tool", f"{command}: {version}"))
    if fingerprint.get("python"):
        lines.append(("python", str(fingerprint["python"])))
    for name, version in (fingerprint.get("packages") or {}).items():
        lines.append(("package", f"{name} {version}"))
    return lines


def _show_log_lines(
    last_ok: dict[str, Any] | None, last: dict[str, Any] | None
) -> list[tuple[str, str]]:
    """logs: the metadata the last materialization reported, and of a last
    attempt that failed, its log and the last lines of its stderr."""
    lines = []
    if last_ok and last_ok["reported_metadata"]:
        reported = compact_json(last_ok["reported_metadata"])
        lines.append(("metadata", f"{reported} (reported by #{last_ok['id']})"))
    if not last or last["status"] == "success":
        return lines  # its log: doit assets logs; the JSON names it
    if last["log"]:
        gone = "" if os.path.exists(last["log"]) else " (removed)"
        lines.append(("log", last["log"] + gone))
    if last["stderr_tail"]:
        tail = last["stderr_tail"].splitlines()
        lines += [("stderr" if i == 0 else "", line) for i, line in enumerate(tail)]
    return lines


def lineage_command(args: argparse.Namespace) -> int:
    answer = lineage_answer(
        args.file,
        args.dodo,
        args.asset,
        upstream=not args.downstream,
        downstream=not args.upstream,
        depth=args.depth,
    )
    if args.json:
        return print_json(answer.data)
    _out(_lineage_text(answer))
    return 0


def _lineage_text(answer: LineageAnswer) -> str:
    data = answer.data
    lines = [data["asset"]] + [f"  {_on_disk(o)}" for o in data["outputs"]]
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
        if not answer.has_history:
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
        lines.append(f"{indent}read {item['path']}  {short_md5(item['md5'])}  {source}")
    for output in mat["outputs"]:
        lines.append(
            f"{indent}wrote {output['path']}  {short_md5(output['md5'])}  "
            f"{format_size(output['size'])}"
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


def _on_disk(output: dict[str, Any]) -> str:
    """An output as it is now (outputs_on_disk): its size and md5, or missing."""
    if not output["exists"]:
        return f"{output['path']}  (missing)"
    return f"{output['path']}  {format_size(output['size'])}  md5 {output['md5']}"


def _describe(mat: dict[str, Any]) -> str:
    when = local_time_of_iso(mat["ended_at"])
    if mat["kind"] == "source":
        return f"#{mat['id']} (source, observed {when})"
    took = format_took(mat["duration_s"])
    verb = {"success": "made"}.get(mat["status"], mat["status"])
    text = f"#{mat['id']} (run {mat['run_id']}): {verb} {when} in {took}"
    if mat["status"] != "success" and mat["error"]:
        text += f": {first_line(mat['error'])}"
    return text


# -- helpers -------------------------------------------------------------------


def declared_check(check: dict[str, Any]) -> str:
    """A check as ``show`` lists it: what it checks, whether it blocks, and
    its latest result."""
    definition = check["definition"]
    if not definition.startswith(check["check"] + " "):
        definition = f"{check['check']}: {definition}"
    blocking = "blocking" if check["blocking"] else "warning"
    last = check["last"]
    if last is None:
        return f"{definition} ({blocking}); not run yet"
    result = "passed" if last["passed"] else "failed"
    text = f"{definition} ({blocking}); {result} #{last['materialization_id']}"
    return f"{text}: {first_line(last['message'])}" if last["message"] else text


def _no_history(quiet: bool, empty_json: dict[str, Any]) -> int:
    """There is no history: with ``--json`` an empty answer, the words on stderr."""
    if quiet:
        print_json(empty_json)
        sys.stderr.write(NO_HISTORY.format(path=HISTORY_FILE))
    else:
        _out(NO_HISTORY.format(path=HISTORY_FILE))
    return 0


def _out(text: str) -> None:
    sys.stdout.write(text)
