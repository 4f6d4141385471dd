"""What the history holds, as records: runs, materializations with the files
they wrote and read, and backfills. Plain frozen data, read by
``store/queries.py`` and written by ``store/history.py``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..plan.records import Kind

# How a materialization ended: an interrupted one was still running when its
# run stopped (Ctrl-C, a signal); a blocked one never started, because what it
# depends on failed in that run (its error names the failures).
MaterializationStatus = Literal["success", "failed", "interrupted", "blocked"]
# How a run ended; 'running' until it does (or forever, if its doit was
# killed: the next run marks it 'interrupted').
RunOutcome = Literal["running", "success", "failed", "interrupted"]

ANY = "*"  # every partition (no partition key can be '*')


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
    kind: Kind  # a source's: an observed new version of it
    status: MaterializationStatus
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
    # retries (issue 14): which attempt of its task in its run, from 1
    attempt: int | None = None
    # logs: the attempt's log file, the last lines of a failure's stderr, and
    # the metadata the transform reported
    log: str | None = None
    stderr_tail: str | None = None
    reported_metadata: Mapping[str, Any] | None = None
    # automation: why this asset was chosen (NULL: a user chose it)
    trigger: str | None = None
    # reproducibility: the environment it ran in (see schema 8)
    environment: Mapping[str, Any] | None = None

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
    outcome: RunOutcome
    materialized: int
    up_to_date: int
    failed: int
    backfill_id: int | None = None
    # automation: what made it run (NULL: a user did)
    trigger: str | None = None


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


# -- checks --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """What one check found about the staged output of one attempt."""

    name: str
    passed: bool
    blocking: bool
    message: str
    metadata: Mapping[str, Any]
    checked_at: float


@dataclass(frozen=True, slots=True)
class RecordedCheck:
    """A check's result as the history keeps it, with the materialization
    (a success, or the attempt the check failed) it was about."""

    id: int
    materialization_id: int
    asset: str
    partition: str | None
    name: str
    passed: bool
    blocking: bool
    message: str
    metadata: Mapping[str, Any]
    checked_at: float

    @property
    def task(self) -> str:
        return (
            self.asset if self.partition is None else f"{self.asset}:{self.partition}"
        )


def recorded_check_of(row: Sequence[Any]) -> RecordedCheck:
    """A row of the table ``check_results`` (``select *``)."""
    values = list(row)
    values[5], values[6] = bool(values[5]), bool(values[6])
    values[7] = values[7] or ""
    values[8] = json.loads(values[8]) if values[8] else {}
    return RecordedCheck(*values)


def materialization_of(row: Sequence[Any]) -> Materialization:
    """A row of the table ``materializations`` (``select *``)."""
    values = list(row)
    values[11] = json.loads(values[11]) if values[11] else {}
    # A history not migrated yet (opened read only) lacks the newer columns:
    # they keep their defaults.
    for column in (_REPORTED, _ENVIRONMENT):
        if len(values) > column and values[column]:
            values[column] = json.loads(values[column])
    return Materialization(*values)


_REPORTED = 18  # the column reported_metadata (partition 14, attempt 15, log 16)
_ENVIRONMENT = 20  # the column environment (trigger 19)


def backfill_of(row: Sequence[Any]) -> Backfill:
    """A row of the table ``backfills`` (``select *``)."""
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
