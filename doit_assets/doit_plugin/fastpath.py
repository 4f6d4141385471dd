"""The no-op fast path of ``doit-assets``: prove nothing changed without doit.

After a full, successful run, the reporter writes a manifest: a digest of
``assets.toml`` (and of this package's code), the size and modification time
of every file any asset reads or writes, and of doit's state file. When
``doit-assets`` is run again with no arguments and every one of those is
unchanged, nothing can be stale: it prints doit's lines (``-- NAME`` for
each asset) and the reporter's summary line, records the run in the history
and stops, without importing
doit or building its task graph. Anything else, and doit runs as always.

Only projects whose assets are fully known from ``assets.toml`` and the
files above qualify: no Python assets, no globs or directories in ``inputs``
(a new file could match them), no directory outputs. This module imports
nothing from doit, and nothing that does.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sqlite3
import sys
import time
from collections.abc import Iterable
from typing import Any

from ..atomic import read_nofollow, write_atomically
from ..paths import HISTORY_FILE, MANIFEST, STATE_FILE
from ..plan import cache
from ..run.lock import RunLock
from ..run.processes import Registry
from ..run.summary import RunCounts, seconds_since_start, summary_line
from ..store.schema import SCHEMA_VERSION

STATE_FILES = (STATE_FILE, STATE_FILE + "-wal")
FORMAT = 4


def project_digest(toml: str) -> str | None:
    return cache.project_digest(toml, f"noop manifest {FORMAT}")


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


def _state_stamp(path: str) -> tuple[int, int, int, int] | None:
    """doit's state: also its inode and change time (see file_identity)."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def forget() -> None:
    """Any run may change what the manifest vouches for: drop it first."""
    with contextlib.suppress(OSError):  # there may be none
        os.unlink(MANIFEST)


def write(
    toml: str,
    names: list[str],
    files: Iterable[str],
    variables: Iterable[str] = (),
    tools: Iterable[str] = (),
) -> None:
    """Vouch for the project as it is now (call after doit saved its state).

    ``variables``: the inherited variables in fingerprints (fingerprint_env);
    ``tools``: the version commands of ``requires``, vouched for by their
    executables' stamps (a command whose program cannot be told: no vouching).
    """
    digest = project_digest(toml)
    if digest is None:
        return
    stamps = [(path, _stamp(path)) for path in dict.fromkeys(files)]
    if any(stamp is None for _, stamp in stamps):
        return
    environment = _environment(variables, tools)
    if environment is None:
        return
    state = [(path, _state_stamp(path)) for path in STATE_FILES]
    data = marshal.dumps((FORMAT, digest, state, names, stamps, environment))
    try:
        write_atomically(MANIFEST, data)
    except OSError:
        forget()


def try_noop(toml: str = "assets.toml") -> int | None:
    """Answer a no-op run without doit, or return None to let doit run."""
    try:
        version, digest, state, names, stamps, environment = marshal.loads(
            read_nofollow(MANIFEST)
        )
    except Exception:  # missing or unreadable: doit decides
        return None
    if version != FORMAT or digest != project_digest(toml):
        return None
    variables, tools = environment[0], environment[1]
    if _environment(variables, tools) != environment:
        return None
    for path, stamp in state:
        if _state_stamp(path) != (tuple(stamp) if stamp else None):
            return None
    for path, stamp in stamps:
        if _stamp(path) != tuple(stamp):
            return None
    lock = RunLock()
    command = "doit-assets"
    try:
        if lock.try_acquire(command) is not None:
            return None  # a run is going on: let doit say so
    except Exception:  # a state folder it cannot use: doit's run says why
        return None
    if not Registry().empty():
        lock.release()
        return None  # a killed run left something behind: doit's run clears it
    try:
        started = time.time()
        out = sys.stdout
        assets = _assets(names)
        out.write("".join(f"-- {name}\n" for name in assets))
        summary = summary_line(RunCounts(up_to_date=len(assets)), seconds_since_start())
        out.write(summary + "\n")
        out.flush()
        _record_run(command, started, len(assets))
    finally:
        lock.release()
    return 0


def _environment(
    variables: Iterable[str], tools: Iterable[str]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[Any, ...]] | None:
    """What of the environment the fingerprints hold, as it is now: the names,
    the commands, then their values and executables' stamps (PATH decides
    which program a command runs)."""
    from ..load.tools import executable_stamp

    names, commands = tuple(variables), tuple(tools)
    if commands:
        names = (*names, "PATH")
    # digests, not values: the manifest is a file, and a value may be secret
    values: list[Any] = [_digest(os.environ.get(name)) for name in names]
    for command in commands:
        stamp = executable_stamp(command, os.getcwd())
        if stamp is None:
            return None
        values.append(stamp)
    return tuple(variables), commands, tuple(values)


def _digest(value: str | None) -> str | None:
    import hashlib

    return None if value is None else hashlib.sha256(value.encode()).hexdigest()


def _assets(names: list[str]) -> list[str]:
    """The tasks doit prints ``--`` for: not the parent of partitions (``KEY``
    beside ``KEY:PARTITION``), which has nothing to run and is not an asset."""
    parents = {name.partition(":")[0] for name in names if ":" in name}
    return [name for name in names if name not in parents]


def _record_run(command: str, started: float, up_to_date: int) -> None:
    """The run goes into the history like any other (counted, not listed)."""
    if not os.path.exists(HISTORY_FILE):
        return
    conn = sqlite3.connect(HISTORY_FILE, timeout=10, isolation_level=None)
    try:
        if conn.execute("pragma user_version").fetchone()[0] != SCHEMA_VERSION:
            return
        conn.execute(
            "insert into runs (started_at, ended_at, command, pid, outcome, "
            "up_to_date) values (?, ?, ?, ?, 'success', ?)",
            (started, time.time(), command, os.getpid(), up_to_date),
        )
    finally:
        conn.close()
