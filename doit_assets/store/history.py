"""The materialization history: an append-only SQLite store beside doit's state.

doit keeps only the last success of each task and forgets a task when it
fails; the history keeps every materialization, with the exact versions of
what it read and a pointer to the materialization that produced each of them,
so a user can walk back from any file on disk to the chain that made it.

Each write commits at once (WAL, synchronous=NORMAL): a killed run loses at
most the materialization that was in flight.

``History`` is the one entry point: this module opens, migrates and appends;
the reads are in store/queries.py, the records in store/records.py (named
here too, so that callers import from one place).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from ..errors import AssetError
from ..model import clock
from ..paths import HISTORY_FILE
from ..plan.records import Kind, PlannedAsset
from .queries import HistoryQueries
from .records import (
    ANY,
    Backfill,
    CheckOutcome,
    Input,
    Materialization,
    MaterializationStatus,
    Output,
    RecordedCheck,
    Run,
    RunOutcome,
)
from .schema import MIGRATIONS, SCHEMA_VERSION

__all__ = [
    "ANY",
    "Backfill",
    "CheckOutcome",
    "History",
    "HistoryError",
    "Input",
    "Materialization",
    "MaterializationStatus",
    "Output",
    "RecordedCheck",
    "Run",
    "RunOutcome",
    "connect_readonly",
]


def connect_readonly(path: str) -> sqlite3.Connection:
    """A connection that writes nothing, not even SQLite's ``-shm`` file.

    With no write-ahead log beside the file (no run is writing), the file is
    opened as immutable; during a run, read-only through the log.
    """
    flags = "mode=ro" if os.path.exists(path + "-wal") else "mode=ro&immutable=1"
    return sqlite3.connect(f"file:{path}?{flags}", uri=True, timeout=10)


def _json(metadata: Mapping[str, Any]) -> str:
    return json.dumps(dict(metadata), sort_keys=True, default=str)


class HistoryError(AssetError):
    """The history file cannot be used as it is."""


TIMEOUT = 10.0  # seconds to wait for another process's write


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch to write-ahead logging, waiting for other processes.

    SQLite answers "database is locked" at once, without waiting as it does
    for other statements, when another process holds the file while the
    journal mode changes: two processes opening a new history at once.
    """
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            conn.execute("pragma journal_mode = wal")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class History(HistoryQueries):
    """Read and append materializations. Open with ``History.open(path)``."""

    @classmethod
    def open(
        cls, path: str = HISTORY_FILE, *, create: bool = True, readonly: bool = False
    ) -> History:
        """Open (and with ``create``, create or migrate) the store at ``path``.

        ``readonly`` opens an existing store for queries only, as it is.
        """
        if not create and not os.path.exists(path):
            raise FileNotFoundError(path)
        if readonly:
            return cls(connect_readonly(path), path)
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        try:
            conn = sqlite3.connect(path, timeout=TIMEOUT, isolation_level=None)
            _use_wal(conn)
            conn.execute("pragma synchronous = normal")
            history = cls(conn, path)
            history._migrate()
        except sqlite3.DatabaseError as err:
            raise HistoryError(
                f"{path}: cannot read the history: {err}",
                hint="Move the file away to start a new history",
            ) from None
        return history

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("begin immediate")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("rollback")
            raise
        self.conn.execute("commit")

    # logs: whether this store was made when opened (a new history)
    created = False

    def _migrate(self) -> None:
        if self._version() == SCHEMA_VERSION:
            return  # the common case, without taking the write lock
        # Read again inside the write transaction that migrates: two processes
        # creating a new history at once would otherwise both read version 0
        # and both create the tables.
        with self._transaction() as conn:
            version = self._version()
            self.created = version == 0
            for number in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        conn.execute(statement)
            conn.execute(f"pragma user_version = {SCHEMA_VERSION}")

    def _version(self) -> int:
        version = int(self.conn.execute("pragma user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise HistoryError(
                f"{self.path}: history schema {version} is newer than this "
                f"doit-assets knows ({SCHEMA_VERSION})",
                hint="Upgrade doit-assets",
            )
        return version

    # -- runs ------------------------------------------------------------------

    def start_run(
        self,
        command: str,
        started_at: float | None = None,
        backfill_id: int | None = None,
        trigger: str | None = None,
    ) -> int:
        """Open a run; runs left 'running' by a killed process become 'interrupted'.

        ``trigger``: what started it (a file event, a schedule...), None when a
        user did."""
        with self._transaction() as conn:
            conn.execute(
                "update runs set outcome = 'interrupted' where outcome = 'running'"
            )
            cursor = conn.execute(
                "insert into runs (started_at, command, pid, backfill_id, trigger) "
                "values (?, ?, ?, ?, ?)",
                (started_at or time.time(), command, os.getpid(), backfill_id, trigger),
            )
        return int(cursor.lastrowid or 0)

    def end_run(
        self,
        run_id: int,
        outcome: RunOutcome,
        *,
        materialized: int,
        up_to_date: int,
        failed: int,
    ) -> None:
        with self._transaction() as conn:
            conn.execute(
                "update runs set ended_at = ?, outcome = ?, materialized = ?, "
                "up_to_date = ?, failed = ? where id = ?",
                (time.time(), outcome, materialized, up_to_date, failed, run_id),
            )

    # -- materializations ------------------------------------------------------

    def record_planned(
        self,
        asset: PlannedAsset,
        *,
        run_id: int,
        status: MaterializationStatus,
        started_at: float | None,
        **columns: Any,
    ) -> int:
        """``record`` of a planned asset, ended now: its key, partition, kind,
        transform, code version and metadata come from the plan; ``columns``
        give the rest (and may replace ``metadata``)."""
        planned: dict[str, Any] = {
            "asset": asset.key,
            "partition": asset.partition,
            "kind": asset.kind,
            "transform": asset.transform,
            "code_version": asset.code_version,
            "metadata": asset.metadata,
        }
        return self.record(
            run_id=run_id,
            status=status,
            started_at=started_at,
            ended_at=time.time(),
            **{**planned, **columns},
        )

    def record(
        self,
        *,
        run_id: int,
        asset: str,
        kind: Kind,
        status: MaterializationStatus,
        started_at: float | None,
        ended_at: float,
        transform: str | None = None,
        code_version: str | None = None,
        fingerprint: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        error: str | None = None,
        exit_code: int | None = None,
        outputs: Sequence[Output] = (),
        inputs: Sequence[Input] = (),
        partition: str | None = None,
        attempt: int | None = None,
        retried: bool = False,
        checks: Sequence[CheckOutcome] = (),
        log: str | None = None,
        stderr_tail: str | None = None,
        reported_metadata: Mapping[str, Any] | None = None,
        trigger: str | None = None,
        environment: Mapping[str, Any] | None = None,
    ) -> int:
        """Append one materialization with its outputs and inputs (and the
        results of its checks), and commit.

        Each input from an asset is linked to the latest successful
        materialization that wrote that exact version of that file. A
        ``retried`` attempt (tried again after it) is not counted in its run.
        """
        duration = None if started_at is None else max(ended_at - started_at, 0.0)
        reported = None if reported_metadata is None else _json(reported_metadata)
        with self._transaction() as conn:
            cursor = conn.execute(
                "insert into materializations (run_id, asset, kind, status, "
                "started_at, ended_at, duration, transform, code_version, "
                "fingerprint, metadata, error, exit_code, partition, attempt, "
                "log, stderr_tail, reported_metadata, trigger, environment) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    asset,
                    kind,
                    status,
                    started_at,
                    ended_at,
                    duration,
                    transform,
                    code_version,
                    fingerprint,
                    _json(metadata or {}),
                    error,
                    exit_code,
                    partition,
                    attempt,
                    log,
                    stderr_tail,
                    reported,
                    trigger,
                    None if environment is None else _json(environment),
                ),
            )
            mat_id = int(cursor.lastrowid or 0)
            conn.executemany(
                "insert into outputs values (?, ?, ?, ?)",
                [(mat_id, o.path, o.md5, o.size) for o in outputs],
            )
            conn.executemany(
                "insert into inputs values (?, ?, ?, ?, ?)",
                [(mat_id, i.path, i.asset, i.md5, self._producer(i)) for i in inputs],
            )
            if checks:
                conn.executemany(
                    "insert into check_results (materialization_id, asset, "
                    "partition, name, passed, blocking, message, metadata, "
                    "checked_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            mat_id,
                            asset,
                            partition,
                            c.name,
                            c.passed,
                            c.blocking,
                            c.message,
                            json.dumps(dict(c.metadata), sort_keys=True, default=str),
                            c.checked_at,
                        )
                        for c in checks
                    ],
                )
            if status == "success" and kind == "transform":
                conn.execute(
                    "insert into latest values (?, ?, ?) on conflict (asset) do "
                    "update set materialization_id = excluded.materialization_id, "
                    "duration = excluded.duration",
                    (
                        asset if partition is None else f"{asset}:{partition}",
                        mat_id,
                        duration,
                    ),
                )
            column = {"success": "materialized", "failed": "failed"}.get(status)
            if column and kind == "transform" and not retried:
                conn.execute(
                    f"update runs set {column} = {column} + 1 where id = ?", (run_id,)
                )
        return mat_id

    def _producer(self, item: Input) -> int | None:
        if item.upstream_id is not None or item.asset is None or item.md5 is None:
            return item.upstream_id
        return self.producer_of(item.path, item.md5)

    # -- automation -------------------------------------------------------------

    def record_observation(
        self, sensor: str, value: str | None, *, changed: bool, error: str | None
    ) -> None:
        """One answer of a sensor (or its failure), kept for ``sensors``."""
        with self._transaction() as conn:
            conn.execute(
                "insert into observations (sensor, observed_at, value, changed, "
                "error) values (?, ?, ?, ?, ?)",
                (sensor, clock.now(), value, changed, error),
            )

    def set_moment(self, name: str, at: float, value: str | None = None) -> None:
        """Remember the moment an automation acted (``cron:KEY``, ``sensor:NAME``),
        or the answer of a sensor whose targets were made (``answer:NAME``)."""
        with self._transaction() as conn:
            conn.execute(
                "insert into automation_state values (?, ?, ?) on conflict (name) "
                "do update set at = excluded.at, value = excluded.value",
                (name, at, value),
            )

    # -- backfills --------------------------------------------------------------

    def create_backfill(
        self,
        command: str,
        selection: str,
        range_from: str | None,
        range_to: str | None,
        filter: str | None,
        targets: Sequence[str],
    ) -> int:
        with self._transaction() as conn:
            cursor = conn.execute(
                "insert into backfills (created_at, command, selection, range_from, "
                "range_to, filter, targets) values (?, ?, ?, ?, ?, ?, ?)",
                (
                    time.time(),
                    command,
                    selection,
                    range_from,
                    range_to,
                    filter,
                    json.dumps(list(targets)),
                ),
            )
        return int(cursor.lastrowid or 0)
