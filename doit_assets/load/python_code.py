"""What the assets of a project's Python modules depend on, for the fast path.

A project whose assets come from its Python modules (``[settings] modules``,
``python = "module:function"``) has tasks that ``assets.toml`` alone does not
tell. The fast path may still vouch for them when they are a function of
things it can look at without importing anything: the bytes of the project's
modules, the interpreter, and the folders of ``sys.path`` (installing,
upgrading or removing a distribution changes its folder; the packages a code
version counts are read from them). ``code_of`` says what those are after a
load; ``still_holds`` checks them again before the next one.

A module that reads something else while it is imported (opens a file, lists
a folder, runs a command, connects) may make other assets next time with the
same code. Python's audit hooks tell: while the project's modules are
imported, an audit event of that kind raised by the project's own code (not by
the import system importing a module, not by doit-assets, not by a package it
imports) marks the process, and the fast path is left off. What the hooks do
not see: environment variables read at import (name them in
``fingerprint_env``: the manifest keeps their values) and the mere existence
of a path (``os.path.exists``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from collections.abc import Iterator
from types import FrameType
from typing import Any, ClassVar

from .packages import is_project_file

# The audit events of a module that looks outside its code while imported.
_READS = frozenset(
    {
        "open",
        "os.listdir",
        "os.scandir",
        "glob.glob",
        "glob.glob/2",
        "subprocess.Popen",
        "os.system",
        "os.posix_spawn",
        "os.exec",
        "os.fork",
        "socket.connect",
        "socket.getaddrinfo",
        "urllib.Request",
        "sqlite3.connect",
    }
)
_OWN = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class _Watch:
    """The state of the audit hook, for the process."""

    hooked = False
    depth = 0  # imports of project modules going on
    root = ""  # the real path of the project being imported
    read = False  # a project module read something while it was imported
    audited: ClassVar[set[str]] = set()  # module files first imported watched


@contextlib.contextmanager
def watching(root: str) -> Iterator[None]:
    """Import the project's modules within this: what they read is noticed,
    and the modules imported are known to have been watched."""
    if not _Watch.hooked:
        sys.addaudithook(_audit)  # for the process: a hook cannot be removed
        _Watch.hooked = True
    before = set(sys.modules)
    _Watch.depth += 1
    _Watch.root = os.path.realpath(root)
    try:
        yield
    finally:
        _Watch.depth -= 1
        for name in set(sys.modules) - before:
            file = getattr(sys.modules[name], "__file__", None)
            if file:
                _Watch.audited.add(os.path.realpath(file))


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _Watch.depth or _Watch.read or event not in _READS:
        return
    # The innermost frame that tells whose read it is: the import system's
    # (a module being imported), doit-assets' own, or the project's code.
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith("<frozen importlib") or name.startswith(_OWN):
            return
        if is_project_file(name, _Watch.root):
            _Watch.read = True
            return
        frame = frame.f_back


def code_of(root: str, dodo: str | None = None) -> tuple[Any, ...] | None:
    """What the project's Python assets were made from, now: the interpreter,
    the folders of ``sys.path`` with their stamps, and each project module
    imported with a digest of its bytes. None when the fast path cannot vouch
    for them: a module read something while imported, or was imported
    unwatched (by a dodo.py, say) so that no one knows whether it did."""
    if _Watch.read:
        return None
    real = os.path.realpath(root)
    files = []
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if not file or not is_project_file(file, real):
            continue
        file = os.path.realpath(file)
        if file not in _Watch.audited and file != dodo:
            return None
        files.append(file)
    entries = [e for e in dict.fromkeys(sys.path) if _searched(e, real)]
    return _stamped(tuple(entries), tuple(sorted(set(files))))


def still_holds(code: tuple[Any, ...]) -> bool:
    """Are the interpreter, the folders and the modules as they were?"""
    try:
        return _stamped(code[1], tuple(f for f, _ in code[3])) == code
    except (TypeError, ValueError, IndexError):  # not what code_of makes
        return False


def _stamped(entries: tuple[str, ...], files: tuple[str, ...]) -> tuple[Any, ...]:
    python = (sys.version, sys.prefix, os.environ.get("PYTHONPATH"))
    return (
        python,
        entries,
        tuple(_folder_stamp(e) for e in entries),
        tuple((f, _digest(f)) for f in files),
    )


def _searched(entry: str, root: str) -> bool:
    """A folder of ``sys.path`` whose change may change a package: not the
    project's own (outputs are written there; its modules are digested) nor
    the interpreter's scripts (first on the path of ``doit``, not of
    ``python -m doit``)."""
    folder = os.path.realpath(entry or os.curdir)
    scripts = os.path.realpath(os.path.dirname(sys.executable))
    return folder not in (root, scripts)


def _folder_stamp(entry: str) -> tuple[int, ...] | None:
    try:
        st = os.stat(entry or os.curdir)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def _digest(file: str) -> str | None:
    try:
        with open(file, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None
