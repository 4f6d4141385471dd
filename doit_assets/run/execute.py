"""The one place where a transform runs, and where its outputs are made atomic.

``materialize`` is the doit action of every asset: it checks what the attempt
would replace, runs the transform on staging paths of its own (staging.py),
checks what it left (every output written, of the right kind, nothing it
read gone), and only then moves the outputs into place. On a failure,
Ctrl-C, SIGTERM or ``kill -9`` the previous good outputs stay as they were.

A shell transform runs in a process group of its own, recorded in the run's
registry (processes.py), so that it never outlives its run. ``run_command``
is the seam a remote executor would replace: it receives a fully rendered
command and a working directory and reports an exit code.
"""

from __future__ import annotations

import codecs
import contextlib
import importlib
import inspect
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from doit.exceptions import TaskFailed

from .processes import GRACE, Registry
from .staging import Attempt, overwritten, remove_made, stamp

LONGEST_ARGUMENT = 100_000  # bytes; Linux refuses one argument over 128 KiB
# In a rendered command, where a staged output goes: MARK + its index + MARK.
# A NUL never reaches a command otherwise (the loader refuses it).
MARK = "\0"
TICK = 0.25  # seconds between looks at a running transform and its outputs


class TransformFailed(TaskFailed):  # type: ignore[misc]
    """A transform exited non-zero or did not write its outputs."""

    def __init__(
        self,
        message: str,
        exit_code: int | None = None,
        exception: BaseException | None = None,
    ) -> None:
        super().__init__(message, exception=exception)
        self.exit_code = exit_code


class _Overwritten(Exception):
    """The transform wrote an output's final path while it ran."""


def run_command(
    command: str,
    cwd: str,
    *,
    started: Callable[[int], None] | None = None,
    watch: Callable[[], str | None] | None = None,
) -> int:
    """Run a shell command in a process group of its own, streaming its output.

    One thread reads both pipes as data arrives (a selector, not a thread per
    pipe): doit shows or captures what the transform prints, as it would for
    its own commands. ``started(pid)`` learns the group as soon as it exists;
    ``watch()`` is asked now and then whether to stop (it returns why). When
    the command exits, whatever it left running in its group is stopped too:
    nothing of a transform outlives it.
    """
    script = None
    if len(command.encode()) > LONGEST_ARGUMENT:
        # the kernel caps one argument (sh -c COMMAND) at 128 KiB; a command that
        # reads thousands of partitions is longer: hand it over as a script
        fd, script = tempfile.mkstemp(prefix=".doit-assets-command.", suffix=".sh")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(command + "\n")
    proc = subprocess.Popen(
        ["/bin/sh", script] if script else command,
        shell=script is None,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own group: stopped whole, never orphaned
    )
    assert proc.stdout is not None and proc.stderr is not None
    try:
        if started is not None:
            started(proc.pid)
        _stream(proc, watch)
        _end_group(proc.pid)
        return proc.wait()
    finally:
        proc.stdout.close()
        proc.stderr.close()
        if proc.returncode is None:  # interrupted or stopped: stop it all
            _stop_child_group(proc)
        if script:
            os.unlink(script)


def _stream(
    proc: subprocess.Popen[bytes], watch: Callable[[], str | None] | None
) -> None:
    assert proc.stdout is not None and proc.stderr is not None
    looked = time.monotonic()
    with selectors.DefaultSelector() as selector:
        for pipe, target in ((proc.stdout, sys.stdout), (proc.stderr, sys.stderr)):
            decoder = codecs.getincrementaldecoder("utf-8")("replace")
            selector.register(pipe, selectors.EVENT_READ, (target, decoder))
        while selector.get_map():
            events = selector.select(TICK)
            now = time.monotonic()
            if watch is not None and now - looked >= TICK:
                looked = now
                why = watch()
                if why is not None:
                    raise _Overwritten(why)
            if not events and _exited(proc.pid):
                # the command is done but something it started holds its pipes
                _end_group(proc.pid)
            for key, _ in events:
                target, decoder = key.data
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fileobj)
                    target.write(decoder.decode(b"", final=True))
                    continue
                for hook in BEFORE_OUTPUT:
                    hook()
                target.write(decoder.decode(chunk))
                target.flush()


def _exited(pid: int) -> bool:
    """Has the group's leader exited? (Not reaped: its pid stays ours meanwhile.)"""
    if not hasattr(os, "waitid"):
        return False
    try:
        found = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return found is not None


def _stop_child_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the group; once its leader is gone (or after a grace time),
    SIGKILL to whatever is left; then reap the leader."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE
    while time.monotonic() < deadline and not _exited(proc.pid):
        time.sleep(0.01)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _end_group(pid: int) -> None:
    """Stop what is left of a finished command's group, before its leader is
    reaped: until then no other process can take its number as a group id."""
    if hasattr(os, "waitid"):
        try:
            os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        except ChildProcessError:
            return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


# Called before a transform's output reaches the terminal (the progress line
# erases itself there, so that the two never share a line).
BEFORE_OUTPUT: list[Callable[[], None]] = []


@dataclass(frozen=True, slots=True)
class CommandJob:
    """A rendered shell transform: run ``command`` in ``cwd``, outputs staged.

    ``command`` holds ``MARK index MARK`` where the staged path of output
    ``index`` goes: a staging folder is only known when the attempt begins.
    """

    task: str
    command: str
    cwd: str
    outputs: tuple[str, ...]  # final paths, relative to cwd; dirs end in '/'
    shown: str = ""  # the command as the user knows it: final paths, for messages
    prefix: str = ""  # how doit's working directory reaches cwd
    reads: tuple[str, ...] = ()  # what doit checks after the run (its file_dep)
    external_roots: tuple[str, ...] = ()
    write_hint = (
        "Write each output to the path {self.path} gives; it is moved into place "
        "when the transform succeeds"
    )

    def rendered(self, attempt: Attempt) -> str:
        parts = self.command.split(MARK)
        for i in range(1, len(parts), 2):
            staged = attempt.staged(self.outputs[int(parts[i])])
            parts[i] = _quote(staged.rstrip("/") or staged)
        return "".join(parts)

    def run(
        self, attempt: Attempt, before: Mapping[str, Any]
    ) -> TransformFailed | None:
        def watch() -> str | None:
            touched = [o for o in self.outputs if stamp(attempt.full(o)) != before[o]]
            if not touched:
                return None
            existed = any(before[o] for o in touched)
            return overwritten(touched, self.write_hint, existed)

        try:
            code = run_command(
                self.rendered(attempt), self.cwd, started=attempt.started, watch=watch
            )
        except _Overwritten as stopped:
            return TransformFailed(f"{stopped}. It was stopped: {self.shown}")
        if code < 0:
            return TransformFailed(
                f"transform was killed by {_signal_name(-code)}: {self.shown}",
                exit_code=code,
            )
        if code != 0:
            return TransformFailed(
                f"transform exited with code {code}: {self.shown}", exit_code=code
            )
        return None


def _quote(path: str) -> str:
    import shlex

    return shlex.quote(path)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


@dataclass(frozen=True)
class PythonJob:
    """A Python transform: call ``fn`` with its upstream assets bound by name.

    ``bindings`` are (parameter, kind, paths, store): kind 'file' passes the
    path(s), 'value' the value loaded with ``store``, 'output'/'outputs' the
    staging path(s) to write (``paths`` then hold the final ones). A value
    asset (``store`` set) keeps the return value. Paths are relative to doit's
    working directory.
    """

    task: str
    fn: Callable[..., Any]
    cwd: str
    outputs: tuple[str, ...]
    bindings: tuple[tuple[str, str, tuple[str, ...], str | None], ...]
    store: str | None = None
    prefix: str = ""
    reads: tuple[str, ...] = ()
    external_roots: tuple[str, ...] = ()
    write_hint = (
        "Write each output to the path in the 'output' parameter; it is moved "
        "into place when the function returns"
    )

    def describe(self) -> str:
        return f"python {_reference(self.fn)}"

    def run(
        self, attempt: Attempt, before: Mapping[str, Any]
    ) -> TransformFailed | None:
        from ..model.values import STORES

        kwargs = self._arguments(attempt)
        try:
            result = self.fn(**kwargs)
        except Exception as err:  # the user's code: report it, with its traceback
            failure = TransformFailed(f"{type(err).__name__}: {err}")
            tb = err.__traceback__.tb_next if err.__traceback__ else None
            failure.traceback = traceback.format_exception(type(err), err, tb)
            return failure
        if self.store is not None:
            target = Path(attempt.full(attempt.staged(self.outputs[0])))
            try:
                STORES[self.store].dump(result, target)
            except Exception as err:  # a value the store cannot write
                return TransformFailed(
                    f"the value store '{self.store}' cannot keep the returned "
                    f"{type(result).__name__}: {type(err).__name__}: {err}. Return a "
                    "value it can write, or choose another store with 'io'",
                    exit_code=None,
                )
        elif result is not None:
            return TransformFailed(
                f"returned {_article(type(result).__name__)}, but a file asset writes its "
                "output. Write to the 'output' parameter, or remove 'path' to "
                "keep the return value",
                exit_code=None,
            )
        return None

    def _arguments(self, attempt: Attempt) -> dict[str, Any]:
        from ..model.partitions import PartitionKey
        from ..model.values import STORES

        kwargs: dict[str, Any] = {}
        for param, kind, paths, store in self.bindings:
            if kind == "partition":
                dims = dict(d.split("=", 1) for d in paths[1:])
                kwargs[param] = PartitionKey(paths[0], dims)
            elif kind == "values":  # partition key -> value, of several partitions
                pairs = (p.split("=", 1) for p in paths)
                load = STORES[store or "pickle"].load
                kwargs[param] = {key: load(Path(path)) for key, path in pairs}
            elif kind == "files":  # partition key -> Path (a tuple if several)
                grouped: dict[str, list[Path]] = {}
                for pair in paths:
                    key, path = pair.split("=", 1)
                    grouped.setdefault(key, []).append(Path(path))
                kwargs[param] = {
                    k: v[0] if len(v) == 1 else tuple(v) for k, v in grouped.items()
                }
            elif kind == "value":
                kwargs[param] = STORES[store or "pickle"].load(Path(paths[0]))
            elif kind in ("output", "outputs"):
                staged = [self.prefix + attempt.staged(p) for p in paths]
                if kind == "outputs" or len(staged) > 1:
                    kwargs[param] = tuple(Path(p) for p in staged)
                else:
                    kwargs[param] = Path(staged[0])
            elif len(paths) > 1:
                kwargs[param] = tuple(Path(p) for p in paths)
            else:
                kwargs[param] = Path(paths[0])
        return kwargs

    def __reduce__(self) -> tuple[Any, ...]:
        # Under `doit -n` jobs travel by pickle; the function goes by name, and
        # its module attribute may be the @asset wrapper rather than the function.
        fields = (self.task, _reference(self.fn), self.cwd, self.outputs)
        more = (self.prefix, self.reads, self.external_roots)
        return (_python_job, (*fields, self.bindings, self.store, *more))


def _article(noun: str) -> str:
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"


def _reference(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}:{fn.__qualname__}"


def _python_job(
    task: str,
    reference: str,
    cwd: str,
    outputs: tuple[str, ...],
    bindings: tuple[tuple[str, str, tuple[str, ...], str | None], ...],
    store: str | None,
    *more: Any,
) -> PythonJob:
    module_name, _, qualname = reference.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        target = getattr(target, part)
    fn = getattr(target, "fn", target)
    return PythonJob(task, fn, cwd, outputs, bindings, store, *more)


Job = CommandJob | PythonJob


def with_reads(job: Job, reads: tuple[str, ...], roots: tuple[str, ...]) -> Job:
    """The job, knowing what doit will check after it, and where it may write."""
    return replace(job, reads=reads, external_roots=roots)


def materialize(job: Job) -> TransformFailed | None:
    """doit action: run the transform on staging paths, then publish its outputs."""
    _enlist_worker()
    attempt = Attempt(job.cwd, job.outputs, Registry())
    refused = attempt.refuse(job.external_roots, lambda: _recorded(job), job.task)
    if refused is not None:
        return TransformFailed(refused, exit_code=None)
    try:
        attempt.begin()
        before = {o: stamp(attempt.full(o)) for o in job.outputs}
        failure = job.run(attempt, before)
        if failure is not None:
            return failure
        problem = attempt.check(before, job.write_hint) or _gone(job)
        if problem is not None:  # the transform itself succeeded
            return TransformFailed(problem, exit_code=0)
        attempt.publish(durable=True)
        return None
    except OSError as err:  # a full disk, a folder that cannot be made, ...
        where = f" '{err.filename}'" if err.filename else ""
        return TransformFailed(
            f"cannot write{where}: {err.strerror or err}; the previous output is kept",
            exit_code=None,
        )
    finally:
        attempt.end()


def _gone(job: Job) -> str | None:
    """doit fails a task whose file_dep is gone after it ran: fail it first,
    before its outputs replace the good ones."""
    for path in job.reads:
        if not os.path.exists(path):
            return (
                f"input '{path}' no longer exists after the transform ran (did the "
                "transform delete it?); the previous output is kept"
            )
    return None


def _recorded(job: Job) -> dict[str, Any]:
    """What the asset's last success made, by output (for its folders)."""
    return made_before(job.task, job.outputs, job.prefix)


def made_before(
    task: str, outputs: tuple[str, ...], prefix: str
) -> dict[str, dict[str, Any] | None]:
    """Each output's version at the asset's last success: doit's saved state
    (with the names of a folder's files), or, once doit has dropped it (after
    a failure, or ``doit forget``), the version the history recorded."""
    from ..doit_plugin.backend import saved_values
    from ..store.versions import OUTPUTS

    saved = saved_values(task).get(OUTPUTS) or {}
    found = {o: saved.get(prefix + o) for o in outputs}
    if all(found.values()):
        return found
    from ..paths import HISTORY_FILE
    from ..store.history import History

    if not os.path.exists(HISTORY_FILE):
        return found
    key, colon, partition = task.partition(":")
    with History.open(HISTORY_FILE, readonly=True) as history:
        last = history.last_success(key, partition if colon else None)
        made = {o.path: o for o in history.outputs(last.id)} if last else {}
    for output in outputs:
        if found[output] is None and output in made:
            found[output] = {"md5": made[output].md5}
    return found


_ENLISTED: list[bool] = []


def _enlist_worker() -> None:
    """A ``doit -n`` worker dies with the doit process (Linux), instead of
    running on and publishing into a project that a later run now uses; its
    transform, in a group of its own, is stopped by the run's watchdog."""
    if _ENLISTED:
        return
    _ENLISTED.append(True)
    import multiprocessing

    parent = multiprocessing.parent_process()
    if parent is None or not sys.platform.startswith("linux"):
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent.pid:  # the parent died before prctl took effect
        os.kill(os.getpid(), signal.SIGKILL)


def remove_outputs(
    task: str,
    cwd: str,
    outputs: tuple[str, ...],
    prefix: str = "",
    external_roots: tuple[str, ...] = (),
    dryrun: bool = False,
) -> None:
    """doit ``clean`` action: remove what this asset's materializations made."""
    from .lock import RunLock

    if dryrun:
        for output in outputs:
            print(f"{output} - would be removed")
        return
    from ..errors import AssetError

    try:
        RunLock().acquire("doit clean")  # held until doit exits: a run would break
    except AssetError as err:  # doit would report a failed clean action and go on
        stderr = sys.__stderr__ or sys.stderr  # doit captures the action's own
        stderr.write(f"ERROR: {err}\n")
        stderr.flush()
        raise SystemExit(3) from None
    recorded = made_before(task, outputs, prefix)
    for line in remove_made(cwd, outputs, recorded, external_roots):
        print(line)


# doit inspects an action's signature on every run of every task; a ready one
# saves that work (it is a measurable part of a build of many small assets).
materialize.__signature__ = inspect.signature(materialize)  # type: ignore[attr-defined]
