"""The progress line: assets done of those selected, the ones running, time left.

Only on a terminal: one line redrawn in place, and erased before doit writes
anything, so that doit's own lines stay intact. In a log (CI) doit's own
``.  NAME`` line, written when an asset starts, is the one line per asset; the
run ends with the summary line either way (summary.py).
"""

from __future__ import annotations

import heapq
import mmap
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import IO, Any

CLEAR = "\r\033[K"
# Re-simulating the rest of a parallel run costs time: at most this share of it.
SIMULATION_SHARE = 0.05
SIMULATION_EVERY = 0.5  # seconds, at least


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
    """Counts and draws; the reporter tells it what happens.

    ``workers`` is doit's ``-n``: with more than one, the time left comes from
    a simulation of the rest of the run (``simulate``) over ``upstreams``, the
    graph of the selected assets, asked for only then.
    """

    def __init__(
        self,
        stream: IO[str],
        order: Sequence[str],
        estimates: Callable[[], Mapping[str, float]],
        *,
        workers: int = 1,
        upstreams: Callable[[], Mapping[str, Sequence[str]]] | None = None,
        hooks: list[Callable[[], None]] | None = None,
    ) -> None:
        self.stream = stream
        self.order = order
        self.total = len(order)
        self.done: set[str] = set()
        self.running: dict[str, float] = {}
        self.started = time.monotonic()
        self.workers = max(1, workers)
        self._estimates = estimates
        self._upstreams = upstreams
        self._known: dict[str, float] | None = None
        self._pending: dict[str, float] = {}
        self._remaining = 0.0
        self._simulated: tuple[float, float] | None = None  # (when, seconds left)
        self._simulation_cost = 0.0
        # One byte of memory shared with the workers doit -n N forks.
        self._shared = mmap.mmap(-1, 1)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._pid = os.getpid()
        # called before a transform prints (RunContext.before_output)
        self._hooks = hooks if hooks is not None else []
        self._hooks.append(self.erase)

    # -- events ----------------------------------------------------------------

    def start(self, name: str) -> None:
        with self._lock:
            self.running[name] = time.monotonic()
            self._draw()
            if self._ticker is None:
                self._ticker = threading.Thread(target=self._tick, daemon=True)
                self._ticker.start()

    def finish(self, name: str, *, executed: bool) -> None:
        with self._lock:
            self.running.pop(name, None)
            self.done.add(name)
            self._settle(name)
            if self._shown or executed:
                self._draw()

    def write_through(self, text: str) -> None:
        """Write doit's own output: erase the progress line first, redraw after."""
        with self._lock:
            if self._shown:
                self.stream.write(CLEAR)
                self._shown = False
            self.stream.write(text)
            if self.running and not self._stop.is_set():  # not once closed
                self._draw()

    def erase(self) -> None:
        """Take the line off the screen; the ticker draws it again."""
        if os.getpid() != self._pid:
            # A worker of doit -n N, forked from the run (its copy of the lock
            # may be held by a thread it does not have): ``_shown`` is shared.
            self._erase()
            return
        with self._lock:
            self._erase()

    def _erase(self) -> None:
        if self._shown:
            self.stream.write(CLEAR)
            self.stream.flush()
            self._shown = False

    @property
    def _shown(self) -> bool:
        """Whether the line is on the screen now, as the run and its workers see it."""
        return self._shared[0] == 1

    @_shown.setter
    def _shown(self, shown: bool) -> None:
        self._shared[0] = 1 if shown else 0

    def close(self) -> None:
        self._stop.set()
        if self.erase in self._hooks:
            self._hooks.remove(self.erase)
        with self._lock:
            self._erase()

    # -- drawing ---------------------------------------------------------------

    def line(self) -> str:
        running = ", ".join(self.running) or "-"
        elapsed = time.monotonic() - self.started
        text = f"[{len(self.done)}/{self.total}] {running} | "
        text += f"{format_seconds(elapsed)} elapsed"
        left = self._left()
        if left is not None:
            text += f", ~{format_seconds(left)} left"
        return text

    def _left(self) -> float | None:
        """Time left by the last recorded duration of each asset not done."""
        if self._known is None:
            self._known = dict(self._estimates())
            self._pending = {n: s for n, s in self._known.items() if n not in self.done}
            self._remaining = sum(self._pending.values())
        if not self._pending:
            return None
        if self.workers > 1 and self._upstreams is not None:
            return self._simulated_left()
        # One at a time: the sum, kept as a running total, so that each update
        # costs the number of assets running, not the number selected.
        now = time.monotonic()
        left = self._remaining
        for name, began in self.running.items():
            seconds = self._pending.get(name)
            if seconds is not None:
                left -= min(seconds, now - began)
        return left

    def _simulated_left(self) -> float:
        """``simulate`` the rest of the run, at most every so often.

        In between, the last answer counts down; the interval grows with the
        cost of a simulation, so that it never takes much of the run's time.
        """
        now = time.monotonic()
        if self._simulated is not None:
            when, left = self._simulated
            every = max(SIMULATION_EVERY, self._simulation_cost / SIMULATION_SHARE)
            if now - when < every:
                return max(0.0, left - (now - when))
        assert self._upstreams is not None
        upstreams = self._upstreams()
        self._upstreams = lambda: upstreams  # the graph does not change in a run
        pending = {n: self._pending.get(n, 0.0) for n in self.order}
        for name in self.done:
            pending.pop(name, None)
        running = {}
        for name, began in self.running.items():
            pending.pop(name, None)
            running[name] = max(0.0, self._pending.get(name, 0.0) - (now - began))
        left = simulate(pending, running, upstreams, self.workers)
        self._simulation_cost = time.monotonic() - now
        self._simulated = (now, left)
        return left

    def _settle(self, name: str) -> None:
        if self._known is not None:
            seconds = self._pending.pop(name, None)
            if seconds is not None:
                self._remaining -= seconds

    def _draw(self) -> None:
        self.stream.write(CLEAR + self.line())
        self.stream.flush()
        self._shown = True

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            with self._lock:
                if self.running:
                    self._draw()


def simulate(
    pending: Mapping[str, float],
    running: Mapping[str, float],
    upstreams: Mapping[str, Sequence[str]],
    workers: int,
) -> float:
    """Seconds until the last asset ends, if ``workers`` run at once as doit does.

    ``pending`` maps the assets yet to start to their expected duration, in
    the order doit would start them when it can; ``running`` maps those that
    run now to the time they have left. An asset starts when a worker is free
    and every upstream asset of it has ended.
    """
    downstreams: dict[str, list[str]] = {}
    waiting: dict[str, int] = {}
    rank = {name: i for i, name in enumerate(pending)}
    for name in pending:
        count = 0
        for upstream in upstreams.get(name, ()):
            if upstream in pending or upstream in running:
                downstreams.setdefault(upstream, []).append(name)
                count += 1
        waiting[name] = count
    ready = [(rank[n], n) for n, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    ends = [(left, name) for name, left in running.items()]
    heapq.heapify(ends)
    free = max(0, workers - len(running))
    now = 0.0
    while True:
        while free and ready:
            _, name = heapq.heappop(ready)
            heapq.heappush(ends, (now + pending[name], name))
            free -= 1
        if not ends:
            return now
        now, name = heapq.heappop(ends)
        free += 1
        for downstream in downstreams.get(name, ()):
            waiting[downstream] -= 1
            if waiting[downstream] == 0:
                heapq.heappush(ready, (rank[downstream], downstream))


def asset_upstreams(
    tasks: Mapping[str, Any], names: Iterable[str]
) -> dict[str, list[str]]:
    """The upstream assets of each of ``names``, through doit's ``task_dep``.

    A task that is not an asset (the parent of partitions) is looked through:
    an asset that needs it needs the assets it needs.
    """
    behind: dict[str, list[str]] = {}  # for tasks that are not assets

    def upstream_assets(name: str) -> list[str]:
        found: dict[str, None] = {}
        for dep in _deps(tasks[name]):
            if dep not in tasks:
                continue
            if _is_asset(tasks[dep]):
                found[dep] = None
                continue
            if dep not in behind:
                behind[dep] = []  # doit refuses cycles; this only ends a loop
                behind[dep] = upstream_assets(dep)
            found.update(dict.fromkeys(behind[dep]))
        return list(found)

    return {name: upstream_assets(name) for name in names}


def _deps(task: Any) -> list[str]:
    return [*task.task_dep, *task.setup_tasks]


def _is_asset(task: Any) -> bool:
    return bool((task.meta or {}).get("asset"))
