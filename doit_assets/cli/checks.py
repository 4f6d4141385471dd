"""``doit assets checks``: the answer of inspect/check_answers.py as a table or JSON."""

from __future__ import annotations

import argparse
import sys

from ..inspect.check_answers import checks_answer
from ..text import first_line, local_time, table
from .jsontext import print_json


def checks_command(args: argparse.Namespace) -> int:
    answer = checks_answer(args.file, args.dodo, args.selection)
    if args.json:
        return print_json(answer.to_dict())
    if not answer.rows:
        which = "the selected assets" if args.selection else "any asset"
        sys.stdout.write(f"No checks declared for {which}.\n")
        return 0
    rows = []
    for row in answer.rows:
        last = row.last
        rows.append(
            [
                row.task,
                row.check.name,
                "yes" if row.check.blocking else "no",
                row.state,
                "-" if last is None else f"#{last.materialization_id}",
                "-" if last is None else local_time(last.checked_at),
                "" if last is None else first_line(last.message),
            ]
        )
    headers = ["ASSET", "CHECK", "BLOCKING", "RESULT", "MAT", "CHECKED", "MESSAGE"]
    sys.stdout.write(table(headers, rows, right=set()))
    counts = answer.counts
    total = len(answer.rows)
    parts = [f"{n} {state}" for state, n in counts.items() if n]
    noun = "check" if total == 1 else "checks"
    sys.stdout.write(f"\n{total} {noun}: {', '.join(parts)}\n")
    return 0
