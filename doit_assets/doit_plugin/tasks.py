"""The plan -> doit task dicts, and the task creator a ``dodo.py`` imports.

One planned asset is one doit task named by its key (a partition, the
sub-task ``KEY:PARTITION``): upstream files and ``inputs`` become ``file_dep``,
outputs become ``targets``, and ``AssetFreshness`` is the ``uptodate`` check
that covers what doit does not (definition, output content, directory
inputs). The planned record travels in ``task["meta"]["asset"]``, for the
reporter and ``doit info``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from types import FrameType, ModuleType
from typing import Any

from ..load.decorators import Declared, collect
from ..load.files import print_warnings
from ..load.toml import Project
from ..memory import collector_paused
from ..model.graph import AssetGraph
from ..paths import STATE_FILE, is_directory
from ..plan.plan import Plan, plan_of, plan_project
from ..plan.records import PlannedAsset, PlannedGroup
from ..run.context import RunContext
from ..run.execute import Job
from ..run.processes import forks_die_with_parent
from .actions import fail_missing, materialize, observe, remove_outputs
from .edge import reported_by_doit
from .failures import KEEP_GOING
from .freshness import AssetFreshness

BACKEND = "assets-sqlite"


def doit_config(**overrides: Any) -> dict[str, Any]:
    """``DOIT_CONFIG`` for an assets project: SQLite state under ``.doit-assets/``
    and the lineage reporter."""
    from .backend import MD5Checker
    from .reporter import LineageReporter

    config: dict[str, Any] = {
        "backend": BACKEND,
        "dep_file": STATE_FILE,
        "reporter": LineageReporter,
        # doit 0.37 crashes on a bare `doit forget`; ask for a name or --all instead
        "forget_disable_default": True,
        "check_file_uptodate": MD5Checker,
        # keep-going: true unless the command line or [settings] keep_going
        # says otherwise (failures.py)
        "continue": KEEP_GOING,
    }
    config.update(overrides)
    return config


class AssetTasks:
    """A doit task creator for the assets of one ``assets.toml``.

    Put an instance in a ``dodo.py``; doit calls ``create_doit_tasks`` when it
    loads tasks. It is an instance attribute on purpose: doit treats any object
    with that attribute as a creator, classes included.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = "assets.toml",
        reserved_names: frozenset[str] | None = None,
        *,
        standalone: bool = False,
        context: RunContext | None = None,
    ) -> None:
        self.path = path
        self.reserved_names = reserved_names
        self.standalone = standalone  # loaded by doit-assets, not from a dodo.py
        # The run's context: its own, unless whoever starts the run gives one
        # (doit assets materialize and backfill do, before doit loads the tasks).
        self.context = context or RunContext()
        self.create_doit_tasks = self._create

    def _create(self) -> Iterator[dict[str, Any]]:
        # ours and doit's Tasks, built as we yield, live as long as the run
        forks_die_with_parent()  # doit -n's workers, forked after this
        with reported_by_doit(), collector_paused(freeze=True):
            modules = self._home_modules()
            dodo = None if self.standalone else _dodo_alone(modules, self)
            if dodo is not None:
                self._triage(dodo)
            if self.context.cone is not None:
                _limit_state(self.context.cone)
            plan = self.plan(collect(modules))
            print_warnings(plan.on_disk.warnings, self.context.warned)
            made = doit_tasks(plan, self.context)
            # the manifest holds every task: not from a run of some (--only)
            every = self.context.cone is None and not self.context.only
            shaped = self.standalone or dodo is not None
            if plan.fast_path is not None and every and shaped:
                keep_shape(plan, made, dodo)
            yield from made

    def _triage(self, dodo: str) -> None:
        """``doit`` with a dodo.py that holds only this creator: the fast path's
        cone, as ``doit-assets`` has it (a plain run only: ``doit list``,
        ``clean``, ``forget`` and any selection see every task)."""
        from . import fastpath

        self.context.cone, self.context.fresh = None, ()
        if not _plain_run():
            return
        found = fastpath.triage(str(self.path), dodo)
        if not isinstance(found, fastpath.Cone):
            return
        found.lock.release()  # the run takes it again, its reporter first
        cone, fresh = found.tasks, found.fresh
        if not cone and fresh:
            # doit's reporter records the run of the tasks it gets: give it the
            # last one, which it will find up to date and print last, as always
            last = fresh[-1]
            cone = frozenset({last, last.partition(":")[0]})
            fresh = tuple(name for name in fresh if name not in cone)
        self.context.cone, self.context.fresh = cone, fresh

    def plan(self, python_assets: list[Declared], *, write_cache: bool = True) -> Plan:
        """The plan of this creator's project (with the @assets of its dodo.py);
        its settings go into the run's context, for the reporter."""
        plan = plan_project(
            self.path,
            self.reserved_names,
            python_assets,
            write_cache=write_cache,
            standalone=self.standalone,
            cone=self.context.cone,
        )
        self.context.settings = plan.settings
        self.context.fast_path = plan.fast_path
        return plan

    def _home_modules(self) -> list[ModuleType]:
        """The modules (a dodo.py) that hold this creator: their @assets belong here."""
        cwd = os.getcwd()
        found = []
        for module in list(sys.modules.values()):
            path = getattr(module, "__file__", None) or ""
            if path.startswith(cwd) and any(v is self for v in vars(module).values()):
                found.append(module)
        return found


def to_doit_tasks(
    project: Project, graph: AssetGraph, context: RunContext | None = None
) -> list[dict[str, Any]]:
    """One doit task dict per asset, in dependency order."""
    with reported_by_doit():
        plan = plan_of(project, graph)
    context = context or RunContext()
    context.settings = plan.settings
    return doit_tasks(plan, context)


def doit_tasks(plan: Plan, context: RunContext) -> list[dict[str, Any]]:
    """The doit task dicts of a plan (of the context's ``only`` assets, if any)."""
    roots = plan.external_roots
    items = plan.items
    cone = context.cone
    if cone is not None:  # the fast path's: the rest is up to date
        items = [
            i
            for i in items
            if (i.key if isinstance(i, PlannedGroup) else i.task) in cone
        ]
    if context.only:
        items = [
            i
            for i in items
            if context.chosen(i.key if isinstance(i, PlannedGroup) else i.task)
        ]
    made = []
    for item in items:
        if isinstance(item, PlannedGroup):
            made.append(_group_task(item))
        else:
            made.append(_task(item, plan, context, roots))
    return made


def _dodo_alone(modules: list[ModuleType], creator: AssetTasks) -> str | None:
    """The dodo.py, if it holds this creator and no other task (then the fast
    path may leave tasks out: nothing else can name them)."""
    if len(modules) != 1:
        return None
    for name, value in vars(modules[0]).items():
        if name.startswith("task_") and callable(value):
            return None
        if value is not creator and hasattr(value, "create_doit_tasks"):
            return None
    return getattr(modules[0], "__file__", None)


def _plain_run() -> bool:
    """Is doit running every task (``doit`` or ``doit run``, no task named,
    no default tasks, no ``--always-execute``), as a command of its own (not
    inside ``doit auto``, which watches the files of the tasks it gets)?
    doit tells a task creator nothing of its command: its frames do."""
    from doit.cmd_base import DoitCmdBase
    from doit.cmd_run import Run

    plain = False
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        command = frame.f_locals.get("self")
        if isinstance(command, Run) and frame.f_code.co_name == "execute":
            params = frame.f_locals.get("params") or {}
            plain = not frame.f_locals.get("args") and not any(
                params.get(option) for option in ("default_tasks", "always", "single")
            )
        elif isinstance(command, DoitCmdBase) and not isinstance(command, Run):
            return False  # run by another command (doit auto)
        frame = frame.f_back
    return plain


def _limit_state(cone: frozenset[str]) -> None:
    """doit's state needs reading for the cone's tasks alone."""
    from doit import Globals

    from .backend import AssetStateDB

    backend = getattr(Globals.dep_manager, "backend", None)
    if isinstance(backend, AssetStateDB):
        backend.limit(cone)


def keep_shape(plan: Plan, made: list[dict[str, Any]], dodo: str | None) -> None:
    """Write the fast path's manifest of this project's tasks."""
    from ..load.python_code import code_of
    from ..plan.environment import names_of
    from . import fastpath

    code = None
    if plan.python:
        code = code_of(os.getcwd(), dodo and os.path.realpath(dodo))
        if code is None:  # a command run at import, or a module imported unwatched
            fastpath.forget(dodo)
            return
    commands = dict.fromkeys(c for a in plan.assets for c in a.requires)
    fastpath.write(
        str(plan.fast_path),
        fastpath.tasks_of(made, _globbed(plan)),
        names_of(plan.settings, "fingerprint_env"),
        commands,
        plan.renews_at,
        dodo,
        code,
    )


def _globbed(plan: Plan) -> dict[str, tuple[Any, ...]]:
    """Each task whose ``inputs`` hold a glob or a folder -> what the fast path
    needs to expand them again: the check, the project, how doit reaches it,
    and the upstream files (a new file may match, and doit would run it)."""
    import glob

    checks = {c[0]: c for c in plan.file_checks if c[2]}
    found = {}
    for asset in plan.assets:
        check = checks.get(asset.key)
        if check is None:
            continue
        patterns = check[2]
        if any(
            glob.has_magic(p) or p.endswith("/") or os.path.isdir(p) for p in patterns
        ):
            found[asset.task] = (check, asset.root, asset.prefix, asset.file_dep)
    return found


def _group_task(group: PlannedGroup) -> dict[str, Any]:
    """The parent of partitions: ``doit KEY`` runs them."""
    return {
        "basename": group.key,
        "name": None,
        "doc": group.doc,
        "meta": {"asset_group": group},
    }


def _task(
    asset: PlannedAsset, plan: Plan, context: RunContext, roots: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The doit task dict of one planned asset; its meta carries the record and
    the run's context, for the reporter."""
    task_dep = asset.task_dep
    if context.only:
        task_dep = tuple(d for d in task_dep if context.chosen(d))
    if context.cone is not None:
        task_dep = tuple(d for d in task_dep if d in context.cone)
    task: dict[str, Any] = {
        "basename": asset.key,
        "doc": asset.doc,
        "meta": {"asset": asset, "run": context},
        "task_dep": list(task_dep),
    }
    if asset.partition is not None:
        task["name"] = asset.partition
    if asset.observable:
        # Observed on every run; downstream assets depend on the answer's file.
        task.update(
            actions=[(observe, [asset])], targets=list(asset.targets), uptodate=[False]
        )
        return task
    file_dep = plan.file_dep(asset)
    missing = plan.missing(asset)
    if asset.kind == "source":
        task["actions"] = None
        dirs = tuple(t for t in asset.targets if is_directory(t))
        if dirs:
            task["uptodate"] = [AssetFreshness("source", (), dirs)]
    else:
        job = Job(asset, tuple(file_dep), roots, context)
        clean = (
            remove_outputs,
            [asset.task, asset.root, asset.paths, asset.prefix, roots],
        )
        task.update(
            actions=[(materialize, [job])],
            targets=[t.rstrip("/") for t in asset.targets],
            uptodate=[
                AssetFreshness(
                    asset.fingerprint or "",
                    asset.targets,
                    asset.dir_inputs,
                    asset.max_age,
                    plan.environment.get(asset.task),
                )
            ],
            clean=[clean],
        )
    if missing:
        # It fails first thing, with the warning's words, instead of running
        # without the file (or failing later in doit's words).
        gone = {asset.prefix + m.path for m in missing}
        file_dep = [p for p in file_dep if p not in gone]
        failing = (fail_missing, [[m.message for m in missing]])
        task["actions"] = [failing, *(task.get("actions") or ())]
        task["uptodate"] = [*task.get("uptodate", ()), False]  # never skipped
    task["file_dep"] = file_dep
    return task
