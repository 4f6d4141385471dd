"""The line that ends every run: what was made, up to date or failed, and the time.

Printed by the lineage reporter after doit's own output, and by the no-op fast
path, which never imports doit: this module imports nothing from doit.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from ..text import first_line, format_took

# When this module was imported: early in every run (the reporter imports it),
# the start of the process where /proc cannot say better.
_IMPORTED = time.monotonic()


class RunCounts(NamedTuple):
    """What one run did to its assets (partitions count one each).

    (NamedTuples, not dataclasses: the fast path imports this module, and
    ``dataclasses`` would cost it more than the rest of its imports.)"""

    made: int = 0
    up_to_date: int = 0
    new_sources: int = 0  # sources doit-assets saw a new version of
    failed: int = 0
    interrupted: int = 0
    ignored: int = 0  # set aside by 'doit ignore', with what reads them
    blocked: int = 0  # not run: something they depend on failed (keep-going)


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
    if counts.blocked:
        parts.append(f"{counts.blocked} blocked")
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


# -- keep-going: what failed, what it blocked, and how to run them again -------

FAILED_SHOWN = 10  # failed assets listed by name; the history has the rest
BLOCKED_SHOWN = 5  # blocked assets named per failure
# "assets.toml:10: asset 'tidy': " before a message that names its asset
_WHERE = re.compile(r"^(?:[^\s:][^:]*:\d+: )?asset '[^']+': ")


class FailedAsset(NamedTuple):
    """One failure of a run, as the summary shows it."""

    task: str  # KEY or KEY:PARTITION
    reason: str  # one line
    stderr_tail: tuple[str, ...] = ()


def failure_reason(message: str, transform: str | None = None) -> str:
    """The first line of a failure's message, without what the summary shows
    next to it already: the asset's name and place, the whole transform."""
    line = _WHERE.sub("", first_line(message), count=1)
    if transform and line.endswith(f": {transform}"):
        line = line[: -len(transform) - 2]
    return line


def failure_lines(
    failed: Sequence[FailedAsset],
    blocked: Mapping[str, tuple[str, ...]],
    rerun: str | None,
) -> list[str]:
    """The lines after the summary line: each failure with the last lines of
    its stderr, what each failure blocked, and the command that runs both again
    (``rerun``; None: no such line).

    ``blocked`` maps each blocked task to the failures that blocked it.
    """
    lines: list[str] = []
    for failure in failed[:FAILED_SHOWN]:
        reason = f": {failure.reason}" if failure.reason else ""
        lines.append(f"failed: {failure.task}{reason}")
        lines += [f"  {line}" for line in failure.stderr_tail]
    if len(failed) > FAILED_SHOWN:
        more = len(failed) - FAILED_SHOWN
        lines.append(f"failed: {more} more ('doit assets history --failed' lists them)")
    by_failure: dict[tuple[str, ...], list[str]] = {}
    for task, roots in blocked.items():
        by_failure.setdefault(roots, []).append(task)
    for roots, tasks in by_failure.items():
        lines.append(f"blocked by {', '.join(roots)}: {_some(tasks)}")
    if rerun and (failed or blocked):
        what = "what failed and what it blocked" if blocked else "what failed"
        lines.append(f"to run {what} again: {rerun}")
    return lines


def _some(names: Sequence[str]) -> str:
    shown = ", ".join(names[:BLOCKED_SHOWN])
    more = len(names) - BLOCKED_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown
