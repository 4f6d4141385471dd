"""One run at a time per project: a lock on ``.doit-assets/lock``.

The lock is a POSIX record lock (``fcntl.lockf``). It belongs to the process
that took it and to no other: a worker forked by ``doit -n`` does not inherit
it, so a run killed with ``kill -9`` never leaves its project locked by an
orphaned worker, and the kernel frees it the moment its holder dies. The file
holds who has it (pid, start time, command line) so that a run that is
refused can say what it waits for.

POSIX locks have one trap: closing *any* descriptor of the file drops the
process's lock. So the file is opened once per process, by ``acquire``; the
holder's own process never opens it again (``holder`` answers from memory).
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import IO, Any, ClassVar

from ..paths import LOCK_FILE, state_folder_problem
from .processes import identity

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: runs are not serialised
    fcntl = None  # type: ignore[assignment]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
WAIT_STEP = 0.1  # seconds between two tries of a run that waits for the lock


class RunLock:
    """Taken by a run (the reporter), by the fast path, and before ``doit forget``,
    ``ignore`` and ``clean`` change anything. Taking it twice in one process is
    one lock, held until the last ``release``."""

    # path -> (its file, how many hold it) in this process
    _held: ClassVar[dict[str, tuple[IO[str], int]]] = {}

    def __init__(self, path: str = LOCK_FILE) -> None:
        self.path = os.path.abspath(path)
        self.shown = path
        self._mine = False

    def acquire(self, command: str, *, wait: bool = False) -> None:
        """Take the lock or raise ProjectLocked naming its holder; with
        ``wait``, wait for the holder to finish (saying once what it waits for)."""
        holder = self.try_acquire(command)
        if holder is not None and wait:
            sys.stderr.write(f"Waiting for another doit run: {holder}\n")
            sys.stderr.flush()
            while holder is not None:
                time.sleep(WAIT_STEP)
                holder = self.try_acquire(command)
        if holder is not None:
            from ..errors import ProjectLocked  # imports doit: only when needed

            raise ProjectLocked(
                f"{self.shown}: another doit run is using this project: {holder}",
                hint="Wait for it to finish, or stop it, then run again",
            )

    def try_acquire(self, command: str) -> str | None:
        """Take the lock and return None, or return who holds it."""
        if self._mine:
            return None
        held = self._held.get(self.path)
        if held is not None:  # this process has it already
            self._held[self.path] = (held[0], held[1] + 1)
            self._mine = True
            return None
        folder = os.path.dirname(self.path)
        problem = state_folder_problem(folder)
        if problem is not None:
            from ..errors import AssetError

            raise AssetError(problem, hint="Remove it; doit-assets makes the folder")
        os.makedirs(folder, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o644)
        except OSError as err:
            from ..errors import AssetError

            raise AssetError(
                f"{self.shown}: cannot open the lock: {err.strerror}",
                hint="It must be a plain file (not a symbolic link)",
            ) from None
        handle = os.fdopen(fd, "r+", encoding="utf-8")
        if fcntl is not None:
            try:
                fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # EAGAIN or EACCES: someone has it
                handle.seek(0)
                text = handle.read()
                handle.close()
                return _describe(text)
        me = identity(os.getpid())
        handle.seek(0)
        handle.truncate()
        handle.write(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "since": time.time(),
                    "command": command,
                    "identity": list(me) if me else None,
                }
            )
        )
        handle.flush()
        self._held[self.path] = (handle, 1)
        self._mine = True
        return None

    def release(self) -> None:
        if not self._mine:
            return
        self._mine = False
        handle, count = self._held[self.path]
        if count > 1:
            self._held[self.path] = (handle, count - 1)
            return
        del self._held[self.path]
        handle.close()  # closing the descriptor drops the lock

    @property
    def held(self) -> bool:
        return self.path in self._held


def holder(path: str = LOCK_FILE) -> dict[str, Any] | None:
    """Who holds the project's lock now (from the file), or None if nobody does.

    Reads without locking; in the process that holds the lock, answers from
    memory (opening the file there would drop the lock on close).
    """
    full = os.path.abspath(path)
    if full in RunLock._held:
        return {"pid": os.getpid()}
    try:
        fd = os.open(full, os.O_RDONLY | _NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, encoding="utf-8") as f:
        text = f.read()
    try:
        info: dict[str, Any] = json.loads(text)
    except ValueError:
        return None
    from .processes import alive

    who = info.get("identity")
    if who is not None and not alive(who):
        return None
    return info


def running_pid(path: str = LOCK_FILE) -> int | None:
    """The pid of the run that holds the project's lock now, if one does."""
    info = holder(path)
    return int(info["pid"]) if info and info.get("identity") else None


def _describe(text: str) -> str:
    try:
        info: dict[str, Any] = json.loads(text)
    except ValueError:
        return "a process that did not say who it is"
    since = time.strftime("%H:%M:%S", time.localtime(info.get("since", 0)))
    return f"pid {info.get('pid')} ('{info.get('command')}', started {since})"
