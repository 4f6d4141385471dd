"""Cron schedules: ``automation = "cron:0 6 * * *"`` and the moments it names.

The expressions are read by ``croniter`` (the ``automation`` extra), in the
asset's time zone, so that "06:00" stays 06:00 across a change of daylight
saving time. Imported only where a schedule is used.
"""

from __future__ import annotations

import datetime
import zoneinfo

CRON_PREFIX = "cron:"
INSTALL_HINT = "Install it: pip install 'doit-assets[automation]'"


def cron_expression(automation: str) -> str | None:
    """The expression of a ``cron:`` automation, or None for any other."""
    if automation.startswith(CRON_PREFIX):
        return automation[len(CRON_PREFIX) :].strip()
    return None


def _iterator(expression: str, zone: str | None, start: float) -> object:
    from croniter import croniter  # type: ignore[import-untyped]

    moment = datetime.datetime.fromtimestamp(start, zoneinfo.ZoneInfo(zone or "UTC"))
    return croniter(expression, moment)


def last_tick(expression: str, zone: str | None, now: float) -> float:
    """The latest moment of the schedule at or before ``now``."""
    it = _iterator(expression, zone, now + 1)  # a tick at ``now`` itself counts
    moment: datetime.datetime = it.get_prev(datetime.datetime)  # type: ignore[attr-defined]
    return moment.timestamp()


def next_tick(expression: str, zone: str | None, now: float) -> float:
    """The first moment of the schedule after ``now``."""
    it = _iterator(expression, zone, now)
    moment: datetime.datetime = it.get_next(datetime.datetime)  # type: ignore[attr-defined]
    return moment.timestamp()
