"""What a watcher prints: one line per cycle, then its failures.

``12:03:04 data/raw.csv changed: made clean, train; 1 up to date (0.8 s)``
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

SHOWN = 5  # assets named in a line; the rest are counted
TAIL = 5  # lines of a failure's stderr, and of a cycle's output that crashed


def what_woke(changed: set[str], unknown: set[str], reloaded: bool, timed: bool) -> str:
    """What a cycle's line starts with: the files it knows first (an editor's
    temporary file is named only when nothing else is)."""
    named = sorted(changed - unknown) or ([] if reloaded else sorted(changed))
    parts = []
    if reloaded:
        parts.append("declarations changed")
    if named:
        more = f" and {len(named) - 1} more" if len(named) > 1 else ""
        parts.append(f"{named[0]}{more} changed")
    if timed:
        parts.append("due")
    return ", ".join(parts)


def cycle_lines(
    woke: str, report: dict[str, Any], output: str, took: float, *, kept: bool = True
) -> list[str]:
    """The lines of a cycle; none for a cycle of the clock that ran nothing and
    has nothing to say."""
    at = time.strftime("%H:%M:%S")
    spent = f"({took:.1f} s)"
    lead = "watch started" if woke == "start" else woke
    if not report.get("ok"):
        errors = str(report.get("errors") or "").splitlines()
        if errors:
            problem = "invalid declarations" if report.get("invalid") else "error"
            watching = (
                "still watching the last good graph" if kept else "waiting for a fix"
            )
            head = f"{at} {lead}: {problem}, {watching}:"
            return [head, *("  " + line for line in errors)]
        code = report.get("code")
        said = "" if output.strip() else ", printing nothing"
        head = f"{at} {lead}: the cycle failed with exit code {code}{said} {spent}"
        return [head, *_tail(output)]
    warnings = [f"{at} {w}" for w in report.get("warnings") or ()]
    requested = report.get("requested") or []
    if woke == "due" and requested:
        lead = str(report.get("trigger"))
    if not requested:
        if woke == "due":
            return warnings
        return [*warnings, f"{at} {lead}: nothing to run {spent}"]
    made = report.get("made") or []
    failed = report.get("failed") or []
    blocked = report.get("blocked") or []
    parts = []
    if made:
        parts.append("made " + _names(made))
    if failed:
        parts.append("FAILED " + _names([f[0] for f in failed]))
    if blocked:
        parts.append("blocked " + _names(blocked))
    fresh = report.get("up_to_date") or 0
    if fresh:
        parts.append(f"{fresh} up to date")
    if not parts:
        parts.append("nothing ran")
    lines = [*warnings, f"{at} {lead}: {'; '.join(parts)} {spent}"]
    for task, error, tail in failed:
        lines.append(f"  {task}: {error}")
        lines += ["    " + line for line in tail.splitlines()[-TAIL:]]
    if report.get("code") and not failed and not blocked:
        lines += _tail(output)  # doit stopped before any asset failed
    return lines


def _names(tasks: Sequence[str]) -> str:
    shown = ", ".join(tasks[:SHOWN])
    return shown + (f" and {len(tasks) - SHOWN} more" if len(tasks) > SHOWN else "")


def _tail(output: str) -> list[str]:
    return ["  " + line for line in output.strip().splitlines()[-TAIL:]]
