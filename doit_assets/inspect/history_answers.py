"""The answers of ``doit assets history|runs|show|lineage``, as plain data.

Each function loads and queries what its command needs and returns the answer,
whose ``to_dict`` (lineage: ``data``) is its JSON, built from the dicts of
queries.py; the words and columns of the text are the command line's
(cli/history.py). ``None`` where an answer needs the history and there is none
yet. ``known_partition`` checks an asset named on the command line, for every
command that takes one.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import AssetError, did_you_mean
from ..load.tools import ToolVersion
from ..model.selection import select
from ..model.spec import AssetSpec
from ..paths import HISTORY_FILE
from ..plan.loading import load_plan, load_project
from ..plan.plan import Plan, plan_of
from ..plan.records import Kind, Planned, PlannedAsset, PlannedGroup
from ..run.lock import running_pid
from ..store.history import (
    ANY,
    History,
    Input,
    Materialization,
    Output,
    RecordedCheck,
    Run,
)
from ..store.retention import attempt_log
from .causes import AssetStatus, planned_check_dict
from .queries import (
    chain_downstream,
    chain_upstream,
    declared,
    materialization_dict,
    materialization_dict_of,
    outputs_on_disk,
    producer,
    run_dict,
)
from .status import project_status, summarize


def known_partition(plan: Plan, name: str) -> tuple[str, str | None]:
    """``KEY`` or ``KEY:PARTITION`` of a declared asset, or an AssetError."""
    key, colon, partition = name.partition(":")
    if key not in plan:
        raise AssetError(
            f"unknown asset '{key}'",
            hint=did_you_mean(key, plan.keys) or "'doit list' shows the assets",
        )
    if not colon:
        return key, None
    group = plan.groups.get(key)
    if group is None:
        raise AssetError(f"asset '{key}' has no partitions", hint=f"Name it as '{key}'")
    keys = [task.partition(":")[2] for task in group.tasks]
    if partition not in keys:
        raise AssetError(
            f"asset '{key}' has no partition '{partition}'",
            hint=did_you_mean(partition, keys)
            or f"'doit assets status {key} --partitions' lists them",
        )
    return key, partition


# KEY:PARTITION on the command line (a selection's 'group:' and 'tag:' aside)
_PARTITION = re.compile(r"[^\s(),+:]+:[^\s(),+]+")


def partitions_and_keys(
    plan: Plan, selection: Sequence[str]
) -> tuple[list[str], list[str]]:
    """What command-line arguments name: each ``KEY:PARTITION`` (an unknown
    one is an error), and the assets the other arguments select (every asset
    when nothing is named)."""
    partitions, expressions = [], []
    for word in selection:
        prefix = word.partition(":")[0]
        if _PARTITION.fullmatch(word) and prefix not in ("group", "tag"):
            known_partition(plan, word)
            partitions.append(word)
        else:
            expressions.append(word)
    keys = select(expressions, plan) if expressions or not partitions else []
    return list(dict.fromkeys(partitions)), [str(k) for k in keys]


def named_tasks(plan: Plan, selection: Sequence[str]) -> list[str]:
    """The doit tasks the arguments name: the partitions named, then every
    task (each partition) of the assets selected."""
    partitions, keys = partitions_and_keys(plan, selection)
    tasks = [t for key in keys for t in plan.tasks_of(key)]
    return list(dict.fromkeys([*partitions, *tasks]))


# -- history, runs -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HistoryAnswer:
    """Materializations, newest first, with what each wrote and (``inputs``,
    when asked for) what each read."""

    materializations: list[Materialization]
    outputs: dict[int, list[Output]]  # by materialization id
    inputs: dict[int, list[tuple[Input, Kind | None]]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "materializations": [
                materialization_dict_of(m, self.outputs[m.id], self.inputs[m.id])
                for m in self.materializations
            ]
        }


def history_answer(
    file: str,
    dodo: str | None,
    name: str | None,
    *,
    limit: int,
    failed_only: bool,
    with_inputs: bool = True,
) -> HistoryAnswer | None:
    """The materializations of ``name`` (an asset, one partition ``KEY:P``, or
    None: every asset), newest first; a name that is neither recorded nor
    declared is an AssetError. Without ``with_inputs``, what they read is not
    looked up (``inputs`` is empty)."""
    if not os.path.exists(HISTORY_FILE):
        return None
    with History.open(HISTORY_FILE) as history:
        asset, colon, partition = (name or "").partition(":")
        which = partition if colon else ANY
        if name and not history.materializations(asset, limit=1, partition=which):
            _check_known(file, dodo, name)
        mats = history.materializations(
            asset or None, limit=limit, failed_only=failed_only, partition=which
        )
        ids = [m.id for m in mats]
        inputs = history.inputs_with_kind_of(ids) if with_inputs else {}
        return HistoryAnswer(mats, history.outputs_of(ids), inputs)


def _check_known(file: str, dodo: str | None, name: str) -> None:
    """Raise for a name that is neither declared nor in the history."""
    try:
        plan = load_plan(file, dodo)
    except AssetError:
        return  # cannot tell; an empty answer will say there is nothing recorded
    known_partition(plan, name)


@dataclass(frozen=True, slots=True)
class RunsAnswer:
    """Runs, newest first; one whose doit was killed is ``interrupted``."""

    runs: list[Run]

    def to_dict(self) -> dict[str, Any]:
        return {"runs": [run_dict(r) for r in self.runs]}


def runs_answer(limit: int) -> RunsAnswer | None:
    """The last ``limit`` runs."""
    if not os.path.exists(HISTORY_FILE):
        return None
    with History.open(HISTORY_FILE) as history:
        live = running_pid()
        return RunsAnswer([_as_seen_now(r, live) for r in history.runs(limit)])


def _as_seen_now(run: Run, live: int | None) -> Run:
    """A run left 'running' by a doit that was killed is shown as interrupted
    (the next run records it so)."""
    if run.outcome == "running" and run.pid != live:
        return dataclasses.replace(run, outcome="interrupted")
    return run


# -- show ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShowAnswer:
    """One asset (or one partition): what is declared, what is on disk, its
    status, and its last materialization and attempt."""

    name: str  # as asked: KEY or KEY:PARTITION
    key: str
    spec: AssetSpec
    record: Planned  # the partition's, or the partitioned asset's as a whole
    status: AssetStatus
    transform: str | None  # a Python asset's: "python module:function"
    inputs: list[str]
    outputs: list[dict[str, Any]]  # a partitioned asset as a whole has none
    last_success: dict[str, Any] | None
    last_attempt: dict[str, Any] | None
    # checks: each declared check, with its latest result ("last", or None)
    checks: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    # everything that enters its fingerprint (issue 16): what makes it run again
    fingerprint: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def declared_at(self) -> str | None:
        return str(self.spec.location) if self.spec.location else None

    def to_dict(self) -> dict[str, Any]:
        spec = self.spec
        return {
            "asset": self.name,
            "partitions": spec.partitions.describe() if spec.partitions else None,
            "declared_at": self.declared_at,
            "kind": self.record.kind,
            "description": spec.description,
            "transform": self.transform,
            "code_version": self.record.code_version,
            "depends_on": list(spec.deps),
            "inputs": self.inputs,
            "outputs": self.outputs,
            "metadata": dict(spec.metadata),
            "status": {
                "state": self.status.state,
                "reasons": [c.text for c in self.status.causes],
            },
            "last_materialization": self.last_success,
            "last_attempt": self.last_attempt,
            **({"checks": self.checks} if self.checks else {}),
            "fingerprint_components": self.fingerprint,
        }


def show_answer(file: str, dodo: str | None, name: str) -> ShowAnswer:
    """``name`` (``KEY`` or ``KEY:PARTITION``) as ``doit assets show`` tells it."""
    project, graph = load_project(file, dodo)
    plan = plan_of(project, graph)
    key, partition = known_partition(plan, name)
    spec = graph[key]
    statuses = project_status(plan, [key])
    record = plan[key] if partition is None else plan.by_task[name]
    if isinstance(record, PlannedGroup):
        members = [statuses[n] for n in record.tasks]
        status = summarize(key, members, record)
        inputs = list(spec.inputs)
        outputs = []
    else:
        status = statuses[name]
        inputs = list(plan.inputs(record))
        outputs = outputs_on_disk(str(project.root), record.paths)
    transform = record.transform
    if transform is None and callable(spec.transform):
        transform = f"python {spec.transform.__module__}:{spec.transform.__qualname__}"
    which = ANY if partition is None else partition
    last = last_ok = None
    latest: dict[tuple[str, str], RecordedCheck] = {}
    if os.path.exists(HISTORY_FILE):
        with History.open(HISTORY_FILE) as history:
            attempts = history.materializations(key, limit=1, partition=which)
            last = materialization_dict(history, attempts[0]) if attempts else None
            success = history.last_success(key, which)
            last_ok = materialization_dict(history, success) if success else None
            if spec.checks:
                latest = history.latest_checks([key])
    checks = _declared_checks(plan, record, latest)
    return ShowAnswer(
        name,
        key,
        spec,
        record,
        status,
        transform,
        inputs,
        outputs,
        last_ok,
        last,
        checks,
        _fingerprint(plan, record, inputs),
    )


def _fingerprint(plan: Plan, record: Planned, inputs: list[str]) -> dict[str, Any]:
    """Every component of an asset's fingerprint (of a partitioned asset as a
    whole: its first partition's, but for the paths and inputs), and the
    files whose content doit compares."""
    first = record
    if isinstance(record, PlannedGroup):
        first = (plan.by_task.get(record.tasks[0]) if record.tasks else None) or record
    if not isinstance(first, PlannedAsset) or first.fingerprint is None:
        return {}
    found: dict[str, Any] = {
        "digest": first.fingerprint if first is record else None,
        "transform": first.transform if first is record else record.transform,
        "code_version": first.code_version,
        "paths": list(record.paths),
        "checks": [f"{c.name}: {c.definition}" for c in first.checks if c.blocking],
    }
    components = dict(plan.environment.get(first.task) or {})
    if "tools" in components:  # the version each printed, its first line
        components["tools"] = {
            command: ToolVersion(output).first_line
            for command, output in components["tools"].items()
        }
    found.update(components)
    upstream = [p for _, files, _ in first.upstream for p in files]
    found["inputs"] = inputs + (upstream if first is record else [])
    return found


def _declared_checks(
    plan: Plan, record: Planned, latest: dict[tuple[str, str], RecordedCheck]
) -> list[dict[str, Any]]:
    """checks: each check of one asset (or partition) and its latest result;
    of a partitioned asset as a whole, the latest of any partition."""
    tasks = record.tasks if isinstance(record, PlannedGroup) else (record.task,)
    first = plan.by_task.get(tasks[0]) if tasks else None
    found = []
    for check in first.checks if first is not None else ():
        results = [r for t in tasks if (r := latest.get((t, check.name)))]
        last = max(results, key=lambda r: r.id, default=None)
        found.append(planned_check_dict(check, last))
    return found


# -- lineage -------------------------------------------------------------------

_CHAINS = {"upstream": chain_upstream, "downstream": chain_downstream}


@dataclass(frozen=True, slots=True)
class LineageAnswer:
    """``data``: the answer, as its JSON; ``has_history``: whether there was a
    history to look in."""

    data: dict[str, Any]
    has_history: bool


def lineage_answer(
    file: str,
    dodo: str | None,
    name: str,
    *,
    upstream: bool,
    downstream: bool,
    depth: int | None,
) -> LineageAnswer:
    """The declared graph around one asset (one partition) and the recorded
    chain of materializations that made the current version of its outputs."""
    # The tasks, from the project cache: at 10 000 assets, validating the
    # project again would cost more than the whole answer.
    plan = load_plan(file, dodo)
    key, partition = known_partition(plan, name)
    if key in plan.groups and partition is None:
        raise AssetError(
            f"asset '{key}' has partitions: lineage follows one of them",
            hint=f"Name it as {key}:PARTITION; "
            f"'doit assets status {key} --partitions' lists them",
        )
    directions = [
        d
        for d, wanted in (("upstream", upstream), ("downstream", downstream))
        if wanted
    ]
    asset = plan.by_task[name]
    outputs = outputs_on_disk(asset.root, asset.paths)
    data: dict[str, Any] = {"asset": name, "outputs": outputs, "declared": {}}
    continued: dict[str, list[dict[str, Any]]] = {}
    for direction in directions:
        tree, deeper = declared(plan, key, direction, depth)
        data["declared"][direction] = tree
        if deeper:
            continued[direction] = deeper
    data["materialization"] = None
    for direction in directions:
        data[f"{direction}_chain"] = []
    has_history = os.path.exists(HISTORY_FILE)
    if has_history:
        with History.open(HISTORY_FILE) as history:
            mat_id = producer(history, outputs)
            if mat_id is not None:  # the current version was recorded
                for direction in directions:
                    chain = _CHAINS[direction](history, mat_id, depth)
                    data["materialization"] = chain[0]
                    data[f"{direction}_chain"] = chain[1:]
    if continued:  # the trees of assets met too deep to be expanded in place
        data["declared_continued"] = continued
    return LineageAnswer(data, has_history)


# -- logs ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LogAnswer:
    """The log of one attempt: of a recorded materialization, or of one that
    runs now (``materialization`` is then None)."""

    task: str  # KEY or KEY:PARTITION
    run_id: int
    path: str | None  # None: recorded without a log
    materialization: Materialization | None

    @property
    def running(self) -> bool:
        return self.materialization is None


def log_answer(
    file: str, dodo: str | None, name: str, run_id: int | None
) -> LogAnswer | None:
    """The log of the latest attempt of ``name`` (``KEY`` or ``KEY:PARTITION``),
    or of its attempt in run ``run_id``: one that runs now comes first. None
    without a history."""
    if not os.path.exists(HISTORY_FILE):
        return None
    with History.open(HISTORY_FILE, readonly=True) as history:
        running = _running_attempt(history, name, run_id)
        if running is not None:
            return running
        asset, colon, partition = name.partition(":")
        mat = history.last_attempt(asset, partition if colon else ANY, run_id)
    if mat is None:
        _check_known(file, dodo, name)
        where = "" if run_id is None else f" in run {run_id}"
        raise AssetError(
            f"no attempt of '{name}' is recorded{where}",
            hint=f"'doit assets history {name}' lists its materializations",
        )
    return LogAnswer(mat.task, mat.run_id, mat.log, mat)


def _running_attempt(
    history: History, task: str, run_id: int | None
) -> LogAnswer | None:
    """The attempt of ``task`` that the run going on now runs, if any."""
    runs = history.runs(1)
    if not runs or runs[0].outcome != "running" or runs[0].pid != running_pid():
        return None
    run = runs[0]
    if run_id not in (None, run.id):
        return None
    path = attempt_log(run.id, task, run.started_at)
    if path is None or history.recorded_log(run.id, path) is not None:
        return None
    return LogAnswer(task, run.id, path, None)
