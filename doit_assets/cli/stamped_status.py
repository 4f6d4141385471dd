"""``doit-assets assets status`` when nothing is stale, answered from the stamps.

The fast path's triage (doit_plugin/fastpath.py) tells, without doit, that no
task can be stale; then every asset is fresh (or a source) and the table
needs only what the manifest and the stamps hold: each asset's kind, when it
was made, its ``max_age``. Anything else (a stale asset, checks whose
results the history holds, options) is answered the long way, by doit.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from ..doit_plugin.fastpath import look
from ..inspect.causes import STATES, State, partition_summary
from ..model import clock
from ..store.stamps import unpack
from ..text import table


def stamped_status(toml: str) -> int | None:
    """Print the status table and return 0, or None: ask doit."""
    found = look(toml)
    if found is None or found.cone:
        return None
    tasks = found.tasks  # the manifest's rows: fastpath.Task's fields
    if any(asset[2] or not asset[1] for _, _, _, asset, _ in tasks):
        return None  # checks (their results are in the history), or a stranger
    rows, counts = _rows(tasks, found.stamps)
    sys.stdout.write(table(["ASSET", "STATUS", "AGE", "REASON"], rows, set()))
    sys.stdout.write("\n" + summary_line(counts) + "\n")
    return 0  # nothing would run: --check passes too


def _rows(
    tasks: list[tuple[Any, ...]], stamps: Mapping[str, bytes]
) -> tuple[list[list[str]], dict[State, int]]:
    now = clock.now()
    made: dict[str, float | None] = {}
    max_ages: dict[str, float | None] = {}
    kinds: dict[str, str] = {}
    partitions: dict[str, int] = {}
    for name, _, _, (key, _, _), _ in tasks:
        if name != key:
            partitions[key] = partitions.get(key, 0) + 1
    for name, expected, _, (key, kind, _), _ in tasks:
        kinds.setdefault(key, kind)
        if name == key and key in partitions:
            continue  # the group: its partitions say it
        stamp = unpack(stamps.get(name)) if kind != "source" else None
        when = None if stamp is None else stamp.made_at
        if when is not None:
            made[key] = max(float(when), made.get(key) or 0.0)
        else:
            made.setdefault(key, None)
        if expected[5] is not None:  # max_age
            max_ages[key] = expected[5]
    rows = []
    counts: dict[State, int] = dict.fromkeys(STATES, 0)
    for key, kind in kinds.items():
        state: State = "source" if kind == "source" else "fresh"
        counts[state] += 1
        reason = ""
        if key in partitions:
            total = partitions[key]
            reason = partition_summary({state: total}, total, kind == "source")
        rows.append(
            [key, state, age_text(made.get(key), max_ages.get(key), now), reason]
        )
    return rows, counts


def age_text(made_at: float | None, max_age: float | None, now: float) -> str:
    text = "-" if made_at is None else clock.format_duration(max(0.0, now - made_at))
    if max_age is not None:
        text += f" / {clock.format_duration(max_age)}"
    return text


def summary_line(counts: Mapping[State, int], noun: str = "asset") -> str:
    """``3 assets: 1 fresh, 2 source``."""
    total = sum(counts.values())
    parts = [f"{n} {state}" for state, n in counts.items() if n]
    noun = noun if total == 1 else noun + "s"
    return f"{total} {noun}: " + (", ".join(parts) if parts else "none selected")
