"""``doit assets ...``: set a project up, and query its assets and their history.

A plain doit ``Command`` (not ``DoitCmdBase``) so that it works without a
dodo.py; each sub-command loads what it needs itself.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from doit.cmd_base import Command

from ..doit_plugin.locate import (
    command_place,
    holds_project,
    loader_options,
    missing_project,
)
from ..draw.drawing import FORMATS
from ..errors import AssetError
from ..paths import GRAPH_PAGE, STAGING_PREFIX, STATE_DIR
from .history import history_command, lineage_command, runs_command, show_command
from .status import (
    graph_command,
    status_command,
    why_command,
)

DODO_LINE = "from doit_assets.dodo import *"
IGNORE_LINES = (f"{STATE_DIR}/", f"{STAGING_PREFIX}*")

Handler = Callable[[argparse.Namespace], int]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="doit assets",
        description="Set up an assets project, see what is stale and why, "
        "materialize a selection, and query the history.",
    )
    parser.add_argument(
        "-f",
        "--file",
        help="the assets.toml to read [default: the project's]",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    sub.add_parser(
        "init", help="write the one-line dodo.py and ignore the state folder"
    )
    status = sub.add_parser(
        "status", help="fresh, stale, missing, failed or blocked, and why"
    )
    status.add_argument("selection", nargs="*", metavar="SELECTION")
    status.add_argument(
        "--check",
        action="store_true",
        help="exit with 1 when a selected asset would run (for CI)",
    )
    status.add_argument(
        "--partitions",
        action="store_true",
        help="one line per partition instead of one per partitioned asset",
    )
    status.add_argument("--json", action="store_true", help="print JSON")
    why = sub.add_parser("why", help="the causes that make an asset stale")
    why.add_argument("asset")
    why.add_argument("--json", action="store_true", help="print JSON")
    accept = sub.add_parser(
        "accept",
        help="record a new environment without running the assets",
    )
    accept.add_argument("selection", nargs="+", metavar="SELECTION")
    accept.add_argument("--json", action="store_true", help="print JSON")
    graph = sub.add_parser("graph", help="the assets and their status as a graph")
    graph.add_argument("selection", nargs="*", metavar="SELECTION")
    graph.add_argument(
        "--format", choices=FORMATS, default="dot", help="[default: %(default)s]"
    )
    graph.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help=f"write here ('-' for stdout) [default: stdout; html: {GRAPH_PAGE}]",
    )
    materialize = sub.add_parser(
        "materialize",
        help="run the selected assets and what they need",
        usage="doit assets materialize SELECTION... [--only] [--dry-run] [-n N] "
        "[--continue | --no-continue] [-- DOIT_RUN_OPTIONS]\n"
        "       doit assets materialize --failed [SELECTION...] [--dry-run] [-n N]",
        epilog="Options after '--' go to doit run, e.g. -- -n 4 --always-execute",
    )
    materialize.add_argument("selection", nargs="*", metavar="SELECTION")
    materialize.add_argument(
        "--failed",
        action="store_true",
        help="run again what the last run left undone: the assets that failed "
        "and those they blocked",
    )
    materialize.add_argument(
        "--only",
        action="store_true",
        help="run only the selected assets, not what they need",
    )
    materialize.add_argument(
        "--dry-run",
        action="store_true",
        help="print the commands that would run, in order; run nothing",
    )
    _processes(materialize)
    _keep_going(materialize)
    backfill = sub.add_parser(
        "backfill",
        help="make a range of partitions; resume one that stopped",
        usage="doit assets backfill SELECTION... [--from DATE] [--to DATE] "
        "[--only-missing | --only-failed | --only-stale] [--dry-run] [-n N] "
        "[--continue | --no-continue] [-- DOIT_RUN_OPTIONS]\n"
        "       doit assets backfill --resume ID [-n N]",
        epilog="Options after '--' go to doit run, e.g. -- -n 4",
    )
    backfill.add_argument("selection", nargs="*", metavar="SELECTION")
    backfill.add_argument(
        "--from", dest="start", metavar="DATE", help="first partition (inclusive)"
    )
    backfill.add_argument(
        "--to", dest="end", metavar="DATE", help="last partition (inclusive)"
    )
    only = backfill.add_mutually_exclusive_group()
    only.add_argument(
        "--only-missing", action="store_true", help="only partitions never made"
    )
    only.add_argument(
        "--only-failed",
        action="store_true",
        help="only partitions that failed, and those their failures blocked",
    )
    only.add_argument(
        "--only-stale", action="store_true", help="only partitions that would run"
    )
    backfill.add_argument(
        "--dry-run",
        action="store_true",
        help="list the partitions and their commands, run nothing",
    )
    _processes(backfill)
    _keep_going(backfill)
    backfill.add_argument(
        "--resume", type=_positive, metavar="ID", help="continue backfill ID"
    )
    reproduce = sub.add_parser(
        "reproduce",
        help="rebuild in staging and compare with the outputs",
    )
    reproduce.add_argument(
        "selection", nargs="*", metavar="SELECTION", help="[default: every asset]"
    )
    reproduce.add_argument(
        "--check",
        action="store_true",
        help="exit with 1 when an asset differs or its rebuild fails, "
        "2 when one is refused (for CI)",
    )
    reproduce.add_argument("--json", action="store_true", help="print JSON")
    checks = sub.add_parser(
        "checks", help="the checks of assets and their latest results"
    )
    checks.add_argument("selection", nargs="*", metavar="SELECTION")
    checks.add_argument("--json", action="store_true", help="print JSON")
    observe = sub.add_parser("observe", help="observe the observable sources now")
    observe.add_argument("selection", nargs="*", metavar="SELECTION")
    watch = sub.add_parser(
        "watch",
        help="make what goes stale, as it goes stale",
    )
    watch.add_argument("selection", nargs="*", metavar="SELECTION")
    watch.add_argument(
        "--debounce",
        type=_seconds,
        default=0.2,
        metavar="SECONDS",
        help="wait for writes to settle this long before a cycle [default: 0.2]",
    )
    watch.add_argument(
        "--poll",
        action="store_true",
        help="look at the files instead of waiting for events (network file systems)",
    )
    watch.add_argument(
        "--poll-interval",
        type=_poll_seconds,
        default=0.5,
        metavar="SECONDS",
        help="with --poll: seconds between two looks [default: 0.5]",
    )
    watch.add_argument(
        "-v", "--verbose", action="store_true", help="show each cycle's doit output"
    )
    _processes(watch)
    _keep_going(watch)
    tick = sub.add_parser(
        "tick",
        help="evaluate every automation once, run what it asks for",
    )
    tick.add_argument("selection", nargs="*", metavar="SELECTION")
    _processes(tick)
    _keep_going(tick)
    # what a watcher tells its cycle (doit assets watch), and asks back
    tick.add_argument("--report", help=argparse.SUPPRESS)
    tick.add_argument("--changes", help=argparse.SUPPRESS)  # a JSON file
    for flag in ("--reloaded", "--timed", "--start", "--describe"):
        tick.add_argument(flag, action="store_true", help=argparse.SUPPRESS)
    sensors = sub.add_parser("sensors", help="the sensors and their latest answers")
    sensors.add_argument("--json", action="store_true", help="print JSON")
    history = sub.add_parser("history", help="materializations, newest first")
    history.add_argument("asset", nargs="?", help="only this asset")
    history.add_argument("--limit", type=_positive, default=20, metavar="N")
    history.add_argument("--failed", action="store_true", help="only failures")
    history.add_argument("--json", action="store_true", help="print JSON")
    history.add_argument(
        "--prune",
        action="store_true",
        help="remove what is older than [settings] keep_history (or --older-than), "
        "except the latest of each asset and what it was made from",
    )
    history.add_argument(
        "--older-than", metavar="DURATION", help="with --prune: e.g. 90d"
    )
    lineage = sub.add_parser(
        "lineage", help="the graph around an asset and the chain that made it"
    )
    lineage.add_argument("asset")
    direction = lineage.add_mutually_exclusive_group()
    direction.add_argument("--upstream", action="store_true", help="only upstream")
    direction.add_argument("--downstream", action="store_true", help="only downstream")
    lineage.add_argument("--depth", type=_positive, default=None, metavar="N")
    lineage.add_argument("--json", action="store_true", help="print JSON")
    show = sub.add_parser("show", help="an asset's declaration, outputs and status")
    show.add_argument("asset")
    show.add_argument("--json", action="store_true", help="print JSON")
    runs = sub.add_parser("runs", help="recent runs with their counts")
    runs.add_argument("--limit", type=_positive, default=20, metavar="N")
    runs.add_argument("--json", action="store_true", help="print JSON")
    audit = sub.add_parser(
        "audit",
        help="trace transforms for undeclared reads and writes",
    )
    audit.add_argument("selection", nargs="*", metavar="SELECTION")
    audit.add_argument("--json", action="store_true", help="print JSON")
    logs = sub.add_parser("logs", help="the log of an asset's latest attempt")
    logs.add_argument("asset", metavar="ASSET[:PARTITION]")
    logs.add_argument("--run", type=_positive, metavar="N", help="its attempt in run N")
    logs.add_argument("--follow", action="store_true", help="follow a running attempt")
    return parser


def _processes(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-n",
        "--process",
        type=_processes_count,
        metavar="N",
        help="run N assets at a time (doit run -n N)",
    )


def _keep_going(parser: argparse.ArgumentParser) -> None:
    """doit run's own options, for a run that doit-assets starts: without
    either, [settings] keep_going decides (true when not set)."""
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument(
        "-c",
        "--continue",
        dest="keep_going",
        action="store_const",
        const="--continue",
        help="after a failure, make what does not depend on it "
        "([settings] keep_going; true by default)",
    )
    choice.add_argument(
        "--no-continue",
        dest="keep_going",
        action="store_const",
        const="--no-continue",
        help="stop at the first failure",
    )


# Upper bounds of the whole-number options: SQLite's integers and doit's
# worker processes (one fork each, started at once) are finite.
MAX_COUNT = 1_000_000_000
MAX_PROCESSES = 1024


def _positive(text: str, maximum: int = MAX_COUNT) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= maximum:
        raise argparse.ArgumentTypeError(
            f"expected a whole number from 1 to {maximum}, got '{text}'"
        )
    return value


def _processes_count(text: str) -> int:
    return _positive(text, MAX_PROCESSES)


def _seconds(text: str, minimum: float = 0.0) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not minimum <= value <= 60:
        raise argparse.ArgumentTypeError(
            f"expected seconds from {minimum:g} to 60, got '{text}'"
        )
    return value


def _poll_seconds(text: str) -> float:
    return _seconds(text, 0.1)  # less would keep a core busy with a large project


class AssetsCommand(Command):  # type: ignore[misc]
    """The ``doit assets`` command plugin."""

    name = "assets"
    doc_purpose = "status, why, materialize, graph, history and lineage of assets"
    doc_usage = "COMMAND [ARGS]  (doit assets --help lists the commands)"
    doc_description = None

    def __init__(self, task_loader: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Its options (-f, -d...) choose the project of a run: they choose ours too.
        self.loader_options = getattr(task_loader, "cmd_options", ())

    def parse_execute(self, in_args: Sequence[str]) -> int:
        # doit's own option parser has no sub-commands; argparse has.
        in_args = list(in_args)
        # After '--': options for doit run (materialize)
        split = in_args.index("--") if "--" in in_args else len(in_args)
        try:
            args = _parser().parse_args(in_args[:split])
        except SystemExit as stop:
            return int(stop.code or 0)
        args.doit_args = in_args[split + 1 :]
        if getattr(args, "process", None):
            args.doit_args[:0] = ["-n", str(args.process)]
        if getattr(args, "keep_going", None):
            args.doit_args[:0] = [args.keep_going]
        try:
            self._enter_project(args)
            return HANDLERS[args.command](args)
        except AssetError as err:
            sys.stderr.write(f"ERROR: {err}\n")
            return 3

    def _enter_project(self, args: argparse.Namespace) -> None:
        """Work where a run with the same options would, in the project's folder
        (its state and history are there), and read what that run reads."""
        options = loader_options(
            self.loader_options, self.opt_vals, self.config_vals, os.environ
        )
        place = command_place(options, args.file)
        if args.command != "init" and not holds_project(place):
            raise missing_project(place)
        os.chdir(place.folder)
        args.file, args.dodo = place.assets_file, place.dodo

    def execute(self, opt_values: Any, pos_args: Sequence[str]) -> int:
        return self.parse_execute(pos_args)

    def help(self) -> str:
        return _parser().format_help()


def _init(args: argparse.Namespace) -> int:
    out = sys.stdout
    if os.path.exists("dodo.py"):
        with open("dodo.py", encoding="utf-8") as f:
            existing = f.read()
        if DODO_LINE in existing:
            out.write("dodo.py already loads the assets\n")
        else:
            sys.stderr.write(
                "ERROR: dodo.py exists and does not load the assets. "
                f"Add {_lines(_dodo_text(args.file))} to it: "
                + "; ".join(filter(None, _dodo_text(args.file).splitlines()))
                + "\n"
            )
            return 3
    else:
        text = _dodo_text(args.file)
        with open("dodo.py", "w", encoding="utf-8") as f:
            f.write(text)
        out.write("wrote dodo.py: " + "; ".join(filter(None, text.splitlines())) + "\n")
    present: list[str] = []
    if os.path.exists(".gitignore"):
        with open(".gitignore", encoding="utf-8") as f:
            present = f.read().splitlines()
    missing = [line for line in IGNORE_LINES if line not in present]
    if missing:
        with open(".gitignore", "a", encoding="utf-8") as f:
            if present and present[-1] != "":
                f.write("\n")
            f.write("# doit-assets: state and history, staging of outputs\n")
            f.write("".join(line + "\n" for line in missing))
        out.write(".gitignore: added " + ", ".join(missing) + "\n")
    else:
        out.write(".gitignore already ignores the state folder\n")
    if not os.path.exists(args.file):
        out.write(f"next: declare your assets in {args.file}, then run 'doit'\n")
    return 0


def _materialize(args: argparse.Namespace) -> int:
    from .materialize import materialize_command

    return materialize_command(args)


def _materialize_checked(args: argparse.Namespace) -> int:
    if not args.selection and not args.failed:
        sys.stderr.write(
            "doit assets materialize: error: name a SELECTION, or --failed\n"
        )
        return 2
    return _materialize(args)


def _backfill(args: argparse.Namespace) -> int:
    from .backfill import backfill_command

    if args.resume is not None:
        chosen = [
            option
            for option, given in (
                ("SELECTION", args.selection),
                ("--from", args.start),
                ("--to", args.end),
                ("--only-missing", args.only_missing),
                ("--only-failed", args.only_failed),
                ("--only-stale", args.only_stale),
            )
            if given
        ]
        if chosen:
            sys.stderr.write(
                f"doit assets backfill: error: --resume takes no {chosen[0]}: "
                "it runs what backfill ID asked for\n"
            )
            return 2
    if args.resume is None and not args.selection:
        sys.stderr.write(
            "doit assets backfill: error: name a SELECTION, or --resume ID\n"
        )
        return 2
    return backfill_command(args)


def _observe(args: argparse.Namespace) -> int:
    from .materialize import observe_command

    return observe_command(args)


def _watch(args: argparse.Namespace) -> int:
    from .watch import watch_command

    return watch_command(args)


def _tick(args: argparse.Namespace) -> int:
    from .tick import tick_command

    return tick_command(args)


def _sensors(args: argparse.Namespace) -> int:
    from .sensors import sensors_command

    return sensors_command(args)


def _checks(args: argparse.Namespace) -> int:
    from .checks import checks_command

    return checks_command(args)


def _accept(args: argparse.Namespace) -> int:
    from .accept import accept_command

    return accept_command(args)


def _reproduce(args: argparse.Namespace) -> int:
    from .reproduce import reproduce_command

    return reproduce_command(args)


def _logs(args: argparse.Namespace) -> int:
    from .logs import logs_command

    return logs_command(args)


def _audit(args: argparse.Namespace) -> int:
    from .audit import audit_command

    return audit_command(args)


def _lines(text: str) -> str:
    return "this line" if text.count("\n") == 1 else "these lines"


def _dodo_text(assets_file: str) -> str:
    if assets_file == "assets.toml":
        return DODO_LINE + "\n"
    return (
        f"{DODO_LINE}\n"
        "from doit_assets import AssetTasks\n\n"
        f"assets_toml = AssetTasks({assets_file!r})\n"
    )


HANDLERS: dict[str, Handler] = {
    "init": _init,
    "history": history_command,
    "lineage": lineage_command,
    "show": show_command,
    "runs": runs_command,
    "logs": _logs,
    "status": status_command,
    "why": why_command,
    "graph": graph_command,
    "materialize": _materialize_checked,
    "observe": _observe,
    "watch": _watch,
    "tick": _tick,
    "sensors": _sensors,
    "backfill": _backfill,
    "checks": _checks,
    "accept": _accept,
    "audit": _audit,
    "reproduce": _reproduce,
}
