"""``doit assets logs ASSET[:PARTITION] [--run N] [--follow]``: an attempt's log.

The log's bytes go to stdout as the transform printed them; one line on
stderr says whose log it is. ``--follow`` prints what a running attempt adds
until it ends: the history records it, or its run is gone.
"""

from __future__ import annotations

import argparse
import codecs
import os
import sys
import time
from typing import IO

from ..errors import AssetError
from ..inspect.history_answers import LogAnswer, log_answer
from ..paths import HISTORY_FILE
from ..run.lock import running_pid
from ..run.logs import HEAD
from ..store.history import History
from ..store.retention import DEFAULT_KEEP_LOGS
from .history import NO_HISTORY

POLL = 0.1  # seconds between two looks at a followed log
CHUNK = 65536


def logs_command(args: argparse.Namespace) -> int:
    answer = log_answer(args.file, args.dodo, args.asset, args.run)
    if answer is None:
        sys.stdout.write(NO_HISTORY.format(path=HISTORY_FILE))
        return 0
    if answer.path is None:
        mat = answer.materialization
        assert mat is not None
        raise AssetError(
            f"#{mat.id} of '{answer.task}' (run {answer.run_id}) has no log",
            hint="Logs are kept for attempts that doit-assets 0.3 or later ran",
        )
    _say(_header(answer))
    try:
        log = open(answer.path, "rb")  # noqa: SIM115 (closed below)
    except FileNotFoundError:
        return _removed(answer, args)
    with log:
        offset = _copy(log, 0)
        if args.follow and answer.running:
            _follow(log, offset, answer)
    return 0


def _header(answer: LogAnswer) -> str:
    mat = answer.materialization
    if mat is None:
        what = f"{answer.task} (run {answer.run_id}, running)"
    else:
        what = f"{answer.task} #{mat.id} (run {answer.run_id}, {mat.status})"
    return f"log of {what}: {answer.path}"


def _removed(answer: LogAnswer, args: argparse.Namespace) -> int:
    """The file went with retention: what the history kept of it."""
    mat = answer.materialization
    tail = mat.stderr_tail if mat is not None else None
    message = (
        f"{answer.path} was removed: logs are kept for "
        f"{_keep_logs(args)} ([settings] keep_logs)"
    )
    if not tail:
        raise AssetError(message)
    _say(message + "; the last lines of its stderr, from the history:")
    sys.stdout.write(tail + "\n")
    return 0


def _keep_logs(args: argparse.Namespace) -> str:
    from ..plan.loading import load_plan

    try:
        plan = load_plan(args.file, args.dodo)
    except AssetError:  # the project cannot load: say the default
        return DEFAULT_KEEP_LOGS
    return str(plan.settings.get("keep_logs") or DEFAULT_KEEP_LOGS)


def _copy(log: IO[bytes], offset: int) -> int:
    """Print the file from ``offset`` to its end; where it ends."""
    out = getattr(sys.stdout, "buffer", None)  # none where stdout is text only
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    while True:
        chunk = log.read(CHUNK)
        if not chunk:
            break
        if out is not None:
            out.write(chunk)
        else:
            sys.stdout.write(decoder.decode(chunk))
        offset += len(chunk)
    (out or sys.stdout).flush()
    return offset


def _follow(log: IO[bytes], offset: int, answer: LogAnswer) -> None:
    """Print what the attempt adds to its log, until it ends."""
    assert answer.path is not None
    while True:
        ended = _ended(answer)
        size = os.stat(answer.path).st_size
        if size < offset:  # cut to its head and tail as the attempt ended
            offset = HEAD
        log.seek(offset)
        offset = _copy(log, offset)
        if ended:
            return
        time.sleep(POLL)


def _ended(answer: LogAnswer) -> bool:
    """Has the followed attempt ended (recorded, or its run gone)?"""
    assert answer.path is not None
    if not os.path.exists(HISTORY_FILE):
        return True
    if os.path.exists(_next_attempt(answer.path)):  # it ended; a retry runs
        return True
    with History.open(HISTORY_FILE, readonly=True) as history:
        if history.recorded_log(answer.run_id, answer.path) is not None:
            return True
        runs = [r for r in history.runs(1) if r.id == answer.run_id]
    return not runs or runs[0].outcome != "running" or runs[0].pid != running_pid()


def _next_attempt(path: str) -> str:
    """``RUN/TASK.N.log`` -> ``RUN/TASK.N+1.log`` (paths.log_path)."""
    stem, number = path.removesuffix(".log").rsplit(".", 1)
    return f"{stem}.{int(number) + 1}.log"


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()
