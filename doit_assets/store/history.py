"""The materialization history: an append-only SQLite store beside doit's state.

doit keeps only the last success of each task and forgets a task when it
fails; the history keeps every materialization, with the exact versions of
what it read and a pointer to the materialization that produced each of them,
so a user can walk back from any file on disk to the chain that made it.

Each write commits at once (WAL, synchronous=NORMAL): a killed run loses at
most the materialization that was in flight.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..errors import AssetError
from ..paths import HISTORY_FILE
from .schema import MIGRATIONS, SCHEMA_VERSION


@dataclass(frozen=True, slots=True)
class Output:
    path: str
    md5: str | None
    size: int | None


@dataclass(frozen=True, slots=True)
class Input:
    """One file a materialization read; ``asset`` is None for a plain input file."""

    path: str
    asset: str | None
    md5: str | None
    upstream_id: int | None = None


@dataclass(frozen=True, slots=True)
class Materialization:
    id: int
    run_id: int
    asset: str
    kind: str  # 'transform' | 'source' (an observed new version of a source)
    status: str  # 'success' | 'failed' | 'interrupted'
    started_at: float | None
    ended_at: float
    duration: float | None
    transform: str | None
    code_version: str | None
    fingerprint: str | None
    metadata: Mapping[str, Any]
    error: str | None
    exit_code: int | None
    partition: str | None = None

    @property
    def task(self) -> str:
        """The asset, or ``asset:partition``: the doit task that made it."""
        return (
            self.asset if self.partition is None else f"{self.asset}:{self.partition}"
        )


@dataclass(frozen=True, slots=True)
class Run:
    id: int
    started_at: float
    ended_at: float | None
    command: str
    pid: int | None
    outcome: str  # 'running' | 'success' | 'failed' | 'interrupted'
    materialized: int
    up_to_date: int
    failed: int
    backfill_id: int | None = None


def connect_readonly(path: str) -> sqlite3.Connection:
    """A connection that writes nothing, not even SQLite's ``-shm`` file.

    With no write-ahead log beside the file (no run is writing), the file is
    opened as immutable; during a run, read-only through the log.
    """
    flags = "mode=ro" if os.path.exists(path + "-wal") else "mode=ro&immutable=1"
    return sqlite3.connect(f"file:{path}?{flags}", uri=True, timeout=10)


@dataclass(frozen=True, slots=True)
class Backfill:
    id: int
    created_at: float
    command: str
    selection: str
    range_from: str | None
    range_to: str | None
    filter: str | None
    targets: tuple[str, ...]


ANY = "*"  # every partition (no partition key can be '*')


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


class History:
    """Read and append materializations. Open with ``History.open(path)``."""

    def __init__(self, conn: sqlite3.Connection, path: str) -> None:
        self.conn = conn
        self.path = path

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

    def _migrate(self) -> None:
        if self._version() == SCHEMA_VERSION:
            return  # the common case, without taking the write lock
        # Read again inside the write transaction that migrates: two processes
        # creating a new history at once would otherwise both read version 0
        # and both create the tables.
        with self._transaction() as conn:
            version = self._version()
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
    ) -> int:
        """Open a run; runs left 'running' by a killed process become 'interrupted'."""
        with self._transaction() as conn:
            conn.execute(
                "update runs set outcome = 'interrupted' where outcome = 'running'"
            )
            cursor = conn.execute(
                "insert into runs (started_at, command, pid, backfill_id) "
                "values (?, ?, ?, ?)",
                (started_at or time.time(), command, os.getpid(), backfill_id),
            )
        return int(cursor.lastrowid or 0)

    def end_run(
        self,
        run_id: int,
        outcome: str,
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

    def runs(self, limit: int = 20) -> list[Run]:
        rows = self.conn.execute(
            "select * from runs order by id desc limit ?", (limit,)
        ).fetchall()
        return [Run(*row) for row in rows]

    # -- materializations ------------------------------------------------------

    def record(
        self,
        *,
        run_id: int,
        asset: str,
        kind: str,
        status: str,
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
    ) -> int:
        """Append one materialization with its outputs and inputs, and commit.

        Each input from an asset is linked to the latest successful
        materialization that wrote that exact version of that file.
        """
        duration = None if started_at is None else max(ended_at - started_at, 0.0)
        with self._transaction() as conn:
            cursor = conn.execute(
                "insert into materializations (run_id, asset, kind, status, "
                "started_at, ended_at, duration, transform, code_version, "
                "fingerprint, metadata, error, exit_code, partition) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    json.dumps(dict(metadata or {}), sort_keys=True, default=str),
                    error,
                    exit_code,
                    partition,
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
            if column and kind == "transform":
                conn.execute(
                    f"update runs set {column} = {column} + 1 where id = ?", (run_id,)
                )
        return mat_id

    def _producer(self, item: Input) -> int | None:
        if item.upstream_id is not None or item.asset is None or item.md5 is None:
            return item.upstream_id
        return self.producer_of(item.path, item.md5)

    def producer_of(self, path: str, md5: str) -> int | None:
        """The latest successful materialization that wrote this version of ``path``."""
        row = self.conn.execute(
            "select o.materialization_id from outputs o "
            "join materializations m on m.id = o.materialization_id "
            "where o.path = ? and o.md5 = ? and m.status = 'success' "
            "order by o.materialization_id desc limit 1",
            (path, md5),
        ).fetchone()
        return None if row is None else int(row[0])

    def materializations(
        self,
        asset: str | None = None,
        *,
        limit: int = 20,
        failed_only: bool = False,
        partition: str | None = ANY,
    ) -> list[Materialization]:
        """Newest first; of one partition (None: the unpartitioned asset) or all."""
        where: list[str] = []
        params: list[Any] = []
        if asset is not None:
            where.append("asset = ?")
            params.append(asset)
        if partition is None:
            where.append("partition is null")
        elif partition != ANY:
            where.append("partition = ?")
            params.append(partition)
        if failed_only:
            where.append("status != 'success'")
        sql = "select * from materializations"
        if where:
            sql += " where " + " and ".join(where)
        sql += " order by id desc limit ?"
        rows = self.conn.execute(sql, (*params, limit)).fetchall()
        return [_materialization(row) for row in rows]

    def get(self, mat_id: int) -> Materialization | None:
        row = self.conn.execute(
            "select * from materializations where id = ?", (mat_id,)
        ).fetchone()
        return None if row is None else _materialization(row)

    def last_success(
        self, asset: str, partition: str | None = ANY
    ) -> Materialization | None:
        sql = "select * from materializations where asset = ? and status = 'success'"
        params: tuple[Any, ...] = (asset,)
        if partition is None:
            sql += " and partition is null"
        elif partition != ANY:
            sql += " and partition = ?"
            params += (partition,)
        row = self.conn.execute(sql + " order by id desc limit 1", params).fetchone()
        return None if row is None else _materialization(row)

    def outputs(self, mat_id: int) -> list[Output]:
        rows = self.conn.execute(
            "select path, md5, size from outputs where materialization_id = ? "
            "order by path",
            (mat_id,),
        ).fetchall()
        return [Output(*row) for row in rows]

    def inputs(self, mat_id: int) -> list[Input]:
        rows = self.conn.execute(
            "select path, asset, md5, upstream_id from inputs "
            "where materialization_id = ? order by asset is null, asset, path",
            (mat_id,),
        ).fetchall()
        return [Input(*row) for row in rows]

    def inputs_with_kind(self, mat_id: int) -> list[tuple[Input, str | None]]:
        """Inputs with the kind of the materialization that made each version."""
        rows = self.conn.execute(
            "select i.path, i.asset, i.md5, i.upstream_id, m.kind from inputs i "
            "left join materializations m on m.id = i.upstream_id "
            "where i.materialization_id = ? order by i.asset is null, i.asset, i.path",
            (mat_id,),
        ).fetchall()
        return [(Input(*row[:4]), row[4]) for row in rows]

    def consumers(self, mat_id: int) -> list[Materialization]:
        """Successful materializations that read a version this one wrote."""
        rows = self.conn.execute(
            "select distinct m.* from inputs i join materializations m "
            "on m.id = i.materialization_id where i.upstream_id = ? "
            "and m.status = 'success' order by m.id",
            (mat_id,),
        ).fetchall()
        return [_materialization(row) for row in rows]

    # -- many at once (a lineage chain of 10 000: a few queries, not 40 000) ---

    def get_many(self, mat_ids: Sequence[int]) -> dict[int, Materialization]:
        rows = self._rows_for(
            "select * from materializations where id in ({})", mat_ids
        )
        return {row[0]: _materialization(row) for row in rows}

    def outputs_of(self, mat_ids: Sequence[int]) -> dict[int, list[Output]]:
        """What each materialization wrote, as ``outputs`` gives it."""
        found: dict[int, list[Output]] = {m: [] for m in mat_ids}
        sql = (
            "select materialization_id, path, md5, size from outputs "
            "where materialization_id in ({}) order by materialization_id, path"
        )
        for mat_id, *row in self._rows_for(sql, mat_ids):
            found[mat_id].append(Output(*row))
        return found

    def inputs_with_kind_of(
        self, mat_ids: Sequence[int]
    ) -> dict[int, list[tuple[Input, str | None]]]:
        """What each materialization read, as ``inputs_with_kind`` gives it."""
        found: dict[int, list[tuple[Input, str | None]]] = {m: [] for m in mat_ids}
        sql = (
            "select i.materialization_id, i.path, i.asset, i.md5, i.upstream_id, "
            "m.kind from inputs i left join materializations m on m.id = i.upstream_id "
            "where i.materialization_id in ({}) "
            "order by i.materialization_id, i.asset is null, i.asset, i.path"
        )
        for mat_id, *row in self._rows_for(sql, mat_ids):
            found[mat_id].append((Input(*row[:4]), row[4]))
        return found

    def upstream_ids(self, mat_ids: Sequence[int]) -> dict[int, list[int]]:
        """For each materialization, the ones that made the versions it read, in
        the order of ``inputs``."""
        found: dict[int, list[int]] = {m: [] for m in mat_ids}
        sql = (
            "select materialization_id, upstream_id from inputs "
            "where materialization_id in ({}) and upstream_id is not null "
            "order by materialization_id, asset is null, asset, path"
        )
        for mat_id, upstream in self._rows_for(sql, mat_ids):
            found[mat_id].append(upstream)
        return found

    def consumer_ids(self, mat_ids: Sequence[int]) -> dict[int, list[int]]:
        """For each materialization, ``consumers`` as ids."""
        found: dict[int, list[int]] = {m: [] for m in mat_ids}
        sql = (
            "select distinct i.upstream_id, m.id from inputs i join materializations m "
            "on m.id = i.materialization_id where i.upstream_id in ({}) "
            "and m.status = 'success' order by i.upstream_id, m.id"
        )
        for mat_id, consumer in self._rows_for(sql, mat_ids):
            found[mat_id].append(consumer)
        return found

    def upstream_closure(self, start: int) -> dict[int, list[int]]:
        """``upstream_ids`` of ``start`` and of every materialization they reach,
        in one query."""
        return self._edges(
            "with recursive reached(id) as (select ? union "
            "select i.upstream_id from inputs i join reached r "
            "on i.materialization_id = r.id where i.upstream_id is not null) "
            "select i.materialization_id, i.upstream_id from inputs i "
            "join reached r on i.materialization_id = r.id "
            "where i.upstream_id is not null "
            "order by i.materialization_id, i.asset is null, i.asset, i.path",
            start,
        )

    def downstream_closure(self, start: int) -> dict[int, list[int]]:
        """``consumer_ids`` of ``start`` and of every materialization they reach,
        in one query."""
        return self._edges(
            "with recursive reached(id) as (select ? union "
            "select m.id from inputs i join reached r on i.upstream_id = r.id "
            "join materializations m on m.id = i.materialization_id "
            "where m.status = 'success') "
            "select distinct i.upstream_id, m.id from inputs i "
            "join reached r on i.upstream_id = r.id "
            "join materializations m on m.id = i.materialization_id "
            "where m.status = 'success' order by i.upstream_id, m.id",
            start,
        )

    def _edges(self, sql: str, start: int) -> dict[int, list[int]]:
        found: dict[int, list[int]] = {}
        for mat_id, other in self.conn.execute(sql, (start,)):
            found.setdefault(mat_id, []).append(other)
        return found

    def _rows_for(self, sql: str, ids: Sequence[int]) -> list[Any]:
        """``sql`` with ``in ({})`` run for every id, a chunk at a time (SQLite
        limits the parameters of one statement)."""
        rows: list[Any] = []
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            text = sql.format(",".join("?" * len(chunk)))
            rows += self.conn.execute(text, chunk).fetchall()
        return rows

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

    def backfill(self, backfill_id: int) -> Backfill | None:
        row = self.conn.execute(
            "select * from backfills where id = ?", (backfill_id,)
        ).fetchone()
        if row is None:
            return None
        bf_id, created, command, selection, start, end, only, targets = row
        return Backfill(
            bf_id,
            created,
            command,
            selection,
            start,
            end,
            only,
            tuple(json.loads(targets)),
        )

    def backfill_done(self, backfill_id: int) -> set[str]:
        """The tasks (asset or asset:partition) a backfill's runs made."""
        rows = self.conn.execute(
            "select m.asset, m.partition from materializations m "
            "join runs r on r.id = m.run_id "
            "where r.backfill_id = ? and m.status = 'success'",
            (backfill_id,),
        ).fetchall()
        return {a if p is None else f"{a}:{p}" for a, p in rows}

    def last_durations(self, assets: Iterable[str]) -> dict[str, float]:
        """The duration of each asset's latest successful materialization."""
        wanted = set(assets)
        rows = self.conn.execute("select asset, duration from latest").fetchall()
        return {a: float(d) for a, d in rows if a in wanted and d is not None}


_CHUNK = 500


def _materialization(row: Sequence[Any]) -> Materialization:
    values = list(row)
    values[11] = json.loads(values[11]) if values[11] else {}
    return Materialization(*values)
