"""The one reader of doit's saved state: each task's values and file versions.

doit keeps, per task, the version of every ``file_dep`` and the values its
``uptodate`` checks saved (under ``_values_:``); doit-assets saves there the
fingerprint and the versions of its outputs (store/versions.py names them).
Read-only: ``status`` and its friends write nothing.
"""

from __future__ import annotations

import json
import os
from typing import Any

from .history import connect_readonly

VALUES = "_values_:"  # where doit keeps a task's saved values


class SavedState:
    """doit's saved state, read at once from its SQLite file."""

    def __init__(self, path: str) -> None:
        self.tasks: dict[str, dict[str, Any]] = {}
        if not os.path.exists(path):
            return
        conn = connect_readonly(path)
        try:
            rows = conn.execute("select task_id, task_data from doit").fetchall()
        finally:
            conn.close()
        self.tasks = {task: json.loads(data) if data else {} for task, data in rows}

    def get(self, task_name: str, key: str) -> Any:
        return self.tasks.get(task_name, {}).get(key)

    def get_values(self, task_name: str) -> dict[str, Any]:
        return dict(self.get(task_name, VALUES) or {})


def read_values(path: str, task_name: str) -> dict[str, Any]:
    """One task's saved values, read from the file (``{}`` if none)."""
    if not os.path.exists(path):
        return {}
    conn = connect_readonly(path)
    try:
        row = conn.execute(
            "select task_data from doit where task_id = ?", (task_name,)
        ).fetchone()
    finally:
        conn.close()
    data = json.loads(row[0]) if row and row[0] else {}
    return dict(data.get(VALUES) or {})


def save_values(path: str, updates: dict[str, dict[str, Any]]) -> None:
    """Merge ``updates`` (task -> values) into the tasks' saved values, in one
    transaction (``doit assets accept``; the caller holds the run lock)."""
    import sqlite3

    conn = sqlite3.connect(path, timeout=10)
    try:
        with conn:
            for task, values in updates.items():
                row = conn.execute(
                    "select task_data from doit where task_id = ?", (task,)
                ).fetchone()
                data = json.loads(row[0]) if row and row[0] else {}
                data[VALUES] = {**(data.get(VALUES) or {}), **values}
                conn.execute(
                    "update doit set task_data = ? where task_id = ?",
                    (json.dumps(data), task),
                )
    finally:
        conn.close()
