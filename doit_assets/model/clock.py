"""Time for freshness policies: durations like ``26h`` and the current moment.

``DOIT_ASSETS_NOW`` (an ISO 8601 time or seconds since the epoch) replaces
the clock, so that a test or a CI job can ask "what would be stale tomorrow?"
without waiting for it. ``DOIT_ASSETS_NOW=@FILE`` reads the moment from FILE
each time it is asked: a clock that a test advances by rewriting the file, the
same for a watcher and every run it starts.
"""

from __future__ import annotations

import datetime
import functools
import os
import re
import time

NOW_VARIABLE = "DOIT_ASSETS_NOW"

_UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"(\d+(?:\.\d+)?)([wdhms])")


def parse_duration(text: str) -> float | None:
    """Seconds in ``"26h"``, ``"1h30m"``, ``"7d"``, ``"90s"``; None if malformed."""
    compact = text.replace(" ", "")
    parts = _PART.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        return None
    units = [u for _, u in parts]
    if len(set(units)) != len(units):
        return None
    seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    return seconds if seconds > 0 else None


def format_duration(seconds: float) -> str:
    """The largest two units: ``3d2h``, ``26h``, ``45m``, ``12s`` (hours below 2 days)."""
    if seconds < 1:
        return "0s"
    return _whole_seconds(int(seconds))


@functools.lru_cache(maxsize=4096)  # a status table asks for many ages alike
def _whole_seconds(left: int) -> str:
    if 3600 <= left < 2 * 86400:
        hours, left = divmod(left, 3600)
        minutes = left // 60
        return f"{hours}h{minutes}m" if minutes else f"{hours}h"
    parts: list[tuple[int, str]] = []
    for unit, size in _UNITS.items():
        if unit == "w":
            continue
        count, left = divmod(left, size)
        if count or parts:
            parts.append((count, unit))
    shown = [f"{n}{u}" for n, u in parts[:2] if n]
    return "".join(shown) or "0s"


def is_simulated() -> bool:
    """Is the clock replaced (``DOIT_ASSETS_NOW``)? A watcher then looks at it
    often rather than sleeping until the next moment it waits for."""
    return bool(os.environ.get(NOW_VARIABLE))


def now() -> float:
    """The current time in seconds since the epoch, or ``DOIT_ASSETS_NOW``."""
    fixed = os.environ.get(NOW_VARIABLE)
    if not fixed:
        return time.time()
    if fixed.startswith("@"):
        try:
            with open(fixed[1:], encoding="utf-8") as f:
                fixed = f.read().strip()
        except OSError as err:
            from ..errors import AssetError

            raise AssetError(
                f"{NOW_VARIABLE}={fixed}: cannot read the clock file: {err.strerror}",
                hint="Write a time in it (2024-03-05T11:00:00Z), or unset the variable",
            ) from None
    try:
        return parse_moment(fixed)
    except ValueError:
        from ..errors import AssetError  # imports doit: only on this path

        raise AssetError(
            f"{NOW_VARIABLE}={fixed!r} is not a time",
            hint="Write an ISO 8601 time (2024-03-05T11:00:00Z) or seconds since 1970",
        ) from None


def parse_moment(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        pass
    moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.astimezone()  # local time, as a user would mean it
    return moment.timestamp()
