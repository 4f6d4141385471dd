"""What the assets of a project's Python modules depend on, for the fast path.

A project whose assets come from its Python modules (``[settings] modules``,
``python = "module:function"``) has tasks that ``assets.toml`` alone does not
tell. The fast path may still vouch for them when what made them can be
looked at again without importing anything. ``code_of`` says what that is
after a load; ``still_holds`` checks it before the next one:

- the interpreter (``sys.version``, ``sys.prefix``, ``PYTHONPATH``), and the
  folders of ``sys.path`` with their stamps (installing, upgrading or
  removing a distribution changes its folder);
- a digest of every module file imported that is not installed (the
  project's, and those on ``PYTHONPATH`` or of an editable install), by the
  path it was imported from (a symbolic link retargeted counts);
- what was read while the project's modules were imported, as Python's
  audit hooks report it: each file opened to read, by its stamp (size, modification
  and change time, inode), and each folder listed, by its names; a folder
  the import system looked in for a module (and the project's folder and
  its modules' folders, whoever listed them first), by the names of the
  modules and packages in it: a new one may change what an ``import``
  finds. What belongs to the installed interpreter and its packages, to
  ``__pycache__`` and to doit-assets' own state is left out.

A module that runs a command or connects while it is imported cannot be
looked at again: the fast path is left off for the project. What the hooks do not see: the clock, environment variables (name
them in ``fingerprint_env``: the manifest keeps their values), the calls that
only ``stat`` a path (``os.path.exists``, ``getsize``) or read a link
(``os.readlink``, ``Path.resolve``); docs/performance.md has the list.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

from ..paths import STATE_DIR
from .packages import is_project_file

# Audit events after which no one can tell what a module made of its import.
_UNTOLD = frozenset(
    {
        "subprocess.Popen",
        "os.system",
        "os.posix_spawn",
        "os.exec",
        "os.fork",
        "os.forkpty",
        "socket.connect",
        "socket.getaddrinfo",
        "socket.gethostname",
        "socket.gethostbyname",
        "urllib.Request",
        "sqlite3.connect",
    }
)
_LISTED = frozenset({"os.listdir", "os.scandir"})
_OWN = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class _Watch:
    """What the audit hook saw, for the process."""

    hooked = False
    depth = 0  # imports of project modules going on
    untold = False  # a command run, a connection made while importing
    opened: ClassVar[set[str]] = set()  # files opened while importing
    listed: ClassVar[set[str]] = set()  # folders listed while importing
    searched: ClassVar[set[str]] = set()  # folders the import system listed
    globbed: ClassVar[set[tuple[str, bool]]] = set()  # glob.glob's patterns
    startup: ClassVar[list[str]] = []  # sys.path before any project import
    audited: ClassVar[set[str]] = set()  # module files first imported watched


@contextlib.contextmanager
def watching(root: str) -> Iterator[None]:
    """Import the project's modules within this: what they read is kept, and
    the modules imported are known to have been watched."""
    if not _Watch.hooked:
        _Watch.startup = list(sys.path)
        sys.addaudithook(_audit)  # for the process: a hook cannot be removed
        _Watch.hooked = True
    before = set(sys.modules)
    _Watch.depth += 1
    try:
        yield
    finally:
        _Watch.depth -= 1
        for name in set(sys.modules) - before:
            file = getattr(sys.modules[name], "__file__", None)
            if file:
                _Watch.audited.add(os.path.realpath(file))


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _Watch.depth:
        return
    if event == "open":
        path, mode, flags = (*args, None, None, None)[:3]
        if isinstance(path, (str, bytes, os.PathLike)) and not _write_only(mode, flags):
            _Watch.opened.add(os.path.abspath(os.fsdecode(path)))
    elif event in _LISTED:
        path = args[0] if args else None
        if path is None:
            path = os.curdir
        if isinstance(path, (str, bytes, os.PathLike)):
            folder = os.path.abspath(os.fsdecode(path))
            caller = sys._getframe(1).f_code.co_filename
            if caller.startswith("<frozen importlib"):  # looking for a module
                _Watch.searched.add(folder)
            else:
                _Watch.listed.add(folder)
        # (a folder by its descriptor: shutil.rmtree's walk of what it removes)
    elif event in ("glob.glob", "glob.glob/2"):
        pattern, recursive, *rest = args
        root_dir = rest[0] if rest else None
        if len(rest) > 1 and rest[1] is not None:  # relative to a descriptor
            _Watch.untold = True
        elif isinstance(pattern, (str, bytes)):
            pattern = os.fsdecode(pattern)
            if root_dir is not None:
                pattern = os.path.join(os.fsdecode(root_dir), pattern)
            _Watch.globbed.add((os.path.abspath(pattern), bool(recursive)))
    elif event in _UNTOLD:
        _Watch.untold = True


def _write_only(mode: Any, flags: Any) -> bool:
    """Opened to write alone (a log file): nothing read from it."""
    if isinstance(mode, str):
        return "r" not in mode and "+" not in mode
    if isinstance(flags, int):
        return flags & os.O_ACCMODE == os.O_WRONLY
    return False


def code_of(root: str, dodo: str | None = None) -> tuple[Any, ...] | None:
    """What the project's Python assets were made from, as it is now; None
    when the fast path cannot vouch for them: a module ran a command (or the
    like) while imported, or a project module was imported unwatched (by a
    dodo.py, say), so that no one knows what it read."""
    if _Watch.untold:
        return None
    real = os.path.realpath(root)
    state = os.path.join(os.path.abspath(root), STATE_DIR) + os.sep
    modules = set()
    searched = {os.path.abspath(root)}
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if not file:
            continue
        file = os.path.abspath(file)
        if is_project_file(file, real) and not file.startswith(_OWN):
            resolved = os.path.realpath(file)
            if resolved not in _Watch.audited and resolved != dodo:
                return None
            searched.add(os.path.dirname(file))
        elif _left_out(file, real, state):
            continue
        modules.add(file)
    # a module run from its cached bytecode (exec'd, or failing to import):
    # its source, which the import system only looked at
    modules.update(
        source
        for source in map(_source_of, _Watch.opened)
        if source is not None and not _left_out(source, real, state)
    )
    opened = {
        f
        for f in _Watch.opened
        if f not in modules
        and not _left_out(f, real, state)
        and not os.path.isdir(f)  # (tempfile's unnamed file in /tmp)
    }
    listed = {f for f in _Watch.listed if not _left_out(f, real, state)}
    searched.update(f for f in _Watch.searched if not _left_out(f, real, state))
    globbed = {g for g in _Watch.globbed if not _left_out(g[0], real, state)}
    entries = tuple(e for e in dict.fromkeys(sys.path) if _searched(e, real))
    startup = _search_path(_Watch.startup or sys.path, real)
    return (
        startup,
        *_stamped(
            entries,
            sorted(modules),
            sorted(opened),
            sorted(searched),
            sorted(listed),
            sorted(globbed),
        ),
    )


def still_holds(code: tuple[Any, ...]) -> bool:
    """Are the interpreter, its folders, the modules and what they read as
    they were?"""
    try:
        startup, _, entries, _, modules, opened, searched, listed, globbed = code
        if _search_path(sys.path, os.path.realpath(os.curdir)) != startup:
            return False  # another import path: a .pth file, pyvenv.cfg
        now = _stamped(
            entries,
            [f for f, _ in modules],
            [f for f, _ in opened],
            [f for f, _ in searched],
            [f for f, _ in listed],
            [g for g, _ in globbed],
        )
    except (TypeError, ValueError):  # not what code_of makes
        return False
    return now == code[1:]


def _stamped(
    entries: tuple[str, ...],
    modules: Iterable[str],
    opened: Iterable[str],
    searched: Iterable[str],
    listed: Iterable[str],
    globbed: Iterable[tuple[str, bool]],
) -> tuple[Any, ...]:
    python = (sys.version, sys.prefix, os.environ.get("PYTHONPATH"))
    return (
        python,
        entries,
        tuple(_file_stamp(e or os.curdir) for e in entries),
        tuple((f, _digest(f)) for f in modules),
        tuple((f, _file_stamp(f)) for f in opened),
        tuple((f, _listing(f, modules_only=True)) for f in searched),
        tuple((f, _listing(f)) for f in listed),
        tuple((g, _matches(*g)) for g in globbed),
    )


def _left_out(path: str, root: str, state: str) -> bool:
    """doit-assets itself, a compiled module's cache, the project's state, a
    virtual file system, or installed with the interpreter (its standard
    library and packages): not what the project's assets are made of."""
    if path.startswith(_OWN) or path.startswith(state):
        return True
    if path.startswith(_VIRTUAL):  # (its stamps move by themselves)
        return True
    parts = path.split(os.sep)
    if "__pycache__" in parts or "site-packages" in parts or "dist-packages" in parts:
        return True
    if is_project_file(path, root):
        return False
    return path.startswith(_installed())


_VIRTUAL = ("/proc/", "/sys/", "/dev/")


@functools.lru_cache(maxsize=1)
def _installed() -> tuple[str, ...]:
    """The folders of the interpreter's standard library and packages (of a
    virtual environment's too), not the rest of its prefix (``/usr``)."""
    import site
    import sysconfig

    folders = set(site.getsitepackages())
    for base in ({}, {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}):
        paths = sysconfig.get_paths(vars=base)
        folders.update(paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib"))
    found = {os.path.join(f, "") for f in folders}
    found.update(os.path.join(os.path.realpath(f), "") for f in folders)
    return tuple(sorted(found))


def _source_of(file: str) -> str | None:
    """The source of a cached bytecode file (``__pycache__/x.cpython-311.pyc``)."""
    if not file.endswith(".pyc") or "__pycache__" not in file:
        return None
    try:
        source = importlib.util.source_from_cache(file)
    except ValueError:
        return None
    return source if os.path.exists(source) else None


def _search_path(path: Iterable[str], root: str) -> tuple[str, ...]:
    return tuple(e for e in dict.fromkeys(path) if _searched(e, root))


def _searched(entry: str, root: str) -> bool:
    """A folder of ``sys.path`` whose change may change a package: not the
    project's own (outputs are written there; its modules are digested) nor
    the interpreter's scripts (first on the path of ``doit``, not of
    ``python -m doit``)."""
    folder = os.path.realpath(entry or os.curdir)
    return folder not in (root, _scripts())


@functools.lru_cache(maxsize=1)
def _scripts() -> str:
    return os.path.realpath(os.path.dirname(sys.executable))


def _file_stamp(path: str) -> tuple[int, ...] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def _digest(file: str) -> str | None:
    try:
        with open(file, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None


def _matches(pattern: str, recursive: bool) -> str:
    """What a glob pattern matches now (a digest)."""
    import glob

    found = sorted(glob.glob(pattern, recursive=recursive))
    return hashlib.sha256("\0".join(found).encode()).hexdigest()


def _listing(folder: str, *, modules_only: bool = False) -> str | None:
    """The names in a folder (a digest of them); ``modules_only``: those an
    ``import`` may find, modules and packages (an output folder made there
    is not one)."""
    try:
        with os.scandir(folder) as found:
            entries = list(found)
    except OSError:
        return None
    if modules_only:
        suffixes = tuple(importlib.machinery.all_suffixes())
        entries = [
            e
            for e in entries
            if e.name.endswith(suffixes)
            or (e.is_dir() and os.path.exists(os.path.join(e.path, "__init__.py")))
        ]
    names = sorted(e.name for e in entries)
    return hashlib.sha256("\0".join(names).encode()).hexdigest()
