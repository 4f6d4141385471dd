"""Every path doit-assets keeps for itself, in one place.

The state folder sits in doit's working directory (beside the ``dodo.py``, or
beside ``assets.toml`` with ``doit-assets``). Staging folders sit beside each
output, so that publishing an output is one ``os.replace`` on one file system.
Nothing here touches the disk except ``state_folder_problem``.
"""

from __future__ import annotations

import os

STATE_DIR = ".doit-assets"
STATE_FILE = f"{STATE_DIR}/state.sqlite"
HISTORY_FILE = f"{STATE_DIR}/history.sqlite"
LOCK_FILE = f"{STATE_DIR}/lock"
CACHE_FILE = f"{STATE_DIR}/project.cache"
MANIFEST = f"{STATE_DIR}/noop.manifest"
VALUES_DIR = f"{STATE_DIR}/values"
OBSERVED_DIR = f"{STATE_DIR}/observed"
RUNNING_DIR = f"{STATE_DIR}/running"
GRAPH_PAGE = f"{STATE_DIR}/graph.html"
POOLS_DIR = f"{STATE_DIR}/pools"  # a lock file per slot of each [pools] pool
LOGS_DIR = f"{STATE_DIR}/logs"
TOOLS_FILE = f"{STATE_DIR}/tools"  # the versions requires printed, by executable
# the installed distributions, for Python assets' code versions (issue 16)
PACKAGES_CACHE = f"{STATE_DIR}/packages.cache"
IMPORTS_CACHE = f"{STATE_DIR}/imports.cache"  # the imports of project modules

# A staging folder: DIR/.doit-assets-staging.XXXXXXXXXXXX/, one per attempt,
# with a random part of STAGING_TOKEN bytes (twice as many hex digits). A
# staged output's path is STAGING_ROOM bytes longer than the output's.
STAGING_PREFIX = ".doit-assets-staging."
STAGING_TOKEN = 6
STAGING_ROOM = len("/" + STAGING_PREFIX) + 2 * STAGING_TOKEN


def log_path(run_id: int, task: str, attempt: int = 1) -> str:
    """The log of one attempt of a task (``KEY`` or ``KEY:PARTITION``) in a run:
    ``.doit-assets/logs/RUN/TASK.ATTEMPT.log``, its stdout and stderr as they
    came. A key's ``/`` becomes ``~`` (neither keys nor partitions hold one),
    so that each run's logs are one flat folder, removed whole."""
    return f"{LOGS_DIR}/{run_id}/{task.replace('/', '~')}.{attempt}.log"


def state_folder_problem(folder: str = STATE_DIR) -> str | None:
    """Why the state folder cannot be used, or None.

    A symbolic link there would make every state file of the project (the
    lock, doit's state, the history) a file somewhere else: refused.
    """
    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        return None
    import stat

    if stat.S_ISLNK(st.st_mode):
        return f"'{folder}' is a symbolic link; doit-assets keeps its state in a real folder"
    if not stat.S_ISDIR(st.st_mode):
        return f"'{folder}' is not a folder"
    return None


def is_directory(path: str) -> bool:
    """Directory outputs are written with a trailing slash: ``path = "build/plots/"``."""
    return path.endswith("/")
