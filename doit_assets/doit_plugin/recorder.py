"""What the reporter writes to the history, gathered from doit's tasks and state.

Output versions come from the values ``AssetFreshness`` saved after the task
ran; input versions from doit's own state of each ``file_dep`` (the md5 doit
just stored), so nothing is hashed twice.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from typing import IO, Any

from ..model.traversal import closure
from ..paths import log_path
from ..plan.records import PlannedAsset
from ..run.attempts import ATTEMPT_VALUE
from ..run.checks import CHECKED
from ..run.context import RunContext
from ..run.lock import RunLock
from ..run.logs import stderr_text, take_reported
from ..run.observe import read_observation
from ..run.processes import STOPPING, Registry, forget_watchdogs, identity
from ..run.progress import Progress, asset_upstreams, progress_enabled
from ..store.history import History, Input, MaterializationStatus, Output, RunOutcome
from ..store.retention import attempt_log, forget_logs
from ..store.versions import (
    DIR_INPUTS,
    FINGERPRINT,
    OUTPUTS,
    file_md5,
    output_state,
)
from .freshness import AssetFreshness

Saved = Callable[[str], Any]
# How much of an observation the history keeps in the row's metadata.
OBSERVATION_KEPT = 200


class Recorder:
    """One run's view of the history: opened in ``initialize``, closed at the end."""

    def __init__(
        self,
        command: str,
        tasks: dict[str, Any],
        selected: Iterable[str] | None,
        context: RunContext,
    ) -> None:
        self.context = context
        self.machine: dict[str, str] | None = None  # host, versions: asked once
        self.lock = RunLock()
        self.lock.acquire(command, wait=context.wait_for_lock)
        try:
            # What a killed run left running or half-written goes first,
            # before anything of this run touches a staging folder.
            self.registry = Registry()
            self.registry.reap()
            forget_watchdogs(self.registry)
            # who the run is, for the records of its attempts (workers fork later)
            self.identity = context.run = identity(os.getpid())
            self.history = History.open()
        except BaseException:
            self.lock.release()
            raise
        self.run_id = self.history.start_run(
            command, backfill_id=context.backfill_id, trigger=context.trigger
        )
        context.run_id = self.run_id  # names its logs; retried attempts record with it
        if self.history.created:  # logs of an earlier history would share names
            forget_logs()
        self.tasks = tasks
        self.selected = _selected_assets(tasks, selected)
        self.started_at: dict[str, float] = {}
        self.materialized = self.failed_count = self.up_to_date = 0
        # keep-going: each task doit did not run, with the failures that blocked it
        self.blocked_tasks: dict[str, tuple[str, ...]] = {}

    def make_progress(self, stream: IO[str], workers: int) -> Progress | None:
        """The progress line, on a terminal only (a log has doit's lines)."""
        if not progress_enabled(self.context.settings.get("progress")):
            return None
        if not getattr(stream, "isatty", lambda: False)():
            return None
        from .fastpath import up_to_date

        fresh = up_to_date(self.context.fresh)  # the fast path's: done already
        progress = Progress(
            stream,
            [*fresh, *self.selected],
            lambda: self.history.last_durations(self.selected),
            workers=workers,
            upstreams=lambda: asset_upstreams(self.tasks, self.selected),
            hooks=self.context.before_output,
        )
        progress.done.update(fresh)
        return progress

    # -- events ----------------------------------------------------------------

    def started(self, task: Any) -> None:
        self.started_at[task.name] = time.time()

    def succeeded(self, task: Any, saved: Saved) -> str:
        """Record a materialization, or a source's new version.

        Returns 'materialized', 'observed' (a source with a new version),
        'unchanged' (a source doit looked at again, e.g. under ``doit -a``)
        or 'skipped' (it never started).
        """
        began = self.started_at.pop(task.name, None)
        checks = task.meta.pop(CHECKED, ())
        if began is None:
            return "skipped"
        asset: PlannedAsset = task.meta["asset"]
        values = task.values or {}
        extra: dict[str, Any] = {}
        columns: dict[str, Any] = {}  # its attempt, log and reported metadata
        if asset.kind == "source":
            if asset.observable:
                outputs = _observation(asset, extra)
            else:
                outputs = _source_outputs(asset, saved, values)
            inputs: list[Input] = []
            last = self.history.last_success(asset.key, asset.partition)
            if last is not None and self.history.outputs(last.id) == sorted(
                outputs, key=lambda o: o.path
            ):
                return "unchanged"
        else:
            self.materialized += 1
            outputs = _outputs(asset, values.get(OUTPUTS) or {})
            inputs = _inputs(task, asset, saved, values.get(DIR_INPUTS) or {})
            attempt = values.get(ATTEMPT_VALUE) or {}  # retries and pools
            began = attempt.get("started_at") or began
            columns["attempt"] = attempt.get("attempt", 1)
            log = self._log(asset, columns["attempt"])
            columns.update(log=log, reported_metadata=log and take_reported(log))
            columns["environment"] = self._environment(_planned_environment(task))
        self._record(
            asset,
            "success",
            began,
            fingerprint=values.get(FINGERPRINT),
            outputs=outputs,
            inputs=inputs,
            metadata={**asset.metadata, **extra},
            **columns,
            checks=checks,
        )
        return "materialized" if asset.kind == "transform" else "observed"

    def failed(self, task: Any, fail: Any) -> bool:
        """Record a failed materialization; False if it never started (upstream failed)."""
        began = self.started_at.pop(task.name, None)
        checks = task.meta.pop(CHECKED, ())
        if began is None:
            return False
        self.failed_count += 1
        asset: PlannedAsset = task.meta["asset"]
        message = getattr(fail, "message", None) or str(fail)
        self._record(
            asset,
            "failed",
            getattr(fail, "started_at", None) or began,  # its last attempt's
            attempt=getattr(fail, "attempt", None) or 1,
            fingerprint=asset.fingerprint,
            error=message.strip(),
            exit_code=getattr(fail, "exit_code", None),
            inputs=_inputs(task, asset, _hash_now, _dir_states_now(asset)),
            checks=checks,
            log=self._log(asset, getattr(fail, "attempt", None) or 1),
            stderr_tail=stderr_text(getattr(fail, "stderr_tail", ())),
            environment=self._environment(_planned_environment(task)),
        )
        return True

    def _environment(self, components: Mapping[str, Any] | None) -> dict[str, Any]:
        """What a materialization ran in: the components of its fingerprint
        (env, tools, packages), the host, the interpreter, doit-assets."""
        if self.machine is None:
            self.machine = machine_summary()
        return {**(components or {}), **self.machine}

    def _log(self, asset: PlannedAsset, attempt: int) -> str | None:
        """The log of an attempt of the asset in this run, if it has one."""
        path = log_path(self.run_id, asset.task, attempt)
        return path if os.path.exists(path) else None

    def blocked(self, task: Any, roots: tuple[str, ...]) -> None:
        """Record that an asset did not run: what it depends on failed. Its
        row names the failures, so that ``materialize --failed`` finds it."""
        self.blocked_tasks[task.name] = roots
        asset: PlannedAsset = task.meta["asset"]
        self.history.record_planned(
            asset,
            run_id=self.run_id,
            status="blocked",
            started_at=None,
            fingerprint=asset.fingerprint,
            error=f"blocked by {', '.join(roots)}",
            trigger=self.context.reasons.get(asset.task),
        )

    def _record(
        self,
        asset: PlannedAsset,
        status: MaterializationStatus,
        began: float,
        **more: Any,
    ) -> None:
        self.history.record_planned(
            asset,
            run_id=self.run_id,
            status=status,
            started_at=began,
            trigger=self.context.reasons.get(asset.task),
            **more,
        )

    def close(self, *, failed: bool) -> None:
        """End the run; an asset still running now was interrupted (Ctrl-C)."""
        try:
            for name, began in self.started_at.items():
                asset = self.tasks[name].meta["asset"]
                self._record(
                    asset,
                    "interrupted",
                    began,
                    fingerprint=asset.fingerprint,
                    error="interrupted",
                    # which attempt it was is unknown here: the newest log
                    log=attempt_log(self.run_id, asset.task, began),
                )
            outcome: RunOutcome
            if self.started_at:
                outcome = "interrupted"
            elif failed or self.failed_count:
                outcome = "failed"
            else:
                outcome = "success"
            self.history.end_run(
                self.run_id,
                outcome,
                materialized=self.materialized,
                up_to_date=self.up_to_date,
                failed=self.failed_count,
            )
            if self.materialized or self.failed_count:  # never on a no-op run
                self._tidy()
            self.history.close()
        finally:
            if self.identity is not None:  # stopped or interrupted: nothing left
                if self.started_at:
                    STOPPING.set()  # a -P thread worker's attempt must not retry
                self.registry.reap(self.identity)
            self.lock.release()

    def _tidy(self) -> None:
        """Retention (keep_history, keep_logs), at most once a day. The run is
        recorded already: a failure here is said, and fails nothing."""
        import sqlite3

        from ..store.retention import tidy

        try:
            tidy(self.history, self.context.settings)
        except (sqlite3.Error, OSError) as err:
            sys.stderr.write(f"doit-assets: warning: retention did not run: {err}\n")


def machine_summary() -> dict[str, str]:
    """The host, the Python and the doit-assets a materialization ran with."""
    import importlib.metadata
    import platform
    import socket

    try:
        ours = importlib.metadata.version("doit-assets")
    except importlib.metadata.PackageNotFoundError:
        ours = "unknown"
    return {
        "host": socket.gethostname(),
        "interpreter": platform.python_version(),
        "doit_assets": ours,
    }


def _planned_environment(task: Any) -> Mapping[str, Any] | None:
    """The components its freshness check holds (a failure saves no values)."""
    for check, _, _ in task.uptodate:
        if isinstance(check, AssetFreshness):
            return check.environment
    return None


def _selected_assets(
    tasks: dict[str, Any], selected: Iterable[str] | None
) -> list[str]:
    """Asset tasks this run may visit: the selection and everything it needs."""
    names = list(selected) if selected else list(tasks)
    found = closure(
        (n for n in names if n in tasks),
        lambda n: (
            d for d in (*tasks[n].task_dep, *tasks[n].setup_tasks) if d in tasks
        ),
    )
    return [n for n in found if (tasks[n].meta or {}).get("asset")]


def _outputs(asset: PlannedAsset, states: dict[str, Any]) -> list[Output]:
    outputs = []
    for target, path in zip(asset.targets, asset.paths, strict=True):
        state = states.get(target) or {}
        outputs.append(Output(path, state.get("md5"), state.get("size")))
    return outputs


def _source_outputs(
    asset: PlannedAsset, saved: Saved, values: dict[str, Any]
) -> list[Output]:
    directories = values.get(DIR_INPUTS) or {}
    outputs = []
    for target, path in zip(asset.targets, asset.paths, strict=True):
        if target in directories:
            state = directories[target] or {}
            outputs.append(Output(path, state.get("md5"), state.get("size")))
        else:
            md5, size = _md5_size(saved(target))
            outputs.append(Output(path, md5, size))
    return outputs


def _observation(asset: PlannedAsset, extra: dict[str, Any]) -> list[Output]:
    """An observable source's version: the file its observation wrote."""
    state = output_state(asset.targets[0]) or {}
    value = read_observation(asset.targets[0])
    if value is not None:
        extra["observation"] = value[:OBSERVATION_KEPT]
    return [Output(asset.paths[0], state.get("md5"), state.get("size"))]


def _inputs(
    task: Any, asset: PlannedAsset, saved: Saved, directories: dict[str, Any]
) -> list[Input]:
    owner = asset.owner_assets()
    inputs = []
    for dep in sorted(task.file_dep):
        md5, _ = _md5_size(saved(dep))
        inputs.append(Input(asset.project_path(dep), owner.get(dep), md5))
    for dep, state in sorted(directories.items()):
        md5 = (state or {}).get("md5")
        inputs.append(Input(asset.project_path(dep), owner.get(dep), md5))
    return inputs


def _hash_now(path: str) -> Any:
    """After a failure doit has dropped the task's state: hash what is there."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime, st.st_size, file_md5(path, st))


def _dir_states_now(asset: PlannedAsset) -> dict[str, Any]:
    return {p: output_state(p) for p in asset.dir_inputs}


def _md5_size(state: Any) -> tuple[str | None, int | None]:
    """doit's md5 checker saves (mtime, size, md5); the timestamp checker a float."""
    if isinstance(state, (list, tuple)) and len(state) == 3:
        return str(state[2]), int(state[1])
    return None, None
