"""Keep-going: a failure stops only what depends on it, and is reported so.

doit's option ``continue`` (``-c``) is False unless given. An assets project's
``DOIT_CONFIG`` (``doit_config()``) sets it to ``KEEP_GOING``, a true value
that no command line gives: the reporter, which knows the project's settings
once the tasks are loaded, turns it into ``[settings] keep_going`` (true when
not set). ``--continue`` and ``--no-continue`` give plain bools, which win.

What a failure blocked (doit's ``UnmetDependency``) is tracked here, by the
failures at its root: doit names only the direct dependency that did not
succeed, which may itself be blocked.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Iterable, Mapping, Sequence


class _KeepGoingUnlessSaid:
    """doit's ``continue`` when no command line set it: keep going, unless
    the project's ``[settings] keep_going`` says otherwise."""

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return "True"

    def __reduce__(self) -> str:
        return "KEEP_GOING"  # one object, also in a worker that unpickles it


KEEP_GOING = _KeepGoingUnlessSaid()


def keep_going(given: object, settings: Mapping[str, object]) -> bool:
    """The run's ``continue``: the command line's, else the setting, else true."""
    if given is KEEP_GOING:
        return settings.get("keep_going") is not False
    return bool(given)


class Blocking:
    """The failures of one run, and which of them blocked which task."""

    def __init__(self) -> None:
        self.failed: dict[str, None] = {}  # task names, in the order they failed
        self.blocked: dict[str, tuple[str, ...]] = {}  # task -> failures at its root

    def fail(self, task: str) -> None:
        self.failed[task] = None

    def blocks(self, task_dep: Iterable[str]) -> bool:
        """Does one of these dependencies stand in the way (failed or blocked)?"""
        if not (self.failed or self.blocked):
            return False  # the common case, at the cost of one test per task
        return any(d in self.failed or d in self.blocked for d in task_dep)

    def block(self, task: str, task_dep: Iterable[str]) -> tuple[str, ...]:
        """Note ``task`` as blocked; the failures that blocked it, in order."""
        roots: dict[str, None] = {}
        for dep in task_dep:
            if dep in self.failed:
                roots[dep] = None
            for root in self.blocked.get(dep, ()):
                roots[root] = None
        self.blocked[task] = found = tuple(roots)
        return found


# doit's options that choose the project: the command that runs the rest
# again needs them too (``doit -f sub/dodo.py assets materialize --failed``).
_PROJECT_OPTIONS = ("-f", "--file", "-d", "--dir")
_PROJECT_FLAGS = ("-k", "--seek-file")


def rerun_command(argv: Sequence[str] | None = None) -> str:
    """``doit assets materialize --failed``, with the options of ``argv`` (by
    default this process's) that chose the project."""
    args = list(sys.argv if argv is None else argv)
    program = os.path.basename(args[0]) if args else "doit"
    program = program if program == "doit-assets" else "doit"
    words = args[1:]
    within = bool(words) and words[0] == "assets"  # doit assets -f x.toml ...
    kept: list[str] = []
    rest = iter(words[1:] if within else words)
    for arg in rest:
        if arg == "--":
            break  # options of doit run, after doit assets materialize
        name = arg.split("=", 1)[0]
        if name in _PROJECT_FLAGS and not within:
            kept.append(arg)
        elif name in _PROJECT_OPTIONS:
            kept.append(arg)
            if "=" not in arg:
                kept.append(next(rest, ""))
        elif arg[:2] in ("-f", "-d") and len(arg) > 2:
            kept.append(arg)  # -fsub/dodo.py
    if within:
        return shlex.join([program, "assets", *kept, "materialize", "--failed"])
    return shlex.join([program, *kept, "assets", "materialize", "--failed"])
