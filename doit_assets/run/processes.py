"""The processes of a run, recorded so that none outlives it.

Each transform runs in a process group of its own (a new session), so that
it, its pipes and its children can be stopped together. Every attempt at a
materialization is written to ``.doit-assets/running/`` before its staging
folders exist: the identity of the run (the doit process), the folders, and
once it has started, the transform's group. The entry goes when the attempt
ends. What a dead run left behind -- a transform orphaned by ``kill -9`` of
doit, half-written staging folders -- is stopped and removed by the run's
watchdog as soon as doit dies, and at the latest by the next run, before it
touches anything.

A process is known by (boot, pid, start time), never by its pid alone: a pid
is reused once its process is gone, and killing a stranger's process group
would be far worse than leaving an orphan.

This module imports nothing of doit (the watchdog runs it on its own).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator

from ..atomic import write_atomically
from ..paths import RUNNING_DIR

# The run is being stopped (Ctrl-C, SIGTERM, or it ends with transforms still
# running): a transform that fails now was stopped, it did not fail, and no
# attempt is retried. An Event, so that a retry's wait ends at once.
STOPPING = threading.Event()


_FORKS_DIE_WITH_PARENT: list[bool] = []  # registered once per process


def forks_die_with_parent() -> None:
    """From now on, a process forked from this one dies with its parent (Linux).

    ``doit -n``'s workers are forked before any task runs; one that has not
    made an asset yet (it observed sources, or waits for the next task) would
    otherwise outlive a ``kill -9`` of doit, waiting forever on doit's queue
    with doit's output pipes open. ``PR_SET_PDEATHSIG`` is set in each child
    right after the fork; ctypes is imported there, so that a run that never
    forks pays nothing.
    """
    if _FORKS_DIE_WITH_PARENT or not sys.platform.startswith("linux"):
        return
    _FORKS_DIE_WITH_PARENT.append(True)
    forking: list[int] = []

    def before() -> None:
        forking[:] = [os.getpid()]

    def in_child() -> None:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
        if os.getppid() != forking[0]:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGKILL)

    os.register_at_fork(before=before, after_in_child=in_child)


Identity = tuple[str, int, str]  # (boot id, pid, start time), see identity()

# How long a stopped group gets to exit after SIGTERM before SIGKILL.
GRACE = 2.0


def identity(pid: int) -> Identity | None:
    """Who ``pid`` is now, or None if no such process runs."""
    start = _start_time(pid)
    if start is None:
        return None
    return (_boot_id(), pid, start)


def alive(who: Identity | list[object] | None) -> bool:
    """The very process ``who`` names still runs (not another with its pid)."""
    if not who:
        return False
    boot, pid, start = str(who[0]), int(str(who[1])), str(who[2])
    now = identity(pid)
    return now is not None and now == (boot, pid, start)


def _start_time(pid: int) -> str | None:
    if sys.platform.startswith("linux"):
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            return None
        # the command name (2nd field) may hold spaces and ')': skip past it
        fields = stat[stat.rindex(b")") + 2 :].split()
        if fields[0] == b"Z":  # a zombie has finished; only its parent's wait is left
            return None
        return fields[19].decode()  # field 22: start time in clock ticks since boot
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # it exists, owned by someone else
    found = subprocess.run(
        ["ps", "-o", "lstart=", "-p", str(pid)],
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.strip() or "?"


_BOOT: list[str] = []


def _boot_id() -> str:
    if not _BOOT:
        try:
            with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
                _BOOT.append(f.read().strip())
        except OSError:
            _BOOT.append("")
    return _BOOT[0]


# -- the run's own identity ------------------------------------------------------


def run_identity() -> Identity:
    """The doit process this code runs for, when its reporter did not say (see
    RunContext.run): itself, or the parent of a ``doit -n`` worker."""
    import multiprocessing

    parent = multiprocessing.parent_process()
    pid = parent.pid if parent is not None and parent.pid else os.getpid()
    return identity(pid) or (_boot_id(), pid, "")


# -- the registry ----------------------------------------------------------------


class Entry:
    """One attempt's file in the registry, and what it holds."""

    __slots__ = ("data", "path")

    def __init__(self, path: str, data: dict[str, object]) -> None:
        self.path = path
        self.data = data


class Registry:
    """The attempts of runs in this project (``.doit-assets/running/``), written
    for the run ``run`` (by default, the one this process works for)."""

    def __init__(self, folder: str = RUNNING_DIR, run: Identity | None = None) -> None:
        self.folder = os.path.abspath(folder)
        self.run = run

    def begin(self, folders: Iterable[str]) -> Entry:
        """Record an attempt before its staging folders are made."""
        os.makedirs(self.folder, exist_ok=True)
        entry = Entry(
            os.path.join(self.folder, os.urandom(6).hex() + ".json"),
            {"run": list(self.run_identity()), "folders": list(folders), "group": None},
        )
        self._write(entry)
        return entry

    def run_identity(self) -> Identity:
        if self.run is None:
            self.run = run_identity()
        return self.run

    def started(self, entry: Entry, pid: int) -> None:
        """The attempt's transform runs as process group ``pid``: a line
        appended to its entry (one write to a file that exists, not a second
        file made and renamed: a cold build pays this for every asset)."""
        group = list(identity(pid) or (_boot_id(), pid, ""))
        entry.data["group"] = group
        line = b"\n" + json.dumps({"group": group}).encode()
        fd = os.open(entry.path, os.O_WRONLY | os.O_APPEND | _NOFOLLOW)
        try:
            os.write(fd, line)  # one write: a kill lands before or after it
        finally:
            os.close(fd)

    def end(self, entry: Entry) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(entry.path)

    def _write(self, entry: Entry) -> None:
        write_atomically(entry.path, json.dumps(entry.data).encode())

    def entries(self) -> Iterator[Entry]:
        try:
            names = sorted(os.listdir(self.folder))
        except OSError:
            return
        for name in names:
            path = os.path.join(self.folder, name)
            if name.endswith(".tmp"):  # a write cut short: nothing started yet
                with contextlib.suppress(OSError):
                    os.unlink(path)
                continue
            if not name.endswith(".json"):
                continue
            data = _entry_data(path)
            if data is not None:
                yield Entry(path, data)

    def empty(self) -> bool:
        try:
            return not any(n.endswith(".json") for n in os.listdir(self.folder))
        except OSError:
            return True

    def reap(self, run: Identity | None = None) -> int:
        """Stop and remove what attempts left behind; returns how many.

        With ``run``, only that run's attempts (the run itself ending, or its
        watchdog after it died); without, those of every run that is gone.
        """
        reaped = 0
        for entry in self.entries():
            owner = entry.data.get("run")
            if run is not None:
                if owner != list(run):
                    continue
            elif alive(owner):  # type: ignore[arg-type]
                continue  # a run that still goes on (it cannot hold the lock)
            group = entry.data.get("group")
            if group and alive(group):  # type: ignore[arg-type]
                stop_group(int(str(group[1])))  # type: ignore[index]
            for folder in entry.data.get("folders") or ():  # type: ignore[attr-defined]
                shutil.rmtree(str(folder), ignore_errors=True)
            self.end(entry)
            reaped += 1
        return reaped


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _entry_data(path: str) -> dict[str, object] | None:
    """An entry: its first line as ``begin`` wrote it, updated by each line
    appended after (``started``)."""
    try:
        with open(path, "rb") as f:
            first, *updates = f.read().split(b"\n")
        data = json.loads(first)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    for line in updates:
        with contextlib.suppress(ValueError):
            update = json.loads(line)
            if isinstance(update, dict):
                data.update(update)
    return data


def stop_group(pgid: int, grace: float = GRACE) -> None:
    """SIGTERM to a process group, then SIGKILL to whatever is left of it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            time.sleep(0.02)
            os.killpg(pgid, 0)  # ProcessLookupError once the group is empty
        os.killpg(pgid, signal.SIGKILL)


# -- the watchdog ----------------------------------------------------------------


def ensure_watchdog(registry: Registry) -> None:
    """Start the run's watchdog once: the first attempt of a run does."""
    run = registry.run_identity()
    if not run[2]:
        return  # the run's identity is unknown: the next run reaps instead
    marker = os.path.join(registry.folder, f"watchdog-{run[1]}-{run[2]}")
    if _WATCHED and _WATCHED[0] == marker:
        return
    try:
        os.close(os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW))
    except FileExistsError:
        _WATCHED[:] = [marker]
        return
    _WATCHED[:] = [marker]
    subprocess.Popen(
        [sys.executable, "-m", "doit_assets.run.watchdog", registry.folder, marker]
        + [str(part) for part in run],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # not stopped with the run's own process group
        cwd="/",
    )


_WATCHED: list[str] = []


def wait_for_exit(run: Identity, poll: float = 0.2) -> None:
    """Return once the process ``run`` names has exited."""
    pid = run[1]
    if hasattr(os, "pidfd_open"):
        try:
            fd = os.pidfd_open(pid)
        except OSError:
            return  # already gone
        try:
            if alive(run):  # the pid was not reused between the two looks
                import select

                select.select([fd], [], [])  # readable when the process exits
        finally:
            os.close(fd)
        return
    while alive(run):
        time.sleep(poll)


def forget_watchdogs(registry: Registry) -> None:
    """Markers of watchdogs whose run is gone (a watchdog killed with its run)."""
    try:
        names = os.listdir(registry.folder)
    except OSError:
        return
    for name in names:
        if not name.startswith("watchdog-"):
            continue
        _, pid, start = name.split("-", 2)
        if not alive((_boot_id(), int(pid), start)):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(registry.folder, name))
