"""``doit assets sensors``: each sensor, what it triggers, and its latest answer."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ..model.clock import format_duration
from ..paths import HISTORY_FILE
from ..plan.loading import load_plan
from ..store.history import History
from ..text import first_line, local_time, table
from .jsontext import print_json


def sensors_command(args: argparse.Namespace) -> int:
    plan = load_plan(args.file, args.dodo)
    answers: dict[str, tuple[float, str | None, str | None]] = {}
    if os.path.exists(HISTORY_FILE):
        with History.open(HISTORY_FILE) as history:
            answers = history.last_answers()
    found: list[dict[str, Any]] = []
    for sensor in plan.sensors:
        at, value, error = answers.get(sensor.name, (None, None, None))
        found.append(
            {
                "name": sensor.name,
                "declared_at": sensor.location,
                "interval_s": sensor.interval,
                "triggers": list(sensor.triggers),
                "observed_at": at,
                "answer": value,
                "error": error,
            }
        )
    if args.json:
        return print_json({"sensors": found})
    if not found:
        sys.stdout.write("No sensors declared ([sensors.NAME] in assets.toml).\n")
        return 0
    rows = [
        [
            s["name"],
            format_duration(s["interval_s"]),
            ", ".join(s["triggers"]),
            local_time(s["observed_at"]) if s["observed_at"] else "never",
            first_line(s["error"]) if s["error"] else (s["answer"] or "-"),
        ]
        for s in found
    ]
    headers = ["SENSOR", "EVERY", "TRIGGERS", "OBSERVED", "ANSWER"]
    sys.stdout.write(table(headers, rows, right=set()))
    return 0
