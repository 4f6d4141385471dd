"""The one place where a transform runs, and where its outputs are made atomic.

``materialize`` runs one planned asset: it checks what the attempt would
replace, runs the transform on staging paths of its own (staging.py), checks
what it left (every output written, of the right kind, nothing it read gone),
and only then moves the outputs into place. On a failure, Ctrl-C, SIGTERM or
``kill -9`` the previous good outputs stay as they were. It imports nothing of
doit: the plugin's action (doit_plugin/actions.py) turns a ``Failure`` into
doit's.

A shell transform runs in a process group of its own, recorded in the run's
registry (processes.py), so that it never outlives its run. ``run_command``
is the seam a remote executor would replace: it receives a fully rendered
command and a working directory and reports an exit code.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import os
import selectors
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NamedTuple, TypeVar

from ..model.clock import format_duration
from ..paths import log_path
from ..plan.plan import Plan
from ..plan.records import MARK, PlannedAsset, PythonCall
from ..store.records import CheckOutcome
from .checks import blocking_failure, run_checks
from .context import RunContext
from .environ import (
    changes_environment,
    environment_set,
    shell_environment,
    transform_environment,
)
from .logs import (
    METADATA_FILE,
    METADATA_VARIABLE,
    AttemptLog,
    checked_metadata,
    keep_reported,
    printed_into,
    read_reported,
)
from .processes import GRACE, Registry
from .staging import Attempt, overwritten, stamp
from .trace import StrictIO

T = TypeVar("T")
LONGEST_ARGUMENT = 100_000  # bytes; Linux refuses one argument over 128 KiB
TICK = 0.25  # seconds between looks at a running transform and its outputs
COMMAND_HINT = (
    "Write each output to the path {self.path} gives; it is moved into place "
    "when the transform succeeds"
)
PYTHON_HINT = (
    "Write each output to the path in the 'output' parameter; it is moved "
    "into place when the function returns"
)


@dataclass(frozen=True, slots=True)
class Failure:
    """Why an attempt failed: the one line a user reads, the transform's exit
    code if it ran to an end, and a Python transform's traceback."""

    message: str
    exit_code: int | None = None
    traceback: tuple[str, ...] = ()
    # False when nothing ran and another attempt could only fail the same way
    # (what is on disk refused it): it is not retried
    retryable: bool = True
    # the last lines the transform wrote to stderr (the attempt's log keeps
    # them): for the end-of-run summary and the history row
    stderr_tail: tuple[str, ...] = ()


class Job(NamedTuple):
    """One asset to materialize, with what only the run knows: the files doit
    checks after it (its inputs as found on disk, and its upstream files), and
    the folders outside the project it may write to through a symlink."""

    asset: PlannedAsset
    reads: tuple[str, ...]
    external_roots: tuple[str, ...] = ()
    context: RunContext | None = None


def job_of(plan: Plan, asset: PlannedAsset, context: RunContext | None = None) -> Job:
    """The job of a planned asset outside a doit run (a rehearsal): what doit
    would check after it, and the project's external roots."""
    context = context or RunContext(settings=plan.settings)
    return Job(asset, tuple(plan.file_dep(asset)), plan.external_roots, context)


class _Overwritten(Exception):
    """The transform wrote an output's final path while it ran."""


class TimedOut(Exception):
    """The command ran longer than its timeout; its whole group was stopped."""


def run_command(
    command: str,
    cwd: str,
    *,
    started: Callable[[int], None] | None = None,
    watch: Callable[[], str | None] | None = None,
    before_output: Sequence[Callable[[], None]] = (),
    timeout: float | None = None,
    output: IO[str] | None = None,
    log: AttemptLog | None = None,
    env: Mapping[str, str] | Mapping[bytes, bytes] | None = None,
) -> int:
    """Run a shell command in a process group of its own, streaming its output.

    One thread reads both pipes as data arrives (a selector, not a thread per
    pipe): doit shows or captures what the transform prints, as it would for
    its own commands. ``started(pid)`` learns the group as soon as it exists;
    ``watch()`` is asked now and then whether to stop (it returns why), and each
    of ``before_output`` is called before it prints (to ``output``, if given:
    a check's command is read, not shown); ``log`` gets a copy of both
    streams; ``env`` is its whole environment (None: this process's). When
    the command exits, whatever it left running in its group is stopped too:
    nothing of a transform outlives it. After ``timeout`` seconds it raises
    ``TimedOut``, once the whole group is stopped.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    script = None
    if len(command.encode()) > LONGEST_ARGUMENT:
        # the kernel caps one argument (sh -c COMMAND) at 128 KiB; a command that
        # reads thousands of partitions is longer: hand it over as a script
        fd, script = tempfile.mkstemp(prefix=".doit-assets-command.", suffix=".sh")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(command + "\n")
    with _signals_deferred() as deferred:
        proc = subprocess.Popen(
            ["/bin/sh", script] if script else command,
            shell=script is None,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own group: stopped whole, never orphaned
            env=env,
        )
    assert proc.stdout is not None and proc.stderr is not None
    try:
        deferred.deliver()  # a Ctrl-C during the start: now, with the group known
        if started is not None:
            started(proc.pid)
        _stream(proc, watch, before_output, deadline, output, log)
        if deadline is not None:  # its pipes are closed, but it may run on
            _await_exit(proc.pid, deadline)
        _end_group(proc.pid)
        return proc.wait()
    finally:
        proc.stdout.close()
        proc.stderr.close()
        if proc.returncode is None:  # interrupted or stopped: stop it all
            _stop_child_group(proc)
        if script:
            os.unlink(script)


# Ctrl-C, SIGTERM, SIGHUP: a stop that must not come between the fork of a
# command and the moment its group is known (the command would outlive its run)
_STOPS = tuple(
    getattr(signal, name)
    for name in ("SIGINT", "SIGTERM", "SIGHUP")
    if hasattr(signal, name)
)


class _Deferred:
    def __init__(self) -> None:
        self.caught: list[tuple[int, Any]] = []  # (signal, its handler)

    def deliver(self) -> None:
        for signum, handler in self.caught:
            if callable(handler):
                handler(signum, None)
            elif handler == signal.SIG_DFL and signum == signal.SIGINT:
                raise KeyboardInterrupt
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), signum)


@contextlib.contextmanager
def _signals_deferred() -> Any:
    """Hold the stop signals while a command starts (main thread only: only
    there may handlers change); ``deliver`` them once its group is known."""
    deferred = _Deferred()
    if threading.current_thread() is not threading.main_thread():
        yield deferred
        return
    previous = {signum: signal.getsignal(signum) for signum in _STOPS}

    def hold(signum: int, frame: Any) -> None:
        deferred.caught.append((signum, previous[signum]))

    for signum, handler in previous.items():
        if handler not in (signal.SIG_IGN, None):
            signal.signal(signum, hold)
    try:
        yield deferred
    except BaseException:
        _restore(previous)
        deferred.deliver()  # the command did not start: the stop is now
        raise
    _restore(previous)


def _restore(handlers: Mapping[int, Any]) -> None:
    for signum, handler in handlers.items():
        if handler is not None:
            signal.signal(signum, handler)


def _stream(
    proc: subprocess.Popen[bytes],
    watch: Callable[[], str | None] | None,
    before_output: Sequence[Callable[[], None]],
    deadline: float | None = None,
    output: IO[str] | None = None,
    log: AttemptLog | None = None,
) -> None:
    assert proc.stdout is not None and proc.stderr is not None
    looked = time.monotonic()
    targets = (output or sys.stdout, output or sys.stderr)
    with selectors.DefaultSelector() as selector:
        for pipe, target in zip((proc.stdout, proc.stderr), targets, strict=True):
            decoder = codecs.getincrementaldecoder("utf-8")("replace")
            is_err = pipe is proc.stderr
            selector.register(pipe, selectors.EVENT_READ, (target, decoder, is_err))
        while selector.get_map():
            events = selector.select(TICK)
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                raise TimedOut
            if watch is not None and now - looked >= TICK:
                looked = now
                why = watch()
                if why is not None:
                    raise _Overwritten(why)
            if not events and _exited(proc.pid):
                # the command is done but something it started holds its pipes
                _end_group(proc.pid)
            for key, _ in events:
                target, decoder, is_err = key.data
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fileobj)
                    target.write(decoder.decode(b"", final=True))
                    continue
                for hook in before_output:
                    hook()
                if log is not None:
                    log.write(chunk, stderr=is_err)
                target.write(decoder.decode(chunk))
                target.flush()


def _await_exit(pid: int, deadline: float) -> None:
    while not _exited(pid):
        if time.monotonic() >= deadline:
            raise TimedOut
        time.sleep(0.01)


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


def materialize(
    job: Job,
    recorded: Callable[[], Mapping[str, Any]],
    checked: Callable[[Sequence[CheckOutcome]], None] | None = None,
    attempt_number: int = 1,
) -> Failure | None:
    """Run the transform on staging paths, check the outputs, then publish them.

    ``recorded()`` gives each output's version at the asset's last success
    (asked only when a directory output is already there); ``checked`` gets
    what the asset's checks found, if it has any and they ran. What the
    transform prints goes to the attempt's log too (paths.log_path, when the
    run has an id in the history).
    """
    asset = job.asset
    context = job.context or RunContext()
    attempt = Attempt(asset.root, asset.paths, Registry(run=context.run))
    refused = attempt.refuse(job.external_roots, recorded, asset.task)
    if refused is not None:
        return Failure(refused, retryable=False)
    log = AttemptLog(
        None
        if context.run_id is None
        else log_path(context.run_id, asset.task, attempt_number)
    )
    try:
        failure = _attempt(job, attempt, context, log, checked)
    finally:
        log.close()
    if failure is not None:  # its stderr outlives the file
        return dataclasses.replace(failure, stderr_tail=log.stderr_tail())
    keep_reported(log)
    return None


def rehearse(
    job: Job,
    look: Callable[[Attempt], T],
    wrap: Callable[[str], str] | None = None,
) -> Failure | T:
    """Run the transform into staging and ``look`` at what it left, then
    remove it: the outputs in place are never replaced (``doit assets
    reproduce`` and ``audit``). ``wrap`` turns the rendered shell command into
    the one that runs (``strace ... -- sh -c COMMAND``); the attempt is
    neither logged nor recorded in the history."""
    asset = job.asset
    context = job.context or RunContext()
    attempt = Attempt(asset.root, asset.paths, Registry(run=context.run))
    refused = attempt.refuse(job.external_roots, dict, asset.task, replacing=False)
    if refused is not None:
        return Failure(refused, retryable=False)
    try:
        failure = _staged(job, attempt, context, AttemptLog(None), wrap)
        return failure if failure is not None else look(attempt)
    except OSError as err:
        where = f" '{err.filename}'" if err.filename else ""
        return Failure(f"cannot write{where}: {err.strerror or err}")
    finally:
        attempt.end()


def _attempt(
    job: Job,
    attempt: Attempt,
    context: RunContext,
    log: AttemptLog,
    checked: Callable[[Sequence[CheckOutcome]], None] | None,
) -> Failure | None:
    asset = job.asset
    # issue 16 (audit): [settings] strict_io traces a shell transform
    strict = StrictIO.of(
        asset.task, asset.root, asset.call is not None, context.settings
    )
    refused = strict.refusal() if strict is not None else None
    if strict is not None and refused is not None:
        strict.close()
        return Failure(refused, retryable=False)
    try:
        wrap = strict.wrap if strict is not None else None
        failure = _staged(job, attempt, context, log, wrap)
        if failure is not None:
            return failure
        problem = strict.stray() if strict is not None else None
        if problem is not None:  # the transform itself succeeded
            return Failure(problem, exit_code=0)
        if asset.checks:  # on the staged outputs: a blocking failure keeps the old
            outcomes = run_checks(asset, attempt)
            if checked is not None:
                checked(outcomes)
            refused = blocking_failure(asset.task, outcomes)
            if refused is not None:
                return Failure(refused, exit_code=0)
        attempt.publish(durable=True)
        return None
    except OSError as err:  # a full disk, a folder that cannot be made, ...
        where = f" '{err.filename}'" if err.filename else ""
        return Failure(
            f"cannot write{where}: {err.strerror or err}; the previous output is kept"
        )
    finally:
        attempt.end()
        if strict is not None:
            strict.close()


def _staged(
    job: Job,
    attempt: Attempt,
    context: RunContext,
    log: AttemptLog,
    wrap: Callable[[str], str] | None,
) -> Failure | None:
    """Begin the attempt, run the transform into staging, and check what it
    left (every output, of its kind; nothing it read gone)."""
    asset = job.asset
    attempt.begin()
    before = {o: stamp(attempt.full(o)) for o in asset.paths}
    failure = run_transform(
        asset,
        attempt,
        before,
        context.before_output,
        log,
        wrap=wrap,
        settings=context.settings,
    )
    if failure is not None:
        return failure
    hint = COMMAND_HINT if asset.call is None else PYTHON_HINT
    problem = attempt.check(before, hint) or _gone(job)
    return None if problem is None else Failure(problem, exit_code=0)


def run_transform(
    asset: PlannedAsset,
    attempt: Attempt,
    before: Mapping[str, Any],
    before_output: Sequence[Callable[[], None]] = (),
    log: AttemptLog | None = None,
    wrap: Callable[[str], str] | None = None,
    settings: Mapping[str, object] | None = None,
) -> Failure | None:
    """The transform of ``asset``, writing to ``attempt``'s staging paths;
    what it prints and reports goes to ``log``. ``wrap``: see ``rehearse``;
    ``settings``: the project's (``pass_env``)."""
    log = log or AttemptLog(None)
    settings = settings or {}
    if asset.call is not None:
        variables = (
            transform_environment(asset, settings)
            if changes_environment(asset, settings)
            else None
        )
        with printed_into(log), environment_set(variables):
            failure = _run_python(asset, asset.call, attempt, log)
        if failure is not None and failure.traceback:
            # in the file; not in the stderr tail, whose reason is its message
            log.write("".join(failure.traceback).encode(), stderr=True, tail=False)
        return failure
    assert asset.command is not None

    def watch() -> str | None:
        touched = [o for o in asset.paths if stamp(attempt.full(o)) != before[o]]
        if not touched:
            return None
        existed = any(before[o] for o in touched)
        return overwritten(touched, COMMAND_HINT, existed)

    command = rendered(asset.command, asset.paths, attempt)
    if wrap is not None:
        command = wrap(command)
    reported = metadata_file(attempt)
    try:
        code = run_command(
            command,
            asset.root,
            started=attempt.started,
            watch=watch,
            before_output=before_output,
            timeout=asset.timeout,
            log=log,
            env=shell_environment(asset, settings, {METADATA_VARIABLE: reported}),
        )
    except _Overwritten as stopped:
        return Failure(f"{stopped}. It was stopped: {asset.transform}")
    except TimedOut:
        assert asset.timeout is not None
        took = duration_text(asset.timeout)
        return Failure(f"transform timed out after {took}: {asset.transform}")
    if code < 0:
        return Failure(
            f"transform was killed by {_signal_name(-code)}: {asset.transform}",
            exit_code=code,
        )
    if code != 0:
        return Failure(
            f"transform exited with code {code}: {asset.transform}",
            exit_code=code,
        )
    log.reported, problem = read_reported(reported)
    if problem is not None:
        return Failure(f"asset '{asset.task}': {problem}", exit_code=0)
    return None


def metadata_file(attempt: Attempt) -> str:
    """``$DOIT_ASSETS_METADATA``: a file in the attempt's (first) staging folder."""
    folder = attempt.full(next(iter(attempt.folders.values())))
    return os.path.join(os.path.abspath(folder), METADATA_FILE)


def rendered(command: str, outputs: tuple[str, ...], attempt: Attempt) -> str:
    """The command with each marked output replaced by its staging path."""
    parts = command.split(MARK)
    for i in range(1, len(parts), 2):
        staged = attempt.staged(outputs[int(parts[i])])
        parts[i] = shlex.quote(staged.rstrip("/") or staged)
    return "".join(parts)


def duration_text(seconds: float) -> str:
    """``0.2s``, ``5s``, ``10m``, ``1h30m``: as a user would write it."""
    if seconds < 60 and seconds != int(seconds):
        return f"{seconds:g}s"
    return format_duration(seconds)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _run_python(
    asset: PlannedAsset, call: PythonCall, attempt: Attempt, log: AttemptLog
) -> Failure | None:
    """Call the function with its upstream assets bound by name; a value asset
    (the call has a store) keeps the return value. A ``MaterializeResult``
    carries the value and the metadata ``log`` keeps."""
    from ..model.results import MaterializeResult
    from ..model.values import STORES

    kwargs = _arguments(call, asset.prefix, attempt)
    try:
        result = call.fn(**kwargs)
    # the user's code: report it, with its traceback; sys.exit() in a function
    # fails its asset, not the whole run (Ctrl-C still stops the run)
    except (Exception, SystemExit) as err:
        tb = err.__traceback__.tb_next if err.__traceback__ else None
        lines = traceback.format_exception(type(err), err, tb)
        return Failure(f"{type(err).__name__}: {err}", traceback=tuple(lines))
    if isinstance(result, MaterializeResult):
        log.reported, problem = checked_metadata(result.metadata)
        if problem is not None:
            return Failure(f"asset '{asset.task}': {problem}")
        result = result.value
    if call.store is not None:
        target = Path(attempt.full(attempt.staged(asset.paths[0])))
        try:
            STORES[call.store].dump(result, target)
        except Exception as err:  # a value the store cannot write
            return Failure(
                f"the value store '{call.store}' cannot keep the returned "
                f"{type(result).__name__}: {type(err).__name__}: {err}. Return a "
                "value it can write, or choose another store with 'io'"
            )
    elif result is not None:
        return Failure(
            f"returned {_article(type(result).__name__)}, but a file asset writes its "
            "output. Write to the 'output' parameter, or remove 'path' to "
            "keep the return value"
        )
    return None


def _arguments(call: PythonCall, prefix: str, attempt: Attempt) -> dict[str, Any]:
    """Each binding as the function receives it. Paths are relative to doit's
    working directory."""
    from ..model.partitions import PartitionKey
    from ..model.values import STORES

    kwargs: dict[str, Any] = {}
    for param, kind, paths, store in call.bindings:
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
            staged = [prefix + attempt.staged(p) for p in paths]
            if kind == "outputs" or len(staged) > 1:
                kwargs[param] = tuple(Path(p) for p in staged)
            else:
                kwargs[param] = Path(staged[0])
        elif len(paths) > 1:
            kwargs[param] = tuple(Path(p) for p in paths)
        else:
            kwargs[param] = Path(paths[0])
    return kwargs


def _article(noun: str) -> str:
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"


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
