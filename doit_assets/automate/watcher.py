"""``doit assets watch``: the foreground loop that runs a tick when something happens.

The watcher loads no declaration itself: each cycle is a ``doit assets tick``
process, which loads the project as it is now, evaluates every condition, runs
what they ask for, and reports back (JSON) what it did, which files to watch
and when the next schedule, sensor or expiry is due. Between cycles the
watcher waits on the operating system's file events (``watchdog``: inotify,
FSEvents, or polling with ``--poll``) and on that moment.

Events are debounced (a burst of writes is one cycle); those that arrive
during a cycle make the next one. Only files the assets read, and the
declarations, count: the outputs a cycle writes never wake the next. When the
declarations become invalid, the watcher says why and keeps the files of the
last good graph, and the changes it saw meanwhile, for when they are fixed.

A cycle's files (what changed, its report, its output) are in a folder of the
watcher's own: its output goes to a file, not a pipe, so that a cycle whose
watcher was killed still finishes and records what it did.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from ..model import clock
from ..paths import STAGING_PREFIX
from ..run.lock import holder
from .display import cycle_lines, what_woke
from .folders import Folders, folders_of, link_targets, nearest_folder

# A cycle's writes settle within this; a stream of them waits no longer than
# MAX_SETTLE before its cycle starts.
DEFAULT_DEBOUNCE = 0.2
MAX_SETTLE = 2.0
DEFAULT_POLL = 0.5  # seconds between two looks at the files, with --poll
# With DOIT_ASSETS_NOW (a clock a test moves), the clock is looked at this often
SIMULATED_STEP = 0.1
MIN_PERIOD = 1.0  # seconds between two cycles that the clock starts, at least
RETRY_AFTER = 10.0  # seconds before a cycle that died (not invalid) is tried again
STOP_WAIT = 10.0  # seconds a cycle has to stop after Ctrl-C, before it is killed
OUTPUT_STEP = 0.1  # seconds between two looks at a cycle's output (--verbose)


class WatchUnavailable(Exception):
    """watchdog is not installed."""


@dataclass
class Pending:
    """What happened since the last cycle."""

    changed: set[str] = field(default_factory=set)
    reloaded: bool = False
    unknown: set[str] = field(default_factory=set)  # new files, maybe no input
    # changed while a cycle ran, or while nothing watched them: doit saved the
    # version it saw at the end of that cycle, which its transform may not have
    # read; made again, whatever doit's check says
    during: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.changed) or self.reloaded

    def merged(self, other: Pending) -> Pending:
        return Pending(
            self.changed | other.changed,
            self.reloaded or other.reloaded,
            self.unknown | other.unknown,
            self.during | other.during,
        )


class Watcher:
    def __init__(
        self,
        tick: Sequence[str],
        *,
        doit_args: Sequence[str] = (),
        declarations: Iterable[str] = (),
        debounce: float = DEFAULT_DEBOUNCE,
        poll: float | None = None,
        verbose: bool = False,
        out: IO[str] = sys.stdout,
    ) -> None:
        self.tick = list(tick)  # the command of a cycle, without what woke it
        self.doit_args = ["--", *doit_args] if doit_args else []
        self.poll = poll  # seconds between two looks; None: file events
        # writes settle for at least one look more when polling: a burst across
        # two looks would otherwise be two cycles
        self.debounce = debounce if poll is None else max(debounce, poll + 0.1)
        self.verbose = verbose
        self.out = out
        self.events: queue.Queue[tuple[str, str, float]] = queue.Queue()
        self.cycle_began = self.cycle_ended = 0.0  # time.monotonic()
        self.watched: set[str] = set()
        self.watched_folders: tuple[str, ...] = ()  # folders read as a whole
        self.declarations: set[str] = set(declarations)
        self.globs: set[str] = set()  # where inputs globs look (files/*, folders/)
        self.outputs: set[str] = set()  # what the assets make: never a reason
        self.output_folders: tuple[str, ...] = ()
        self.output_parents: set[str] = set()
        self.links: dict[str, str] = {}  # a watched link's target -> the link
        self.next_due: float | None = None
        self.pending = Pending()
        self.held = Pending()  # what a cycle with invalid declarations could not run
        self.child: subprocess.Popen[bytes] | None = None
        self.observer: Any = None
        self.folders: Folders | None = None
        self.room = ""  # the folder of the cycles' files
        self.good = False  # has a cycle seen valid declarations yet?

    # -- the loop ---------------------------------------------------------------

    def run(self) -> int:
        self.observer = _observer(self.poll)
        self.folders = Folders(self.observer, _Handler(self.events))
        self.room = tempfile.mkdtemp(prefix="doit-assets-watch-")
        stop = _stop_on_term()
        try:
            self._say(f"Watching {os.getcwd()} (Ctrl-C stops).")
            self.observer.start()
            self._describe()
            self._wait_for_lock()
            if not self._cycle(["--start"], "start"):
                self.held.reloaded = True  # a fix of the declarations starts it
            while True:
                self._wait()
                due = self.next_due is not None and clock.now() >= self.next_due
                if not self.pending and not due:
                    continue
                self._wait_for_lock()
                self._run_pending(timed=due)
        except KeyboardInterrupt:
            self._stop_child()
            self._say("Stopped.")
            return 0
        finally:
            signal.signal(signal.SIGTERM, stop)
            if self.observer.is_alive():
                self.observer.stop()
                self.observer.join()
            shutil.rmtree(self.room, ignore_errors=True)

    def _run_pending(self, *, timed: bool) -> None:
        pending = self.pending.merged(self.held)
        self.pending, self.held = Pending(), Pending()
        args: list[str] = []
        if pending.reloaded:
            args.append("--reloaded")
        if timed:
            args.append("--timed")
        if pending.changed:
            changes = os.path.join(self.room, "changes.json")
            with open(changes, "w", encoding="utf-8") as f:
                json.dump(
                    {
                        "changed": sorted(pending.changed - pending.during),
                        "during": sorted(pending.during),
                    },
                    f,
                )
            args += ["--changes", changes]
        woke = what_woke(pending.changed, pending.unknown, pending.reloaded, timed)
        quiet = (
            pending.changed == pending.unknown and not pending.reloaded and not timed
        )
        if not self._cycle(args, woke, quiet=quiet, handled=pending.changed):
            # the declarations are invalid: what happened waits for the next
            # event (their fix), not a cycle of its own
            self.held = pending

    def _wait(self) -> None:
        """Until an event that counts (then until they settle), or the next due moment."""
        try:
            first = self.events.get(timeout=self._timeout())
        except queue.Empty:
            return
        self._take(first)
        started = time.monotonic()
        while time.monotonic() - started < MAX_SETTLE:
            try:
                event = self.events.get(timeout=self.debounce)
            except queue.Empty:
                break
            self._take(event)

    def _timeout(self) -> float | None:
        if self.pending:  # found by a cycle itself (a file it did not watch)
            return self.debounce
        if clock.is_simulated():
            return SIMULATED_STEP
        if self.next_due is None:
            return None
        return max(self.next_due - clock.now(), 0.0) + 0.01

    def _take(self, event: tuple[str, str, float]) -> None:
        kind, path, at = event
        path = self.links.get(path, path)
        if kind in ("deleted", "moved") and self.folders is not None:
            self.folders.replaced(path)
        if path in self.declarations:
            self.pending.reloaded = True
        elif path in self.watched or path.startswith(self.watched_folders):
            self.pending.changed.add(path)
        elif kind == "modified" or not _may_be_input(path) or self._made(path):
            return
        elif self.folders is not None and self.folders.holds(path):
            self.pending.changed.add(path)
            self.pending.unknown.add(path)
        else:
            return
        if self.cycle_began <= at <= self.cycle_ended:
            self.pending.during.add(path)

    def _made(self, path: str) -> bool:
        """Made by a run: an output, in an output folder, or a folder a run
        makes for its outputs (what else is in it has events of its own)."""
        if path in self.outputs or path in self.output_parents:
            return True
        return path.startswith(self.output_folders)

    def _wait_for_lock(self) -> None:
        who = holder()
        if who is None or who.get("pid") == os.getpid():
            return
        self._say(
            f"Waiting for another doit run (pid {who.get('pid')}, "
            f"'{who.get('command')}') to finish."
        )
        while holder() is not None:
            try:
                event = self.events.get(timeout=0.2)
            except queue.Empty:
                continue
            self._take(event)

    # -- a cycle ------------------------------------------------------------------

    def _describe(self) -> None:
        """Before the first cycle: what to watch, so that nothing of it goes
        unwatched while that cycle runs (invalid declarations: the cycle says)."""
        report_path = os.path.join(self.room, "report.json")
        self._run_child([*self.tick, "--report", report_path, "--describe"])
        report = _read_report(report_path)
        if report.get("ok"):
            self._apply(report, (0.0, 0.0), handled=set(), first=True)
        else:  # invalid: at least the declarations, for their fix
            assert self.folders is not None
            self.folders.update(folders_of(self.declarations))

    def _cycle(
        self,
        args: list[str],
        woke: str,
        *,
        quiet: bool = False,
        handled: set[str] | None = None,
    ) -> bool:
        """One tick; False if the declarations were invalid."""
        report_path = os.path.join(self.room, "report.json")
        if os.path.exists(report_path):
            os.unlink(report_path)
        began = self.cycle_began = time.monotonic()
        began_wall = time.time()
        self.cycle_ended = float("inf")
        try:
            command = [*self.tick, "--report", report_path, *args, *self.doit_args]
            code, output = self._run_child(command)
            report = _read_report(report_path)
        finally:
            self.cycle_ended = time.monotonic()
            ended_wall = time.time()
        took = self.cycle_ended - began
        report.setdefault("code", code)
        if not (quiet and report.get("ok") and not report.get("requested")):
            for line in cycle_lines(woke, report, output, took, kept=self.good):
                self._say(line)
        if not report.get("ok"):
            if report.get("errors"):  # the declarations (or the command): an edit
                self.next_due = None
            else:  # the cycle died (killed, out of memory): again, on the clock
                self.next_due = clock.now() + RETRY_AFTER
            return False
        due = report.get("next_due")
        # never a moment already past: a cycle that leaves one would loop
        self.next_due = None if due is None else max(due, clock.now() + MIN_PERIOD)
        self._apply(report, (began_wall, ended_wall), handled=handled or set())
        self.good = True
        return True

    def _apply(
        self,
        report: dict[str, Any],
        cycle: tuple[float, float],
        *,
        handled: set[str],
        first: bool = False,
    ) -> None:
        """Watch what the report names. What no event could tell (the folders
        were not watched: a folder new or replaced, a file newly read) is looked
        at: changed while the cycle ran, it is made again whatever doit says;
        changed since, or new, doit's check decides. ``handled``: what the cycle
        was told of, which is not new to it."""
        assert self.folders is not None
        before = self.watched | self.declarations
        self.watched = set(report.get("watch", ()))
        self.watched_folders = tuple(p for p in self.watched if p.endswith("/"))
        self.declarations = set(report.get("declarations", ()))
        self.globs = set(report.get("globs", ()))
        self.outputs = set(report.get("outputs", ()))
        self.output_folders = tuple(p for p in self.outputs if p.endswith("/"))
        self.output_parents = {
            parent for p in self.outputs for parent in _parents(p.rstrip("/"))
        }
        self.links = link_targets(self.watched | self.declarations)
        paths = self.watched | self.declarations | set(self.links) | self.globs
        fresh = self.folders.update(folders_of(paths))
        if first:
            return  # the description before the first cycle, which looks at all
        began, ended = cycle
        for path in self.watched | self.declarations:
            replaced = nearest_folder(path)[0] in fresh
            if not replaced and (path in before or path in handled):
                continue  # its events tell, or the cycle saw it
            self._look_at(path, began, ended, path in before)
        for folder in fresh:  # a file a glob will match, made before its watch
            for path in _files_in(folder, self.folders.scheduled[folder].deep):
                if path not in self.watched and (_changed_at(path) or 0.0) > began:
                    self._take(("created", path, 0.0))

    def _look_at(self, path: str, began: float, ended: float, known: bool) -> None:
        changed = _changed_at(path)
        if changed is not None and began < changed <= ended:
            self._take(("modified", path, self.cycle_began))  # during the cycle
        elif changed is not None or known:
            self._take(("created", path, 0.0))  # doit's check decides

    def _run_child(self, command: list[str]) -> tuple[int, str]:
        """Run a cycle's process, its output to a file (shown as it comes with
        --verbose); its exit code and output."""
        log_path = os.path.join(self.room, "output.log")
        with open(log_path, "wb") as log, open(log_path, "rb") as reader:
            self.child = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches it once, from the watcher
            )
            try:
                while True:
                    try:
                        code = self.child.wait(OUTPUT_STEP if self.verbose else None)
                        break
                    except subprocess.TimeoutExpired:
                        self._show(reader.read())
                self._show(reader.read())
            except KeyboardInterrupt:
                self._stop_child()
                raise
            reader.seek(0)
            output = reader.read().decode("utf-8", "replace")
        self.child = None
        return code, output

    def _show(self, data: bytes) -> None:
        if self.verbose and data:
            self.out.write(data.decode("utf-8", "replace"))
            self.out.flush()

    def _stop_child(self) -> None:
        """Ctrl-C: the cycle stops as a run stops on Ctrl-C (its outputs kept or
        not made, no staging file left), then the watcher exits."""
        child, self.child = self.child, None
        if child is None or child.poll() is not None:
            return
        child.send_signal(signal.SIGINT)
        try:
            child.wait(STOP_WAIT)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()

    def _say(self, line: str) -> None:
        self.out.write(line + "\n")
        self.out.flush()


def _parents(path: str) -> list[str]:
    found = []
    while "/" in path:
        path = path.rsplit("/", 1)[0]
        found.append(path)
    return found


def _files_in(folder: str, deep: bool) -> list[str]:
    """The files in a folder (relative like it), of its sub-folders too if ``deep``."""
    found = []
    for top, _, files in os.walk(folder or "."):
        top = os.path.normpath(top)
        prefix = "" if top == "." else top + "/"
        found += [prefix + f for f in files]
        if not deep:
            break
    return found


def _changed_at(path: str) -> float | None:
    """When the file last changed; None if it does not exist."""
    try:
        return os.stat(path.rstrip("/")).st_mtime
    except OSError:
        return None


def _may_be_input(path: str) -> bool:
    """Not a hidden file (an editor's swap file, a run's staging file), not a backup."""
    name = os.path.basename(path)
    return not name.startswith((".", STAGING_PREFIX)) and not name.endswith("~")


def _read_report(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            report: dict[str, Any] = json.load(f)
    except (OSError, ValueError):
        return {"ok": False}
    return report


def _observer(poll: float | None) -> Any:
    # watchdog's own warnings (a thread that stops with the watcher) are not ours
    logging.getLogger("watchdog").setLevel(logging.ERROR)
    try:
        if poll is not None:
            from watchdog.observers.polling import PollingObserver

            return PollingObserver(timeout=poll)
        from watchdog.observers import Observer

        return Observer()
    except ImportError:
        raise WatchUnavailable from None


def _stop_on_term() -> Any:
    """SIGTERM (systemctl stop) and SIGHUP stop the watcher as Ctrl-C does; and Ctrl-C
    stops it even where it was started with SIGINT ignored (``cmd &`` in a
    script)."""

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    if hasattr(signal, "SIGHUP"):  # the terminal (a tmux pane) closed
        signal.signal(signal.SIGHUP, stop)
    return signal.signal(signal.SIGTERM, stop)


class _Handler:
    """watchdog's handler interface: every event, as (kind, path relative to here)."""

    def __init__(self, events: queue.Queue[tuple[str, str, float]]) -> None:
        self.events = events
        self.here = os.getcwd() + os.sep

    def dispatch(self, event: Any) -> None:
        kind = event.event_type
        if kind not in ("created", "modified", "deleted", "moved", "closed"):
            return  # opened, closed without writing
        if event.is_directory and kind == "modified":
            return
        kind = "modified" if kind == "closed" else kind
        for path in (event.src_path, getattr(event, "dest_path", "")):
            if path:
                at = time.monotonic()
                self.events.put((kind, self._relative(os.fsdecode(path)), at))

    def _relative(self, path: str) -> str:
        full = os.path.abspath(path)
        return full[len(self.here) :] if full.startswith(self.here) else full
