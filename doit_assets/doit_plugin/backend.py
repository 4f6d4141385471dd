"""doit's state in SQLite, saved task by task.

doit keeps every state write in memory until the run ends, so a killed run
loses all its completed tasks. This backend uses WAL and lets the reporter
commit each task's state the moment it succeeds (``flush``). doit imports every
BACKEND plugin on every task command in every project: keep this module light.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from doit import Globals, dependency
from doit.dependency import SqliteDB

from ..errors import AssetError
from ..paths import STATE_FILE, state_folder_problem
from ..run.lock import RunLock
from ..store.saved import VALUES, read_values
from ..store.stamps import CREATE, TABLE, stamp_of
from ..store.versions import OUTPUTS, file_md5, moved_deps, moved_outputs
from .edge import as_doit_error, reported_by_doit


class MD5Checker(dependency.MD5Checker):  # type: ignore[misc]
    """doit's md5 checker, hashing through doit-assets' cache.

    An output is hashed once when it is made (its recorded version); without
    this, doit hashes it again for every asset that reads it. Same name as
    doit's, so that state saved by plain doit stays valid.
    """

    def check_modified(self, file_path: str, file_stat: Any, state: Any) -> bool:
        timestamp, size, md5 = state
        if file_stat.st_mtime == timestamp:
            return False
        if file_stat.st_size != size:
            return True
        if md5 != file_md5(file_path, file_stat):
            return True
        moved_deps[file_path] = (file_stat.st_mtime, size, md5)
        return False

    def get_state(self, dep: str, current_state: Any) -> Any:
        st = os.stat(dep)
        if current_state and current_state[0] == st.st_mtime:
            return None  # unchanged since saved: nothing to hash
        return st.st_mtime, st.st_size, file_md5(dep, st)


class AssetStateDB(SqliteDB):  # type: ignore[misc]
    """doit's sqlite3 backend with WAL, a busy timeout and per-task commits.

    Whatever changes the state (``doit forget``, ``ignore``, ``reset-dep``, a
    run) first takes the project's run lock, so that it never breaks a run
    that is going on; a run's reporter has taken it already.
    """

    desc = "SQLite, committed after every task (doit-assets)"

    def __init__(
        self, name: str, codec: Any, *, module_name: str | None = None
    ) -> None:
        folder = os.path.dirname(name)
        problem = state_folder_problem(folder or ".")
        if problem is None and os.path.islink(name):
            problem = f"'{name}' is a symbolic link; doit's state must be a real file"
        if problem is not None:
            error = AssetError(problem, hint="Remove it; doit-assets makes it again")
            raise as_doit_error(error)
        if folder:
            os.makedirs(folder, exist_ok=True)
        self._loaded = False
        self._pid = os.getpid()
        self._lock: RunLock | None = None
        self._spared: set[str] = set()
        self._stamped: set[str] = set()  # the tasks with a stamp, once loaded
        self._wanted: frozenset[str] | None = None  # see limit
        super().__init__(name, codec, module_name=module_name)

    def _sqlite3(self, name: str) -> Any:
        conn = super()._sqlite3(name)
        conn.execute("pragma busy_timeout = 10000")
        conn.execute("pragma journal_mode = wal")
        conn.execute("pragma synchronous = normal")
        conn.execute(CREATE)  # each task's stamp, for the fast path (stamps.py)
        return conn

    def get(self, task_id: str, dependency: str) -> Any:
        # One query for every task instead of one per task: a no-op run asks
        # about all of them.
        if not self._loaded:
            self._load_all()
        return self._cache.get(task_id, {}).get(dependency)

    def in_(self, task_id: str) -> bool:
        if not self._loaded:
            self._load_all()
        return task_id in self._cache

    def set(self, task_id: str, dependency: str, value: Any) -> None:
        self._locked()
        if not self._loaded:  # keep the rest of the task's saved state
            self._load_all()
        super().set(task_id, dependency, value)

    def _locked(self) -> None:
        if self._lock is None:
            lock = RunLock(os.path.join(os.path.dirname(self.name), "lock"))
            with reported_by_doit():
                lock.acquire(_command())  # held until doit exits
            self._lock = lock

    def limit(self, tasks: frozenset[str]) -> None:
        """Only these tasks will be asked about (the fast path's cone): read
        their rows alone."""
        if not self._loaded:
            self._wanted = tasks

    def _load_all(self) -> None:
        self._loaded = True
        for where, args in self._where():
            rows = self._conn.execute(
                f"select task_id, task_data from doit{where}", args
            ).fetchall()
            for row in rows:
                self._cache.setdefault(row["task_id"], row["task_data"] or {})
            stamped = self._conn.execute(f"select task_id from {TABLE}{where}", args)
            self._stamped.update(row["task_id"] for row in stamped)

    def _where(self) -> Iterator[tuple[str, tuple[str, ...]]]:
        if self._wanted is None:
            yield "", ()
            return
        wanted = sorted(self._wanted)
        for start in range(0, len(wanted), 500):  # sqlite's limit of parameters
            chunk = tuple(wanted[start : start + 500])
            yield f" where task_id in ({','.join('?' * len(chunk))})", chunk

    def spare(self, task_id: str) -> None:
        """Keep this task's state at its next ``remove``: doit removes the
        state of a task it did not run because a dependency failed, but the
        task's outputs are still the ones that state describes."""
        self._spared.add(task_id)

    def remove(self, task_id: str) -> None:
        if task_id in self._spared:
            self._spared.discard(task_id)
            return
        self._locked()
        super().remove(task_id)
        self._cache.pop(task_id, None)
        self._conn.execute(f"delete from {TABLE} where task_id = ?", (task_id,))
        self._stamped.discard(task_id)

    def remove_all(self) -> None:
        self._locked()
        super().remove_all()
        self._conn.execute(f"delete from {TABLE}")
        self._stamped = set()
        self._loaded = True  # nothing left to load

    def restamp(self, task_id: str) -> None:
        """An up-to-date task whose files' stamps moved (their content did not):
        save the new stamps, as doit would have had it run the task."""
        data = self._cache.get(task_id)
        if not data:
            return
        changed = False
        for dep in data.get("deps:") or ():
            now = moved_deps.get(dep)
            saved = data.get(dep)
            if now is not None and saved and saved[0] != now[0] and saved[2] == now[2]:
                data[dep] = list(now)
                changed = True
        outputs = (data.get("_values_:") or {}).get(OUTPUTS) or {}
        for path, state in outputs.items():
            stamp = moved_outputs.get(path)
            if stamp is not None and state and state.get("stamp") != stamp:
                state["stamp"] = stamp
                changed = True
        if changed:
            self._locked()
            self._dirty.add(task_id)
            self.flush(task_id)

    def flush(self, task_id: str) -> None:
        """Commit one task's state now, not at the end of the run."""
        if task_id in self._dirty:
            self._write(task_id)
            self._dirty.discard(task_id)
        self._conn.commit()

    def dump(self) -> None:
        for task_id in self._dirty:
            self._write(task_id)
        self._dirty.clear()
        if self._loaded:  # a state saved before stamps: stamp it once
            for task_id in self._cache.keys() - self._stamped:
                self._write_stamp(task_id)
        super().dump()

    def _write(self, task_id: str) -> None:
        """A task's state and its stamp, in the same transaction."""
        data = self._cache[task_id]
        self._conn.execute(
            "insert or replace into doit values (?,?)",
            (task_id, self.codec.encode(data)),
        )
        self._write_stamp(task_id)

    def _write_stamp(self, task_id: str) -> None:
        stamp = stamp_of(self._cache[task_id])
        self._conn.execute(
            f"insert or replace into {TABLE} values (?,?)", (task_id, stamp)
        )
        self._stamped.add(task_id)


def _command() -> str:
    import shlex
    import sys

    return shlex.join(["doit", *sys.argv[1:]])


def saved_values(task_name: str) -> dict[str, Any]:
    """The values doit saved at a task's last success (``{}`` if none).

    In doit's process, or a worker forked from it, from the state in memory;
    in a worker that was not forked (or forked before the state was read),
    from the file, read-only: a SQLite connection must not cross a fork.
    """
    backend = getattr(Globals.dep_manager, "backend", None)
    if isinstance(backend, AssetStateDB):
        if backend._loaded:
            return dict(backend._cache.get(task_name, {}).get(VALUES) or {})
        if backend._pid == os.getpid():
            return dict(backend.get(task_name, VALUES) or {})
    elif Globals.dep_manager is not None:
        return dict(Globals.dep_manager.get_values(task_name) or {})
    return read_values(STATE_FILE, task_name)
