"""Reading the history: the queries behind the commands, the status engine
and the recorder, each one SQL statement; and the batch readers that answer a
lineage chain of 10 000 materializations in a few queries, not 40 000.

``History`` (store/history.py) is these queries, and the writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from ..plan.records import Kind
from .records import (
    ANY,
    Backfill,
    Input,
    Materialization,
    Output,
    RecordedCheck,
    Run,
    backfill_of,
    materialization_of,
    recorded_check_of,
)

_CHUNK = 500  # ids in one statement: SQLite limits its parameters


class HistoryQueries:
    """The reads of ``History``: open one with ``History.open(path)``."""

    def __init__(self, conn: sqlite3.Connection, path: str) -> None:
        self.conn = conn
        self.path = path

    # -- runs ------------------------------------------------------------------

    def runs(self, limit: int = 20) -> list[Run]:
        rows = self.conn.execute(
            "select * from runs order by id desc limit ?", (limit,)
        ).fetchall()
        return [Run(*row) for row in rows]

    def run(self, run_id: int) -> Run | None:
        row = self.conn.execute("select * from runs where id = ?", (run_id,)).fetchone()
        return None if row is None else Run(*row)

    def run_results(self, run_id: int) -> dict[str, Materialization]:
        """Each task's last record in a run (a retried attempt gives way to the next)."""
        rows = self.conn.execute(
            "select * from materializations where run_id = ? order by id", (run_id,)
        )
        return {m.task: m for m in map(materialization_of, rows)}

    # -- automation -------------------------------------------------------------

    def moments(self) -> dict[str, float]:
        """When each automation last acted (``cron:KEY``, ``sensor:NAME``...)."""
        return dict(self.conn.execute("select name, at from automation_state"))

    def acted_answers(self) -> dict[str, str | None]:
        """Each sensor's answer whose targets were made (the last time it fired)."""
        rows = self.conn.execute(
            "select substr(name, 8), value from automation_state "
            "where name like 'answer:%'"
        )
        return dict(rows)

    def last_answers(self) -> dict[str, tuple[float, str | None, str | None]]:
        """Each sensor's latest observation: (when, its answer, its error)."""
        rows = self.conn.execute(
            "select sensor, observed_at, value, error from observations "
            "where id in (select max(id) from observations group by sensor)"
        )
        return {name: (at, value, error) for name, at, value, error in rows}

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
        return [materialization_of(row) for row in rows]

    def get(self, mat_id: int) -> Materialization | None:
        row = self.conn.execute(
            "select * from materializations where id = ?", (mat_id,)
        ).fetchone()
        return None if row is None else materialization_of(row)

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
        return None if row is None else materialization_of(row)

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

    def inputs_with_kind(self, mat_id: int) -> list[tuple[Input, Kind | None]]:
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
        return [materialization_of(row) for row in rows]

    # -- many at once (a lineage chain of 10 000: a few queries, not 40 000) ---

    def get_many(self, mat_ids: Sequence[int]) -> dict[int, Materialization]:
        rows = self._rows_for(
            "select * from materializations where id in ({})", mat_ids
        )
        return {row[0]: materialization_of(row) for row in rows}

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
    ) -> dict[int, list[tuple[Input, Kind | None]]]:
        """What each materialization read, as ``inputs_with_kind`` gives it."""
        found: dict[int, list[tuple[Input, Kind | None]]] = {m: [] for m in mat_ids}
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

    def backfill(self, backfill_id: int) -> Backfill | None:
        row = self.conn.execute(
            "select * from backfills where id = ?", (backfill_id,)
        ).fetchone()
        return None if row is None else backfill_of(row)

    def backfill_done(self, backfill_id: int) -> set[str]:
        """The tasks (asset or asset:partition) a backfill's runs made."""
        rows = self.conn.execute(
            "select m.asset, m.partition from materializations m "
            "join runs r on r.id = m.run_id "
            "where r.backfill_id = ? and m.status = 'success'",
            (backfill_id,),
        ).fetchall()
        return {a if p is None else f"{a}:{p}" for a, p in rows}

    def left_by_last_run(self) -> tuple[Run | None, list[str]]:
        """The last run, and the tasks (asset or asset:partition) it left
        undone: those that failed, then those their failures blocked."""
        row = self.conn.execute(
            "select * from runs order by id desc limit 1"
        ).fetchone()
        if row is None:
            return None, []
        rows = self.conn.execute(
            "select asset, partition, status from materializations "
            "where run_id = ? order by id",
            (row[0],),
        ).fetchall()
        last: dict[str, str] = {}  # a retried task: its last attempt says
        for asset, partition, status in rows:
            task = asset if partition is None else f"{asset}:{partition}"
            last.pop(task, None)
            last[task] = status
        failed = [t for t, status in last.items() if status == "failed"]
        blocked = [t for t, status in last.items() if status == "blocked"]
        return Run(*row), failed + blocked

    def last_durations(self, assets: Iterable[str]) -> dict[str, float]:
        """The duration of each asset's latest successful materialization."""
        wanted = set(assets)
        rows = self.conn.execute("select asset, duration from latest").fetchall()
        return {a: float(d) for a, d in rows if a in wanted and d is not None}

    # -- checks ----------------------------------------------------------------

    def latest_checks(
        self, assets: Iterable[str] | None = None
    ) -> dict[tuple[str, str], RecordedCheck]:
        """The latest result of each check, by (task, check name): of every
        asset, or of ``assets`` (keys). A history from before checks has none."""
        where, params = "", []
        if assets is not None:
            params = sorted(set(assets))
            if not params:
                return {}
            if len(params) <= _CHUNK:
                where = " where asset in ({})".format(",".join("?" * len(params)))
            else:  # too many to name: all of them, chosen below
                params = []
        sql = (
            "select * from check_results where id in (select max(id) "
            f"from check_results{where} group by asset, partition, name)"
        )
        try:
            rows = self.conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as err:
            if "no such table" in str(err):
                return {}
            raise
        found = (recorded_check_of(row) for row in rows)
        wanted = None if assets is None else set(assets)
        return {
            (c.task, c.name): c for c in found if wanted is None or c.asset in wanted
        }

    # -- logs ------------------------------------------------------------------

    def last_attempt(
        self, asset: str, partition: str | None = ANY, run_id: int | None = None
    ) -> Materialization | None:
        """The newest attempt of a transform (in one run, if given): a blocked
        asset's row is no attempt, it never started."""
        sql = (
            "select * from materializations where asset = ? and kind = 'transform' "
            "and status != 'blocked'"
        )
        params: tuple[Any, ...] = (asset,)
        if partition is None:
            sql += " and partition is null"
        elif partition != ANY:
            sql += " and partition = ?"
            params += (partition,)
        if run_id is not None:
            sql += " and run_id = ?"
            params += (run_id,)
        row = self.conn.execute(sql + " order by id desc limit 1", params).fetchone()
        return None if row is None else materialization_of(row)

    def recorded_log(self, run_id: int, log: str) -> Materialization | None:
        """The materialization that recorded this log, once its attempt ended."""
        row = self.conn.execute(
            "select * from materializations where run_id = ? and log = ?",
            (run_id, log),
        ).fetchone()
        return None if row is None else materialization_of(row)
