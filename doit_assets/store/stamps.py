"""Each asset's stamp: what doit saved of its last success, small enough to read
10 000 of in a few milliseconds, and whether it still holds.

doit's state row of a task (JSON, with every md5 and value) is the truth of
whether the task is up to date; the stamp is an index of it: the fingerprint,
the modification time doit saved of each file it reads, the stamps of its
outputs and upstream folders, when it was made. The backend writes it in the
same commit as the row it comes from (``doit_plugin/backend.py``), so that a
killed run keeps every stamp of what it finished.

``holds`` answers "would doit find this task up to date?" from the stamp and
the disk alone, without doit. It may say no where doit would say yes (an
output whose stamp moved but whose content did not): the caller then hands
the task to doit, which decides. It never says yes where doit would say no.
"""

from __future__ import annotations

import marshal
import os
import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from ..model import clock
from ..paths import is_directory
from .versions import DIR_INPUTS, FINGERPRINT, MADE_AT, OUTPUTS, current_stamp

TABLE = "asset_stamps"
FORMAT = 1
# the file checker whose saved states the stamp reads (doit_plugin/backend.py)
CHECKER = "MD5Checker"
CREATE = f"create table if not exists {TABLE} (task_id text primary key, stamp blob)"


class Stamp(NamedTuple):
    fingerprint: str | None  # None: no freshness check of ours
    deps: tuple[tuple[str, float | None], ...]  # file_dep -> doit's saved mtime
    outputs: tuple[tuple[str, str | None], ...]  # output -> its stamp then
    dir_inputs: tuple[tuple[str, str | None], ...]
    made_at: float | None
    usable: bool  # doit's own checker, and not set aside by `doit ignore`


class Expected(NamedTuple):
    """What a run would ask of a task: the parts of its doit task dict that
    doit's check reads."""

    fingerprint: str | None  # what its uptodate check compares (None: none)
    file_dep: tuple[str, ...]
    targets: tuple[str, ...]  # as doit sees them (no trailing '/')
    outputs: tuple[str, ...]  # with a directory's trailing '/'
    dir_inputs: tuple[str, ...]
    max_age: float | None
    always: bool  # doit runs it whatever it finds (observed, a missing input)


def stamp_of(data: Mapping[str, Any]) -> bytes:
    """The stamp of a task from doit's saved state of it."""
    values = data.get("_values_:") or {}
    deps = tuple((dep, _mtime(data.get(dep))) for dep in (data.get("deps:") or ()))
    stamp = Stamp(
        values.get(FINGERPRINT),
        deps,
        _stamps(values.get(OUTPUTS)),
        _stamps(values.get(DIR_INPUTS)),
        values.get(MADE_AT),
        data.get("checker:") == CHECKER and not data.get("ignore:"),
    )
    return marshal.dumps((FORMAT, *stamp))


def _mtime(state: Any) -> float | None:
    try:
        return float(state[0])
    except (TypeError, IndexError, ValueError):
        return None


def _stamps(states: Any) -> tuple[tuple[str, str | None], ...]:
    if not isinstance(states, Mapping):
        return ()
    return tuple(
        (path, state.get("stamp") if isinstance(state, Mapping) else None)
        for path, state in states.items()
    )


def read_all(conn: sqlite3.Connection) -> dict[str, bytes]:
    """Every task's stamp, still packed (unpacked only for the tasks asked)."""
    try:
        return dict(conn.execute(f"select task_id, stamp from {TABLE}"))
    except sqlite3.OperationalError:  # a state made before stamps: none
        return {}


def unpack(data: bytes | None) -> Stamp | None:
    if data is None:
        return None
    try:
        version, *fields = marshal.loads(data)
    except (ValueError, EOFError, TypeError):
        return None
    return Stamp(*fields) if version == FORMAT else None


class Disk:
    """The disk as one triage sees it: each path looked at once (one ``stat``
    answers both its modification time and its stamp)."""

    def __init__(self) -> None:
        self._stats: dict[str, os.stat_result | None] = {}
        self._dir_stamps: dict[str, str | None] = {}
        self.now = clock.now()

    def _stat(self, path: str) -> os.stat_result | None:
        try:
            return self._stats[path]
        except KeyError:
            pass
        try:
            found: os.stat_result | None = os.stat(path)
        except OSError:
            found = None
        self._stats[path] = found
        return found

    def mtime(self, path: str) -> float | None:
        st = self._stat(path)
        return None if st is None else st.st_mtime

    def stamp(self, path: str) -> str | None:
        """As ``versions.current_stamp`` says it."""
        if is_directory(path):
            try:
                return self._dir_stamps[path]
            except KeyError:
                pass
            try:
                found = current_stamp(path)
            except OSError:
                found = None
            self._dir_stamps[path] = found
            return found
        st = self._stat(path)
        return None if st is None else f"{st.st_size}:{st.st_mtime_ns}"


def holds(expected: Expected, packed: bytes | None, disk: Disk) -> bool:
    """Would doit find the task up to date? False when unsure.

    ``expected`` may be a plain tuple of Expected's fields, ``packed`` the
    stamp as stored: the fast path asks this of every task of a project.
    """
    fingerprint, file_dep, targets, outputs, dir_inputs, max_age, always = expected
    if always or packed is None:
        return False
    stamp = unpack(packed)
    if stamp is None or not stamp.usable or stamp.fingerprint != fingerprint:
        return False
    mtime = disk.mtime
    if len(stamp.deps) != len(file_dep):
        return False
    for dep, saved in stamp.deps:
        if saved is None or mtime(dep) != saved:
            return False
    if set(file_dep) != {dep for dep, _ in stamp.deps}:
        return False
    for target in targets:
        if mtime(target) is None:
            return False
    if not _same_stamps(outputs, stamp.outputs, disk):
        return False
    if dir_inputs and not _same_stamps(dir_inputs, stamp.dir_inputs, disk):
        return False
    if max_age is not None:
        made = stamp.made_at
        return made is not None and disk.now - float(made) <= max_age
    return True


def _same_stamps(
    paths: Iterable[str], saved: tuple[tuple[str, str | None], ...], disk: Disk
) -> bool:
    stamps = dict(saved)
    for path in paths:
        stamp = stamps.get(path)
        if stamp is None or disk.stamp(path) != stamp:
            return False
    return True
