"""The one place where a transform runs, and where its outputs are made atomic.

A transform writes to staging paths beside its final outputs; only when it
succeeds and every output is there are they moved into place with
``os.replace``. On failure, Ctrl-C or SIGKILL the previous good outputs stay, and
nothing half-written can ever be taken as up to date.

``run_command`` is the seam a remote executor would replace: it receives a
fully rendered command and a working directory and reports an exit code.
"""

from __future__ import annotations

import codecs
import contextlib
import importlib
import inspect
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from doit.exceptions import TaskFailed

from .spec import is_directory

STAGING_PREFIX = ".doit-assets-staging."
LONGEST_ARGUMENT = 100_000  # bytes; Linux refuses one argument over 128 KiB


def staging_path(path: str) -> str:
    """``build/model.pkl`` stages as ``build/.doit-assets-staging.model.pkl``.

    Beside the output, so on its file system and the final move is atomic;
    ending like it, so that tools which pick a format from the extension
    still see the right one; hidden, and ignored by ``doit assets init``.
    """
    head, tail = os.path.split(path.rstrip("/"))
    staged = os.path.join(head, STAGING_PREFIX + tail)
    return staged + "/" if is_directory(path) else staged


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


def run_command(command: str, cwd: str) -> int:
    """Run a shell command, streaming its output through doit's streams.

    One thread reads both pipes as data arrives (a selector, not a thread per
    pipe): doit shows or captures what the transform prints, as it would for
    its own commands.
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
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    try:
        with selectors.DefaultSelector() as selector:
            for pipe, target in ((proc.stdout, sys.stdout), (proc.stderr, sys.stderr)):
                decoder = codecs.getincrementaldecoder("utf-8")("replace")
                selector.register(pipe, selectors.EVENT_READ, (target, decoder))
            while selector.get_map():
                for key, _ in selector.select():
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
        return proc.wait()
    finally:
        proc.stdout.close()
        proc.stderr.close()
        if proc.poll() is None:  # interrupted: do not leave the transform running
            proc.kill()
            proc.wait()
        if script:
            os.unlink(script)


# Called before a transform's output reaches the terminal (the progress line
# erases itself there, so that the two never share a line).
BEFORE_OUTPUT: list[Callable[[], None]] = []


@dataclass(frozen=True, slots=True)
class CommandJob:
    """A rendered shell transform: run ``command`` in ``cwd``, outputs staged."""

    key: str
    command: str
    cwd: str
    outputs: tuple[str, ...]  # final paths, relative to cwd; dirs end in '/'
    shown: str = ""  # the command as the user knows it: final paths, for messages
    write_hint = (
        "Write each output to the path {self.path} gives; it is moved into place "
        "when the transform succeeds"
    )

    def run(self) -> TransformFailed | None:
        code = run_command(self.command, self.cwd)
        if code != 0:
            return TransformFailed(
                f"transform exited with code {code}: {self.shown or self.command}",
                exit_code=code,
            )
        return None


@dataclass(frozen=True)
class PythonJob:
    """A Python transform: call ``fn`` with its upstream assets bound by name.

    ``bindings`` are (parameter, kind, paths, store): kind 'file' passes the
    path(s), 'value' the value loaded with ``store``, 'output'/'outputs' the
    staging path(s) to write. A value asset (``store`` set) keeps the return
    value. Paths are relative to doit's working directory.
    """

    key: str
    fn: Callable[..., Any]
    cwd: str
    outputs: tuple[str, ...]
    bindings: tuple[tuple[str, str, tuple[str, ...], str | None], ...]
    store: str | None = None
    write_hint = (
        "Write each output to the path in the 'output' parameter; it is moved "
        "into place when the function returns"
    )

    def describe(self) -> str:
        return f"python {_reference(self.fn)}"

    def run(self) -> TransformFailed | None:
        from .partitions import PartitionKey
        from .values import STORES

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
            elif kind == "outputs" or len(paths) > 1:
                kwargs[param] = tuple(Path(p) for p in paths)
            else:
                kwargs[param] = Path(paths[0])
        try:
            result = self.fn(**kwargs)
        except Exception as err:  # the user's code: report it, with its traceback
            failure = TransformFailed(f"{type(err).__name__}: {err}")
            tb = err.__traceback__.tb_next if err.__traceback__ else None
            failure.traceback = traceback.format_exception(type(err), err, tb)
            return failure
        if self.store is not None:
            target = Path(self.cwd) / staging_path(self.outputs[0])
            STORES[self.store].dump(result, target)
        elif result is not None:
            return TransformFailed(
                f"returned {_article(type(result).__name__)}, but a file asset writes its "
                "output. Write to the 'output' parameter, or remove 'path' to "
                "keep the return value",
                exit_code=None,
            )
        return None

    def __reduce__(self) -> tuple[Any, ...]:
        # Under `doit -n` jobs travel by pickle; the function goes by name, and
        # its module attribute may be the @asset wrapper rather than the function.
        fields = (self.key, _reference(self.fn), self.cwd, self.outputs)
        return (_python_job, (*fields, self.bindings, self.store))


def _article(noun: str) -> str:
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"


def _reference(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}:{fn.__qualname__}"


def _python_job(
    key: str,
    reference: str,
    cwd: str,
    outputs: tuple[str, ...],
    bindings: tuple[tuple[str, str, tuple[str, ...], str | None], ...],
    store: str | None,
) -> PythonJob:
    module_name, _, qualname = reference.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        target = getattr(target, part)
    return PythonJob(key, getattr(target, "fn", target), cwd, outputs, bindings, store)


def materialize(job: CommandJob | PythonJob) -> TransformFailed | None:
    """doit action: run the transform on staging paths, then publish its outputs."""
    staged = [
        (final, os.path.join(job.cwd, staging_path(final))) for final in job.outputs
    ]
    _discard(staged)
    try:
        for _, stage in staged:
            os.makedirs(
                stage if is_directory(stage) else os.path.dirname(stage) or ".",
                exist_ok=True,
            )
        before = {final: _stamp(job.cwd, final) for final in job.outputs}
        failure = job.run()
        if failure is not None:
            return failure
        missing = [final for final, stage in staged if not os.path.exists(stage)]
        if missing:
            names = ", ".join(f"'{m}'" for m in missing)
            touched = [m for m in missing if _stamp(job.cwd, m) != before[m]]
            if touched:
                problem = (
                    f"transform wrote {', '.join(repr(m) for m in touched)} in place "
                    "instead of to its staging path"
                )
            else:
                problem = f"transform succeeded but did not write {names}"
            return TransformFailed(f"{problem}. {job.write_hint}", exit_code=0)
        for final, stage in staged:
            _publish(stage, os.path.join(job.cwd, final))
        return None
    finally:
        _discard(staged)


def _stamp(cwd: str, path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(os.path.join(cwd, path.rstrip("/")))
    except FileNotFoundError:
        return None
    return (st.st_size, st.st_mtime_ns)


def _publish(stage: str, final: str) -> None:
    stage, final = stage.rstrip("/"), final.rstrip("/")
    if os.path.isdir(stage) and os.path.isdir(final):
        # Directories cannot be replaced in one step: move the old one aside
        # first, so that a crash in between leaves the output missing (and so
        # re-run next time), never mixed.
        head, tail = os.path.split(final)
        old = os.path.join(head, STAGING_PREFIX + tail + ".old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final, old)
        os.replace(stage, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        if os.path.isdir(final):
            shutil.rmtree(final)
        os.replace(stage, final)


def _discard(staged: Sequence[tuple[str, str]]) -> None:
    """Remove what a transform staged and did not publish (a failure, a kill)."""
    for _, stage in staged:
        bare = stage.rstrip("/")
        if os.path.isdir(bare):
            shutil.rmtree(bare, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(bare)


def remove_outputs(paths: Sequence[str]) -> None:
    """doit ``clean`` action: remove files and directory outputs alike."""
    for path in paths:
        bare = path.rstrip("/")
        if os.path.isdir(bare):
            shutil.rmtree(bare)
            print(f"{bare}/ - removed")
        elif os.path.exists(bare):
            os.remove(bare)
            print(f"{bare} - removed")


# doit inspects an action's signature on every run of every task; a ready one
# saves that work (it is a measurable part of a build of many small assets).
materialize.__signature__ = inspect.signature(materialize)  # type: ignore[attr-defined]
