"""The actions of asset tasks, as doit calls them, and doit's failures they return.

Each is a module-level function with plain arguments, so that ``doit -n``
can send it to another process. The work is done in run/; here a
``Failure`` becomes doit's ``TaskFailed`` (whose class name doit prints:
``TransformFailed - taskid:report``).
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Sequence
from typing import Any

from doit.exceptions import TaskFailed

from ..errors import AssetError
from ..paths import HISTORY_FILE
from ..plan.records import PlannedAsset
from ..run.attempts import ATTEMPT_VALUE, materialize_with_retries
from ..run.checks import CHECKED
from ..run.execute import Failure, Job
from ..run.lock import RunLock
from ..run.observe import observe as run_observe
from ..run.staging import remove_made
from ..store.history import CheckOutcome, History
from ..store.versions import OUTPUTS
from .backend import saved_values


class TransformFailed(TaskFailed):  # type: ignore[misc]
    """A transform exited non-zero or did not write its outputs."""

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        # retries (issue 14): the attempt that failed last, and when it began
        self.attempt: int | None = None
        self.started_at: float | None = None
        self.stderr_tail: tuple[str, ...] = ()  # summary, history


class MissingInput(TaskFailed):  # type: ignore[misc]
    """A file the asset needs was not there when the run started."""


def _failed(failure: Failure | None) -> TransformFailed | None:
    if failure is None:
        return None
    failed = TransformFailed(failure.message, failure.exit_code)
    failed.stderr_tail = failure.stderr_tail
    if failure.traceback:
        failed.traceback = list(failure.traceback)
    return failed


def materialize(job: Job, task: Any) -> TransformFailed | dict[str, Any] | None:
    """doit action of an asset: materialize it (run/execute.py), with its
    retries and in its pool (run/attempts.py). doit gives ``task`` by its name.

    What its checks found travels in the task's meta (doit sends the task back
    from a ``-n`` worker). Which attempt it was, and when it began, reach the
    recorder in doit's process as the failure's attributes, or (when they
    differ from the task's own start) as a value of the task.
    """
    asset = job.asset

    def checked(outcomes: Sequence[CheckOutcome]) -> None:
        task.meta[CHECKED] = list(outcomes)

    done = materialize_with_retries(
        job, lambda: made_before(asset.task, asset.paths, asset.prefix), checked
    )
    failed = _failed(done.failure)
    if failed is not None:
        failed.attempt, failed.started_at = done.attempt, done.started_at
        return failed
    if asset.retries or asset.pool:
        return {ATTEMPT_VALUE: {"attempt": done.attempt, "started_at": done.started_at}}
    return None


def observe(asset: PlannedAsset) -> TransformFailed | None:
    """doit action of an observable source: observe it (run/observe.py)."""
    return _failed(run_observe(asset))


def fail_missing(messages: list[str]) -> MissingInput:
    """doit action, first of an asset that misses a file: fail with the warning's words."""
    return MissingInput("\n".join(messages))


def remove_outputs(
    task: str,
    cwd: str,
    outputs: tuple[str, ...],
    prefix: str = "",
    external_roots: tuple[str, ...] = (),
    dryrun: bool = False,
) -> None:
    """doit ``clean`` action: remove what this asset's materializations made."""
    if dryrun:
        for output in outputs:
            print(f"{output} - would be removed")
        return
    try:
        RunLock().acquire("doit clean")  # held until doit exits: a run would break
    except AssetError as err:  # doit would report a failed clean action and go on
        stderr = sys.__stderr__ or sys.stderr  # doit captures the action's own
        stderr.write(f"ERROR: {err}\n")
        stderr.flush()
        raise SystemExit(3) from None
    recorded = made_before(task, outputs, prefix)
    for line in remove_made(cwd, outputs, recorded, external_roots):
        print(line)


def made_before(
    task: str, outputs: tuple[str, ...], prefix: str
) -> dict[str, dict[str, Any] | None]:
    """Each output's version at the asset's last success: doit's saved state
    (with the names of a folder's files), or, once doit has dropped it (after
    a failure, or ``doit forget``), the version the history recorded."""
    saved = saved_values(task).get(OUTPUTS) or {}
    found = {o: saved.get(prefix + o) for o in outputs}
    if all(found.values()) or not os.path.exists(HISTORY_FILE):
        return found
    key, colon, partition = task.partition(":")
    with History.open(HISTORY_FILE, readonly=True) as history:
        last = history.last_success(key, partition if colon else None)
        made = {o.path: o for o in history.outputs(last.id)} if last else {}
    for output in outputs:
        if found[output] is None and output in made:
            found[output] = {"md5": made[output].md5}
    return found


def in_our_words(task: Any, fail: Any) -> Any:
    """doit's "Dependent file 'x' does not exist." (a file gone after loading),
    as the line a missing file gives when the run starts."""
    text = getattr(fail, "message", "") or ""
    start = text.find("Dependent file '")
    asset = (task.meta or {}).get("asset")
    if start < 0 or not text.endswith("' does not exist.") or asset is None:
        return fail
    path = text[start + len("Dependent file '") : -len("' does not exist.")]
    shown = asset.project_path(path)
    owner = asset.owner_assets().get(path)
    if asset.kind == "source":
        what = f"source file '{shown}'"
    elif owner is not None:
        what = f"output '{shown}' of upstream '{owner}'"
    else:
        what = f"input '{shown}'"
    location = f"{asset.location}: " if asset.location else ""
    return MissingInput(f"{location}asset '{asset.key}': {what} does not exist")


# doit inspects an action's signature on every run of every task; a ready one
# saves that work (it is a measurable part of a build of many small assets).
materialize.__signature__ = inspect.signature(materialize)  # type: ignore[attr-defined]
