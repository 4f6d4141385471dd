"""``doit assets tick``: one evaluation of every automation, then the run it asks for.

Run by hand, by the system's cron or a CI schedule, and by ``doit assets
watch`` for each of its cycles (a new process each time, so that every cycle
sees the declarations as they are now, Python modules included). The watcher
tells it what woke it (``--changed``, ``--reloaded``, ``--start``) and reads
back a report (``--report FILE``, JSON): what ran, what failed, which files to
watch and when the next schedule, sensor or expiry is due.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from typing import Any

from ..atomic import write_atomically
from ..automate import sensors
from ..automate.evaluate import (
    Decision,
    Wake,
    evaluate,
    expiries,
    keys_with_clock,
)
from ..automate.files import (
    declaration_files,
    glob_folders,
    output_paths,
    watched_files,
)
from ..errors import (
    AssetCycleError,
    AssetDefinitionError,
    AssetError,
    AssetSyntaxError,
    AssetValidationError,
    DuplicateAssetError,
    UnknownDependencyError,
)
from ..inspect.status import project_status
from ..model import clock
from ..model.selection import select
from ..paths import HISTORY_FILE
from ..plan.loading import load_plan
from ..plan.plan import Plan
from ..run.context import RunContext
from ..store.history import History
from ..text import first_line
from .materialize import run_assets

# What an edit of the declarations can do wrong (anything else is an error of the tick)
INVALID = (
    AssetSyntaxError,
    AssetDefinitionError,
    UnknownDependencyError,
    DuplicateAssetError,
    AssetCycleError,
    AssetValidationError,
)


def tick_command(args: argparse.Namespace) -> int:
    report: dict[str, Any] = {"ok": False}
    try:
        code = _tick(args, report)
    except AssetError as err:
        report["errors"] = str(err)
        report["invalid"] = isinstance(err, INVALID)
        _report(args, report)
        raise
    _report(args, report)
    return code


def _tick(args: argparse.Namespace, report: dict[str, Any]) -> int:
    # A watcher's cycle waits for another run; a tick of the system's cron says
    # who holds the project, and leaves what it would have run to the next tick.
    context = RunContext(wait_for_lock=bool(args.report))
    plan = load_plan(args.file, args.dodo, context.warned)
    chosen = set(select(args.selection, plan) if args.selection else plan.keys)
    report.update(
        ok=True,
        watch=watched_files(plan),
        outputs=output_paths(plan),
        globs=glob_folders(plan),
        declarations=declaration_files(args.file, args.dodo),
    )
    if args.describe:  # a watcher about to start: what to watch, nothing more
        return 0
    now = clock.now()
    changed, during = _changes(args.changes)
    wake = Wake(
        changed=changed + during,
        during=during,
        reloaded=args.reloaded,
        full=not (changed or during or args.reloaded or args.timed),
        label="watch started" if args.start else "tick",
    )
    aimed = [s for s in plan.sensors if any(k in chosen for k in s.triggers)]
    with History.open(HISTORY_FILE) as history:
        moments = history.moments()
        asked, sensors_due = sensors.due(aimed, moments, now)
        fired, warnings = sensors.ask(asked, history, now, os.getcwd())
    for warning in warnings:
        sys.stderr.write(warning + "\n")
    clocked = keys_with_clock(plan, chosen)
    statuses = project_status(plan, clocked) if clocked else {}
    targets = {name: f.targets for name, f in fired.items()}
    decision = evaluate(
        plan, chosen, wake, now, moments=moments, statuses=statuses, fired=targets
    )
    decision.due_at(sensors_due)
    report.update(
        next_due=decision.next_due,
        requested=sorted(decision.requests),
        trigger=decision.trigger,
        warnings=warnings,
    )
    if not decision.requests:
        _acted(decision, fired, [], now)
        if not args.report:
            sys.stdout.write("Nothing to do: no automation asks for a run now.\n")
        return 0
    if not args.report:
        sys.stdout.write(_asked(decision))
        sys.stdout.flush()
    code = _run(args, plan, decision, context, report)
    made = list(report.get("done", ()))
    _acted(decision, fired, made, now)
    aging = [k for k in chosen if k in plan and plan[k].max_age is not None]
    if aging:  # what the run made expires later than what the evaluation saw
        evaluated = decision.next_due
        decision.next_due = None
        decision.due_at(expiries(plan, chosen, project_status(plan, aging)))
        decision.due_at(evaluated)
        report["next_due"] = decision.next_due
    return code


def _changes(path: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What a watcher saw change (a JSON file: the list can be long), and of
    it what changed while its last cycle ran."""
    if path is None:
        return (), ()
    with open(path, encoding="utf-8") as f:
        changes = json.load(f)
    return tuple(changes["changed"]), tuple(changes["during"])


def _run(
    args: argparse.Namespace,
    plan: Plan,
    decision: Decision,
    context: RunContext,
    report: dict[str, Any],
) -> int:
    context.only = frozenset(decision.requests)
    context.force = frozenset(decision.force)
    context.reasons = decision.requests
    context.trigger = decision.trigger
    if args.report:  # a watcher's cycle: its command is the watcher's
        context.command = shlex.join(["doit", "assets", "watch", *args.selection])
    began = time.monotonic()
    code = run_assets(
        args.file,
        list(decision.requests),
        context,
        doit_args=args.doit_args,
        dodo=args.dodo,
    )
    report.update(took=time.monotonic() - began, code=code)
    report.update(_outcome(context.run_id))
    return code


def _acted(
    decision: Decision, fired: dict[str, sensors.Fired], done: list[str], now: float
) -> None:
    """Keep the moments and the sensors' answers that the run acted on: those
    whose tasks it made, or tried to (not those it was stopped before)."""
    finished = set(done)
    keys = {task.partition(":")[0] for task in finished}
    asked = {task.partition(":")[0] for task in decision.requests}
    with History.open(HISTORY_FILE) as history:
        for name, (moment, tasks) in decision.moments.items():
            if all(t in finished for t in tasks):
                history.set_moment(name, moment)
        sensors.acknowledge(fired, asked, keys, history, now)


def _asked(decision: Decision) -> str:
    forced = f", {len(decision.force)} forced" if decision.force else ""
    return f"Tick: {len(decision.requests)} asked for{forced} ({decision.trigger})\n"


def _outcome(run_id: int | None) -> dict[str, Any]:
    """What the run did, from its history: made, failed (with the error's
    first line and the end of stderr), blocked, and how many were up to date."""
    if run_id is None:
        return {}
    with History.open(HISTORY_FILE, readonly=True) as history:
        results = history.run_results(run_id)
        run = history.run(run_id)
    made, failed, blocked = [], [], []
    for task, m in results.items():
        if m.status == "failed":  # a source too: one that does not exist
            failed.append([task, first_line(m.error), m.stderr_tail or ""])
        elif m.kind != "transform":
            continue
        elif m.status == "success":
            made.append(task)
        elif m.status == "blocked":
            blocked.append(task)
    return {
        # what the run made or tried (not what it was stopped before)
        "done": [t for t, m in results.items() if m.status != "interrupted"],
        "run": run_id,
        "made": made,
        "failed": failed,
        "blocked": blocked,
        "up_to_date": run.up_to_date if run else 0,
        "outcome": run.outcome if run else "unknown",
    }


def _report(args: argparse.Namespace, report: dict[str, Any]) -> None:
    if args.report:
        write_atomically(args.report, json.dumps(report).encode("utf-8"))
