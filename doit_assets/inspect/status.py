"""What would run, and why: each asset's status with its causes, nothing executed.

Each planned asset (each partition) is checked against doit's saved state
the way doit checks it (fingerprint,
outputs, file dependencies by md5, age). On top of doit, an asset whose
upstream will re-run is stale *because of* it, before doit could know; and an
upstream that only restores its own output (deleted or edited by hand) is
expected to make the version it made before, so it does not make its
readers stale. Nothing is written.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterable
from typing import Any

from ..memory import collector_paused
from ..model import clock
from ..model.values import observation_path
from ..paths import HISTORY_FILE, OBSERVED_DIR, STATE_FILE, is_directory
from ..plan.environment import code_changed
from ..plan.plan import Plan
from ..plan.records import PlannedAsset, PlannedGroup
from ..run.observe import read_observation
from ..store.history import History, Materialization, RecordedCheck
from ..store.saved import SavedState
from ..store.versions import (
    DIR_INPUTS,
    ENVIRONMENT,
    FINGERPRINT,
    MADE_AT,
    OUTPUTS,
    file_md5,
    output_state,
    too_old,
    unchanged,
)
from ..text import first_line
from .causes import STATES, AssetStatus, Cause, State
from .environment import environment_causes

# The state of a partitioned asset: the worst of its partitions' states
WORST_FIRST: tuple[State, ...] = ("failed", "blocked", "missing", "stale", "ignored")
# Causes that make an asset fail before its transform starts: a file it needs
CERTAIN_FAILURES = frozenset(
    {"input_missing", "input_unmatched", "source_missing", "source_kind"}
)


def project_status(
    plan: Plan, keys: Iterable[str] | None = None
) -> dict[str, AssetStatus]:
    """The status of ``keys`` (default: every asset) and of all they depend on,
    by doit task (``KEY`` or ``KEY:PARTITION``)."""
    if keys is None:
        wanted = set(plan.by_task)
    else:
        wanted = plan.closure(t for k in keys for t in plan.tasks_of(k))
    # doit's state and every status made here live as long as the command
    with collector_paused():
        state = SavedState(STATE_FILE)
        history = None
        if os.path.exists(HISTORY_FILE):
            history = History.open(HISTORY_FILE, readonly=True)
        try:
            checker = _Checker(plan, state, history)
            for asset in plan.assets:
                if asset.task in wanted:
                    checker.check(asset)
            return checker.statuses
        finally:
            if history is not None:
                history.close()


def partitions_of(plan: Plan) -> dict[str, list[str]]:
    """Each partitioned asset's partition tasks (``KEY:PARTITION``), in order."""
    return {key: list(group.tasks) for key, group in plan.groups.items()}


def unmade_input(
    plan: Plan, chosen: Callable[[str], bool]
) -> tuple[PlannedAsset, str, str] | None:
    """The first file that a chosen task reads from an upstream task that is not
    chosen and that does not exist: (the asset, the upstream task, the file)."""
    for asset in plan.assets:
        if not chosen(asset.task):
            continue
        for path, owner in asset.owners().items():
            if chosen(owner) or path.startswith(OBSERVED_DIR + "/"):
                continue  # made by this run, or observed by it
            if not is_directory(path) and not os.path.exists(path):
                return asset, owner, path
    return None


def summarize(
    key: str, partitions: list[AssetStatus], group: PlannedGroup
) -> AssetStatus:
    """One status for a partitioned asset: counts by state, the worst state first."""
    counts = {s: sum(1 for p in partitions if p.state == s) for s in STATES}
    state: State = next(
        (s for s in WORST_FIRST if counts[s]),
        "fresh",  # none: nothing to make yet
    )
    if group.kind == "source" and state not in ("missing", "ignored"):
        state = "source"
    made = [p.made_at for p in partitions if p.made_at is not None]
    return AssetStatus(
        key,
        group.kind,
        state,
        will_run=any(p.will_run for p in partitions),
        made_at=max(made) if made else None,
        max_age=group.max_age,
        record=group,
        partition_counts={s: n for s, n in counts.items() if n},
        partition_total=len(partitions),
    )


class _Checker:
    def __init__(self, plan: Plan, state: SavedState, history: History | None) -> None:
        self.plan = plan
        self.state = state
        self.history = history
        self.statuses: dict[str, AssetStatus] = {}
        self.now = clock.now()
        self.latest_checks: dict[tuple[str, str], RecordedCheck] | None = None

    def check(self, asset: PlannedAsset) -> None:
        key = asset.task  # the asset, or asset:partition
        status = AssetStatus(
            key, asset.kind, "fresh", max_age=asset.max_age, record=asset
        )
        self.statuses[key] = status
        if asset.kind == "source":
            self._source(status, asset)
        else:
            self._transform(status, asset)
        self._ignored(status, asset)
        if asset.checks:
            status.failing_checks = self._failing_checks(asset)

    def _source(self, status: AssetStatus, asset: PlannedAsset) -> None:
        status.state = "source"
        missing = self.plan.missing(asset)
        if asset.observable:
            self._observable(status, asset.targets[0])
        elif missing:
            # its file is not there: doit fails it, and skips what reads it
            status.state = "missing"
            status.causes += [Cause(m.kind, m.problem, m.path) for m in missing]

    def _transform(self, status: AssetStatus, asset: PlannedAsset) -> None:
        key = status.asset
        values = self.state.get_values(key)
        made_at = values.get(MADE_AT)
        status.made_at = float(made_at) if made_at is not None else None
        missing = [t for t in asset.targets if not os.path.exists(t.rstrip("/"))]
        if not values:
            last = self._last_attempt(asset)
            failed = last and last[0].status not in ("success", "interrupted")
            if last and last[0].status == "interrupted":  # not a failure: it runs
                status.causes.append(
                    Cause(
                        "last_interrupted",
                        f"its last attempt was interrupted (#{last[0].id}, run "
                        f"{last[0].run_id})",
                    )
                )
            elif failed:
                status.state = "failed"
                status.last_error = first_line(last[0].error)
                status.causes.append(
                    Cause("last_failed", _failed_text(last[0]), new=status.last_error)
                )
            elif last:
                status.causes.append(
                    Cause(
                        "forgotten",
                        f"its saved state was forgotten ('doit forget'); last made "
                        f"#{last[0].id} (run {last[0].run_id})",
                    )
                )
            else:
                status.causes.append(Cause("never_materialized", "never materialized"))
        else:
            self._own(status, asset, values)
        for target in missing:
            if values:
                status.causes.insert(
                    0,
                    Cause(
                        "output_missing", f"output '{target}' does not exist", target
                    ),
                )
        # an input that is not there: doit fails the asset first thing (and
        # that is what failed last time too: said once); a source that is
        # not there: doit fails it and skips this asset
        lacking = [Cause(m.kind, m.problem, m.path) for m in self.plan.missing(asset)]
        if any(c.text in (status.last_error or "") for c in lacking):
            status.causes = [c for c in status.causes if c.kind != "last_failed"]
        status.causes[:0] = lacking + [
            Cause("upstream_missing", f"upstream '{d}' is missing", upstream=up)
            for d in asset.task_dep
            if (up := self.statuses.get(d))
            and up.kind == "source"
            and up.state == "missing"
        ]
        if missing and status.state != "failed":
            status.state = "missing"
        elif status.causes and status.state == "fresh":
            status.state = "stale"
        status.will_run = bool(status.causes)
        self._blocked(status, asset)

    def _blocked(self, status: AssetStatus, asset: PlannedAsset) -> None:
        """keep-going: an asset that would run after an upstream that failed
        (or cannot run: a file it needs is missing) waits for it: blocked."""
        if not status.will_run:
            return
        groups = self.plan.groups
        for dep in asset.task_dep:
            for task in groups[dep].tasks if dep in groups else (dep,):
                up = self.statuses.get(task)
                if up is None:
                    continue
                if up.state == "blocked":
                    status.blocked_by = up.blocked_by
                    text = f"upstream '{up.asset}' is blocked"
                elif _fails(up):
                    status.blocked_by = up.asset
                    text = f"upstream '{up.asset}' " + (
                        "failed" if up.state == "failed" else "cannot run"
                    )
                else:
                    continue
                status.state = "blocked"
                if not (up.kind == "source" and up.state == "missing"):
                    # said once: in place of "upstream 'x' will re-run"
                    causes = [c for c in status.causes if c.upstream is not up]
                    status.causes = [Cause("blocked", text, upstream=up), *causes]
                return

    def _last_attempt(self, asset: PlannedAsset) -> list[Materialization]:
        """Its last materialization that started (one blocked never did)."""
        if self.history is None:
            return []
        last = self.history.materializations(
            asset.key, limit=1, partition=asset.partition
        )
        if last and last[0].status == "blocked":  # rare: look further back
            earlier = self.history.materializations(
                asset.key, limit=100, partition=asset.partition
            )
            last = [m for m in earlier if m.status != "blocked"][:1]
        return last

    def _ignored(self, status: AssetStatus, asset: PlannedAsset) -> None:
        """'doit ignore KEY': doit skips it, and every task that depends on it."""
        name = status.asset
        if self._get(name, "ignore:"):
            status.ignored_by = name
            text = f"'doit ignore {name}' set it aside; 'doit forget {name}' ends that"
        else:
            by = next(
                (
                    self.statuses[d].ignored_by
                    for d in asset.task_dep
                    if d in self.statuses and self.statuses[d].ignored_by
                ),
                None,
            )
            if by is None:
                return
            status.ignored_by = by
            text = (
                f"upstream '{by}' is set aside by 'doit ignore {by}'; "
                f"'doit forget {by}' ends that"
            )
        status.state = "ignored"
        status.will_run = False
        status.causes.insert(0, Cause("ignored", text))

    # -- an asset that has been made before --------------------------------------

    def _own(self, status: AssetStatus, asset: PlannedAsset, values: Any) -> None:
        causes = status.causes
        if values.get(FINGERPRINT) != asset.fingerprint:
            causes += self._definition(asset, values.get(ENVIRONMENT))
        stored = values.get(OUTPUTS) or {}
        for target in asset.targets:
            if os.path.exists(target.rstrip("/")) and not unchanged(
                target, stored.get(target)
            ):
                old = (stored.get(target) or {}).get("md5")
                new = (output_state(target) or {}).get("md5")
                causes.append(
                    Cause(
                        "output_edited",
                        f"output '{target}' was changed since it was made",
                        target,
                        old,
                        new,
                        _mtime(target),
                    )
                )
        owners = asset.owners()
        upstream_causes: dict[str, Cause] = {}
        dirs = values.get(DIR_INPUTS) or {}
        name = asset.task
        gone = {asset.prefix + m.path for m in self.plan.missing(asset)}
        file_dep = [p for p in self.plan.file_dep(asset) if p not in gone]
        for path in sorted(file_dep) + sorted(dirs):
            owner = owners.get(path)
            cause = self._input(name, path, owner, path in dirs, dirs.get(path))
            if cause is None:
                continue
            if cause.upstream is not None:
                upstream_causes.setdefault(cause.upstream.asset, cause)
            else:
                causes.append(cause)
        causes[:0] = upstream_causes.values()
        previous = self._get(name, "deps:")
        if previous:
            for path in sorted(set(previous) - set(file_dep) - gone):
                causes.append(
                    Cause("input_removed", f"input '{path}' no longer used", path)
                )
        if asset.max_age is not None and too_old(values, asset.max_age):
            age = status.age(self.now)
            limit = clock.format_duration(asset.max_age)
            text = (
                f"older than its max_age {limit}"
                if age is None
                else f"made {clock.format_duration(age)} ago, past its max_age {limit}"
            )
            causes.append(Cause("max_age", text))

    def _definition(
        self, asset: PlannedAsset, saved_environment: Any = None
    ) -> list[Cause]:
        """What changed in how the asset is made, from its last success."""
        last = (
            self.history.last_success(asset.key, asset.partition)
            if self.history
            else None
        )
        # env, tools, packages: as doit saved them (else as the history has them)
        if saved_environment is None and last is not None:
            saved_environment = last.environment
        changed = environment_causes(
            saved_environment, self.plan.environment.get(asset.task)
        )
        if last is None:
            return changed or [
                Cause("definition", "its transform or code version changed")
            ]
        causes = []
        if last.transform != asset.transform:
            old, new = last.transform or "", asset.transform or ""
            causes.append(
                Cause(
                    "transform_changed",
                    "its transform changed",
                    old=old,
                    new=new,
                    diff=_diff(old, new),
                )
            )
        causes += changed
        if code_changed(
            last.code_version,
            asset.code_version,
            saved_environment,
            self.plan.environment.get(asset.task),
        ):
            causes.append(
                Cause(
                    "code_version_changed",
                    f"its code version changed: {last.code_version or '-'} → "
                    f"{asset.code_version or '-'}",
                    old=last.code_version,
                    new=asset.code_version,
                )
            )
        if not causes:
            made = sorted(o.path for o in self.history.outputs(last.id))  # type: ignore[union-attr]
            if made != sorted(asset.paths):
                causes.append(
                    Cause(
                        "paths_changed",
                        f"its paths changed: {', '.join(made)} → "
                        f"{', '.join(asset.paths)}",
                        old=", ".join(made),
                        new=", ".join(asset.paths),
                    )
                )
            else:
                causes.append(Cause("definition", "its definition changed"))
        return causes

    def _input(
        self,
        task_name: str,
        path: str,
        owner: str | None,
        is_dir: bool,
        dir_state: Any,
    ) -> Cause | None:
        upstream = self.statuses.get(owner) if owner else None
        if upstream is not None and upstream.kind == "source":
            if upstream.state == "missing":
                return None  # said once, by _transform
        elif upstream is not None and upstream.will_run:
            if not upstream.restores_only:
                return Cause(
                    "upstream",
                    f"upstream '{upstream.asset}' will re-run",
                    upstream=upstream,
                )
            # It makes its recorded version again: compare with that one.
            recorded = self._recorded_md5(upstream.asset, path)
            old = (
                (dir_state or {}).get("md5")
                if is_dir
                else self._saved_md5(task_name, path)
            )
            if recorded == old:
                return None
            return Cause(
                "input_changed", f"input '{path}' changed", path, old, recorded
            )
        if is_dir:
            if unchanged(path, dir_state):
                return None
            new = (output_state(path) or {}).get("md5")
            return Cause(
                "input_changed",
                f"input '{path}' changed",
                path,
                (dir_state or {}).get("md5"),
                new,
                _mtime(path),
            )
        saved = self._get(task_name, path)
        if not os.path.exists(path):
            if upstream is not None and upstream.observable:
                return Cause(
                    "not_observed",
                    f"source '{upstream.asset}' has not been observed yet",
                    path,
                )
            return Cause("input_missing", f"input '{path}' is missing", path)
        if not saved:
            return Cause("input_added", f"new input '{path}'", path)
        st = os.stat(path)
        if st.st_mtime == saved[0]:
            return None  # doit's own short-cut: same mtime, same file
        new = file_md5(path, st)
        if new == saved[2]:
            return None
        if upstream is not None and upstream.observation is not None:
            old = self._observed(upstream.asset, str(saved[2]))
            return Cause(
                "observation_changed",
                f"source '{upstream.asset}' has a new version: "
                f"{old or '?'} → {upstream.observation}",
                path,
                old,
                upstream.observation,
                st.st_mtime,
            )
        return Cause(
            "input_changed",
            f"input '{path}' changed",
            path,
            str(saved[2]),
            new,
            st.st_mtime,
        )

    def _observable(self, status: AssetStatus, path: str) -> None:
        status.will_run = True  # observed on every run
        status.observation = read_observation(path)
        status.made_at = _mtime(path)

    # -- lookups -----------------------------------------------------------------

    def _failing_checks(self, asset: PlannedAsset) -> list[RecordedCheck]:
        """The declared checks whose latest result is a failure."""
        if self.latest_checks is None:  # read once, when an asset has checks
            found = self.history.latest_checks() if self.history else {}
            self.latest_checks = found
        latest = (self.latest_checks.get((asset.task, c.name)) for c in asset.checks)
        return [r for r in latest if r is not None and not r.passed]

    def _get(self, task_name: str, key: str) -> Any:
        return self.state.get(task_name, key)

    def _saved_md5(self, task_name: str, path: str) -> str | None:
        saved = self._get(task_name, path)
        return str(saved[2]) if saved else None

    def _recorded_md5(self, asset: str, path: str) -> str | None:
        outputs = self.state.get_values(asset).get(OUTPUTS) or {}
        return (outputs.get(path) or {}).get("md5")

    def _observed(self, source: str, md5: str) -> str | None:
        """The observation of ``source`` that had this md5, from the history."""
        if self.history is None:
            return None
        mat_id = self.history.producer_of(observation_path(source), md5)
        mat = self.history.get(mat_id) if mat_id is not None else None
        value = mat.metadata.get("observation") if mat else None
        return str(value) if value is not None else None


def _fails(status: AssetStatus) -> bool:
    """Does this asset stand in the way of what reads it? It failed last time
    (and runs again first), or a file it needs is missing."""
    if status.state == "failed":
        return True
    if status.kind == "source" and status.state == "missing":
        return True
    return any(c.kind in CERTAIN_FAILURES for c in status.causes)


def _diff(old: str, new: str) -> list[str]:
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), "before", "now", lineterm="", n=1
    )
    return list(lines)[2:]  # without the ---/+++ header


def _failed_text(mat: Materialization) -> str:
    error = first_line(mat.error)
    text = f"its last attempt failed (#{mat.id}, run {mat.run_id})"
    return f"{text}: {error}" if error else text


def _mtime(path: str) -> float | None:
    try:
        return os.stat(path.rstrip("/")).st_mtime
    except OSError:
        return None
