"""``doit assets watch [SELECTION]``: materialize what goes stale, as it does."""

from __future__ import annotations

import argparse
import os
import sys

from ..automate.watcher import Watcher, WatchUnavailable
from ..errors import AssetError
from ..model.cron import INSTALL_HINT


def watch_command(args: argparse.Namespace) -> int:
    tick = [sys.executable, "-m", "doit", "assets", "--file", args.file, "tick"]
    tick += args.selection
    known = [p for p in (args.file, args.dodo) if p and os.path.isfile(p)]
    watcher = Watcher(
        tick,
        doit_args=args.doit_args,
        declarations=known,
        debounce=args.debounce,
        poll=args.poll_interval if args.poll else None,
        verbose=args.verbose,
    )
    try:
        return watcher.run()
    except WatchUnavailable:
        raise AssetError(
            "doit assets watch needs the watchdog package, which is not installed",
            hint=INSTALL_HINT,
        ) from None
