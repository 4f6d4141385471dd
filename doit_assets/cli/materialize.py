"""``doit assets materialize SELECTION``: run exactly the selected assets.

The selection is turned into doit task names and handed to doit's own ``run``,
in this process, with the loader the project uses (its dodo.py, or the
assets.toml alone), so that a materialization is the same as ``doit KEY``:
same state, same history, same reporter.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from doit.cmd_base import ModuleTaskLoader
from doit.doit_cmd import DoitMain

from ..doit_plugin.loader import AssetsLoader
from ..doit_plugin.tasks import AssetTasks
from ..errors import AssetError
from ..inspect.dryrun import ALWAYS, dry_run, dry_run_text, run_order
from ..inspect.status import project_status, unmade_input
from ..model.selection import select
from ..paths import HISTORY_FILE
from ..plan.loading import import_dodo, load_plan
from ..plan.plan import Plan
from ..run.context import RunContext
from ..store.history import History


def materialize_command(args: argparse.Namespace) -> int:
    context = RunContext()
    plan = load_plan(args.file, args.dodo, context.warned)
    keys: Sequence[str]
    if args.failed:
        left = _left_undone(plan, args.selection)
        if left is None:
            return 0
        keys = left
    else:
        keys = select(args.selection, plan)
    if not keys:
        raise AssetError(
            f"selection '{' '.join(args.selection)}' selects no asset",
            hint="'doit assets status SELECTION' shows what a selection holds",
        )
    if args.only:
        chosen = set(keys)
        unmade = unmade_input(
            plan, lambda name: name in chosen or name.partition(":")[0] in chosen
        )
        if unmade is not None:
            asset, owner, path = unmade
            raise AssetError(
                f"upstream '{owner}' has not been made ('{path}' does not exist)",
                key=asset.task,
                hint="Select it too, or leave out --only so that it is made first",
            )
    if args.dry_run:
        if args.only:  # as the run loads them: the selected assets alone
            plan = plan.only(keys)
        statuses = project_status(plan, keys)
        steps = dry_run(
            plan,
            run_order(plan, keys),
            statuses,
            always=any(option in ALWAYS for option in args.doit_args),
        )
        sys.stdout.write(dry_run_text(steps))
        return 0
    if args.only:
        context.only = frozenset(keys)
    return run_assets(
        args.file, keys, context, doit_args=args.doit_args, dodo=args.dodo
    )


def _left_undone(plan: Plan, selection: Sequence[str]) -> list[str] | None:
    """``--failed``: the tasks the last run left undone (failed, then blocked)
    that the project still declares, of the selection if one is given; None
    (having said why) when there is nothing to run."""
    run, tasks = None, list[str]()
    if os.path.exists(HISTORY_FILE):
        with History.open(HISTORY_FILE, readonly=True) as history:
            run, tasks = history.left_by_last_run()
    if run is None:
        sys.stdout.write("No run yet: nothing failed.\n")
        return None
    tasks = [t for t in tasks if t in plan.by_task]
    if selection:
        chosen = set(select(selection, plan))
        tasks = [t for t in tasks if t.partition(":")[0] in chosen]
    if not tasks:
        sys.stdout.write(
            f"Nothing failed in the last run (#{run.id}, {run.command}): "
            "nothing to run again.\n"
        )
        return None
    return tasks


def observe_command(args: argparse.Namespace) -> int:
    context = RunContext()
    plan = load_plan(args.file, args.dodo, context.warned)
    keys = [k for k in select(args.selection, plan) if plan[k].observable]
    if not keys:
        sys.stdout.write("No observable source selected: nothing to observe.\n")
        return 0
    context.only = frozenset(keys)
    return run_assets(args.file, keys, context, doit_args=[], dodo=args.dodo)


def run_assets(
    assets_file: str,
    keys: Sequence[str],
    context: RunContext,
    *,
    doit_args: Sequence[str],
    dodo: str | None = "dodo.py",
) -> int:
    """doit's ``run`` of these tasks (with ``context.only``: and no other asset),
    loaded from the dodo file ``dodo`` if it exists, else from ``assets_file``.
    The run's context goes to the task creators, which hand it to the reporter."""
    argv = ["run", *doit_args, *map(str, keys)]
    module = import_dodo(dodo)
    if module is not None:
        for creator in vars(module).values():
            if isinstance(creator, AssetTasks):
                creator.context = context
        code = DoitMain(ModuleTaskLoader(module)).run(argv)
    else:
        loader = AssetsLoader(context=context)
        code = DoitMain(loader).run(["run", "-f", assets_file, *argv[1:]])
    return int(code or 0)
