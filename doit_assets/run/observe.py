"""Observable sources: ask the outside world for a source's version.

An observation is a shell command (or a Python function) that prints what
identifies the current version of something the pipeline does not make: an
ETag, a row count, a date. Every run observes again; the answer is written to
``.doit-assets/observed/KEY.txt`` only when it changed, so that doit's md5
check of that file makes exactly the downstream assets stale.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ..atomic import write_atomically
from ..plan.records import PlannedAsset
from .execute import Failure

EMPTY_HINT = "An observation prints the source's version: an ETag, a date, a row count"


class ObservationFailed(Exception):
    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True, slots=True)
class ObserveJob:
    key: str
    observe: str | Callable[[], object]
    cwd: str
    path: str  # the observation file, as doit sees it

    def value(self, timeout: float | None = None, *, echo: bool = True) -> str:
        """What the observation prints now; raises ObservationFailed (also when a
        command runs longer than ``timeout`` seconds). ``echo``: its stderr goes
        to ours (else the failure keeps its last line)."""
        if callable(self.observe):
            try:
                with _time_limit(timeout):
                    result = self.observe()
            except _TooLong:
                raise ObservationFailed(
                    f"observation of '{self.key}' failed: the function ran longer "
                    f"than {timeout:g}s"
                ) from None
            except Exception as err:  # the user's function: any error is theirs
                text = "".join(traceback.format_exception(err)[1:])
                raise ObservationFailed(
                    f"observation of '{self.key}' raised {type(err).__name__}: {err}\n"
                    + text
                ) from None
            return "" if result is None else str(result).strip()
        proc = _run_shell(self.observe, self.cwd, timeout)
        if proc is None:
            raise ObservationFailed(
                f"observation of '{self.key}' failed: the command ran longer than "
                f"{timeout:g}s: {self.observe}"
            )
        if echo:
            sys.stderr.write(proc.stderr)
        if proc.returncode != 0:
            said = proc.stderr.strip().splitlines()[-1:] if not echo else []
            raise ObservationFailed(
                f"observation of '{self.key}' failed: the command exited with "
                f"code {proc.returncode}: {self.observe}"
                + "".join(f" (stderr: {line})" for line in said),
                exit_code=proc.returncode,
            )
        return proc.stdout.strip()


class _TooLong(BaseException):
    """Raised in a function that ran past its time (not an Exception: the
    function's own ``except Exception`` does not swallow it)."""


@contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    """Interrupt the code within after ``seconds`` (a timer signal: main thread only)."""
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise _TooLong

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _run_shell(
    command: str, cwd: str, timeout: float | None
) -> subprocess.CompletedProcess[str] | None:
    """The command's result; None if it ran longer than ``timeout`` seconds (its
    whole process group is then killed: a grandchild holding the pipes would
    keep ``subprocess.run`` waiting)."""
    with subprocess.Popen(
        command,
        shell=True,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=timeout is not None,
    ) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return None
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


def observe(asset: PlannedAsset) -> Failure | None:
    """Observe an observable source now; record its version if it changed."""
    assert asset.observe is not None
    job = ObserveJob(asset.key, asset.observe, asset.root, asset.targets[0])
    try:
        value = job.value()
    except ObservationFailed as failed:
        return Failure(str(failed), exit_code=failed.exit_code)
    if not value:
        return Failure(f"observation of '{job.key}' printed nothing. {EMPTY_HINT}")
    text = value + "\n"
    try:
        with open(job.path, encoding="utf-8") as f:
            if f.read() == text:
                return None  # same version: the file and its mtime stay
    except FileNotFoundError:
        pass
    write_atomically(job.path, text.encode("utf-8"))
    return None


def read_observation(path: str) -> str | None:
    """The last observed version, or None before the first observation."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    except FileNotFoundError:
        return None
