"""The typed plan: one record per asset (per partition) that a run would make.

``PlannedAsset`` is one doit task: an asset, or one partition of one. A
partitioned asset also has a ``PlannedGroup``: the doit group task ``KEY`` that
runs its partitions, and what they share. Both are ``NamedTuple``s: building
10 000 of them must cost next to nothing (a frozen dataclass costs ten times
as much here), they are tuples at the cache boundary, and every field has a
name and a type everywhere else.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, Literal, NamedTuple

from ..load.imports import resolve_function
from ..model.checks import CheckKind
from ..model.partitions import SEPARATOR
from ..model.windows import TimeKind

Kind = Literal["source", "transform"]
# How a parameter of a Python transform is bound (see PythonCall):
# a file's Path, a value, several partitions' files or values, where to write,
# the partition key.
Binding = Literal["file", "value", "files", "values", "output", "outputs", "partition"]
# One upstream asset of a planned asset: its key, the files of it that this
# one reads (as doit sees them), and for each of those files the doit task that
# makes it (``KEY`` or ``KEY:PARTITION``): file ownership is planned, never
# guessed.
Upstream = tuple[str, tuple[str, ...], tuple[str, ...]]

# In a shell command, where a staged output goes: MARK, its index, MARK. A
# staging folder is known only when an attempt begins; a NUL never reaches a
# command otherwise (the loader refuses it).
MARK = "\0"

# Seconds before the first retry when neither the asset nor [settings] says (issue 14)
DEFAULT_RETRY_DELAY = 5.0


class PythonCall:
    """A Python transform: the function, how each parameter is bound, and the
    value store of a value asset. Travels to ``doit -n`` workers by reference
    (``module:qualname``): the module attribute may be the ``@asset`` wrapper."""

    __slots__ = ("bindings", "fn", "store")

    def __init__(
        self,
        fn: Callable[..., Any],
        bindings: tuple[tuple[str, Binding, tuple[str, ...], str | None], ...],
        store: str | None,
    ) -> None:
        self.fn = fn
        self.bindings = bindings
        self.store = store

    @property
    def reference(self) -> str:
        return f"{self.fn.__module__}:{self.fn.__qualname__}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_python_call, (self.reference, self.bindings, self.store))

    def __repr__(self) -> str:
        return f"python {self.reference}"


def _python_call(
    reference: str,
    bindings: tuple[tuple[str, Binding, tuple[str, ...], str | None], ...],
    store: str | None,
) -> PythonCall:
    return PythonCall(resolve_function(reference), bindings, store)


class PlannedCheck(NamedTuple):
    """One check of a planned asset, run on its staged outputs (run/checks.py).

    ``argument``: True (non_empty), a number of rows, column names, the schema
    file (relative to the project), the shell command (its staged outputs
    marked, as ``command``), or the ``PythonCall`` of an ``@asset_check``
    (its store: the asset's, for a value asset). ``definition``: the check as
    the user knows it (``min_rows = 10``, the command with final paths,
    ``python module:function``); a blocking check's goes into the fingerprint.
    """

    name: str
    kind: CheckKind
    blocking: bool
    argument: Any
    definition: str
    description: str | None
    location: str | None


class PlannedAsset(NamedTuple):
    """One doit task: an asset, or one partition of a partitioned asset."""

    kind: Kind
    key: str
    partition: str | None
    doc: str
    paths: tuple[str, ...]  # its outputs, relative to the project (dirs end in '/')
    targets: tuple[str, ...]  # the same, as doit sees them (from its working dir)
    upstream: tuple[Upstream, ...]
    location: str | None  # where it is declared: file:line
    metadata: dict[str, Any]
    code_version: str | None
    root: str  # the project directory
    prefix: str  # how doit's working directory reaches the project's files
    transform: str | None  # as the user knows it: final paths, or "python mod:fn"
    fingerprint: str | None
    command: str | None  # the shell command, its staged outputs marked (MARK)
    call: PythonCall | None
    observe: str | Callable[[], object] | None  # an observable source's question
    file_dep: tuple[str, ...]  # upstream files (its own inputs come from the disk)
    dir_inputs: tuple[str, ...]  # upstream folders, which doit cannot hash
    max_age: float | None
    group: str
    tags: tuple[str, ...]
    partitions: str | None  # its partitions, described ("daily from ...")
    time_kind: TimeKind | None  # the kind of its time dimension, if it has one
    # Retries, timeouts, pools and on_failure (issue 14): how it runs, not what
    # it makes, so none of them is in the fingerprint. [settings] resolved.
    retries: int  # attempts after the first failed one
    retry_delay: float  # seconds before the first retry, doubled for each next
    timeout: float | None  # seconds an attempt of a shell transform may run
    pool: tuple[str, int] | None  # its pool, and how many of it may run at once
    on_failure: str | None  # a command run once it has failed for good
    # checks: what its staged outputs must pass before they are published
    checks: tuple[PlannedCheck, ...] = ()
    # Automation (issue 15): when watch and tick make it, not what it makes
    # (not in the fingerprint): "eager", "on_missing", "manual", "cron:EXPR"
    automation: str = "eager"
    timezone: str | None = None  # a cron's zone, [settings] resolved
    interval: float | None = None  # an observable source's, in seconds
    # Reproducibility (issue 16): the variables set for its transform ([settings]
    # env merged in, the asset's own winning), in its fingerprint; the commands
    # that print its tools' versions ([settings] requires first), whose output
    # enters its fingerprint when a run plans it (plan/environment.py)
    env: tuple[tuple[str, str], ...] = ()
    requires: tuple[str, ...] = ()
    # a Python asset's automatic code version covers these: the interpreter's
    # major.minor and the installed distributions its code imports
    python: str | None = None
    packages: tuple[tuple[str, str], ...] = ()
    code: str = ""  # the digest of its code alone, for why (else "")

    @property
    def task(self) -> str:
        """The doit task: ``KEY``, or ``KEY:PARTITION``."""
        return self.key if self.partition is None else f"{self.key}:{self.partition}"

    @property
    def observable(self) -> bool:
        return self.observe is not None

    @property
    def task_dep(self) -> tuple[str, ...]:
        """The doit tasks that make what it reads, each once, in order."""
        return tuple(dict.fromkeys(t for _, _, tasks in self.upstream for t in tasks))

    def owners(self) -> dict[str, str]:
        """Each upstream file it reads -> the task that makes it."""
        return {
            path: task
            for _, files, tasks in self.upstream
            for path, task in zip(files, tasks, strict=True)
        }

    def owner_assets(self) -> dict[str, str]:
        """Each upstream file it reads -> the asset that makes it."""
        return {path: key for key, files, _ in self.upstream for path in files}

    def project_path(self, path: str) -> str:
        """doit's path (relative to its working directory) -> the project's."""
        prefix = self.prefix
        return path[len(prefix) :] if prefix and path.startswith(prefix) else path

    def __repr__(self) -> str:
        # What doit info shows of it (doit prints a task's meta): the facts, not
        # every field; the command is shown as the user wrote it.
        where = f" at {self.location}" if self.location else ""
        made = f": {self.transform}" if self.transform else ""
        return f"<{self.kind} asset '{self.task}'{where}{made}>"

    def observed_as(self) -> str | None:
        """The observation as ``show`` and the history name it."""
        if self.observe is None or isinstance(self.observe, str):
            return self.observe
        return f"python {self.observe.__module__}:{self.observe.__qualname__}"


class PlannedGroup(NamedTuple):
    """A partitioned asset as a whole: doit's group task ``KEY``, which runs its
    partitions, and what they share."""

    kind: Kind
    key: str
    doc: str
    paths: tuple[str, ...]  # templates with {partition}
    deps: tuple[str, ...]  # upstream asset keys
    location: str | None
    metadata: dict[str, Any]
    code_version: str | None
    transform: str | None  # the shell template as written; None for Python
    max_age: float | None
    group: str
    tags: tuple[str, ...]
    partitions: str  # described
    time_kind: TimeKind | None
    tasks: tuple[str, ...]  # its partitions' tasks, KEY:PARTITION, in order
    # Automation (issue 15), as each of its partitions has it
    automation: str = "eager"
    timezone: str | None = None
    # which part of a partition key (split at '|') is its time window; None:
    # no time dimension (issue 15: a watcher makes the newest window only)
    time_part: int | None = None

    @property
    def observable(self) -> bool:
        return False

    def newest(self) -> tuple[str, ...]:
        """Its partitions of the newest time window (all of them, without time)."""
        if self.time_part is None or not self.tasks:
            return self.tasks
        part = self.time_part

        def window(task: str) -> str:
            return task.partition(":")[2].split(SEPARATOR)[part]

        latest = max(window(t) for t in self.tasks)
        return tuple(t for t in self.tasks if window(t) == latest)

    def __repr__(self) -> str:
        where = f" at {self.location}" if self.location else ""
        return f"<{self.kind} asset '{self.key}'{where}: {self.partitions}>"


Planned = PlannedAsset | PlannedGroup


class PlannedSensor(NamedTuple):
    """A sensor (issue 15): ``observe`` (a shell command, or a function of no
    arguments) is asked every ``interval`` seconds; when its answer changes,
    ``triggers`` (asset keys) are materialized."""

    name: str
    observe: str | Callable[[], object]
    interval: float  # seconds
    triggers: tuple[str, ...]
    location: str | None  # file:line
    description: str | None


def fingerprint(
    transform: str,
    code_version: str | None,
    paths: tuple[str, ...],
    blocking_checks: tuple[str, ...] = (),
    env: tuple[tuple[str, str], ...] = (),
) -> str:
    """A stable digest of everything that defines how an asset is made.

    ``transform`` is the template rendered with final, project-relative paths,
    so the fingerprint does not depend on where the project lives.
    ``blocking_checks`` (each check's name and definition) decide what is
    published, so they count; a warning does not. ``env``: the variables set
    for it. Without checks or env, the digest is what it was before they
    existed, so that no asset runs again for them.
    """
    parts: list[Any] = [transform, code_version, paths]
    if blocking_checks:
        parts.append(blocking_checks)
    if env:  # by name: the order a table is written in says nothing
        parts.append({"env": dict(sorted(env))})
    text = json.dumps(parts, separators=(",", ":"))
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def with_environment(static: str, tools: Any, inherited: Any) -> str:
    """The fingerprint with what only a run knows: the versions its tools
    print and the inherited variables [settings] fingerprint_env names."""
    if not tools and not inherited:
        return static
    text = json.dumps([static, tools, inherited], sort_keys=True)
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def to_tuples(items: list[Planned]) -> list[tuple[Any, ...]]:
    """The plan as plain tuples, for ``marshal`` (a group is marked by its length)."""
    return [
        _plain_checks(item)
        if isinstance(item, PlannedAsset) and item.checks
        else tuple(item)
        for item in items
    ]


def from_tuples(rows: list[tuple[Any, ...]]) -> list[Planned]:
    made = PlannedAsset._make
    group = PlannedGroup._make
    width = len(PlannedAsset._fields)
    return [
        (_with_checks(row) if row[_CHECKS] else made(row))
        if len(row) == width
        else group(row)
        for row in rows
    ]


# checks: marshal keeps plain tuples only, so a check is one in the cache
_CHECKS = PlannedAsset._fields.index("checks")


def _plain_checks(asset: PlannedAsset) -> tuple[Any, ...]:
    row = list(asset)
    row[_CHECKS] = tuple(tuple(check) for check in asset.checks)
    return tuple(row)


def _with_checks(row: tuple[Any, ...]) -> PlannedAsset:
    asset = PlannedAsset._make(row)
    return asset._replace(checks=tuple(PlannedCheck._make(c) for c in asset.checks))
