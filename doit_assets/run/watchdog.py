"""The watchdog of one run: when doit dies, stop what it left running.

``python -m doit_assets.run.watchdog FOLDER MARKER BOOT PID START`` is started by
the first attempt of a run, in a session of its own. It waits for the doit
process (``pidfd`` on Linux, polling elsewhere), then stops the transforms of
that run still recorded in FOLDER and removes their staging folders: after a
normal end there are none; after ``kill -9`` of doit, there are the orphans.
Light on purpose: it imports nothing of doit.
"""

from __future__ import annotations

import contextlib
import os
import sys

from .processes import Registry, wait_for_exit


def main(argv: list[str]) -> int:
    folder, marker, boot, pid, start = argv
    run = (boot, int(pid), start)
    wait_for_exit(run)
    Registry(folder).reap(run)
    with contextlib.suppress(OSError):
        os.unlink(marker)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
