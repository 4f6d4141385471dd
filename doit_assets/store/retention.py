"""Retention: how long the history's rows and the attempts' logs are kept.

``[settings] keep_history = "90d"`` prunes materializations that ended longer
ago than that, except what is still needed: the latest materialization (and
the latest success) of every asset and partition, and everything the lineage
of a kept one reaches (the materializations that made the versions it read,
and theirs, to the sources). Runs and backfills left with nothing go too, and
so do the logs of the removed attempts. ``keep_logs`` (30 days unless set)
removes older log files; the history rows keep their failure's stderr.

A run that made or failed something tidies at its end, at most once a day
(``TIDIED`` holds when it last did): a sensor that runs every five minutes
does not pay for it every time, and a no-op run never does.
``doit assets history --prune`` prunes at once.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, replace

from ..atomic import write_atomically
from ..model.clock import now as clock_now
from ..model.clock import parse_duration
from ..paths import LOGS_DIR, STATE_DIR, log_path
from .history import History

DEFAULT_KEEP_LOGS = "30d"
TIDY_EVERY = 86400.0  # seconds between two tidies at the end of runs
TIDIED = f"{STATE_DIR}/tidied"  # the time of the last one
_SLACK = 2.0  # seconds: a log's time against its attempt's (clocks, file systems)


@dataclass(frozen=True, slots=True)
class Pruned:
    """What a prune removed, and the older materializations it kept."""

    materializations: int = 0
    runs: int = 0
    backfills: int = 0
    logs: int = 0
    kept: int = 0
    observations: int = 0  # sensors' answers (issue 15)


def attempt_log(run_id: int, task: str, began: float) -> str | None:
    """The log of a task's last attempt in a run (begun at ``began``), if any."""
    found = None
    number = 1
    while True:
        path = log_path(run_id, task, number)
        try:
            written = os.stat(path).st_mtime
        except OSError:
            return found
        if written >= began - _SLACK:  # not one left by an earlier history
            found = path
        number += 1


def forget_logs() -> None:
    """A new history: the logs of an earlier one would share its run numbers."""
    shutil.rmtree(LOGS_DIR, ignore_errors=True)


def prune_history(history: History, before: float) -> Pruned:
    """Remove what ended before ``before`` and is not needed (see above)."""
    conn = history.conn
    conn.execute("begin immediate")
    try:
        conn.execute("create temp table if not exists kept (id integer primary key)")
        conn.execute("delete from kept")
        conn.execute(
            "insert or ignore into kept select id from materializations "
            "where ended_at >= ?",
            (before,),
        )
        for latest in (
            "select max(id) from materializations group by asset, partition",
            "select max(id) from materializations where status = 'success' "
            "group by asset, partition",
            "select materialization_id from latest",
        ):
            conn.execute(f"insert or ignore into kept {latest}")
        # the lineage of what is kept: what made the versions it read, and so on
        conn.execute(
            "insert or ignore into kept "
            "with recursive reached(id) as (select id from kept union "
            "select i.upstream_id from inputs i join reached r "
            "on i.materialization_id = r.id where i.upstream_id is not null) "
            "select id from reached"
        )
        gone = "materialization_id not in (select id from kept)"
        logs = [
            row[0]
            for row in conn.execute(
                "select log from materializations where log is not null and "
                "id not in (select id from kept)"
            )
        ]
        conn.execute(f"delete from outputs where {gone}")
        conn.execute(f"delete from inputs where {gone}")
        conn.execute(f"delete from check_results where {gone}")
        removed = conn.execute(
            "delete from materializations where id not in (select id from kept)"
        ).rowcount
        kept = conn.execute(
            "select count(*) from materializations where ended_at < ?", (before,)
        ).fetchone()[0]
        runs = conn.execute(
            "delete from runs where started_at < ? and outcome != 'running' "
            "and id not in (select run_id from materializations)",
            (before,),
        ).rowcount
        backfills = conn.execute(
            "delete from backfills where created_at < ? and id not in "
            "(select backfill_id from runs where backfill_id is not null)",
            (before,),
        ).rowcount
        # a sensor's answers: each one's latest stays (what it answered last)
        observations = conn.execute(
            "delete from observations where observed_at < ? and id not in "
            "(select max(id) from observations group by sensor)",
            (before,),
        ).rowcount
        conn.execute("drop table kept")
    except BaseException:
        conn.execute("rollback")
        raise
    conn.execute("commit")
    return Pruned(removed, runs, backfills, _remove(logs), kept, observations)


def prune_logs(before: float) -> int:
    """Remove the log files last written before ``before``; the count."""
    try:
        runs = os.scandir(LOGS_DIR)
    except OSError:
        return 0
    removed = 0
    with runs:
        for run in runs:
            if not run.is_dir(follow_symlinks=False):
                continue
            with os.scandir(run.path) as files:
                old = [f.path for f in files if f.stat().st_mtime < before]
            removed += _remove(old)
            with contextlib.suppress(OSError):  # not empty: it keeps newer logs
                os.rmdir(run.path)
    return removed


def _remove(paths: list[str]) -> int:
    removed = 0
    for path in paths:
        with contextlib.suppress(OSError):
            os.unlink(path)
            removed += 1
    return removed


def setting_seconds(settings: Mapping[str, object], name: str) -> float | None:
    """A duration setting (checked when the project loaded), in seconds."""
    value = settings.get(name)
    if value is None and name == "keep_logs":
        value = DEFAULT_KEEP_LOGS
    return parse_duration(value) if isinstance(value, str) else None


def tidy(history: History, settings: Mapping[str, object]) -> Pruned | None:
    """Retention at the end of a run, if the last was a day ago or more."""
    now = clock_now()
    try:
        with open(TIDIED, encoding="utf-8") as f:
            last = float(f.read().strip() or 0)
    except (OSError, ValueError):
        last = 0.0
    if 0 <= now - last < TIDY_EVERY:
        return None
    pruned = prune(history, settings, now, setting_seconds(settings, "keep_history"))
    with contextlib.suppress(OSError):
        write_atomically(TIDIED, f"{now}\n".encode())
    return pruned


def prune(
    history: History,
    settings: Mapping[str, object],
    now: float,
    keep_history: float | None,
) -> Pruned:
    """The history older than ``keep_history`` seconds (if given), then the
    logs older than ``[settings] keep_logs``: what went, counted together."""
    pruned = Pruned()
    if keep_history is not None:
        pruned = prune_history(history, now - keep_history)
    keep_logs = setting_seconds(settings, "keep_logs")
    if keep_logs is None:
        return pruned
    return replace(pruned, logs=pruned.logs + prune_logs(now - keep_logs))
