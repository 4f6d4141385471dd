"""Time windows: hourly, daily, weekly (from Monday) and monthly.

Arithmetic on naive datetimes, each read as local time in the timezone of its
partitions: the start of the window that holds a moment (``floor``), the first
start at or after one (``align``), a window ``count`` windows later
(``shift``), and how many windows lie between two starts, without making them.
A window is named by its start, its key: ``2024-03-05`` (``2024-03-05-13:00``
hourly).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Literal

TimeKind = Literal["hourly", "daily", "weekly", "monthly"]
TIME_KINDS: tuple[TimeKind, ...] = ("hourly", "daily", "weekly", "monthly")
# Keys have four-digit years, and the window after the last must exist.
FIRST_DAY = dt.datetime(1000, 1, 1)
LAST_DAY = dt.datetime(9998, 12, 31, 23, 59, 59)
KEY_FORMATS: dict[TimeKind, str] = {
    "hourly": "%Y-%m-%d-%H:%M",
    "daily": "%Y-%m-%d",
    "weekly": "%Y-%m-%d",
    "monthly": "%Y-%m-%d",
}


def floor(kind: TimeKind, moment: dt.datetime) -> dt.datetime:
    """The start of the window that holds ``moment``."""
    if kind == "hourly":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if kind == "weekly":
        return day - dt.timedelta(days=day.weekday())
    if kind == "monthly":
        return day.replace(day=1)
    return day


def align(kind: TimeKind, moment: dt.datetime) -> dt.datetime:
    """The first window start at or after ``moment``."""
    if kind == "hourly":
        start = moment.replace(minute=0, second=0, microsecond=0)
    else:
        start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        if kind == "weekly":
            start += dt.timedelta(days=(7 - start.weekday()) % 7)  # Monday
        elif kind == "monthly" and start.day != 1:
            start = shift("monthly", start.replace(day=1), 1)
    return start if start >= moment else shift(kind, start, 1)


def shift(kind: TimeKind, start: dt.datetime, count: int) -> dt.datetime:
    """The start of the window ``count`` windows after the one at ``start``."""
    if kind == "hourly":
        return start + dt.timedelta(hours=count)
    if kind == "daily":
        return start + dt.timedelta(days=count)
    if kind == "weekly":
        return start + dt.timedelta(weeks=count)
    months = start.year * 12 + start.month - 1 + count
    return start.replace(year=months // 12, month=months % 12 + 1)


def count(kind: TimeKind, first: dt.datetime, last: dt.datetime) -> int:
    """How many windows start from ``first`` to ``last`` (both window starts)."""
    if last < first:
        return 0
    if kind == "monthly":  # first is the 1st of a month, at midnight
        return (last.year - first.year) * 12 + last.month - first.month + 1
    return (last - first) // (shift(kind, first, 1) - first) + 1


def keys(kind: TimeKind, first: dt.datetime, last: dt.datetime) -> list[str]:
    """The key of every window from ``first`` to ``last`` (both window starts)."""
    starts = []
    current = first
    while current <= last:
        starts.append(current)
        current = shift(kind, current, 1)
    form = KEY_FORMATS[kind]
    return [start.strftime(form) for start in starts]


def key_of(kind: TimeKind, start: dt.datetime) -> str:
    return start.strftime(KEY_FORMATS[kind])


def window(kind: TimeKind, key: str) -> tuple[dt.datetime, dt.datetime]:
    """The window a key names: its start, and the start of the next."""
    start = dt.datetime.strptime(key, KEY_FORMATS[kind])
    return start, shift(kind, start, 1)


def last_ended(kind: TimeKind, timezone: str, now: float) -> dt.datetime:
    """The start of the last window that has ended by ``now``: the one before
    the window of now."""
    moment = dt.datetime.fromtimestamp(now, zoneinfo.ZoneInfo(timezone))
    return shift(kind, floor(kind, moment.replace(tzinfo=None)), -1)


def next_end(
    kind: TimeKind, start: dt.datetime | None, timezone: str, now: float
) -> float:
    """When the window in progress at ``now`` ends (windows counted from
    ``start``, or from now when there is none), as a timestamp."""
    zone = zoneinfo.ZoneInfo(timezone)
    local = dt.datetime.fromtimestamp(now, zone).replace(tzinfo=None)
    current = align(kind, start or local)
    while shift(kind, current, 1) <= local:
        current = shift(kind, current, 1)
    ends = shift(kind, current, 1)  # the window now in progress
    return ends.replace(tzinfo=zone).timestamp()
