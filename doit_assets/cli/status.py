"""``doit assets status|why|graph``: their answers (inspect/status_answers.py)
as text, JSON or a picture."""

from __future__ import annotations

import argparse
import os
import sys

from ..atomic import write_atomically
from ..draw.drawing import render
from ..inspect.causes import (
    STATES,
    AssetStatus,
    Cause,
    State,
    check_text,
    explained_status,
    explanation,
    partition_summary,
)
from ..inspect.status_answers import (
    StatusAnswer,
    WhyAnswer,
    graph_answer,
    status_answer,
    why_answer,
)
from ..model import clock
from ..model.traversal import Shown
from ..paths import GRAPH_PAGE
from ..text import local_time, md5_change, table
from .jsontext import print_json
from .stamped_status import age_text, summary_line


def status_command(args: argparse.Namespace) -> int:
    answer = status_answer(args.file, args.dodo, args.selection, args.partitions)
    if args.json:
        print_json(answer.to_dict())
    else:
        now = answer.now
        rows = [[a.asset, a.state, _age(a, now), a.reason] for a in answer.shown]
        sys.stdout.write(table(["ASSET", "STATUS", "AGE", "REASON"], rows, set()))
        every_partition = all(a.partition for a in answer.shown)
        noun = "partition" if args.partitions and every_partition else "asset"
        sys.stdout.write("\n" + summary_line(answer.counts, noun) + "\n")
    if args.check and (answer.would_run or answer.ignored):
        sys.stderr.write(_check_line(answer) + "\n")
    return 1 if args.check and answer.would_run else 0


def _check_line(answer: StatusAnswer) -> str:
    noun = "partitions and assets" if answer.partitioned else "assets"
    line = (
        f"status --check: {answer.would_run} of {answer.members} selected {noun} "
        "would run"
    )
    if answer.ignored:
        are = "is" if answer.ignored == 1 else "are"
        line += f"; {answer.ignored} ignored {are} not counted"
    return line


def why_command(args: argparse.Namespace) -> int:
    answer = why_answer(args.file, args.dodo, args.asset)
    if args.json:
        return print_json(answer.to_dict())
    sys.stdout.write(_why_text(answer))
    return 0


def _why_text(answer: WhyAnswer) -> str:
    if not answer.partitioned:
        lines = why_lines(answer.statuses, answer.now)
        return "\n".join(lines + _failing_checks(answer.statuses, False)) + "\n"
    members = answer.statuses  # every partition; those that would run explained
    source = bool(members) and members[0].kind == "source"
    summary = partition_summary(_counts(members), len(members), source)
    lines = [f"{answer.name}: {summary}"]
    waiting = [m for m in members if m.causes]
    lines += [""] * bool(waiting) + why_lines(waiting, answer.now)
    lines += _failing_checks(members, True)
    return "\n".join(lines) + "\n"


def _failing_checks(statuses: list[AssetStatus], named: bool) -> list[str]:
    """checks: each check whose latest result failed, after the causes."""
    failing = [(s, c) for s in statuses for c in s.failing_checks]
    if not failing:
        return []
    lines = [""]
    for status, check in failing:
        of = f"{status.asset}: " if named else ""
        lines.append(of + check_text(check))
    return lines


def _counts(members: list[AssetStatus]) -> dict[State, int]:
    counts = {s: sum(1 for m in members if m.state == s) for s in STATES}
    return {s: n for s, n in counts.items() if n}


def why_lines(statuses: list[AssetStatus], now: float) -> list[str]:
    """Each status and its tree of causes, down to the root causes.

    An upstream that will re-run is explained where it is first met; later it
    is one line, ``(stale, shown above)``. One met more than MAX_NESTING levels
    down is ``(stale, shown below)``, and explained in a paragraph of its own
    after the others.
    """
    lines: list[str] = []
    ignored, top = False, 0  # an ignored asset: its first cause is the ignoring
    for step in explanation(statuses):
        node = step.node
        if step.level == 0:
            root = explained_status(node)
            lines += ([""] if lines else []) + [_headline(root, now)]
            ignored, top = root.state == "ignored", 0
            continue
        assert isinstance(node, Cause)
        if step.level == 1:
            top += 1
            if ignored and top == 2:
                lines.append("otherwise it would run, because:")
        lines += _cause_lines(node, "  " * step.level, step.shown, now)
    return lines


def _headline(status: AssetStatus, now: float) -> str:
    name = status.asset
    if status.state == "ignored":
        return f"{name} is ignored: doit skips it, because:"
    if status.kind == "source" and status.state == "missing":
        return f"{name} is missing: doit fails it and skips what reads it, because:"
    if status.kind == "source":
        if status.observable:
            if status.observation is None:
                return f"{name} is an observable source, not observed yet"
            when = _when(status.made_at, now)
            return (
                f"{name} is an observable source: last observed {status.observation} "
                f"(new since {when}); every run observes it again"
            )
        return f"{name} is a source: made outside the pipeline, read as it is"
    if not status.causes:
        line = f"{name} is fresh: made {_when(status.made_at, now)}"
        if status.max_age is not None:
            line += f", max_age {clock.format_duration(status.max_age)}"
        return line + "; nothing it depends on has changed since"
    kinds = {c.kind for c in status.causes}
    if status.state == "blocked":
        return f"{name} is blocked by '{status.blocked_by}' and cannot run, because:"
    if kinds & {"input_missing", "input_unmatched"} and status.state == "failed":
        return f"{name} failed last time and would fail again, because:"
    if kinds & {"input_missing", "input_unmatched"}:
        return f"{name} is {status.state} and would fail, because:"
    if "upstream_missing" in kinds:
        return f"{name} is {status.state} and cannot run, because:"
    if status.state == "failed":
        return f"{name} failed last time and would run again, because:"
    return f"{name} is {status.state} and would run, because:"


SHOWN: dict[Shown, str] = {
    "here": "",
    "above": ", shown above",
    "below": ", shown below",
}


def _cause_lines(cause: Cause, indent: str, shown: Shown, now: float) -> list[str]:
    """One cause: its line, and the details of a changed file or transform."""
    text = cause.text
    if cause.kind == "upstream" and cause.upstream is not None:
        text += f" ({cause.upstream.state}{SHOWN[shown]})"
    elif cause.upstream is not None and shown != "here":
        text += f" ({SHOWN[shown].removeprefix(', ')})"
    lines = [indent + text]
    detail = indent + "  "
    if cause.diff:
        lines += [detail + line for line in cause.diff]
    elif cause.kind in ("input_changed", "output_edited") and cause.old:
        change = md5_change(cause.old, cause.new)
        if cause.changed_at is not None:
            change += f", changed {_when(cause.changed_at, now)}"
        lines.append(detail + change)
    return lines


def graph_command(args: argparse.Namespace) -> int:
    answer = graph_answer(args.file, args.dodo, args.selection)
    title = f"{os.path.basename(os.getcwd())}: assets"
    text = render(args.format, answer.nodes, title)
    output = args.output or (GRAPH_PAGE if args.format == "html" else None)
    if output in (None, "-"):
        sys.stdout.write(text)
        if args.format == "text":  # for reading, as status ends
            sys.stdout.write(f"\n{summary_line(answer.counts)}\n")
        return 0
    write_atomically(output, text.encode("utf-8"))  # never through a planted link
    sys.stdout.write(f"wrote {output}: {summary_line(answer.counts)}\n")
    return 0


def _age(status: AssetStatus, now: float) -> str:
    return age_text(status.made_at, status.max_age, now)


def _when(timestamp: float | None, now: float) -> str:
    if timestamp is None:
        return "at an unknown time"
    ago = clock.format_duration(max(0.0, now - timestamp))
    return f"{local_time(timestamp)} ({ago} ago)"
