"""``doit assets backfill``: make a range of partitions, and resume it after a stop.

A backfill is recorded before it runs: the partitions it asked for, by task
name (``KEY:PARTITION``). Its runs carry its id, so that ``--resume ID`` can
tell what already succeeded and run only the rest. Partitions run with doit's
``--always-execute``: a backfill makes each partition again, fresh or not;
``--only-stale`` and friends choose fewer. One failing partition does not stop
the others unless ``--no-continue`` or ``[settings] keep_going = false`` says so,
as for any run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Sequence

from ..doit_plugin.reporter import command_line
from ..errors import AssetError
from ..inspect.causes import AssetStatus
from ..inspect.dryrun import command_lines
from ..inspect.status import partitions_of, project_status, unmade_input
from ..model.selection import select
from ..model.windows import FIRST_DAY, LAST_DAY, TimeKind, shift, window
from ..paths import HISTORY_FILE
from ..plan.loading import load_plan
from ..plan.plan import Plan
from ..run.context import RunContext
from ..store.history import History
from .materialize import run_assets

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_BOUND = re.compile(r"\d{4}(-\d{2}(-\d{2}([T -]\d{2}(:\d{2})?)?)?)?")
FILTERS = ("missing", "failed", "stale")
# A bound's windows by how many numbers it has: 2024-03, 2024-03-05, 2024-03-05-11.
_UNITS: dict[int, TimeKind] = {2: "monthly", 3: "daily", 4: "hourly"}


def backfill_command(args: argparse.Namespace) -> int:
    plan = load_plan(args.file, args.dodo)
    with History.open(HISTORY_FILE) as history:
        if args.resume is not None:
            backfill = history.backfill(args.resume)
            if backfill is None:
                raise AssetError(
                    f"no backfill #{args.resume}",
                    hint="A backfill prints its id when it starts",
                )
            done = history.backfill_done(backfill.id)
            targets = [t for t in backfill.targets if t not in done]
            backfill_id = backfill.id
            known = set(plan.by_task)
            gone = [t for t in targets if t not in known]
            if gone:
                _say(
                    f"backfill #{backfill_id}: left out {len(gone)} no longer "
                    f"declared: {', '.join(gone)}"
                )
                targets = [t for t in targets if t in known]
            if args.dry_run and targets:
                _say(f"backfill #{backfill_id} would resume {len(targets)}:")
                _say(_with_commands(plan, targets))
                return 0
            if not targets:
                every = "" if gone else f", all {len(backfill.targets)} succeeded"
                _say(f"backfill #{backfill_id}: nothing left to do{every}")
                return 0
            _say(
                f"backfill #{backfill_id}: resuming {len(targets)} of "
                f"{len(backfill.targets)} ({len(done)} already made)"
            )
        else:
            targets = _targets(plan, args)
            if not targets:
                _say("Nothing to backfill: no partition matches.")
                return 0
            if args.dry_run:
                _say(f"would backfill {len(targets)}:")
                _say(_with_commands(plan, targets))
                if args.problem is not None:
                    _say(f"but it would fail: {args.problem}")
                return 0
            only = next((f for f in FILTERS if getattr(args, f"only_{f}")), None)
            backfill_id = history.create_backfill(
                command_line(),
                " ".join(args.selection),
                args.start,
                args.end,
                only,
                targets,
            )
            _say(
                f"backfill #{backfill_id}: {len(targets)} to make: {_describe(targets)}"
            )
    resume = f"doit assets backfill --resume {backfill_id}"
    context = RunContext(only=frozenset(targets), backfill_id=backfill_id)
    try:
        code = run_assets(
            args.file,
            targets,
            context,
            doit_args=["--always-execute", *args.doit_args],
            dodo=args.dodo,
        )
    except KeyboardInterrupt:
        sys.stderr.write(
            f"\nbackfill #{backfill_id} interrupted. Resume with: {resume}\n"
        )
        raise
    with History.open(HISTORY_FILE) as history:
        done = history.backfill_done(backfill_id)
    made = sum(1 for t in targets if t in done)
    line = f"backfill #{backfill_id}: {made} of {len(targets)} succeeded"
    if made < len(targets):
        line += f", {len(targets) - made} did not. Resume with: {resume}"
    _say(line)
    return code


def _bound(text: str | None, option: str) -> str | None:
    """A date or time as partition keys write it: 2024-03-05 or 2024-03-05-11:00."""
    if text is None:
        return None
    bound = text.replace("T", "-").replace(" ", "-")
    try:
        if not _BOUND.fullmatch(text):
            raise ValueError(text)
        moment = _moment(bound)  # a real date: no 30 February, no hour 25
    except ValueError:
        raise AssetError(
            f"{option} '{text}' is not a date",
            hint="Write 2024-03-05, 2024-03 or 2024-03-05T11:00",
        ) from None
    if not FIRST_DAY <= moment <= LAST_DAY:
        raise AssetError(
            f"{option} '{text}' is out of range",
            hint=f"Partitions lie between {FIRST_DAY.date()} and {LAST_DAY.date()}",
        )
    return bound


def _targets(plan: Plan, args: argparse.Namespace) -> list[str]:
    args.start = _bound(args.start, "--from")
    args.end = _bound(args.end, "--to")
    if args.start and args.end and args.start[: len(args.end)] > args.end:
        raise AssetError(
            f"--from {args.start} is after --to {args.end}",
            hint="The range includes both ends: --from is the first partition",
        )
    keys = select(args.selection, plan)
    parts = partitions_of(plan)
    if (args.start or args.end) and not any(k in parts for k in keys):
        raise AssetError(
            "--from and --to choose partitions, but no selected asset has any",
            hint="Select a partitioned asset, or use 'doit assets materialize'",
        )
    targets: list[str] = []
    for key in keys:
        if plan[key].kind == "source":
            continue  # made outside the pipeline: nothing to backfill
        if key not in parts:
            targets.append(key)
            continue
        kind = plan.groups[key].time_kind
        targets += [n for n in parts[key] if _in_range(n, kind, args.start, args.end)]
    only = [f for f in FILTERS if getattr(args, f"only_{f}")]
    if only:
        statuses = project_status(plan, keys)
        targets = [t for t in targets if _wanted(statuses[t], only[0])]
    chosen = set(targets)
    unmade = unmade_input(plan, chosen.__contains__)
    problem = None
    if unmade is not None:
        asset, owner, path = unmade
        problem = AssetError(
            f"upstream '{owner}' has not been made ('{path}' does not exist)",
            key=asset.task,
            hint=f"Backfill it too (select '+{asset.key}'), or make it first",
        )
    if problem is not None and not args.dry_run:
        raise problem
    args.problem = problem  # a dry run lists the partitions, then says so
    return targets


def _with_commands(plan: Plan, targets: Sequence[str]) -> str:
    """Each partition (or asset) to make, and under it the command it would run."""
    lines = []
    for target in targets:
        lines.append(f"  {target}")
        lines += command_lines(plan.by_task[target].transform or "", indent="    ")
    return "\n".join(lines)


def _wanted(status: AssetStatus, only: str) -> bool:
    if only == "stale":
        return status.will_run
    if status.state == "blocked":  # by a failure: 'failed' runs it again too
        return only == "failed" or (only == "missing" and status.made_at is None)
    return status.state == only


def _in_range(
    task: str, kind: TimeKind | None, start: str | None, end: str | None
) -> bool:
    """Does the partition's time window overlap the range from ``start`` to the
    end of ``end`` (a date, month or hour, taken whole)? Static: always."""
    key = task.partition(":")[2]
    moment = next((p for p in key.split("|") if _DATE.match(p)), None)
    if moment is None or kind is None:
        return True  # static partitions are not in time: all of them
    window_start, window_end = window(kind, moment)
    if start and window_end <= _moment(start):
        return False
    return not (end and window_start >= _after(end))


def _moment(bound: str) -> dt.datetime:
    """The start of a bound: 2024, 2024-03, 2024-03-05 or 2024-03-05-11(:00)."""
    given = [int(p) for p in re.split(r"[-:]", bound)]
    year, month, day, hour, minute = given + [1, 1, 0, 0][len(given) - 1 :]
    return dt.datetime(year, month, day, hour, minute)


def _after(bound: str) -> dt.datetime:
    """The moment just after the bound, taken whole (a day ends at midnight)."""
    start = _moment(bound)
    depth = len(re.split(r"[-:]", bound))
    if depth == 1:  # a year
        return start.replace(year=start.year + 1)
    unit = _UNITS.get(depth)
    if unit is None:  # a minute
        return start + dt.timedelta(minutes=1)
    return shift(unit, start, 1)


def _describe(targets: Sequence[str]) -> str:
    by_asset: dict[str, int] = {}
    for target in targets:
        key = target.partition(":")[0]
        by_asset[key] = by_asset.get(key, 0) + 1
    return ", ".join(f"{key} ({n})" for key, n in by_asset.items())


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
