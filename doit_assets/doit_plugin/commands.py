"""doit's own ``dumpdb``, ``strace`` and ``reset-dep``, made to understand assets.

Installed as COMMAND plugins of the same names, which doit prefers to its
built-ins. On anything that is not an asset they do what doit's do, with one
difference: ``dumpdb`` says in one line that there is no state, where doit's
prints a ``dbm.error`` traceback.

- ``dumpdb`` prints doit-assets' SQLite state (``.doit-assets/state.sqlite``)
  as doit's prints a dbm file: ``TASK -> {values}``, one task after another. It
  works on the project that ``-f``/``-d`` name, like ``doit assets``.
- ``strace`` refuses an asset in one line instead of running it and printing
  nothing: doit traces only its own shell actions (``CmdAction``), and an
  asset's transform runs inside doit-assets (in a staging folder, or in this
  process for a Python asset), out of strace's reach. Its line points at
  ``doit assets audit ASSET``, which traces the transform itself.
- ``reset-dep`` records, as doit's does, the state of each task as it is now
  without running it; for an asset that includes its fingerprint (with its
  environment: tools, packages, variables) and its outputs' versions, which
  doit's own would keep from the last run (it saves no ``uptodate`` values).
"""

from __future__ import annotations

import os
import pprint
import sys
from collections.abc import Sequence
from dbm import whichdb
from typing import Any

from doit.cmd_dumpdb import DumpDB as DoitDumpDB
from doit.cmd_resetdep import ResetDep as DoitResetDep
from doit.cmd_strace import Strace as DoitStrace

from ..errors import AssetError
from ..paths import STATE_FILE
from ..store.versions import ENVIRONMENT, MADE_AT
from .freshness import AssetFreshness
from .locate import command_place, loader_options

DOIT_STATE = ".doit.db"  # doit's default --db-file
SQLITE_HEADER = b"SQLite format 3\x00"


class DumpDB(DoitDumpDB):  # type: ignore[misc]
    """doit's ``dumpdb``, which also reads the SQLite state of an assets project."""

    name = "dumpdb"

    def __init__(self, task_loader: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loader_options = getattr(task_loader, "cmd_options", ())

    def execute(self, opt_values: Any, pos_args: Sequence[str]) -> int:
        try:
            options = loader_options(
                self.loader_options, self.opt_vals, self.config_vals, os.environ
            )
            folder = command_place(options, None).folder
            shown = _state_file(opt_values["dep_file"], folder)
            path = os.path.join(folder, shown)
            if _is_sqlite(path):
                sys.stdout.write(dump_sqlite_state(path, shown))
                return 0
        except AssetError as err:
            sys.stderr.write(f"ERROR: {err}\n")
            return 3
        super().execute(dict(opt_values, dep_file=path), pos_args)
        return 0


def _state_file(given: str, folder: str) -> str:
    """The state file to read in ``folder``: the one named, else the one there."""
    full = os.path.join(folder, given)
    if whichdb(full) is not None or _is_sqlite(full):
        return given
    # doit-assets keeps it here; dumpdb, a plain command, reads no DOIT_CONFIG
    if given == DOIT_STATE and _is_sqlite(os.path.join(folder, STATE_FILE)):
        return STATE_FILE
    raise AssetError(
        f"no doit state in {os.path.abspath(folder)}: neither {given} nor "
        f"{STATE_FILE} exists",
        hint="Run doit first, or name the state file with --db-file",
    )


def _is_sqlite(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def dump_sqlite_state(path: str, shown: str | None = None) -> str:
    """doit's state in an SQLite file, as ``doit dumpdb`` prints a dbm file."""
    import sqlite3

    from ..store.saved import SavedState

    try:
        tasks = SavedState(path).tasks
    except sqlite3.Error as err:
        raise AssetError(f"{path}: not a doit state file ({err})") from None
    lines = [f"SQLite state: {shown or path}\n"]
    for task in sorted(tasks):
        value = pprint.pformat(tasks[task], indent=4, width=100)
        lines.append(f"{task} -> {value}\n")
    return "".join(lines)


class Strace(DoitStrace):  # type: ignore[misc]
    """doit's ``strace``, which says it cannot trace an asset instead of
    running it for nothing."""

    name = "strace"

    def _execute(self, show_all: bool) -> int:
        selected = self.sel_tasks[0]
        task = next((t for t in self.task_list if t.name == selected), None)
        meta = (task.meta or {}) if task is not None else {}
        if "asset" not in meta and "asset_group" not in meta:
            return int(super()._execute(show_all) or 0)
        self.dep_manager.close()
        error = AssetError(
            "doit strace cannot trace assets: it traces doit's own shell actions, "
            "and doit-assets runs each transform itself",
            key=selected,
            hint=f"'doit assets audit {selected}' traces what it reads and writes",
        )
        sys.stderr.write(f"ERROR: {error}\n")
        return 3


class ResetDep(DoitResetDep):  # type: ignore[misc]
    """doit's ``reset-dep``, which also records an asset's fingerprint and
    outputs as they are now (doit's keeps the saved values of the last run,
    so an asset whose environment changed would stay stale)."""

    name = "reset-dep"

    def _execute(self, pos_args: Sequence[str] | None = None) -> Any:
        save = self.dep_manager.save_success

        def save_success(task: Any, result_hash: Any = None) -> None:
            task.values = {**(task.values or {}), **_recorded_now(task)}
            save(task, result_hash=result_hash)

        self.dep_manager.save_success = save_success
        return super()._execute(pos_args)


def _recorded_now(task: Any) -> dict[str, Any]:
    """What an asset's check would save now, but when it was made (nothing
    was made: its age stays that of its last materialization)."""
    for check, _, _ in task.uptodate:
        if isinstance(check, AssetFreshness):
            values = check.record()
            values.pop(MADE_AT, None)
            # what `why` compares with from now on (no materialization records it)
            values[ENVIRONMENT] = check.environment or {}
            return values
    return {}
