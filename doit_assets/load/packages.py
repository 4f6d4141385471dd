"""The installed distributions a Python asset's code imports, and the interpreter.

A Python asset's automatic code version covers, besides its code, Python's
``major.minor`` and the version of each installed distribution its code
imports directly: the ``import x`` and ``from x import y`` statements
(absolute, at any depth, in functions too) of the function's own module and
of the project modules of the helpers the code version follows. Not what
those packages import in turn, not the standard library, not the project's
own modules. A module name is mapped to the distributions that provide it by
``importlib.metadata.packages_distributions()`` (a namespace package may have
several: all of them count).

Finding the installed distributions reads the metadata of every one of them
(about a quarter of a millisecond each), so the table is kept for the process
and on disk (``.doit-assets/packages.cache``), bound to the folders of
``sys.path``: installing or removing a distribution changes its folder, which
makes the table again. A module's imports are parsed once (about 10
microseconds a line) and kept on disk too (``.doit-assets/imports.cache``), by
the module file's stamp. benchmarks/results/packages.md has the numbers.
"""

from __future__ import annotations

import ast
import contextlib
import marshal
import os
import sys
import tokenize
import types
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from ..atomic import read_nofollow, write_atomically
from ..paths import IMPORTS_CACHE, PACKAGES_CACHE, state_folder_problem

# Bump when what the disk cache holds changes shape.
FORMAT = 1

Pairs = tuple[tuple[str, str], ...]  # (distribution name, version), sorted

# Not counted: doit-assets itself (every asset module imports it; what an
# upgrade changes in what assets make is said in its changelog).
_OWN = "doit_assets"


def python_version() -> str:
    """The interpreter's ``major.minor``: ``"3.11"``."""
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def imported_distributions(fn: Callable[..., Any], root: str) -> Pairs:
    """The installed distributions ``fn``'s code imports directly, with their
    versions, sorted: those of its module and of the project modules of the
    helpers its code version follows."""
    # codeversion imports this module (code_parts): import it when called
    from .codeversion import reached_modules

    return distributions_of(reached_modules(fn, root), os.path.realpath(root))


def distributions_of(modules: Iterable[str], root: str) -> Pairs:
    """The distributions the named modules import (project modules: their
    import statements) or are part of (a function outside the project).

    ``root`` is the project's real path."""
    found = [_imports_of(name, root) for name in modules]
    # one module (most assets): its set, whose hash is kept, is the key
    names = found[0] if len(found) == 1 else frozenset[str]().union(*found)
    return _CACHE.resolve(names, root)


def distributions_stamp(names: Iterable[str], root: str = ".") -> str:
    """The stamps (path, size, mtime) of these distributions' metadata files,
    as they are installed now: what changes when one is upgraded, removed or
    rewritten in place. Imports nothing of the distributions."""
    table = _CACHE.table(os.path.realpath(root))
    lines = []
    for name in sorted(set(names)):
        found = table.versions.get(name)
        if found is None:
            lines.append(f"{name} -")
            continue
        stamp = _file_stamp(found[1])
        size, mtime = stamp if stamp else ("-", "-")
        lines.append(f"{name} {found[1]} {size} {mtime}")
    return "\n".join(lines)


def is_project_file(path: str, root: str) -> bool:
    """Whether ``path`` is the project's own code: under ``root`` (a real
    path), and not in an environment kept there (``.venv/.../site-packages``)."""
    path = os.path.realpath(path)
    parts = path.split(os.sep)
    if "site-packages" in parts or "dist-packages" in parts:
        return False
    return path.startswith(root + os.sep)


def forget() -> None:
    """Drop what this process knows of the installed distributions."""
    global _CACHE
    _CACHE = _Cache()


# -- a module's imports ---------------------------------------------------------


def _imports_of(name: str, root: str) -> frozenset[str]:
    """The top-level names a project module's source imports (absolute
    imports only: a relative one stays in its package); for a module outside
    the project, its own top-level name."""
    module = sys.modules.get(name)
    if module is None:
        return frozenset({name.partition(".")[0]})
    found = _CACHE.imports.get(module)
    if found is None or found[0] != root:
        file = getattr(module, "__file__", None)
        if isinstance(file, str) and is_project_file(file, root):
            names = _CACHE.parsed(root).imports_of(file)
        else:
            names = frozenset({name.partition(".")[0]})
        found = _CACHE.imports[module] = (root, names)
    return found[1]


class _Parsed:
    """The imports of each project module, kept on disk by the file's stamp
    (size, mtime, inode, change time): parsing a module costs about 10
    microseconds a line, a stat 2."""

    def __init__(self, root: str) -> None:
        self.cache = os.path.join(root, IMPORTS_CACHE)
        self.saved: dict[str, tuple[tuple[int, int, int, int], tuple[str, ...]]]
        try:
            version, self.saved = marshal.loads(read_nofollow(self.cache))
            if version != FORMAT:
                self.saved = {}
        except Exception:  # a cache is only a cache: parse again
            self.saved = {}

    def imports_of(self, file: str) -> frozenset[str]:
        try:
            st = os.stat(file)
        except OSError:
            return frozenset()
        stamp = (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
        found = self.saved.get(file)
        if found is not None and found[0] == stamp:
            return frozenset(found[1])
        names = _parse_imports(file)
        self.saved[file] = (stamp, tuple(sorted(names)))
        _save(self.cache, (FORMAT, self.saved))
        return names


def _parse_imports(file: str) -> frozenset[str]:
    try:
        with tokenize.open(file) as f:  # the encoding its coding line says
            tree = ast.parse(f.read())
    except (OSError, SyntaxError, ValueError):  # no source (a .pyc or a .so)
        return frozenset()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return frozenset(names)


# -- the installed distributions ----------------------------------------------


# distribution name -> its version, its metadata file and that file's stamp
# (size, mtime) when it was read
Versions = dict[str, tuple[str, str, int, int]]


class _Table:
    """What is installed: top-level module -> the distributions providing it,
    and each distribution's version. ``saved``: read from the disk cache."""

    def __init__(
        self, modules: dict[str, tuple[str, ...]], versions: Versions, saved: bool
    ) -> None:
        self.modules = modules
        self.versions = versions
        self.saved = saved
        self.checked: set[str] = set()  # distributions whose file is as saved

    def outdated(self, distributions: Iterable[str]) -> bool:
        """Whether one of these distributions' metadata file changed since the
        table was saved: rewritten in place (an editable install's
        ``.egg-info``), which leaves its folder as it was."""
        for name in distributions:
            if not self.saved or name in self.checked or name not in self.versions:
                continue
            _, file, size, mtime = self.versions[name]
            if size >= 0 and _file_stamp(file) != (size, mtime):
                return True
            self.checked.add(name)
        return False


class _Cache:
    """This process's knowledge, made once per ``sys.path``."""

    def __init__(self) -> None:
        self.path: tuple[str, ...] | None = None
        self.installed: _Table | None = None
        self.resolved: dict[tuple[frozenset[str], str], Pairs] = {}
        # a module -> (the project's root, what it imports), once per module
        self.imports: weakref.WeakKeyDictionary[
            types.ModuleType, tuple[str, frozenset[str]]
        ] = weakref.WeakKeyDictionary()
        self.parsers: dict[str, _Parsed] = {}  # by the project's root

    def parsed(self, root: str) -> _Parsed:
        if root not in self.parsers:
            self.parsers[root] = _Parsed(root)
        return self.parsers[root]

    def table(self, root: str, *, reread: bool = False) -> _Table:
        path = tuple(sys.path)
        if self.installed is None or path != self.path or reread:
            self.installed = _load_table(root, reread=reread)
            self.path = path
            self.resolved.clear()
        return self.installed

    def resolve(self, names: frozenset[str], root: str) -> Pairs:
        found = self.resolved.get((names, root))
        if found is None:
            table = self.table(root)
            found = _pairs(names, table, root)
            if table.outdated(name for name, _ in found):
                found = _pairs(names, self.table(root, reread=True), root)
            self.resolved[(names, root)] = found
        return found


_CACHE = _Cache()


def _pairs(names: frozenset[str], table: _Table, root: str) -> Pairs:
    pairs: set[tuple[str, str]] = set()
    for name in names:
        if name in sys.stdlib_module_names or name == _OWN:
            continue
        distributions = table.modules.get(name)
        if not distributions or _is_project_module(name, root):
            continue
        for distribution in distributions:
            if distribution in table.versions:
                pairs.add((distribution, table.versions[distribution][0]))
    return tuple(sorted(pairs, key=lambda pair: (pair[0].casefold(), pair)))


def _is_project_module(name: str, root: str) -> bool:
    """A module of the project that a distribution also names (the project
    installed in development mode, or a stray top-level ``utils``)."""
    module = sys.modules.get(name)
    if module is not None:
        file = getattr(module, "__file__", None)
        return isinstance(file, str) and is_project_file(file, root)
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)  # top level: imports nothing
    except (ImportError, ValueError):
        return False
    return bool(spec and spec.origin and is_project_file(spec.origin, root))


def _load_table(root: str, *, reread: bool = False) -> _Table:
    """The table from the disk cache when ``sys.path`` is as it was, else read
    from every distribution's metadata (and kept for the next process)."""
    key = _path_key(root)
    cache = os.path.join(root, PACKAGES_CACHE)
    try:
        saved = marshal.loads(read_nofollow(cache))
        if saved[0] == FORMAT and saved[1] == key and not reread:
            return _Table(saved[2], saved[3], saved=True)
    except Exception:  # a cache is only a cache: any problem means "read again"
        pass
    table = _read_installed()
    _save(cache, (FORMAT, key, table.modules, table.versions))
    return table


def _save(cache: str, value: Any) -> None:
    """Into a state folder that is there (loading a project makes none); a
    failure to write costs the next process some time only."""
    state = os.path.dirname(cache)
    if os.path.isdir(state) and state_folder_problem(state) is None:
        with contextlib.suppress(OSError, ValueError):
            write_atomically(cache, marshal.dumps(value))


def _path_key(root: str) -> list[Any]:
    """The folders ``importlib.metadata`` looks in, as they are now.

    Installing or removing a distribution adds or removes an entry of its
    folder, which changes the folder's size, modification and change time;
    the inode and change time, which no one can set, bind the cache to these
    very folders (see "Trust" in docs/design.md). Left out: the project's
    own folder (outputs written there change it on every run, and what it
    holds is the project's own code, never a distribution) and the folder of
    the interpreter and its scripts, first on the path of ``doit`` but not of
    ``python -m doit``, which then share one cache.
    """
    key: list[Any] = [sys.version, sys.executable]
    scripts = os.path.realpath(os.path.dirname(sys.executable))
    for entry in sys.path:
        folder = os.path.realpath(entry or os.curdir)
        if folder in (root, scripts):
            continue
        try:
            st = os.stat(folder)
        except OSError:
            key.append((entry, None))
            continue
        stamp = (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
        key.append((entry, stamp))
    return key


def _read_installed() -> _Table:
    import importlib.metadata

    modules = {
        name: tuple(dict.fromkeys(distributions))
        for name, distributions in importlib.metadata.packages_distributions().items()
    }
    versions: Versions = {}
    for distribution in importlib.metadata.distributions():
        file = _metadata_file(distribution)
        stamp = _file_stamp(file)  # before reading: a later change shows
        name, version = _name_and_version(distribution)
        # The first on sys.path is the one imported (and importlib.metadata.version's).
        if name and version and name not in versions:
            # (-1, -1): no file to stamp (a distribution in a zip file)
            versions[name] = (version, file, *(stamp or (-1, -1)))
    return _Table(modules, versions, saved=False)


def _name_and_version(distribution: Any) -> tuple[str | None, str | None]:
    """Its ``Name`` and ``Version``: the first lines of its metadata, read
    without the email parser (which takes most of the time, for all of it)."""
    found: dict[str, str] = {}
    for file in ("METADATA", "PKG-INFO"):
        text = distribution.read_text(file)
        if text is None:
            continue
        for line in text.splitlines():
            if not line:
                break  # the headers end: the description follows
            key, _, value = line.partition(":")
            if key in ("Name", "Version") and key not in found:
                found[key] = value.strip()
        break
    if len(found) < 2:  # folded or unusual headers: the full parser
        metadata = distribution.metadata
        return metadata["Name"], metadata["Version"]
    return found["Name"], found["Version"]


def _file_stamp(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


def _metadata_file(distribution: Any) -> str:
    """The file that holds a distribution's version: ``METADATA`` of a
    ``.dist-info``, ``PKG-INFO`` of an ``.egg-info`` (or the file itself)."""
    # importlib.metadata's PathDistribution keeps its folder in _path (3.8-3.14)
    folder = str(getattr(distribution, "_path", ""))
    if folder.endswith(".dist-info"):
        return os.path.join(folder, "METADATA")
    if folder.endswith(".egg-info") and os.path.isdir(folder):
        return os.path.join(folder, "PKG-INFO")
    return folder
