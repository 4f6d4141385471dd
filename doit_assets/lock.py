"""One run at a time per project: an advisory lock on ``.doit-assets/lock``.

The lock file holds who has it (pid, start time, command line) so that the
run that is refused can say what it is waiting for. The operating system
releases the lock when the holder exits, even after SIGKILL.
"""

from __future__ import annotations

import json
import os
import time
from typing import IO, Any

LOCK_FILE = ".doit-assets/lock"

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: runs are not serialised
    fcntl = None  # type: ignore[assignment]


class RunLock:
    def __init__(self, path: str = LOCK_FILE) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def acquire(self, command: str) -> None:
        """Take the lock or raise ProjectLocked naming its holder."""
        holder = self.try_acquire(command)
        if holder is not None:
            from .errors import ProjectLocked  # imports doit: only when needed

            raise ProjectLocked(
                f"{self.path}: another doit run is using this project: {holder}",
                hint="Wait for it to finish, or stop it, then run again",
            )

    def try_acquire(self, command: str) -> str | None:
        """Take the lock and return None, or return who holds it."""
        folder = os.path.dirname(self.path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release
        if fcntl is not None:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = _describe(handle.read())
                handle.close()
                return holder
        handle.seek(0)
        handle.truncate()
        handle.write(
            json.dumps({"pid": os.getpid(), "since": time.time(), "command": command})
        )
        handle.flush()
        self._file = handle
        return None

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the descriptor drops the flock
            self._file = None


def _describe(text: str) -> str:
    try:
        info: dict[str, Any] = json.loads(text)
    except ValueError:
        return "a process that did not say who it is"
    since = time.strftime("%H:%M:%S", time.localtime(info.get("since", 0)))
    return f"pid {info.get('pid')} ('{info.get('command')}', started {since})"
