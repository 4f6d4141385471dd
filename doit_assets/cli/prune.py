"""``doit assets history --prune [--older-than DURATION] [--json]``: retention now.

Removes what ``[settings] keep_history`` (or ``--older-than``) lets go, with
the logs of the removed attempts and the logs older than ``keep_logs``
(store/retention.py says what is always kept). It changes the history, so it
takes the run lock: it never prunes under a run going on.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping

from ..errors import AssetError
from ..model.clock import now, parse_duration
from ..paths import HISTORY_FILE
from ..plan.loading import load_plan
from ..run.lock import RunLock
from ..store.history import History
from ..store.retention import Pruned, prune
from .history import NO_HISTORY
from .jsontext import print_json

DURATION_HINT = 'Write a number and a unit: s, m, h, d or w (for example "90d")'


def prune_command(args: argparse.Namespace) -> int:
    if not args.prune:
        raise AssetError(
            "--older-than goes with --prune",
            hint="'doit assets history --prune --older-than 90d'",
        )
    settings = load_plan(args.file, args.dodo).settings
    age, seconds = _age(args.older_than, settings)
    if not os.path.exists(HISTORY_FILE):
        sys.stdout.write(NO_HISTORY.format(path=HISTORY_FILE))
        return 0
    lock = RunLock()
    lock.acquire("doit assets history --prune")
    try:
        with History.open(HISTORY_FILE) as history:
            pruned = prune(history, settings, now(), seconds)
    finally:
        lock.release()
    if args.json:
        return print_json({"older_than": age, "pruned": _counts(pruned)})
    sys.stdout.write(pruned_text(pruned, age))
    return 0


def _age(given: str | None, settings: Mapping[str, object]) -> tuple[str, float]:
    """The age beyond which the history goes: --older-than, or keep_history."""
    if given is not None:
        seconds = parse_duration(given)
        if seconds is None:
            raise AssetError(
                f"--older-than must be a duration like \"90d\", got '{given}'",
                hint=DURATION_HINT,
            )
        return given, seconds
    value = settings.get("keep_history")
    if not isinstance(value, str):
        raise AssetError(
            "history --prune needs an age: set [settings] keep_history, or give "
            "--older-than",
            hint='For example keep_history = "90d" in assets.toml\'s [settings]',
        )
    seconds = parse_duration(value)
    assert seconds is not None  # checked when the project loaded
    return value, seconds


def _counts(pruned: Pruned) -> dict[str, int]:
    return {
        "materializations": pruned.materializations,
        "runs": pruned.runs,
        "backfills": pruned.backfills,
        "logs": pruned.logs,
        "kept": pruned.kept,
        "observations": pruned.observations,
    }


def pruned_text(pruned: Pruned, age: str) -> str:
    """What a prune removed and kept, in two lines at most."""
    parts = [
        _count(pruned.materializations, "materialization"),
        _count(pruned.runs, "run"),
    ]
    if pruned.backfills:
        parts.append(_count(pruned.backfills, "backfill"))
    if pruned.observations:
        parts.append(_count(pruned.observations, "sensor answer"))
    parts.append(_count(pruned.logs, "log file"))
    text = f"removed {', '.join(parts[:-1])} and {parts[-1]} older than {age}\n"
    if pruned.kept:
        text += (
            f"kept {_count(pruned.kept, 'older materialization')}: the latest of "
            "each asset, and what the kept ones were made from\n"
        )
    return text


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
