"""Around one materialization: its pool's slot, its retries, and on_failure.

``materialize_with_retries`` is what the task's one action runs. Each attempt
is a whole ``execute.materialize``, with a staging folder of its own: the
previous good output stays in place until an attempt succeeds. Before each
attempt it takes a slot of the asset's pool (a lock file per slot under
``.doit-assets/pools/``, so that the limit holds across the processes of
``doit -n``), and gives it back after. A failed attempt that will be retried
is printed (one line) and recorded in the history where it ran; the last
attempt is recorded by the run's recorder, as every materialization is.
After the last attempt failed, the asset's ``on_failure`` command runs once.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..paths import HISTORY_FILE, POOLS_DIR, STATE_DIR, log_path
from ..plan.records import PlannedAsset
from ..store.records import CheckOutcome
from .context import RunContext
from .execute import Failure, Job, _exited, duration_text, materialize
from .logs import stderr_text
from .processes import STOPPING, stop_group

# The longest wait between two attempts (unless retry_delay itself is longer):
# the delay doubles after each failed attempt, up to this.
MAX_RETRY_DELAY = 300.0
# How often a full pool is looked at again.
POOL_POLL = 0.05
# How long on_failure may run before it is stopped.
ON_FAILURE_TIMEOUT = 60.0
# The task's value that tells the recorder which attempt succeeded, and when
# it began (see doit_plugin/actions.py).
ATTEMPT_VALUE = "doit-assets:attempt"


@dataclass(frozen=True, slots=True)
class Attempts:
    """How the attempts at one materialization ended: the last one's failure
    (None: it succeeded), its number (1 for the first), and when it started
    (after its pool slot was free; a wait for a slot is not its time)."""

    failure: Failure | None
    attempt: int
    started_at: float


def retry_delay(first: float, retry: int) -> float:
    """Seconds before retry number ``retry`` (1, 2, ...): ``first``, twice
    that, four times, ..., at most MAX_RETRY_DELAY (or ``first``, if longer)."""
    doubled = first * 2.0 ** min(retry - 1, 64)  # 2**64 times: past any cap
    return min(doubled, max(first, MAX_RETRY_DELAY))


def materialize_with_retries(
    job: Job,
    recorded: Callable[[], Mapping[str, Any]],
    checked: Callable[[Sequence[CheckOutcome]], None] | None = None,
) -> Attempts:
    """Materialize ``job``'s asset, retrying a failed attempt as it says;
    ``checked`` gets what each attempt's checks found (execute.materialize)."""
    asset = job.asset
    context = job.context or RunContext()
    number = 1
    while True:
        with pool_slot(asset.pool):
            started = time.time()
            failure = materialize(job, recorded, checked, number)
        if failure is None or number > asset.retries or not failure.retryable:
            break
        if STOPPING.is_set():  # stopped, not failed: recorded as interrupted
            return Attempts(failure, number, started)
        delay = retry_delay(asset.retry_delay, number)
        _record_attempt(context, asset, number, failure, started)
        _say(
            context,
            f"asset '{asset.task}': attempt {number} of {asset.retries + 1} failed: "
            f"{failure.message}; retrying in {duration_text(delay)}",
        )
        if STOPPING.wait(delay):  # Ctrl-C and SIGTERM end it at once
            return Attempts(failure, number, started)
        number += 1
    if failure is not None and asset.on_failure:
        log = (
            ""
            if context.run_id is None
            else log_path(context.run_id, asset.task, number)
        )
        run_on_failure(asset, failure, log)
    return Attempts(failure, number, started)


def _existing(path: str) -> str | None:
    return path if os.path.exists(path) else None


def _say(context: RunContext, line: str) -> None:
    for hook in context.before_output:  # the progress line makes room
        hook()
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _record_attempt(
    context: RunContext,
    asset: PlannedAsset,
    number: int,
    failure: Failure,
    started: float,
) -> None:
    """A failed attempt that is retried, in the history of the run. It is
    written from where it ran (a worker of ``doit -n`` too): the recorder
    in doit's process sees only the task's last attempt."""
    if context.run_id is None or not os.path.isdir(STATE_DIR):
        return  # no run recorded this (a bare materialize from Python)
    from ..store.history import History, HistoryError

    try:
        with History.open(HISTORY_FILE) as history:
            history.record_planned(
                asset,
                run_id=context.run_id,
                status="failed",
                started_at=started,
                fingerprint=asset.fingerprint,
                error=failure.message,
                exit_code=failure.exit_code,
                attempt=number,
                retried=True,
                log=_existing(log_path(context.run_id, asset.task, number)),
                stderr_tail=stderr_text(failure.stderr_tail),
                trigger=context.reasons.get(asset.task),
            )
    except (HistoryError, OSError, sqlite3.Error) as err:  # the retry matters more
        _say(context, f"warning: asset '{asset.task}': attempt not recorded: {err}")


# -- pools -----------------------------------------------------------------------

# Slots this process holds: flock is per open file, so threads of one process
# (doit -P thread) exclude each other too; this keeps one thread from taking
# a slot file it already holds open.
_HELD: set[str] = set()
_HELD_LOCK = threading.Lock()


@contextlib.contextmanager
def pool_slot(pool: tuple[str, int] | None) -> Iterator[None]:
    """Hold one of the ``size`` slots of ``pool`` while the block runs.

    Each slot is a file under ``.doit-assets/pools/``, held with ``flock``:
    the kernel frees it when its holder exits, also after ``kill -9``.
    """
    if pool is None:
        yield
        return
    name, size = pool
    os.makedirs(POOLS_DIR, exist_ok=True)
    held = _take_slot(name, size)
    while held is None:
        time.sleep(POOL_POLL)  # Ctrl-C and SIGTERM end it at once
        held = _take_slot(name, size)
    path, fd = held
    try:
        yield
    finally:
        with _HELD_LOCK:
            _HELD.discard(path)
        os.close(fd)  # frees the lock


def _take_slot(name: str, size: int) -> tuple[str, int] | None:
    for slot in range(size):
        path = os.path.join(POOLS_DIR, f"{name}.{slot}.lock")
        with _HELD_LOCK:
            if path in _HELD:
                continue
            fd = os.open(path, os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as err:
                os.close(fd)
                if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    continue
                raise
            _HELD.add(path)
            return path, fd
    return None


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


# -- on_failure ------------------------------------------------------------------


def run_on_failure(asset: PlannedAsset, failure: Failure, log: str) -> None:
    """The asset's ``on_failure`` command, once its last attempt failed. Its
    own failure is a warning and changes nothing else."""
    assert asset.on_failure is not None
    env = dict(os.environ)
    env.update(
        DOIT_ASSETS_ASSET=asset.key,
        DOIT_ASSETS_PARTITION=asset.partition or "",
        DOIT_ASSETS_ERROR=failure.message,
        DOIT_ASSETS_LOG=os.path.abspath(log) if log else "",
    )
    problem = None
    try:
        proc = subprocess.Popen(
            asset.on_failure,
            shell=True,
            cwd=asset.root,
            env=env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # stopped whole if it hangs
        )
    except OSError as err:
        problem = f"cannot start: {err.strerror or err}"
    else:
        problem = _wait_on_failure(proc)
    if problem is not None:
        sys.stderr.write(
            f"warning: asset '{asset.task}': on_failure {problem}: {asset.on_failure}\n"
        )
        sys.stderr.flush()


def _wait_on_failure(proc: subprocess.Popen[bytes]) -> str | None:
    """Wait for on_failure, a minute at most; what went wrong, or None."""
    deadline = time.monotonic() + ON_FAILURE_TIMEOUT
    try:
        while not _exited(proc.pid):
            if time.monotonic() > deadline:
                stop_group(proc.pid)
                proc.wait()
                return f"stopped after {duration_text(ON_FAILURE_TIMEOUT)}"
            time.sleep(0.02)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # what it left running, before
        code = proc.wait()  # its leader is reaped and its group id can be reused
    except BaseException:  # Ctrl-C: it goes with the run
        stop_group(proc.pid)
        proc.wait()
        raise
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    if code:
        return f"exited with code {code}"
    return None
