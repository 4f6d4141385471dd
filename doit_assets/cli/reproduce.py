"""``doit assets reproduce``: rebuild the selected assets into staging and say
whether they came out identical (run/reproduce.py), as lines or JSON.

It holds the run lock throughout, as a run does, so that no run changes an
input or an output while it rebuilds. What the transforms print goes to
stderr: stdout is the answer (``--json`` stays parseable).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from typing import TextIO, get_args

from ..inspect.history_answers import partitions_and_keys
from ..paths import HISTORY_FILE
from ..plan.loading import load_plan
from ..plan.plan import Plan
from ..plan.records import PlannedGroup
from ..run.compare import DIFF_BYTES, Difference, Version
from ..run.context import RunContext
from ..run.lock import RunLock
from ..run.reproduce import Reproduction, Verdict, reproduce
from ..store.history import History
from ..store.queries import HistoryQueries
from ..text import format_size, short_md5
from .jsontext import print_json

# Exit codes (docs/cli.md): without --check only a failed rebuild fails the
# command; with --check a difference or a failed rebuild exits 1 and, when
# neither happened, a refusal 2 (nothing was proven); 3 is an error of the
# command itself (a selection, the lock).
DIFFERS = 1
REFUSED = 2
INTERRUPTED = (
    "interrupted: no output was replaced; what was not reproduced yet was not compared"
)
INTERRUPTED_CODE = 130  # 128 + SIGINT, as a shell reports Ctrl-C
BROKEN_PIPE_CODE = 141  # 128 + SIGPIPE, as a shell reports a closed pipe


def reproduce_command(args: argparse.Namespace) -> int:
    context = RunContext()
    plan = load_plan(args.file, args.dodo, context.warned)
    context.settings = plan.settings
    names = chosen(plan, args.selection)
    out = sys.stdout
    lock = RunLock()
    lock.acquire("doit assets reproduce")
    try:
        found = _reproduced(plan, names, context, out, stream=not args.json)
    except KeyboardInterrupt:  # the transform's group is stopped, its staging gone
        sys.stderr.write(f"{INTERRUPTED}\n")
        return INTERRUPTED_CODE
    except BrokenPipeError:  # '| head': the reader has what it wanted
        _silence(out)
        return BROKEN_PIPE_CODE
    finally:
        lock.release()
    try:
        if args.json:
            print_json(
                {
                    "reproductions": [r.to_dict() for r in found],
                    "summary": _counts(found),
                }
            )
        else:
            out.write(summary_text(found))
            out.flush()
    except BrokenPipeError:
        _silence(out)
        return BROKEN_PIPE_CODE
    return exit_code(found, check=args.check)


def _reproduced(
    plan: Plan, names: Sequence[str], context: RunContext, out: TextIO, *, stream: bool
) -> list[Reproduction]:
    """Each reproduction, its lines written to ``out`` as it comes (``stream``);
    what the transforms print goes to stderr meanwhile."""
    found = []
    with _history() as history, contextlib.redirect_stdout(sys.stderr):
        for reproduction in reproduce(plan, names, history, context):
            found.append(reproduction)
            sys.stderr.write("".join(reproduction.traceback))  # as a run shows it
            if stream:
                out.write(reproduction_text(reproduction))
                out.flush()
    return found


def _silence(out: TextIO) -> None:
    """Point stdout at /dev/null: Python's last flush at exit must not fail
    on the closed pipe again (and print a traceback)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, out.fileno())
    os.close(devnull)


def chosen(plan: Plan, selection: Sequence[str]) -> list[str]:
    """The tasks the arguments name, in the plan's order: ``KEY:PARTITION``
    as it is, a partitioned asset named whole as its key (its partitions),
    every asset when none is named."""
    named, selected = partitions_and_keys(plan, selection)
    partitions, keys = set(named), set(selected)
    names = []
    for item in plan.items:
        if isinstance(item, PlannedGroup) or item.partition is None:
            if item.key in keys:
                names.append(item.key)
        elif item.task in partitions and item.key not in keys:
            names.append(item.task)
    return names


@contextlib.contextmanager
def _history() -> Iterator[HistoryQueries | None]:
    if not os.path.exists(HISTORY_FILE):
        yield None
        return
    with History.open(HISTORY_FILE, readonly=True) as history:
        yield history


def exit_code(found: Sequence[Reproduction], *, check: bool) -> int:
    verdicts = {r.verdict for r in found}
    if "failed" in verdicts or (check and "differs" in verdicts):
        return DIFFERS
    if check and "refused" in verdicts:
        return REFUSED
    return 0


def reproduction_text(found: Reproduction) -> str:
    """``report: identical``; ``stamp: differs``, then what differs, indented."""
    if found.verdict == "identical":
        return f"{found.task}: identical\n"
    if found.verdict == "source":
        return f"{found.task}: skipped: {found.reason}\n"
    if found.verdict != "differs":
        return f"{found.task}: {found.verdict}: {found.reason}\n"
    lines = [f"{found.task}: differs"]
    for difference in found.differences:
        lines += ["  " + line for line in difference_lines(difference)]
    return "\n".join(lines) + "\n"


def difference_lines(found: Difference) -> list[str]:
    """One line of sizes and digests, then a text file's diff."""
    current, rebuilt = found.current, found.rebuilt
    if found.change == "added":
        assert rebuilt is not None
        return [f"{found.path}: only in the rebuild, {_version(rebuilt)}"]
    if found.change == "removed":
        assert current is not None
        return [f"{found.path}: not in the rebuild, {_version(current)}"]
    assert current is not None and rebuilt is not None
    kind = _CONTENT[found.content]
    lines = [f"{found.path}{kind}: {_version(current)} → {_version(rebuilt)}"]
    lines += ["  " + line for line in found.diff]
    if found.more:
        more = "line" if found.more == 1 else "lines"
        lines.append(f"  ... {found.more} more {more} of the diff")
    return lines


_CONTENT = {
    "text": "",
    "binary": " (binary)",
    "large": f" (over {DIFF_BYTES // 1024} KiB: no diff)",
}


def _version(version: Version) -> str:
    return f"{format_size(version.size)} {short_md5(version.md5)}"


def _word(verdict: str, count: int) -> str:
    if verdict == "source":
        return "skipped (sources)" if count > 1 else "skipped (a source)"
    return "differ" if verdict == "differs" and count > 1 else verdict


def summary_text(found: Sequence[Reproduction]) -> str:
    if not found:
        return "Nothing selected to reproduce.\n"
    counts = _counts(found)
    parts = [f"{n} {_word(verdict, n)}" for verdict, n in counts.items()]
    noun = "asset" if len(found) == 1 else "assets"
    text = f"\n{len(found)} {noun}: {', '.join(parts)}\n"
    if "refused" in counts:
        text += (
            "A refused asset is not made from what is there now: materialize it "
            "('doit assets materialize SELECTION'), then reproduce it.\n"
        )
    return text


def _counts(found: Sequence[Reproduction]) -> dict[str, int]:
    """How many of each verdict, in the order of ``Verdict``."""
    counts: dict[str, int] = {}
    for verdict in get_args(Verdict):
        n = sum(1 for r in found if r.verdict == verdict)
        if n:
            counts[verdict] = n
    return counts
