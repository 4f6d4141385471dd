"""One evaluation of every automation condition: which tasks a tick runs, and why.

A tick is woken by something (files that changed, the declarations, the clock)
and asks each asset's condition what to do about it:

- ``eager``: runs when something it reads changed. It is in the *cone* of a
  changed file (downstream of it, through assets that run too); and on a full
  tick (``doit assets tick``, a watcher starting) every eager asset is asked.
  doit's own check then decides, so a tick never makes more than ``doit``.
- ``on_missing``: runs when an output does not exist.
- ``cron:EXPR``: runs at the schedule's moments, whatever doit's check says;
  ticks missed while nothing ran count once.
- ``manual``: never; a cone stops there.

Whatever runs, eager assets downstream of it are asked too. Assets past their
``max_age`` run (doit finds them stale), and so do new partitions of a time
window that opened. Nothing here runs anything: ``Decision`` is the answer.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..inspect.causes import AssetStatus
from ..model.clock import format_duration
from ..model.cron import cron_expression, last_tick, next_tick
from ..paths import OBSERVED_DIR, is_directory
from ..plan.plan import Plan
from ..plan.records import PlannedAsset

EAGER, ON_MISSING, MANUAL = "eager", "on_missing", "manual"


@dataclass(frozen=True)
class Wake:
    """What woke a tick."""

    changed: tuple[str, ...] = ()  # files, relative to the project
    # of them, those that changed while the previous cycle ran: doit saved their
    # version at the end of it, maybe not the one its transforms read
    during: tuple[str, ...] = ()
    reloaded: bool = False  # a declaration file changed
    full: bool = False  # ask every eager asset (a start, a standalone tick)
    label: str = "tick"  # what a full tick is called in the history


@dataclass
class Decision:
    requests: dict[str, str] = field(default_factory=dict)  # task -> why
    force: set[str] = field(default_factory=set)  # run whatever doit says
    # moments acted on, to keep once the run made what they asked for (these
    # tasks; none: at once): a run interrupted before leaves them due
    moments: dict[str, tuple[float, tuple[str, ...]]] = field(default_factory=dict)
    next_due: float | None = None  # the next moment something is due

    def request(self, task: str, why: str, *, force: bool = False) -> None:
        self.requests.setdefault(task, why)
        if force:
            self.force.add(task)

    def due_at(self, moment: float | None) -> None:
        if moment is not None and (self.next_due is None or moment < self.next_due):
            self.next_due = moment

    @property
    def trigger(self) -> str:
        """The run's trigger: its distinct reasons, the first few of them."""
        reasons = list(dict.fromkeys(self.requests.values()))
        shown = "; ".join(reasons[:3])
        return shown + (f"; +{len(reasons) - 3} more" if len(reasons) > 3 else "")


def readers(plan: Plan) -> dict[str, set[str]]:
    """Each file a task reads (relative to the project) -> the tasks reading it."""
    found: dict[str, set[str]] = {}
    for asset in plan.assets:
        if asset.kind == "source":
            continue
        prefix = asset.prefix
        for path in plan.inputs(asset):
            found.setdefault(path, set()).add(asset.task)
        for _, files, _ in asset.upstream:
            for path in files:
                relative = path[len(prefix) :] if path.startswith(prefix) else path
                found.setdefault(relative, set()).add(asset.task)
    return found


def evaluate(
    plan: Plan,
    chosen: set[str],
    wake: Wake,
    now: float,
    *,
    moments: Mapping[str, float],
    statuses: Mapping[str, AssetStatus],
    fired: Mapping[str, tuple[str, ...]] = {},
) -> Decision:
    """What to run now, of the assets ``chosen`` (keys); ``statuses`` are those
    of the assets with a schedule or a ``max_age``; ``fired`` the sensors whose
    answer changed, with their target assets."""
    decision = Decision()
    _changed_files(plan, chosen, wake, decision)
    _on_missing(plan, chosen, decision)
    _schedules(plan, chosen, now, moments, statuses, decision)
    _max_age(plan, chosen, now, statuses, decision)
    _observations(plan, chosen, now, moments, decision)
    for name, targets in fired.items():
        for key in targets:
            if key in chosen and key in plan:
                for task in _newest(plan, key):
                    decision.request(task, f"sensor {name}", force=True)
    decision.due_at(plan.renews_at)
    _downstream(plan, chosen, decision)
    if wake.full or wake.reloaded:  # last: a precise reason wins
        why = "declarations changed" if wake.reloaded and not wake.full else wake.label
        for asset in plan.assets:
            if asset.kind == "source":
                continue
            if asset.key in chosen and asset.automation == EAGER:
                decision.request(asset.task, why)
    for task in list(decision.requests):
        if _older_missing_partition(plan, plan.by_task[task]):
            del decision.requests[task]  # whatever asked for it
            decision.force.discard(task)
    _with_sources(plan, decision)
    _without_unmade_inputs(plan, decision)
    return decision


def _older_missing_partition(plan: Plan, asset: PlannedAsset) -> bool:
    """A partition never made, of a time window before the newest: a
    backfill's job, not a tick's."""
    if asset.partition is None or plan.groups[asset.key].time_part is None:
        return False  # static partitions: none is older than another
    return asset.task not in plan.newest[asset.key] and _missing(asset)


def expiries(
    plan: Plan, chosen: set[str], statuses: Mapping[str, AssetStatus]
) -> float | None:
    """When the next asset passes its ``max_age`` (after a run made some)."""
    decision = Decision()
    _max_age(plan, chosen, float("-inf"), statuses, decision)
    return decision.next_due


def _with_sources(plan: Plan, decision: Decision) -> None:
    """The sources of what runs run too: the history records their versions
    (the lineage of what reads them), and an observable one is observed."""
    for task, why in list(decision.requests.items()):
        for upstream in plan.by_task[task].task_dep:
            if upstream in plan.by_task and plan.by_task[upstream].kind == "source":
                decision.requests.setdefault(upstream, why)


def _without_unmade_inputs(plan: Plan, decision: Decision) -> None:
    """Leave out what reads a file that does not exist and that nothing in the
    run makes (an upstream that is ``manual``, or was never made): it would only
    fail. What it made before stays as it is."""
    changed = True
    while changed:
        changed = False
        for task in list(decision.requests):
            asset = plan.by_task[task]
            for seen, owner in asset.owners().items():
                path = seen[len(asset.prefix) :]  # from the project's folder
                if owner in decision.requests or is_directory(path):
                    continue
                if path.startswith(OBSERVED_DIR + "/"):
                    continue  # an observation: the run observes it
                if not os.path.exists(path):
                    del decision.requests[task]
                    decision.force.discard(task)
                    changed = True
                    break


def _changed_files(
    plan: Plan, chosen: set[str], wake: Wake, decision: Decision
) -> None:
    if not wake.changed:
        return
    by_file = readers(plan)
    folders = [p for p in by_file if is_directory(p)]
    for path in wake.changed:
        tasks = set(by_file.get(path, ()))
        tasks.update(t for f in folders if path.startswith(f) for t in by_file[f])
        for task in sorted(tasks):
            asset = plan.by_task[task]
            if asset.key in chosen and _runs_on_change(asset):
                decision.request(task, f"file {path}", force=path in wake.during)


def _runs_on_change(asset: PlannedAsset) -> bool:
    automation = asset.automation
    if automation == EAGER:
        return True
    return automation == ON_MISSING and _missing(asset)


def _missing(asset: PlannedAsset) -> bool:
    return any(not os.path.exists(t) for t in asset.targets)


def _on_missing(plan: Plan, chosen: set[str], decision: Decision) -> None:
    """``on_missing`` assets without their output; and the partitions of the
    newest time window of an eager asset, once it opened (those of earlier
    windows, never made, are a backfill's job, not a watcher's)."""
    for asset in plan.assets:
        if asset.key not in chosen or asset.kind == "source":
            continue
        if asset.automation == ON_MISSING and _missing(asset):
            decision.request(asset.task, "missing")
    for key, group in plan.groups.items():
        if key not in chosen or group.kind == "source" or group.time_kind is None:
            continue
        if group.automation != EAGER:
            continue
        for task in plan.newest[key]:
            if _missing(plan.by_task[task]):
                decision.request(task, "new partition")


def _newest(plan: Plan, key: str) -> tuple[str, ...]:
    """What a schedule or a sensor runs: the asset, or its partitions of the
    newest time window (all of them, without a time dimension)."""
    group = plan.groups.get(key)
    return (key,) if group is None else plan.newest[key]


def _schedules(
    plan: Plan,
    chosen: set[str],
    now: float,
    moments: Mapping[str, float],
    statuses: Mapping[str, AssetStatus],
    decision: Decision,
) -> None:
    for key, item in plan.infos.items():
        expression = cron_expression(item.automation)
        if expression is None or key not in chosen or not plan.tasks_of(key):
            continue
        zone = item.timezone
        tasks = _newest(plan, key)
        made = [statuses[t].made_at if t in statuses else None for t in tasks]
        # made since the moment: every one of them (the oldest of them counts)
        oldest = None if None in made else min(m for m in made if m is not None)
        acted = [m for m in (moments.get(f"cron:{key}"), oldest) if m is not None]
        moment = last_tick(expression, zone, now)
        if not acted or moment > max(acted):
            for task in tasks:
                decision.request(task, f"schedule {expression}", force=True)
            decision.moments[f"cron:{key}"] = (moment, tasks)
        decision.due_at(next_tick(expression, zone, now))


def _max_age(
    plan: Plan,
    chosen: set[str],
    now: float,
    statuses: Mapping[str, AssetStatus],
    decision: Decision,
) -> None:
    for asset in plan.assets:
        if asset.max_age is None or asset.key not in chosen:
            continue
        if asset.automation == MANUAL:
            continue
        status = statuses.get(asset.task)
        if status is None or status.made_at is None:
            continue
        expires = status.made_at + asset.max_age
        if now >= expires:
            decision.request(asset.task, f"max_age {format_duration(asset.max_age)}")
        else:
            decision.due_at(expires)


def _observations(
    plan: Plan,
    chosen: set[str],
    now: float,
    moments: Mapping[str, float],
    decision: Decision,
) -> None:
    """Observable sources with an ``interval``: observed again when it is over."""
    for asset in plan.assets:
        interval = asset.interval
        if interval is None or asset.key not in chosen:
            continue
        last = moments.get(f"observe:{asset.task}")
        if last is None or now >= last + interval:
            decision.request(asset.task, f"observe every {format_duration(interval)}")
            decision.moments[f"observe:{asset.task}"] = (now, ())
            decision.due_at(now + interval)
        else:
            decision.due_at(last + interval)


def _downstream(plan: Plan, chosen: set[str], decision: Decision) -> None:
    """Eager assets downstream of what runs, each with the reason of what it
    follows; a cone stops at an asset that does not run."""
    readers_of: dict[str, list[str]] = {}
    for asset in plan.assets:
        for task in asset.task_dep:
            readers_of.setdefault(task, []).append(asset.task)
    queue = list(decision.requests)
    while queue:
        task = queue.pop()
        why = decision.requests[task]
        for reader in readers_of.get(task, ()):
            if reader in decision.requests:
                continue
            asset = plan.by_task[reader]
            if asset.key in chosen and _runs_on_change(asset):
                decision.requests[reader] = why
                queue.append(reader)


def keys_with_clock(plan: Plan, chosen: Iterable[str]) -> list[str]:
    """The assets whose status a tick needs: a schedule or a ``max_age``."""
    wanted = set(chosen)
    return [
        key
        for key, item in plan.infos.items()
        if key in wanted
        and (cron_expression(item.automation) or item.max_age is not None)
    ]
