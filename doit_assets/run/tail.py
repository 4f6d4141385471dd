"""The last lines a transform wrote to stderr, kept in memory while it runs.

The attempt's log (logs.py) keeps them: the history row of a failure holds
them (they outlive the log file), and the end-of-run summary shows the last
``SUMMARY_TAIL_LINES`` under each failed asset, so that the reason of a
failure is on the screen without scrolling back through a long run. Bounded:
a transform that prints a gigabyte costs a few lines and one partial line here.
"""

from __future__ import annotations

from collections import deque

SUMMARY_TAIL_LINES = 5  # of the lines an attempt's log keeps (logs.py), shown
LONGEST_LINE = 300  # characters of one line kept; the rest is cut with '...'


class StderrTail:
    """Text as it arrives, in chunks; ``lines()`` gives the last complete ones
    (and the line still open at the end, if any), blank lines left out."""

    def __init__(self, keep: int) -> None:
        self._lines: deque[str] = deque(maxlen=keep)
        self._open = ""  # the line being written, cut at LONGEST_LINE

    def add(self, text: str) -> None:
        if not text:
            return
        *done, rest = text.split("\n")
        for part in done:
            self._keep(self._open + part)
            self._open = ""
        self._open = (self._open + rest)[: LONGEST_LINE + 1]

    def lines(self) -> tuple[str, ...]:
        found = list(self._lines)
        last = _shown(self._open)
        if last:
            found = [*found, last][-(self._lines.maxlen or 1) :]
        return tuple(found)

    def _keep(self, line: str) -> None:
        shown = _shown(line)
        if shown:
            self._lines.append(shown)


def _shown(line: str) -> str:
    line = line.rstrip("\r").rstrip()
    if len(line) > LONGEST_LINE:
        return line[:LONGEST_LINE] + "..."
    return line
