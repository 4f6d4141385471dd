"""doit's state in SQLite, saved task by task.

doit keeps every state write in memory until the run ends, so a killed run
loses all its completed tasks. This backend uses WAL and lets the reporter
commit each task's state the moment it succeeds (``flush``). doit imports every
BACKEND plugin on every task command in every project: keep this module light.
"""

from __future__ import annotations

import os
from typing import Any

from doit import dependency
from doit.dependency import SqliteDB

from .versioning import file_md5


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
        return bool(md5 != file_md5(file_path, file_stat))

    def get_state(self, dep: str, current_state: Any) -> Any:
        st = os.stat(dep)
        if current_state and current_state[0] == st.st_mtime:
            return None  # unchanged since saved: nothing to hash
        return st.st_mtime, st.st_size, file_md5(dep, st)


class AssetStateDB(SqliteDB):  # type: ignore[misc]
    """doit's sqlite3 backend with WAL, a busy timeout and per-task commits."""

    desc = "SQLite, committed after every task (doit-assets)"

    def __init__(
        self, name: str, codec: Any, *, module_name: str | None = None
    ) -> None:
        folder = os.path.dirname(name)
        if folder:
            os.makedirs(folder, exist_ok=True)
        self._loaded = False
        super().__init__(name, codec, module_name=module_name)

    def _sqlite3(self, name: str) -> Any:
        conn = super()._sqlite3(name)
        conn.execute("pragma busy_timeout = 10000")
        conn.execute("pragma journal_mode = wal")
        conn.execute("pragma synchronous = normal")
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
        if not self._loaded:  # keep the rest of the task's saved state
            self._load_all()
        super().set(task_id, dependency, value)

    def _load_all(self) -> None:
        self._loaded = True
        rows = self._conn.execute("select task_id, task_data from doit").fetchall()
        for row in rows:
            self._cache.setdefault(row["task_id"], row["task_data"] or {})

    def remove(self, task_id: str) -> None:
        super().remove(task_id)
        self._cache.pop(task_id, None)

    def remove_all(self) -> None:
        super().remove_all()
        self._loaded = True  # nothing left to load

    def flush(self, task_id: str) -> None:
        """Commit one task's state now, not at the end of the run."""
        if task_id in self._dirty:
            self._conn.execute(
                "insert or replace into doit values (?,?)",
                (task_id, self.codec.encode(self._cache[task_id])),
            )
            self._dirty.discard(task_id)
        self._conn.commit()
