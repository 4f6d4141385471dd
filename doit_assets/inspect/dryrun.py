"""What a run would do, without running it: ``materialize --dry-run`` and the
commands of ``backfill --dry-run``, as ``make -n`` and ``snakemake -n`` show them.

Each step is a command with its final paths (a Python asset: ``python
module:function``), in the order doit would run them. Which ones run comes from
the status engine (status.py), which predicts what doit runs: an asset with a
cause of its own *would run*; one whose only causes are upstream assets that
will re-run *may run*, since doit runs it only if what they make comes out
different (early cutoff); an observable source is observed on every run.
Pure functions of the tasks and their statuses: nothing is read or written.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ..plan.plan import Plan
from .causes import AssetStatus

Verdict = Literal["would run", "may run", "would observe"]
ALWAYS = ("-a", "--always-execute")  # options of doit run that run everything


@dataclass(frozen=True, slots=True)
class Step:
    """One task the run would (or may) execute, and the command it would run."""

    task: str  # KEY, or KEY:PARTITION
    verdict: Verdict
    reason: str
    command: str


@dataclass(slots=True)
class DryRun:
    """The steps of a run, and how many of its assets would not run."""

    steps: list[Step] = field(default_factory=list)
    up_to_date: int = 0
    ignored: int = 0


def run_order(plan: Plan, selected: Iterable[str]) -> list[str]:
    """The asset tasks a run of ``selected`` executes, in the order doit's
    dispatcher (``doit.control.TaskDispatcher``) hands them to a one-process
    runner: a task queues its task_dep behind the tasks already ready and waits;
    it is ready again, at the back of the queue, once the last one is done."""
    # a group: its partitions
    deps: dict[str, list[str]] = {k: list(g.tasks) for k, g in plan.groups.items()}
    assets = set()
    for asset in plan.assets:
        deps[asset.task] = [d for d in asset.task_dep if d in plan.by_task]
        assets.add(asset.task)
    nodes: dict[str, _Node] = {}

    def node(name: str) -> _Node:
        nodes[name] = _Node(name, deps.get(name, []), nodes)
        return nodes[name]

    order: list[str] = []
    ready: deque[_Node] = deque()
    to_run = list(reversed(list(selected)))
    current: _Node | None = None
    while True:
        if current is None:
            if ready:
                current = ready.popleft()
            else:
                while to_run and current is None:
                    name = to_run.pop()
                    current = None if name in nodes else node(name)
                if current is None:
                    return order
        step = next(current.steps, None)
        if step is None:
            current = None
        elif isinstance(step, str):  # the dep to queue
            if step not in nodes:
                ready.append(node(step))
        elif step:  # ready to run: it runs, and what waits for it may be ready
            if current.name in assets:
                order.append(current.name)
            current.done = True
            for waiting in current.waiting_me:
                waiting.wait_for.discard(current.name)
                if not waiting.wait_for:
                    ready.append(waiting)
        else:  # waits for its deps
            current = None


class _Node:
    """One task in the dispatcher: its steps are the deps to queue (str), then
    False (wait) while some are not done, then True (run)."""

    def __init__(self, name: str, deps: list[str], nodes: dict[str, _Node]) -> None:
        self.name = name
        self.done = False
        self.wait_for: set[str] = set()
        self.waiting_me: list[_Node] = []
        self.steps = self._steps(deps, nodes)

    def _steps(self, deps: list[str], nodes: dict[str, _Node]) -> Iterator[str | bool]:
        yield from deps
        self.wait_for = {d for d in deps if not nodes[d].done}
        for dep in self.wait_for:
            nodes[dep].waiting_me.append(self)
        if self.wait_for:
            yield False
        yield True


def dry_run(
    plan: Plan,
    order: Sequence[str],
    statuses: dict[str, AssetStatus],
    *,
    always: bool = False,
) -> DryRun:
    """What each task of ``order`` would do, by its status (``always``: doit's
    ``--always-execute``, every transform runs)."""
    result = DryRun()
    # The status engine cannot know an observation's answer before the run: what
    # reads an observed source, and what reads that, may run.
    observed: set[str] = set()
    changing: set[str] = set()  # observed, or may run because of an observation
    for name in order:
        asset, status = plan.by_task[name], statuses[name]
        command = asset.transform or ""
        if asset.observable:
            asked = asset.observed_as() or ""
            result.steps.append(Step(name, "would observe", "", asked))
            observed.add(name)
            changing.add(name)
            continue
        if asset.kind == "source":
            continue  # nothing to run: doit only looks at the file
        if always:
            reason = "--always-execute runs it whatever its state"
            result.steps.append(Step(name, "would run", reason, command))
        elif status.state == "ignored":
            result.ignored += 1
        elif status.will_run:
            upstream = [
                c.upstream.asset
                for c in status.causes
                if c.kind == "upstream" and c.upstream
            ]
            if len(upstream) < len(status.causes):  # a cause of its own
                step = Step(name, "would run", status.reason, command)
            else:
                step = Step(name, "may run", _only_if(upstream), command)
            result.steps.append(step)
        elif upstream := sorted(set(asset.owners().values()) & changing):
            reason = _only_if(upstream, observations=set(upstream) <= observed)
            result.steps.append(Step(name, "may run", reason, command))
            changing.add(name)
        else:
            result.up_to_date += 1
    return result


def _only_if(upstream: list[str], *, observations: bool = False) -> str:
    names = " or ".join(f"'{name}'" for name in dict.fromkeys(upstream))
    if observations:
        return f"only if the observation of {names} changes"
    return f"only if what {names} makes comes out different"


def dry_run_text(result: DryRun) -> str:
    """The steps, each with its command indented under it, then one summary line."""
    lines = []
    for step in result.steps:
        head = f"{step.verdict} {step.task}"
        lines.append(f"{head}: {step.reason}" if step.reason else head)
        lines += command_lines(step.command)
    counts = {
        "would run": sum(1 for s in result.steps if s.verdict == "would run"),
        "may run": sum(1 for s in result.steps if s.verdict == "may run"),
        "to observe": sum(1 for s in result.steps if s.verdict == "would observe"),
        "up to date": result.up_to_date,
        "ignored": result.ignored,
    }
    parts = [f"{n} {what}" for what, n in counts.items() if n]
    if lines:
        lines.append("")
    lines.append("dry run, nothing ran: " + (", ".join(parts) or "no asset to run"))
    return "\n".join(lines) + "\n"


def command_lines(command: str, indent: str = "  ") -> list[str]:
    """A command under its task, every line of it indented."""
    return [indent + line for line in command.splitlines() or [""]]
