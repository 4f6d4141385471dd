"""The one place where a transform runs, and where its outputs are made atomic.

A transform writes to staging paths beside its final outputs; only when it
succeeds and every output is there are they moved into place with
``os.replace``. On failure, Ctrl-C or SIGKILL the previous good outputs stay, and
nothing half-written can ever be taken as up to date.

``run_command`` is the seam a remote executor would replace: it receives a
fully rendered command and a working directory and reports an exit code.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

from doit.exceptions import TaskFailed

from .spec import is_directory

STAGING_PREFIX = ".doit-assets-staging."


def staging_path(path: str) -> str:
    """``build/model.pkl`` stages as ``build/.doit-assets-staging.model.pkl/model.pkl``.

    The file keeps its own name (tools that pick a format from the extension
    still see it) and its own file system, so the final move is atomic.
    """
    head, tail = os.path.split(path.rstrip("/"))
    staged = os.path.join(head, STAGING_PREFIX + tail, tail)
    return staged + "/" if is_directory(path) else staged


@dataclass(frozen=True, slots=True)
class CommandJob:
    """A rendered shell transform: run ``command`` in ``cwd``, outputs staged."""

    key: str
    command: str
    cwd: str
    outputs: tuple[str, ...]  # final paths, relative to cwd; dirs end in '/'
    shown: str = ""  # the command as the user knows it: final paths, for messages


class TransformFailed(TaskFailed):  # type: ignore[misc]
    """A transform exited non-zero or did not write its outputs."""

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def run_command(command: str, cwd: str) -> int:
    """Run a shell command, streaming its output through doit's captured streams."""
    proc = subprocess.Popen(
        command,
        shell=True,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    pump = threading.Thread(target=_copy, args=(proc.stderr, sys.stderr), daemon=True)
    pump.start()
    try:
        _copy(proc.stdout, sys.stdout)
        pump.join()
        return proc.wait()
    finally:
        if proc.poll() is None:  # interrupted: do not leave the transform running
            proc.kill()
            proc.wait()


def _copy(source: IO[bytes], target: IO[str]) -> None:
    for line in iter(source.readline, b""):
        target.write(line.decode("utf-8", "replace"))
    source.close()


def materialize(job: CommandJob) -> TransformFailed | None:
    """doit action: run the transform on staging paths, then publish its outputs."""
    staged = [
        (final, os.path.join(job.cwd, staging_path(final))) for final in job.outputs
    ]
    _discard(staged)
    try:
        for _, stage in staged:
            os.makedirs(stage if is_directory(stage) else os.path.dirname(stage))
        code = run_command(job.command, job.cwd)
        if code != 0:
            return TransformFailed(
                f"transform exited with code {code}: {job.shown or job.command}",
                exit_code=code,
            )
        missing = [final for final, stage in staged if not os.path.exists(stage)]
        if missing:
            return TransformFailed(
                "transform succeeded but did not write "
                + ", ".join(f"'{m}'" for m in missing)
                + ". Write each output to the path given by {self.path}",
                exit_code=0,
            )
        for final, stage in staged:
            _publish(stage, os.path.join(job.cwd, final))
        return None
    finally:
        _discard(staged)


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
    for _, stage in staged:
        shutil.rmtree(os.path.dirname(stage.rstrip("/")), ignore_errors=True)


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
