"""The progress line: assets done of those selected, the one running, time left.

On a terminal it is one line redrawn in place (and erased before doit writes
anything, so doit's own lines stay intact); elsewhere, such as CI logs, it is
a plain line after each finished materialization.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import IO

from .execute import BEFORE_OUTPUT

CLEAR = "\r\033[K"


def progress_enabled(setting: object) -> bool:
    """``DOIT_ASSETS_PROGRESS=0`` or ``[settings] progress = false`` turn it off."""
    env = os.environ.get("DOIT_ASSETS_PROGRESS")
    if env is not None:
        return env.strip().lower() not in ("0", "false", "no", "off", "")
    return setting is not False


def format_seconds(seconds: float) -> str:
    hours, rest = divmod(round(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """Counts and draws; the reporter tells it what happens."""

    def __init__(
        self,
        stream: IO[str],
        total: int,
        estimates: Callable[[], Mapping[str, float]],
        *,
        live: bool,
    ) -> None:
        self.stream = stream
        self.total = total
        self.done: set[str] = set()
        self.running: dict[str, float] = {}
        self.started = time.monotonic()
        self._estimates = estimates
        self._known: dict[str, float] | None = None
        self._pending: dict[str, float] = {}
        self._remaining = 0.0
        self.live = live
        self._shown = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        if live:
            BEFORE_OUTPUT.append(self.erase)

    # -- events ----------------------------------------------------------------

    def start(self, name: str) -> None:
        with self._lock:
            self.running[name] = time.monotonic()
            if self.live:
                self._draw()
                if self._ticker is None:
                    self._ticker = threading.Thread(target=self._tick, daemon=True)
                    self._ticker.start()

    def finish(self, name: str, *, executed: bool, failed: bool = False) -> None:
        with self._lock:
            began = self.running.pop(name, None)
            self.done.add(name)
            self._settle(name)
            if self.live:
                if self._shown or executed:
                    self._draw()
            elif executed and began is not None:
                took = format_seconds(time.monotonic() - began)
                verb = "failed after" if failed else "done in"
                self.stream.write(f"   [{self.line_counts()}] {name} {verb} {took}; ")
                self.stream.write(self.line_times() + "\n")

    def write_through(self, text: str) -> None:
        """Write doit's own output: erase the progress line first, redraw after."""
        with self._lock:
            if self._shown:
                self.stream.write(CLEAR)
                self._shown = False
            self.stream.write(text)
            if self.live and self.running:
                self._draw()

    def erase(self) -> None:
        """Take the line off the screen; the ticker draws it again."""
        with self._lock:
            if self._shown:
                self.stream.write(CLEAR)
                self.stream.flush()
                self._shown = False

    def close(self) -> None:
        self._stop.set()
        if self.erase in BEFORE_OUTPUT:
            BEFORE_OUTPUT.remove(self.erase)
        with self._lock:
            if self._shown:
                self.stream.write(CLEAR)
                self.stream.flush()
                self._shown = False

    # -- drawing ---------------------------------------------------------------

    def line_counts(self) -> str:
        return f"{len(self.done)}/{self.total}"

    def line_times(self) -> str:
        elapsed = time.monotonic() - self.started
        text = f"{format_seconds(elapsed)} elapsed"
        left = self._left()
        if left is not None:
            text += f", ~{format_seconds(left)} left"
        return text

    def _left(self) -> float | None:
        """Known durations of what is not done, less the time spent on what runs.

        Kept as a running sum, so that each update costs the number of assets
        running, not the number selected.
        """
        if self._known is None:
            self._known = dict(self._estimates())
            self._pending = {n: s for n, s in self._known.items() if n not in self.done}
            self._remaining = sum(self._pending.values())
        if not self._pending:
            return None
        now = time.monotonic()
        left = self._remaining
        for name, began in self.running.items():
            seconds = self._pending.get(name)
            if seconds is not None:
                left -= min(seconds, now - began)
        return left

    def _settle(self, name: str) -> None:
        if self._known is not None:
            seconds = self._pending.pop(name, None)
            if seconds is not None:
                self._remaining -= seconds

    def _draw(self) -> None:
        running = ", ".join(self.running) or "-"
        text = f"[{self.line_counts()}] {running} | {self.line_times()}"
        self.stream.write(CLEAR + text)
        self.stream.flush()
        self._shown = True

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            with self._lock:
                if self.running:
                    self._draw()
