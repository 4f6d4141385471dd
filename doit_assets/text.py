"""The small formatters of the answers: one of each.

First lines of errors, short digests, sizes, how long something took, times
(local for reading, ISO 8601 for JSON), and aligned tables. A value that is
not known is ``-`` in a column of its own. Imports nothing of doit-assets.

Durations as a user writes them (``26h``, ``3d2h``) are ``model/clock.py``'s,
the clock of the progress line and the time of the summary line ``run/``'s.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

UNKNOWN = "-"


def first_line(text: str | None) -> str:
    """The first line of a message (an error), blank lines before it skipped."""
    stripped = (text or "").strip()
    return stripped.splitlines()[0] if stripped else ""


def short_md5(md5: str | None) -> str:
    """A digest as a column shows it: its first 12 digits, or ``-``."""
    return md5[:12] if md5 else UNKNOWN


def md5_change(old: str | None, new: str | None) -> str:
    """``3f9c0a1b2d4e → 77ab01cd9e2f``: a version that changed.

    Not ``short_md5`` twice: in a sentence, a side without a version (a file
    gone) reads ``(none)``, where a column shows a blank as ``-``.
    """
    return f"{_md5_or_none(old)} → {_md5_or_none(new)}"


def _md5_or_none(md5: str | None) -> str:
    return md5[:12] if md5 else "(none)"


def format_size(size: int | None) -> str:
    """``512 B``, ``1.5 KiB``, ``2.0 MiB``, up to GiB; ``-`` if not known."""
    if size is None:
        return UNKNOWN
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def format_took(seconds: float | None) -> str:
    """How long a materialization or a run took: ``0.42s``, ``2m05s``,
    ``2h02m``; ``-`` when unknown. The history's tables and a run's summary line."""
    if seconds is None:
        return UNKNOWN
    if seconds < 60:
        return f"{seconds:.2f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def local_time(timestamp: float | None) -> str:
    """``2024-03-05 11:00:00`` in the local time zone; ``-`` if not known."""
    if timestamp is None:
        return UNKNOWN
    return datetime.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def local_time_of_iso(text: str | None) -> str:
    """``local_time`` of a time as the JSON answers write it (``iso``)."""
    if text is None:
        return UNKNOWN
    moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return local_time(moment.timestamp())


def iso(timestamp: float | None) -> str | None:
    """A time as the JSON answers write it: ``2024-03-05T10:00:00.000Z``."""
    if timestamp is None:
        return None
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def table(headers: Sequence[str], rows: list[list[str]], right: set[int]) -> str:
    """Columns two spaces apart, each as wide as its widest cell; the columns
    in ``right`` (numbers) aligned right."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    # each column's alignment chosen once (a status table of 10 000 rows)
    align = [str.rjust if i in right else str.ljust for i in range(len(headers))]
    lines = [
        "  ".join(
            [a(c, w) for a, c, w in zip(align, row, widths, strict=True)]
        ).rstrip()
        for row in [list(headers), *rows]
    ]
    return "\n".join(lines) + "\n"
