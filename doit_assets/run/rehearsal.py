"""The child Python of ``doit assets audit`` for one Python asset.

``python -m doit_assets.run.rehearsal TASK ASSETS_FILE DODO BEGIN END RESULT``
loads the project as a run would, opens the file BEGIN, rehearses the asset
(execute.rehearse: its function into staging, nothing published), opens END,
and writes RESULT: ``{"failure": message or null, "modules": [files]}``.
strace runs it (audit.py); what happened between the two opens is what the
function did, and the module files are what it imported, not what it read.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from ..plan.loading import load_plan
from .execute import Failure, job_of, rehearse


def main(argv: Sequence[str]) -> int:
    task, assets_file, dodo, begin, end, result = argv
    try:
        plan = load_plan(assets_file, dodo or None)
    except Exception as err:  # the parent loaded it: only a race can get here
        _report(result, f"the project did not load again: {err}", [])
        return 0
    job = job_of(plan, plan.by_task[task])
    with open(begin, "rb"):
        pass
    done = rehearse(job, lambda attempt: None)
    with open(end, "rb"):
        pass
    modules = [
        path
        for module in list(sys.modules.values())
        if isinstance(path := getattr(module, "__file__", None), str)
    ]
    _report(result, done.message if isinstance(done, Failure) else None, modules)
    return 0


def _report(result: str, failure: str | None, modules: list[str]) -> None:
    with open(result, "w", encoding="utf-8") as f:
        json.dump({"failure": failure, "modules": modules}, f)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
