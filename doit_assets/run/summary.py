"""The line that ends every run: what was made, up to date or failed, and the time.

Printed by the lineage reporter after doit's own output, and by the no-op fast
path, which never imports doit: this module imports nothing from doit.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from ..text import format_took

# When this module was imported: early in every run (the reporter imports it),
# the start of the process where /proc cannot say better.
_IMPORTED = time.monotonic()


@dataclass(frozen=True, slots=True)
class RunCounts:
    """What one run did to its assets (partitions count one each)."""

    made: int = 0
    up_to_date: int = 0
    new_sources: int = 0  # sources doit-assets saw a new version of
    failed: int = 0
    interrupted: int = 0
    ignored: int = 0  # set aside by 'doit ignore', with what reads them


def summary_line(counts: RunCounts, seconds: float) -> str:
    """``doit-assets: 3 made, 12 up to date, 1 failed in 4.20s``.

    "made" is always there; the other counts only when they are not zero.
    """
    parts = [f"{counts.made} made"]
    if counts.up_to_date:
        parts.append(f"{counts.up_to_date} up to date")
    if counts.new_sources:
        plural = "s" if counts.new_sources > 1 else ""
        parts.append(f"{counts.new_sources} new source version{plural}")
    if counts.failed:
        parts.append(f"{counts.failed} failed")
    if counts.interrupted:
        parts.append(f"{counts.interrupted} interrupted")
    if counts.ignored:
        parts.append(f"{counts.ignored} ignored")
    return f"doit-assets: {', '.join(parts)} in {format_took(seconds)}"


def seconds_since_start() -> float:
    """Wall time since this process started: what the user waited for.

    Linux says when the process started (``/proc/self/stat``, in clock ticks
    since boot), so the time doit spent importing and loading tasks counts too.
    """
    try:
        with open("/proc/self/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        started = int(fields[19]) / ticks  # field 22: starttime
        return max(0.0, time.clock_gettime(time.CLOCK_BOOTTIME) - started)
    except (OSError, ValueError, IndexError, AttributeError):
        return time.monotonic() - _IMPORTED
