"""LineageReporter: doit's console output, plus the history of every materialization.

doit calls reporters in the main process, also under ``-n``. The reporter
commits doit's state of each task as it ends (doit alone saves only when the
run ends, so a killed run would forget every finished task), then appends the
materialization to the history. Up-to-date assets are only counted.
doit imports every REPORTER plugin on every run in every project: heavy
imports wait until a run of an assets project begins.
"""

from __future__ import annotations

import os
import shlex
import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING, Any

from doit import Globals
from doit.exceptions import TaskFailed, UnmetDependency
from doit.reporter import ConsoleReporter

from ..run.context import RunContext
from ..run.summary import (
    FailedAsset,
    RunCounts,
    failure_lines,
    failure_reason,
    seconds_since_start,
    summary_line,
)
from ..run.tail import SUMMARY_TAIL_LINES
from ..store.versions import moved_deps, moved_outputs
from .edge import reported_by_doit
from .failures import Blocking, keep_going, rerun_command

if TYPE_CHECKING:
    from ..plan.records import PlannedAsset


class LineageReporter(ConsoleReporter):  # type: ignore[misc]
    desc = "console output, and a history of every materialization (doit-assets)"

    def __init__(self, outstream: Any, options: dict[str, Any]) -> None:
        super().__init__(outstream, options)
        self.recorder: Any = None
        self.progress: Any = None
        self.new_sources = 0
        self.ignored = 0
        # keep-going: what failed (for the summary) and what it blocked
        self.blocking = Blocking()
        self.failed_assets: list[FailedAsset] = []
        self.runner: Any = None
        self.errors = False  # a failure doit counts as an error (exit code 2)

    # -- doit's hooks ----------------------------------------------------------

    def initialize(self, tasks: dict[str, Any], selected_tasks: list[str]) -> None:
        super().initialize(tasks, selected_tasks)
        if not any(_asset(task) for task in tasks.values()):
            return  # a plain doit project that picked this reporter: console only
        from .recorder import Recorder

        with reported_by_doit():  # the project locked, a history it cannot read
            self.recorder = Recorder(
                _context(tasks).command or command_line(),
                tasks,
                selected_tasks,
                _context(tasks),
            )
        self.runner = _runner(self)
        self.progress = self.recorder.make_progress(self.outstream, _workers(self))
        if self.runner is not None:  # the command line, else [settings] keep_going
            settings = self.recorder.context.settings
            self.runner.continue_ = keep_going(self.runner.continue_, settings)
        sys.excepthook = _quiet_interrupt(sys.excepthook)
        _stop_on(signal.SIGTERM, signal.SIGHUP)
        self._fresh(self.recorder.context)

    def _fresh(self, context: RunContext) -> None:
        """The tasks the fast path found up to date, which doit never saw: said
        and counted as doit would have."""
        if not context.fresh:
            return
        from .fastpath import up_to_date

        fresh = up_to_date(context.fresh)
        self.write("".join(f"-- {name}\n" for name in fresh))
        self.recorder.up_to_date += len(fresh)

    def write(self, text: str) -> None:
        if self.progress is not None:
            self.progress.write_through(text)
        else:
            self.outstream.write(text)

    def execute_task(self, task: Any) -> None:
        super().execute_task(task)
        if self.recorder and _asset(task):
            self.recorder.started(task)
            if self.progress:
                self.progress.start(task.name)

    def add_success(self, task: Any) -> None:
        super().add_success(task)
        self._check_warnings(task)
        # The history first, doit's state on disk second: killed in between,
        # the output has its history row and doit makes it again (the same
        # version); the other way round, doit would take it as up to date with
        # no row in the history.
        outcome = None
        if self.recorder and _asset(task):
            outcome = self.recorder.succeeded(task, _state(task.name))
        _flush_state(task.name)
        if outcome == "observed":
            # doit prints nothing for a task without actions; say what happened.
            self.write(f"~  {task.name} (source: new version)\n")
            self.new_sources += 1
        if outcome is not None and self.progress:
            self.progress.finish(task.name, executed=outcome == "materialized")

    def get_status(self, task: Any) -> None:
        super().get_status(task)
        if self.recorder and self.blocking.blocks(task.task_dep):
            _spare_state(task.name)  # doit drops a blocked task's state: keep it

    def add_failure(self, task: Any, fail: Any) -> None:
        if self.recorder and isinstance(fail, UnmetDependency):
            self._blocked(task)  # never a failure of its own
            return
        self.errors = self.errors or not isinstance(fail, TaskFailed)
        asset = _asset(task)
        if asset and "Dependent file '" in (getattr(fail, "message", "") or ""):
            from .actions import in_our_words  # a file gone since the run started

            fail = in_our_words(task, fail)
            if self.recorder and asset.kind == "transform":
                self.recorder.started(task)  # failed before it began: record it
        self._check_warnings(task)
        super().add_failure(task, fail)
        _flush_state(task.name)
        self.blocking.fail(task.name)
        if self.recorder and _asset(task):
            self._note_failure(task, fail)
            executed = self.recorder.failed(task, fail)
            if self.progress:
                self.progress.finish(task.name, executed=executed)

    def _check_warnings(self, task: Any) -> None:
        """A non-blocking check that failed: one line each, after the asset's."""
        if not self.recorder:
            return
        from ..run.checks import CHECKED, warning_lines  # a run of assets has it

        for line in warning_lines(task.name, (task.meta or {}).get(CHECKED, ())):
            self.write(line + "\n")

    def _blocked(self, task: Any) -> None:
        """A task doit did not run, because a task it depends on did not succeed."""
        roots = self.blocking.block(task.name, task.task_dep)
        _flush_state(task.name)
        if (task.meta or {}).get("asset_group"):
            return  # a group of partitions: its partitions say it
        self.write(f"x  {task.name} (blocked by {', '.join(roots)})\n")
        if _asset(task):
            self.recorder.blocked(task, roots)
            if self.progress:
                self.progress.finish(task.name, executed=False)

    def _note_failure(self, task: Any, fail: Any) -> None:
        message = getattr(fail, "message", None) or str(fail)
        reason = failure_reason(message, task.meta["asset"].transform)
        tail = tuple(getattr(fail, "stderr_tail", ()) or ())[-SUMMARY_TAIL_LINES:]
        self.failed_assets.append(FailedAsset(task.name, reason, tail))

    def skip_ignore(self, task: Any) -> None:
        super().skip_ignore(task)
        if self.recorder and _asset(task):
            self.ignored += 1
            if self.progress:
                self.progress.finish(task.name, executed=False)

    def skip_uptodate(self, task: Any) -> None:
        super().skip_uptodate(task)
        if moved_deps or moved_outputs:
            _restamp(task.name)
        if self.recorder and _asset(task):
            self.recorder.up_to_date += 1
            if self.progress:
                self.progress.finish(task.name, executed=False)

    def complete_run(self) -> None:
        if self.progress:
            self.progress.close()
        super().complete_run()
        if self.recorder:
            counts = self._counts()
            self.recorder.close(failed=bool(self.failures or self.runtime_errors))
            self.write(summary_line(counts, seconds_since_start()) + "\n")
            # a backfill says how to resume it, after this
            backfill = self.recorder.context.backfill_id is not None
            lines = failure_lines(
                self.failed_assets,
                self.recorder.blocked_tasks,
                None if backfill else rerun_command(),
            )
            self.write("".join(line + "\n" for line in lines))
            self._exit_as_failed()

    def _exit_as_failed(self) -> None:
        """doit ends with 2 (an error) when it blocked a task; a blocked task
        is no error of its own: end with 1, as for the failure that blocked it."""
        runner = self.runner
        if runner is None:
            return
        # (a partitioned asset's group task is blocked too, and said by its
        # partitions: it records nothing, but it made doit's code 2 all the same)
        if self.failures and not (self.errors or self.runtime_errors):
            runner.final_result = 1  # doit.runner.FAILURE

    def _counts(self) -> RunCounts:
        recorder = self.recorder
        return RunCounts(
            made=recorder.materialized,
            up_to_date=recorder.up_to_date,
            new_sources=self.new_sources,
            failed=recorder.failed_count,
            interrupted=len(recorder.started_at),
            ignored=self.ignored,
            blocked=len(recorder.blocked_tasks),
        )


def command_line() -> str:
    """The command as the user typed it: ``doit ...`` or ``doit-assets ...``."""
    program = os.path.basename(sys.argv[0])
    program = program if program == "doit-assets" else "doit"
    return shlex.join([program, *sys.argv[1:]])


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP: the run stops as on Ctrl-C, and then dies of the signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _stop_on(*signums: int) -> None:
    """Turn these signals into ``Stopped`` in doit's main thread (and in the
    workers it forks): every transform is stopped and the run is recorded as
    interrupted, as after Ctrl-C, instead of dying with transforms orphaned."""

    def stop(signum: int, frame: Any) -> None:
        raise Stopped(signum)

    for signum in signums:
        if signal.getsignal(signum) in (signal.SIG_DFL, None):
            signal.signal(signum, stop)


def _workers(reporter: LineageReporter) -> int:
    """doit's ``-n``: doit gives it to its runner; doit's serial runner has no
    ``num_process``: one at a time."""
    runner = reporter.runner
    return max(1, int(getattr(runner, "num_process", 1) or 1)) if runner else 1


def _runner(reporter: LineageReporter) -> Any:
    """doit's runner, which calls ``initialize``: no reporter hook carries it
    (nor ``-n`` or ``--continue``), so look for it up the stack."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        runner = frame.f_locals.get("self")
        if getattr(runner, "reporter", None) is reporter:
            return runner
        frame = frame.f_back
    return None


def _quiet_interrupt(previous: Any) -> Any:
    """Ctrl-C ends a run with one line instead of doit's traceback."""

    def hook(kind: type[BaseException], value: BaseException, tb: Any) -> None:
        if not issubclass(kind, KeyboardInterrupt):
            previous(kind, value, tb)
            return
        what = "interrupted"
        if isinstance(value, Stopped):
            what = f"stopped by {signal.Signals(value.signum).name}"
        sys.stderr.write(
            f"\n{what}: finished assets are saved; the one that was "
            "running keeps its previous output and runs again next time\n"
        )
        sys.stderr.flush()
        if isinstance(value, Stopped):  # die of it, as whoever sent it expects
            signal.signal(value.signum, signal.SIG_DFL)
            os.kill(os.getpid(), value.signum)

    return hook


def _context(tasks: dict[str, Any]) -> RunContext:
    """The run's context, which the task creator gave every task it made."""
    for task in tasks.values():
        context = (task.meta or {}).get("run")
        if isinstance(context, RunContext):
            return context
    return RunContext()  # a project of sources only


def _asset(task: Any) -> PlannedAsset | None:
    """The planned asset a task makes (tasks.py puts it in its meta), if any."""
    meta = task.meta
    return meta.get("asset") if meta else None


def _state(task_name: str) -> Any:
    """Read doit's saved state of one task's file (its version when it was read)."""
    backend = getattr(Globals.dep_manager, "backend", None)

    def saved(path: str) -> Any:
        return backend.get(task_name, path) if backend is not None else None

    return saved


def _spare_state(task_id: str) -> None:
    spare = getattr(getattr(Globals.dep_manager, "backend", None), "spare", None)
    if spare is not None:
        spare(task_id)


def _restamp(task_id: str) -> None:
    manager = Globals.dep_manager
    restamp = getattr(getattr(manager, "backend", None), "restamp", None)
    if restamp is not None:
        restamp(task_id)


def _flush_state(task_id: str) -> None:
    manager = Globals.dep_manager
    flush = getattr(getattr(manager, "backend", None), "flush", None)
    if flush is not None:
        flush(task_id)
