"""``doit assets audit [SELECTION] [--json]``: what transforms read and write
without declaring it (issue 16).

Each selected asset (each partition) is rehearsed under strace
(run/audit.py): into staging, its outputs in place never touched, under the
project's run lock as a run is. Exit 0 when every asset is clean, 1 when
something was found or could not be audited, 3 on an error.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import AssetError
from ..inspect.history_answers import named_tasks
from ..plan.loading import load_plan
from ..plan.records import PlannedAsset
from ..run.audit import AssetAudit, audit_asset, merged, owners_of
from ..run.context import RunContext
from ..run.lock import RunLock
from ..run.trace import strace_unavailable
from .jsontext import print_json

COMMAND = "doit assets audit"


def audit_command(args: argparse.Namespace) -> int:
    unavailable = strace_unavailable(COMMAND)
    if unavailable is not None:
        raise AssetError(unavailable[0], hint=unavailable[1])
    context = RunContext()
    plan = load_plan(args.file, args.dodo, context.warned)
    # one partition (KEY:PARTITION, as doit strace names it), or a selection
    tasks = named_tasks(plan, args.selection)
    assets = [asset for task in tasks if _audited(asset := plan.by_task[task])]
    lock = RunLock()
    lock.acquire(COMMAND)
    try:
        owners = owners_of(plan)
        audits = merged(
            [audit_asset(plan, a, args.file, args.dodo, owners) for a in assets]
        )
    finally:
        lock.release()
    if args.json:
        print_json(
            {
                "clean": all(a.clean for a in audits),
                "assets": [a.as_json() for a in audits],
            }
        )
    else:
        sys.stdout.write(audit_text(audits))
    return 0 if all(a.clean for a in audits) else 1


def _audited(asset: PlannedAsset) -> bool:
    return asset.kind == "transform" and not asset.observable


def audit_text(audits: list[AssetAudit]) -> str:
    """One line per finding; then how many assets were audited and found clean."""
    lines = [line for audit in audits for line in audit.lines()]
    clean = sum(a.clean for a in audits)
    noun = "asset" if len(audits) == 1 else "assets"
    if not audits:
        lines.append("No transform selected: nothing to audit.")
    elif clean == len(audits):
        lines.append(
            f"Audited {len(audits)} {noun}: each reads and writes only what "
            "it declares."
        )
    else:
        lines.append(
            f"Audited {len(audits)} {noun}: {clean} clean, "
            f"{len(audits) - clean} with findings."
        )
    return "".join(line + "\n" for line in lines)
