"""Cron schedules: ``automation = "cron:0 6 * * *"`` and the moments it names.

The expressions are read by ``croniter`` (the ``automation`` extra), in the
asset's time zone, so that "06:00" stays 06:00 across a change of daylight
saving time. Imported only where a schedule is used.
"""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

CRON_PREFIX = "cron:"
INSTALL_HINT = "Install it: pip install 'doit-assets[automation]'"


def cron_expression(automation: str) -> str | None:
    """The expression of a ``cron:`` automation, or None for any other."""
    if automation.startswith(CRON_PREFIX):
        return automation[len(CRON_PREFIX) :].strip()
    return None


def _iterator(expression: str, zone: str | None, start: float) -> Any:
    from croniter import croniter  # type: ignore[import-untyped]

    moment = datetime.datetime.fromtimestamp(start, zoneinfo.ZoneInfo(zone or "UTC"))
    return croniter(expression, moment)


def last_tick(expression: str, zone: str | None, now: float) -> float:
    """The latest moment of the schedule at or before ``now``."""
    it: Any = _iterator(expression, zone, now + 1)  # a tick at ``now`` itself counts
    moment: datetime.datetime = it.get_prev(datetime.datetime)
    earlier: datetime.datetime = it.get_prev(datetime.datetime)
    if _repeated(expression, moment, earlier):
        return earlier.timestamp()
    return moment.timestamp()


def next_tick(expression: str, zone: str | None, now: float) -> float:
    """The first moment of the schedule after ``now``."""
    it: Any = _iterator(expression, zone, now)
    moment: datetime.datetime = it.get_next(datetime.datetime)
    before = last_tick(expression, zone, moment.timestamp() - 1)
    earlier = datetime.datetime.fromtimestamp(before, moment.tzinfo)
    if _repeated(expression, moment, earlier):
        moment = it.get_next(datetime.datetime)
    return moment.timestamp()


def _repeated(
    expression: str, moment: datetime.datetime, earlier: datetime.datetime
) -> bool:
    """Is ``moment`` the same wall-clock time as ``earlier``, the hour that
    the end of daylight saving time repeats? As the system's cron does, a
    schedule of fixed hours runs once then; one of every hour (``*``), twice."""
    hours = expression.split()[1] if len(expression.split()) > 1 else "*"
    if "*" in hours:
        return False
    return moment.replace(tzinfo=None) == earlier.replace(tzinfo=None)
