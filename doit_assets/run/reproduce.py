"""``doit assets reproduce``: rebuild an asset into staging and compare.

An asset is reproduced only where a rebuild can prove something: it has been
materialized, and its inputs, upstream outputs, definition (fingerprint) and
outputs are still those its last successful materialization recorded in the
history. Otherwise it is refused, naming the first file (or the fingerprint)
that differs, with both digests. The rebuild runs through ``rehearse``
(execute.py), which never replaces an output; what it staged is compared
with the outputs in place (compare.py) while it exists. Nothing is recorded.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..paths import STATE_FILE, is_directory
from ..plan.environment import changed_components, code_changed
from ..plan.plan import Plan
from ..plan.records import PlannedAsset
from ..store.queries import HistoryQueries
from ..store.records import Input, Materialization, Output
from ..store.saved import read_values
from ..store.versions import FINGERPRINT, file_md5, output_state
from ..text import md5_change, short_md5
from .compare import Difference, differences
from .context import RunContext
from .execute import Failure, job_of, rehearse
from .staging import Attempt

# identical and differs: rebuilt and compared; refused: not a reproduction
# (the reason says why); failed: the rebuild failed; source: nothing rebuilds it
Verdict = Literal["identical", "differs", "refused", "failed", "source"]
NEVER_MADE = "never materialized: there is nothing to compare with"
NO_PARTITION_MADE = (
    "no partition was ever materialized: there is nothing to compare with"
)
SOURCE = "a source asset: no transform makes it"


@dataclass(frozen=True, slots=True)
class Reproduction:
    """What reproducing one asset (or partition) found."""

    task: str
    verdict: Verdict
    reason: str | None = None  # why it was refused or failed; a source's note
    materialization_id: int | None = None  # the one compared with
    differences: tuple[Difference, ...] = ()
    exit_code: int | None = None  # a failed transform's, when it ran to an end
    traceback: tuple[str, ...] = ()  # a failed Python transform's

    def to_dict(self) -> dict[str, Any]:
        asset, colon, partition = self.task.partition(":")
        return {
            "asset": asset,
            "partition": partition if colon else None,
            "result": self.verdict,
            "reason": self.reason,
            "materialization_id": self.materialization_id,
            "exit_code": self.exit_code,
            "differences": [d.to_dict() for d in self.differences],
        }


def reproduce(
    plan: Plan,
    names: Sequence[str],
    history: HistoryQueries | None,
    context: RunContext | None = None,
) -> Iterator[Reproduction]:
    """Reproduce each of ``names`` (``KEY``, ``KEY:PARTITION``) in turn. A
    partitioned asset named whole stands for its partitions that were made."""
    context = context or RunContext(settings=plan.settings)
    sources = frozenset(k for k, info in plan.infos.items() if info.kind == "source")
    for name in names:
        group = plan.groups.get(name)
        if group is None:
            yield reproduce_one(plan, plan.by_task[name], history, context, sources)
            continue
        if group.kind == "source":  # one line, not one per partition
            yield Reproduction(name, "source", SOURCE)
            continue
        made = [t for t in group.tasks if _last_success(history, t) is not None]
        if not made:
            yield Reproduction(name, "refused", NO_PARTITION_MADE)
        for task in made:
            yield reproduce_one(plan, plan.by_task[task], history, context, sources)


def reproduce_one(
    plan: Plan,
    asset: PlannedAsset,
    history: HistoryQueries | None,
    context: RunContext,
    sources: Collection[str] = (),
) -> Reproduction:
    """Reproduce one task; ``sources``: the project's source assets, whose
    files are named as inputs."""
    task = asset.task
    if asset.kind == "source":
        return Reproduction(task, "source", SOURCE)
    last = _last_success(history, task)
    if last is None or history is None:
        return Reproduction(task, "refused", NEVER_MADE)
    reads = plan.file_dep(asset)
    refused = why_not(
        asset,
        [asset.project_path(p) for p in (*reads, *asset.dir_inputs)],
        last,
        history.inputs(last.id),
        history.outputs(last.id),
        sources,
        # accept and reset-dep record a fingerprint in doit's state only
        saved_fingerprint=_saved_fingerprint(asset, last),
        environment=plan.environment.get(task),
    )
    # a tool whose version command fails: what it would make is not known
    broken = [m.problem for m in plan.missing(asset) if m.kind == "tool_failed"]
    refused = broken[0] if broken else refused
    if refused is not None:
        return Reproduction(task, "refused", refused, last.id)
    job = job_of(plan, asset, context)

    def look(attempt: Attempt) -> list[Difference]:
        found: list[Difference] = []
        for output in asset.paths:
            staged = attempt.full(attempt.staged(output))
            found += differences(output, attempt.full(output), staged)
        return found

    done = rehearse(job, look)
    if isinstance(done, Failure):
        return Reproduction(
            task, "failed", done.message, last.id, (), done.exit_code, done.traceback
        )
    return Reproduction(
        task, "differs" if done else "identical", None, last.id, tuple(done)
    )


def why_not(
    asset: PlannedAsset,
    reads: Sequence[str],
    last: Materialization,
    inputs: Sequence[Input],
    outputs: Sequence[Output],
    sources: Collection[str] = (),
    *,
    saved_fingerprint: str | None = None,
    environment: Mapping[str, Any] | None = None,
) -> str | None:
    """Why a rebuild of ``asset`` now would not reproduce ``last`` (its last
    successful materialization, which read ``inputs`` and wrote ``outputs``),
    or None. ``reads``: what it reads now, relative to the project; the files
    of ``sources`` are named as inputs, those of other assets as their outputs.
    Its definition is unchanged if its fingerprint is the last
    materialization's or ``saved_fingerprint`` (doit's, which ``accept``
    records); ``environment``: its components now, to name what changed."""
    since = f"since its last materialization (#{last.id})"
    owners = {asset.project_path(p): o for p, o in asset.owner_assets().items()}
    recorded = {i.path for i in inputs}
    for path in reads:
        if path not in recorded:
            what = _what(path, owners.get(path), sources)
            return f"{what} is new {since}, which did not read it"
    for item in inputs:
        what = _what(item.path, item.asset, sources)
        now = _md5_now(asset.root, item.path)
        if now is None:
            return (
                f"{what} no longer exists; its last materialization (#{last.id}) "
                f"read {short_md5(item.md5)}"
            )
        if now != item.md5:
            return f"{what} changed {since}: {md5_change(item.md5, now)}"
    if asset.fingerprint not in (last.fingerprint, saved_fingerprint):
        change = _definition_change(asset, last, outputs, environment)
        return f"its definition changed {since}: {change}"
    for output in outputs:
        now = _md5_now(asset.root, output.path)
        if now is None:
            return (
                f"output '{output.path}' is missing; its last materialization "
                f"(#{last.id}) wrote {short_md5(output.md5)}"
            )
        if now != output.md5:
            return f"output '{output.path}' was changed {since}: " + md5_change(
                output.md5, now
            )
    return None


def _definition_change(
    asset: PlannedAsset,
    last: Materialization,
    outputs: Sequence[Output],
    environment: Mapping[str, Any] | None,
) -> str:
    """``fingerprint OLD → NEW``, after the components of the environment that
    changed (``env 'SEED', tool 'sort --version' (fingerprint ...)``) when
    nothing else did: not its transform, code or paths."""
    fingerprint = f"fingerprint {md5_change(last.fingerprint, asset.fingerprint)}"
    if last.environment is None:  # made before the history kept it
        return fingerprint
    named = changed_components(last.environment, environment)
    code = code_changed(
        last.code_version, asset.code_version, last.environment, environment
    )
    paths = sorted(o.path for o in outputs) != sorted(asset.paths)
    if not named or code or paths or last.transform != asset.transform:
        return fingerprint
    return f"{', '.join(named)} ({fingerprint})"


def _saved_fingerprint(asset: PlannedAsset, last: Materialization) -> str | None:
    """The fingerprint doit's state holds, read only where the history's differs."""
    if last.fingerprint == asset.fingerprint:
        return None
    return read_values(STATE_FILE, asset.task).get(FINGERPRINT)


def _what(path: str, owner: str | None, sources: Collection[str]) -> str:
    if owner is None or owner in sources:
        return f"input '{path}'"
    return f"output '{path}' of upstream '{owner}'"


def _md5_now(root: str, path: str) -> str | None:
    full = os.path.join(root, path)
    if is_directory(path):
        state = output_state(full)
        return None if state is None else str(state["md5"])
    try:
        return file_md5(full)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


def _last_success(history: HistoryQueries | None, task: str) -> Materialization | None:
    if history is None:
        return None
    key, colon, partition = task.partition(":")
    return history.last_success(key, partition if colon else None)
