"""The folders a watcher asks the operating system about, and the gaps between.

File events come per folder: the folder of each watched file (its nearest
folder that exists, for a file not made yet), recursively for a folder that is
itself read. A watched file that is a symbolic link is watched where it points
too. Between two cycles the set changes (a folder appears, one is replaced by
``git checkout``), and while a folder is not watched its events are lost: so
every file in a folder that is newly watched, or watched again after it was
replaced, counts as changed (doit's check then tells what really did).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# A folder as it was when it was scheduled: (device, inode), to see it replaced
Identity = tuple[int, int]


@dataclass
class Scheduled:
    deep: bool  # recursive: a folder that is itself read
    identity: Identity | None
    watch: Any  # watchdog's ObservedWatch


def nearest_folder(path: str) -> tuple[str, bool]:
    """The folder whose events tell of ``path`` ('' for the project): its own
    (recursively, for a folder that is read), or the nearest that exists."""
    deep = path.endswith("/")
    folder = path.rstrip("/") if deep else os.path.dirname(path)
    while folder and not os.path.isdir(folder):
        folder, deep = os.path.dirname(folder), False
    return folder, deep


def folders_of(paths: Iterable[str]) -> dict[str, bool]:
    """The folders to watch for ``paths`` (absolute ones too: a link's target)."""
    found: dict[str, bool] = {}
    for path in paths:
        folder, deep = nearest_folder(path)
        found[folder] = found.get(folder, False) or deep
    return found


def link_targets(paths: Iterable[str]) -> dict[str, str]:
    """Each watched path that is a symbolic link: its target -> it (the target
    relative to the project if it is inside, as the events name it)."""
    here = os.getcwd() + os.sep
    targets = {}
    for path in paths:
        if os.path.islink(path.rstrip("/")):
            target = os.path.realpath(path)
            if target.startswith(here):
                target = target[len(here) :]
            targets[target] = path
    return targets


def identity_of(folder: str) -> Identity | None:
    try:
        info = os.stat(folder or ".")
    except OSError:
        return None
    return info.st_dev, info.st_ino


class Folders:
    """The watches of one observer, changed as little as possible: a folder
    that stays watched is never unwatched, not even for a moment."""

    def __init__(self, observer: Any, handler: Any) -> None:
        self.observer = observer
        self.handler = handler
        self.scheduled: dict[str, Scheduled] = {}

    def update(self, wanted: dict[str, bool]) -> set[str]:
        """Watch exactly ``wanted``; the folders whose events were not seen
        until now (new, or replaced since they were watched)."""
        fresh = set()
        for folder, old in list(self.scheduled.items()):
            deep = wanted.get(folder)
            if deep is None or deep != old.deep or identity_of(folder) != old.identity:
                with contextlib.suppress(KeyError):  # its emitter ended with it
                    self.observer.unschedule(old.watch)
                del self.scheduled[folder]
        for folder, deep in wanted.items():
            if folder in self.scheduled or not os.path.isdir(folder or "."):
                continue
            watch = self.observer.schedule(self.handler, folder or ".", recursive=deep)
            self.scheduled[folder] = Scheduled(deep, identity_of(folder), watch)
            fresh.add(folder)
        return fresh

    def replaced(self, path: str) -> None:
        """A watched folder was removed or moved away (its inode may well be
        given to the next folder made there): watch it anew at the next update."""
        old = self.scheduled.get(path)
        if old is not None:
            old.identity = None

    def holds(self, path: str) -> bool:
        """Is a new file at ``path`` in a watched folder?"""
        folder = os.path.dirname(path)
        if folder in self.scheduled:
            return True
        return any(
            path.startswith(f + "/") for f, s in self.scheduled.items() if s.deep
        )
