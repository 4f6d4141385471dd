"""The fast path of ``doit-assets``: hand doit only what can be stale.

Every run that loads the whole project writes a manifest (``.doit-assets/
noop.manifest``): a digest of ``assets.toml`` (and of this package's code),
the environment its fingerprints hold, and for every doit task what doit's
check reads of it (file_dep, targets, fingerprint, outputs, ``max_age``) and
which tasks read its outputs. Each asset's stamp, committed with its state by
the backend (``store/stamps.py``), says what the disk was like at its last
success.

When ``doit-assets`` is run again with no arguments, ``triage`` compares the
two with the disk, without importing doit. The tasks whose stamp no longer
holds, and everything downstream of them, are the *cone*: if it is empty, the
run is answered here (doit's ``--`` lines, the summary line, a row in the
history); otherwise doit gets the cone alone, and decides within it exactly
as it would have with every task. A manifest that does not match (an edited
``assets.toml``, another environment, a time window that moved on) and doit
loads everything, as always.

A project with Python assets qualifies when its modules' bytes, the
interpreter and the folders of ``sys.path`` vouch for its tasks
(load/python_code.py); @assets of a dodo.py do not. This module imports
nothing from doit, and nothing that does.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sqlite3
import sys
import time
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from ..atomic import read_nofollow, write_atomically
from ..memory import collector_paused
from ..model import clock
from ..model.traversal import closure
from ..paths import HISTORY_FILE, MANIFEST, STATE_FILE
from ..plan import cache
from ..run.lock import RunLock
from ..run.processes import Registry, forget_watchdogs
from ..run.summary import RunCounts, seconds_since_start, summary_line
from ..store.schema import SCHEMA_VERSION
from ..store.stamps import Disk, Expected, holds, read_all

FORMAT = 7


class Cone(NamedTuple):
    """What doit is handed: the tasks that can be stale (and what reads them)."""

    tasks: frozenset[str]
    fresh: tuple[str, ...]  # every other task, up to date, in doit's order
    lock: RunLock  # held from the triage to the end of doit's run


class Task(NamedTuple):
    """One doit task as the manifest keeps it."""

    name: str
    expected: Expected
    downstream: tuple[int, ...]  # the tasks that read it, by position
    asset: tuple[str, str, bool]  # its asset's key and kind; has it checks
    # inputs with globs or folders: (file check, root, prefix, upstream files),
    # expanded again by each triage (None: none)
    globbed: tuple[Any, ...] | None = None


class Triaged(NamedTuple):
    """Every task of the manifest (as tuples of a Task's fields), with the
    stamps, and the cone's positions."""

    tasks: list[tuple[Any, ...]]
    stamps: dict[str, bytes]
    cone: frozenset[int]


def project_digest(toml: str, dodo: str | None = None) -> str | None:
    """The project's, and with ``dodo`` the dodo file's too (``doit`` runs)."""
    more = [f"noop manifest {FORMAT}"]
    if dodo is not None:
        digest = cache.project_digest(dodo, "dodo")
        if digest is None:
            return None
        more.append(digest)
    return cache.project_digest(toml, *more)


def manifest_of(dodo: str | None) -> str:
    """``doit-assets`` and ``doit`` with a dodo.py each keep their own."""
    return MANIFEST if dodo is None else MANIFEST + ".dodo"


def forget(dodo: str | None = None) -> None:
    """Drop the manifest: doit loads everything next time."""
    with contextlib.suppress(OSError):  # there may be none
        os.unlink(manifest_of(dodo))


def write(
    toml: str,
    tasks: list[Task],
    variables: Iterable[str] = (),
    tools: Iterable[str] = (),
    renews_at: float | None = None,
    dodo: str | None = None,
    code: tuple[Any, ...] | None = None,
) -> None:
    """Keep the shape of the project's tasks, unless the manifest has it already.

    ``variables``: the inherited variables in fingerprints (fingerprint_env);
    ``tools``: the version commands of ``requires``, vouched for by their
    executables' stamps (a command whose program cannot be told: no manifest);
    ``code``: what the project's Python assets were made from
    (load/python_code.py), None for a project of ``assets.toml`` alone.
    """
    digest = project_digest(toml, dodo)
    if digest is None:
        return
    environment = _environment(variables, tools)
    if environment is None:
        forget(dodo)
        return
    header = (FORMAT, digest, environment, renews_at, code)
    if _header(dodo) == header:
        return  # written by an earlier run of the same project
    body = _shared(
        [(t.name, tuple(t.expected), t.downstream, t.asset, t.globbed) for t in tasks]
    )
    head = marshal.dumps(header)
    try:
        data = len(head).to_bytes(4, "big") + head + marshal.dumps(body)
        write_atomically(manifest_of(dodo), data)
    except (OSError, ValueError):
        forget(dodo)


def _shared(value: Any, seen: dict[Any, Any] | None = None) -> Any:
    """Equal strings and tuples made one object: marshal writes each once and
    refers to it after (a path is a target of one task and a dep of others),
    which halves the manifest and the time to read it."""
    seen = {} if seen is None else seen
    if isinstance(value, (tuple, list)):
        items = [_shared(v, seen) for v in value]
        value = tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, (str, tuple)):
        try:
            return seen.setdefault(value, value)
        except TypeError:  # a tuple holding something unhashable
            return value
    return value


def _header(dodo: str | None) -> Any:
    try:
        return marshal.loads(read_nofollow(manifest_of(dodo))[4:])
    except Exception:  # missing or unreadable
        return None


def triage(toml: str = "assets.toml", dodo: str | None = None) -> int | Cone | None:
    """Answer a run with nothing stale (its exit code), give the cone of what can
    be stale, or return None to let doit load everything.

    With ``dodo`` (doit is loading the tasks of that dodo.py already), an empty
    cone is a Cone too: its caller answers.
    """
    body = _matching_manifest(toml, dodo)
    if body is None:
        return None
    if dodo is None and _configured_run():
        return None  # doit's own reading of the options decides
    lock = RunLock()
    try:
        if lock.try_acquire("doit-assets") is not None:
            return None  # a run is going on: let doit say so
    except Exception:  # a state folder it cannot use: doit's run says why
        return None
    try:
        _clear_what_was_left()
        found = _triaged(body)
    except Exception:
        lock.release()
        return None
    rows = found.tasks
    tasks = frozenset(rows[i][0] for i in found.cone)
    fresh = tuple(row[0] for i, row in enumerate(rows) if i not in found.cone)
    if tasks or dodo is not None:
        return Cone(tasks, fresh, lock)
    try:
        _answer(fresh)
    finally:
        lock.release()
    return 0


# doit options that change which tasks a plain run runs
_RUN_OPTIONS = ("always", "default_tasks", "single")
_FALSE = ("", "0", "false", "no", "off")


def _configured_run() -> bool:
    """Does doit's configuration (``[tool.doit]`` of pyproject.toml, or
    doit.cfg) set an option that changes what a plain run runs? (With a
    dodo.py, the task creator sees the options doit took; ``doit-assets``
    decides before doit reads them.)"""
    try:
        sections = _doit_config()
    except Exception:  # unreadable: doit's run says why
        return True
    return any(
        section.get(option) not in (None, False, *_FALSE)
        for section in sections
        for option in _RUN_OPTIONS
    )


def _doit_config() -> list[Mapping[str, Any]]:
    """The sections of doit's configuration a run reads: global, then run."""
    sections: list[Mapping[str, Any]] = []
    try:
        with open("pyproject.toml", "rb") as f:
            data = f.read()
    except FileNotFoundError:
        data = b""
    # ([tool.doit], [tool.doit.commands.run], or doit = {...} under [tool];
    # a dependency on doit-assets alone is not worth a parse on every run)
    if b"tool.doit" in data or (b"[tool]" in data and b"doit" in data):
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover
            import tomli as tomllib

        table = tomllib.loads(data.decode()).get("tool", {}).get("doit", {})
        sections += [table, table.get("commands", {}).get("run", {})]
    if os.path.exists("doit.cfg"):
        import configparser

        parser = configparser.ConfigParser()
        parser.read("doit.cfg")
        sections += [parser[name] for name in ("GLOBAL", "run") if name in parser]
    return sections


def look(toml: str = "assets.toml") -> Triaged | None:
    """The triage without the run lock, for questions (``assets status``)."""
    body = _matching_manifest(toml)
    if body is None:
        return None
    try:
        return _triaged(body)
    except Exception:  # anything unexpected: the long way answers
        return None


def _matching_manifest(toml: str, dodo: str | None = None) -> memoryview | None:
    """The manifest's body, if its header matches the project as it is now."""
    try:
        data = memoryview(read_nofollow(manifest_of(dodo)))
        size = int.from_bytes(data[:4], "big")
        header = marshal.loads(data[4 : 4 + size])
        version, digest, environment, renews_at, code = header
    except Exception:  # missing or unreadable: doit decides
        return None
    if version != FORMAT or digest != project_digest(toml, dodo):
        return None
    if renews_at is not None and clock.now() >= renews_at:
        return None  # a time window opened: partitions changed
    if _environment(environment[0], environment[1]) != environment:
        return None
    if code is not None and not _code_holds(code):
        return None  # a module edited, a package installed, another Python
    if not os.path.exists(STATE_FILE):
        return None
    return data[4 + size :]


def _code_holds(code: tuple[Any, ...]) -> bool:
    from ..load.python_code import still_holds  # imports nothing of doit

    return still_holds(code)


def _clear_what_was_left() -> None:
    """A killed run's processes and staging folders go first, as a run of
    doit's would clear them (the lock is held)."""
    registry = Registry()
    if not registry.empty():
        registry.reap()
        forget_watchdogs(registry)


def _triaged(body: memoryview) -> Triaged:
    with collector_paused():  # 10 000 tuples: nothing to collect
        return _triage_rows(marshal.loads(body))


def _triage_rows(rows: list[tuple[Any, ...]]) -> Triaged:
    conn = sqlite3.connect(f"file:{STATE_FILE}?mode=ro", uri=True, timeout=10)
    try:
        stamps = read_all(conn)
    finally:
        conn.close()
    disk = Disk()
    get = stamps.get
    if any(row[4] for row in rows):
        rows = _expanded(rows)
    stale = [i for i, row in enumerate(rows) if not holds(row[1], get(row[0]), disk)]
    cone = frozenset(closure(stale, lambda i: rows[i][2]))
    return Triaged(rows, stamps, cone)


def _expanded(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The rows with the file_dep their globs and folders give now (a task
    with an input gone is taken as stale: doit says why)."""
    from ..load.files import FileCheck, check_files
    from ..model.spec import AssetKey

    made = []
    for row in rows:
        if row[4]:
            check, root, prefix, upstream = row[4]
            on_disk = check_files(root, [FileCheck._make(check)])
            files = on_disk.inputs.get(AssetKey(check[0]), ())
            file_dep = tuple(dict.fromkeys([*(prefix + f for f in files), *upstream]))
            expected = list(row[1])
            expected[1] = file_dep
            if on_disk.missing_inputs or on_disk.missing_sources:
                expected[6] = True  # always
            row = (row[0], tuple(expected), *row[2:])
        made.append(row)
    return made


def _answer(fresh: tuple[str, ...]) -> None:
    """What doit would print and record when nothing is stale."""
    started = time.time()
    out = sys.stdout
    assets = up_to_date(fresh)
    out.write("".join(f"-- {name}\n" for name in assets))
    summary = summary_line(RunCounts(up_to_date=len(assets)), seconds_since_start())
    out.write(summary + "\n")
    out.flush()
    _record_run("doit-assets", started, len(assets))


def tasks_of(
    doit_tasks: list[dict[str, Any]], globbed: Mapping[str, tuple[Any, ...]]
) -> list[Task]:
    """The manifest's view of doit task dicts (tasks.py makes them)."""
    names = [_name(t) for t in doit_tasks]
    makers = {
        target: name
        for name, task in zip(names, doit_tasks, strict=True)
        for target in task.get("targets") or ()
    }
    position = {name: i for i, name in enumerate(names)}
    readers: dict[int, list[int]] = {}
    for i, task in enumerate(doit_tasks):
        ups = set(task.get("task_dep") or ())
        ups.update(makers[p] for p in task.get("file_dep") or () if p in makers)
        group = position.get(task["basename"])
        if task.get("name") is not None and group is not None:
            ups.discard(task["basename"])  # a partition: its group reads it
            readers.setdefault(i, []).append(group)
        for up in ups:
            if up in position:
                readers.setdefault(position[up], []).append(i)
    return [
        Task(
            name,
            _expected(task),
            tuple(readers.get(i, ())),
            _asset_of(task),
            globbed.get(name),
        )
        for i, (name, task) in enumerate(zip(names, doit_tasks, strict=True))
    ]


def _asset_of(task: Mapping[str, Any]) -> tuple[str, str, bool]:
    meta = task.get("meta") or {}
    record = meta.get("asset") or meta.get("asset_group")
    if record is None:
        return str(task["basename"]), "", False
    return record.key, record.kind, bool(getattr(record, "checks", ()))


def _name(task: Mapping[str, Any]) -> str:
    name = task.get("name")
    return str(task["basename"]) if name is None else f"{task['basename']}:{name}"


def _expected(task: Mapping[str, Any]) -> Expected:
    from .freshness import AssetFreshness  # imports nothing from doit

    checks = task.get("uptodate") or ()
    ours = [c for c in checks if isinstance(c, AssetFreshness)]
    others = [c for c in checks if not isinstance(c, AssetFreshness)]
    check = ours[0] if ours else None
    file_dep = tuple(dict.fromkeys(task.get("file_dep") or ()))
    group = "asset_group" in (task.get("meta") or {})  # runs with its partitions
    return Expected(
        None if check is None else check.fingerprint,
        file_dep,
        tuple(task.get("targets") or ()),
        () if check is None else tuple(check.outputs),
        () if check is None else tuple(check.dir_inputs),
        None if check is None else check.max_age,
        # doit runs it whatever it finds: uptodate False, or nothing to check
        bool(others) or (not file_dep and check is None and not group),
    )


def up_to_date(names: Iterable[str]) -> list[str]:
    """The tasks doit prints ``--`` for: not the parent of partitions (``KEY``
    beside ``KEY:PARTITION``), which has nothing to run and is not an asset."""
    names = list(names)
    parents = {name.partition(":")[0] for name in names if ":" in name}
    return [name for name in names if name not in parents]


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
