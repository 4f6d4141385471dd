"""The ``doit-assets`` console script.

Light on purpose: a plain ``doit-assets`` is triaged by the fast path before
doit is imported: answered there when nothing is stale, else doit gets only
the tasks that can be.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args in (["assets", "status"], ["assets", "status", "--check"]):
        code = _in_project(_stamped_status)
        if code is not None:
            return int(code)
    found = _in_project(_triage) if not args else None
    if isinstance(found, int):
        return found
    from ..doit_plugin.loader import run
    from ..run.context import RunContext

    if found is None:
        return run(args)
    try:
        return run(args, RunContext(cone=found.tasks, fresh=found.fresh))
    finally:
        found.lock.release()


def _triage(toml: str) -> Any:
    from ..doit_plugin.fastpath import triage

    return triage(toml)


def _stamped_status(toml: str) -> int | None:
    from .stamped_status import stamped_status

    return stamped_status(toml)


def _in_project(answer: Callable[[str], Any]) -> Any:
    """A fast answer, in the project a run would load (``DOIT_ASSETS_FILE``
    names another file, maybe in another folder)."""
    folder, name = os.path.split(os.environ.get("DOIT_ASSETS_FILE") or "assets.toml")
    if not folder:
        return answer(name)
    start = os.getcwd()
    try:
        os.chdir(folder)
    except OSError:
        return None  # doit will say what is wrong with it
    found = answer(name)
    os.chdir(start)  # doit changes into the folder itself
    return found


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
