"""What a transform reads and writes, as ``strace`` saw it (issue 16).

One module for both users: ``doit assets audit`` (run/audit.py), which
rehearses a transform under ``strace`` and reports what it read or wrote
without declaring it, and ``[settings] strict_io``, which runs every
materialization of a shell transform traced and fails one that wrote outside
its outputs (run/execute.py).

``strace -f -y -xx`` writes one line per system call of the command and of
every process it starts, with each file descriptor (``AT_FDCWD`` included:
the process's working directory) followed by its path in ``<...>`` and every
string as ``\\xHH`` bytes, so that a relative path is resolved where the
process stood, whatever the file names hold. Opens for writing, ``creat``,
``mkdir``, ``rename``, ``unlink``, ``rmdir``, the new name of ``link`` and
``symlink``, and ``truncate`` are writes (of those still there at the end,
only the ones whose ctime moved during the run: ``Trace.changed``); other
opens and ``execve`` are reads. Folders opened to list them (``O_DIRECTORY``) and ``stat``-like calls are neither: they ask
whether something exists, not what it holds.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import site
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from ..paths import STAGING_PREFIX, STATE_DIR
from ..plan.environment import names_of

STRACE = "strace"
TRACED_CALLS = "%file,fchdir,clone,clone3,fork,vfork"
INSTALL_HINT = "Install it: apt-get install strace"

# Never findings, outside the project: the system, the interpreter, caches,
# temporary files. Inside the project only IGNORED_NAMES and the user's
# ``audit_ignore`` apply (a project may itself live under /tmp).
SYSTEM_FOLDERS = (
    "/usr",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/bin",
    "/sbin",
    "/etc",
    "/proc",
    "/sys",
    "/dev",
    "/run",
    "/tmp",
    "/var/tmp",
    "/var/cache",
    "~/.cache",
)
IGNORED_NAMES = ("__pycache__",)  # a folder of this name, anywhere
WRITE_FLAGS = ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC")

_LINE = re.compile(r"^(\d+)\s+(\w+)\((.*)\)\s+=\s+(-?\w+)(?:<([^>]*)>)?")
_ARGUMENT = re.compile(r'(AT_FDCWD|-?\d+)<([^>]*)>|"((?:\\x[0-9a-f]{2})*)"')
_HEX = re.compile(r"\\x([0-9a-f]{2})")
_RESUMED = re.compile(r"^(\d+)\s+<\.\.\. \w+ resumed>(.*)$")
_UNFINISHED = " <unfinished ...>"


def strace_unavailable(command: str) -> tuple[str, str] | None:
    """Why ``command`` cannot trace here, and the hint; None when it can."""
    if not sys.platform.startswith("linux"):
        return (
            f"{command} needs strace, which runs on Linux only (this is "
            f"{sys.platform})",
            "Run it on Linux, in a container or a CI job",
        )
    if shutil.which(STRACE) is None:
        return f"{command} needs strace, which is not on PATH", INSTALL_HINT
    return None


def strace_argv(log: str) -> list[str]:
    """``strace`` and its options, before ``-- COMMAND``: every process, its
    paths decoded, its strings whole and as bytes, into ``log``."""
    found = shutil.which(STRACE) or STRACE
    return [
        found,
        "-f",
        "-qq",
        "-y",
        "-xx",
        "-s",
        "65536",
        "-e",
        f"trace={TRACED_CALLS}",
        "-o",
        log,
    ]


def traced_command(command: str, log: str) -> str:
    """The shell command that runs ``command`` under strace (what
    ``rehearse`` and ``run_transform`` take as ``wrap``)."""
    argv = [*strace_argv(log), "--", "/bin/sh", "-c", command]
    return "exec " + shlex.join(argv)


@dataclass
class Trace:
    """The files a traced command read and wrote: absolute, normalised paths."""

    reads: set[str] = field(default_factory=set)
    writes: set[str] = field(default_factory=set)
    # everything it wrote, even what it removed since: reading it back is
    # reading its own work, and removing it leaves nothing behind
    made: set[str] = field(default_factory=set)
    linked: set[str] = field(default_factory=set)  # hard links' sources

    def read(self, path: str) -> None:
        if path not in self.made:
            self.reads.add(path)

    def wrote(self, path: str) -> None:
        self.writes.add(path)
        self.made.add(path)

    def removed(self, path: str) -> None:
        """Unlinked, or renamed away: a temporary file (and what it held) when
        the command made it, else a write like any other."""
        if path in self.made:
            self.writes -= {p for p in self.writes if under(p, path)}
        else:
            self.writes.add(path)

    def changed(self, start_ns: int) -> set[str]:
        """The writes that changed something: opening a file for writing
        (sqlite opens its database O_RDWR to read it) changes neither its
        ctime nor its mtime, so a file still there whose ctime is older than
        the run's ``start_ns`` was not written. A hard link's source is
        written only if its content changed (the link itself moves its
        ctime, not its mtime)."""
        found = {p for p in self.writes if _changed(p, start_ns, "st_ctime_ns")}
        return found | {p for p in self.linked if _changed(p, start_ns, "st_mtime_ns")}


def _changed(path: str, start_ns: int, stamp: str) -> bool:
    try:
        return int(getattr(os.lstat(path), stamp)) >= start_ns
    except OSError:  # gone: removed, a write
        return True


def clock_ns(path: str) -> int:
    """The file system's clock now (the coarse one it stamps files with, a
    tick behind ``time.time_ns()``), read by touching ``path``."""
    with open(path, "a", encoding="utf-8"):
        os.utime(path)
    return os.lstat(path).st_ctime_ns


def read_trace(log: str, cwd: str, between: tuple[str, str] | None = None) -> Trace:
    """The files of strace's ``log``; a process whose folder is not known yet
    stands in ``cwd``. With ``between`` (two marker files): only what was done
    after the first was opened and before the second was."""
    with open(log, "rb") as f:
        lines = [line.decode("ascii", "replace").rstrip("\n") for line in f]
    return parse_trace(_joined(lines), cwd, between)


def _joined(lines: Iterable[str]) -> Iterator[str]:
    """Lines with a call cut in two by another process's joined again."""
    pending: dict[str, str] = {}
    for line in lines:
        if line.endswith(_UNFINISHED):
            pid = line.split(None, 1)[0]
            pending[pid] = line[: -len(_UNFINISHED)]
            continue
        resumed = _RESUMED.match(line)
        if resumed is not None:
            start = pending.pop(resumed.group(1), None)
            if start is not None:
                yield start + resumed.group(2)
            continue
        yield line


def parse_trace(
    lines: Iterable[str], cwd: str, between: tuple[str, str] | None = None
) -> Trace:
    trace = Trace()
    folders: dict[str, str] = {}  # pid -> its working directory
    recording = between is None
    for line in lines:
        found = _LINE.match(line)
        if found is None:
            continue
        pid, call, arguments, result, result_path = found.groups()
        if result.startswith("-"):  # failed: nothing was read or written
            continue
        here = folders.get(pid, cwd)
        strings, fds = _arguments(arguments)
        if "AT_FDCWD" in fds:
            here = folders[pid] = fds["AT_FDCWD"]
        if call in ("clone", "clone3", "fork", "vfork"):
            folders.setdefault(result, here)  # a child starts where its parent is
            continue
        if call == "chdir" and strings:
            folders[pid] = _resolved(here, strings[0])
            continue
        if call == "fchdir" and fds:
            folders[pid] = next(iter(fds.values()))
            continue
        if between is not None and call in ("open", "openat") and result_path:
            opened = _decoded(result_path)
            if opened == between[0]:
                recording = True
                continue
            if opened == between[1]:
                break
        if recording:
            _record(trace, call, arguments, strings, fds, here, result_path)
    return trace


def _record(
    trace: Trace,
    call: str,
    arguments: str,
    strings: list[str],
    fds: dict[str, str],
    here: str,
    result_path: str | None,
) -> None:
    folder = _dirfd(fds, here)
    if call in ("open", "openat", "openat2", "creat"):
        if not strings:
            return
        path = (
            _decoded(result_path)
            if result_path
            else _resolved(folder if call != "open" else here, strings[0])
        )
        writes = call == "creat" or any(flag in arguments for flag in WRITE_FLAGS)
        if "O_DIRECTORY" in arguments or "O_PATH" in arguments:
            return
        (trace.wrote if writes else trace.read)(path)
    elif call in ("execve", "execveat") and strings:
        trace.read(_resolved(folder if call == "execveat" else here, strings[0]))
    elif call in ("mkdir", "truncate", "creat") and strings:
        trace.wrote(_resolved(here, strings[0]))
    elif call in ("unlink", "rmdir") and strings:
        trace.removed(_resolved(here, strings[0]))
    elif call == "mkdirat" and strings:
        trace.wrote(_resolved(folder, strings[0]))
    elif call == "unlinkat" and strings:
        trace.removed(_resolved(folder, strings[0]))
    elif call in ("rename", "link") and len(strings) >= 2:
        _moved(trace, call, *(_resolved(here, s) for s in strings[:2]))
    elif call in ("renameat", "renameat2", "linkat") and len(strings) >= 2:
        dirs = list(_dirfds(arguments))
        old, new = (
            _resolved(dirs[i] if i < len(dirs) else here, path)
            for i, path in enumerate(strings[:2])
        )
        _moved(trace, call, old, new)
    elif call == "symlink" and len(strings) >= 2:
        trace.wrote(_resolved(here, strings[1]))
    elif call == "symlinkat" and len(strings) >= 2:
        trace.wrote(_resolved(folder, strings[1]))


def _moved(trace: Trace, call: str, old: str, new: str) -> None:
    """A rename takes the old name away; a link leaves it as it was."""
    if call.startswith("rename"):
        trace.removed(old)
    else:
        trace.linked.add(old)
    trace.wrote(new)


def _arguments(text: str) -> tuple[list[str], dict[str, str]]:
    """The strings of a call's arguments, and its descriptors' paths."""
    strings: list[str] = []
    fds: dict[str, str] = {}
    for match in _ARGUMENT.finditer(text):
        fd, fd_path, string = match.groups()
        if fd is not None:
            fds.setdefault(fd, _decoded(fd_path))
        else:
            strings.append(_decoded(string))
    return strings, fds


def _dirfds(text: str) -> Iterator[str]:
    """The folder each descriptor argument stands for, in order."""
    for match in _ARGUMENT.finditer(text):
        if match.group(1) is not None:
            yield _decoded(match.group(2))


def _dirfd(fds: dict[str, str], here: str) -> str:
    return next(iter(fds.values()), here)


def _decoded(text: str) -> str:
    raw = bytes(int(h, 16) for h in _HEX.findall(text)) if "\\x" in text else b""
    return os.fsdecode(raw) if raw else text


def _resolved(folder: str, path: str) -> str:
    return os.path.normpath(os.path.join(folder, path))


def written_path(path: str) -> str:
    """A written path resolved as what was written: its folder's real path
    and its own name (a symlink the command made is the link, not its target)."""
    folder, name = os.path.split(path)
    return os.path.join(os.path.realpath(folder), name)


# -- what is never a finding ----------------------------------------------------


@dataclass(frozen=True)
class Ignored:
    """Paths that are never findings: outside the project, the system
    folders, the interpreter's prefixes, and the absolute ``audit_ignore``
    entries; inside it, ``__pycache__``, the state folder, staging folders,
    and the relative ``audit_ignore`` entries."""

    root: str
    outside: tuple[str, ...]
    inside: tuple[str, ...]

    def __contains__(self, path: object) -> bool:
        assert isinstance(path, str)
        parts = path.split(os.sep)
        if any(p in IGNORED_NAMES or p.startswith(STAGING_PREFIX) for p in parts):
            return True
        if under(path, self.root):
            return any(under(path, folder) for folder in self.inside)
        return any(under(path, folder) for folder in self.outside)


def ignored_paths(root: str, extra: Sequence[str] = ()) -> Ignored:
    """The default ignore list and ``[settings] audit_ignore`` (absolute or
    ``~`` entries apply outside the project, the others inside it)."""
    root = os.path.realpath(root)
    outside = [*SYSTEM_FOLDERS, tempfile.gettempdir()]
    outside += [sys.prefix, sys.base_prefix, sys.exec_prefix]
    user_site = site.getusersitepackages()
    if isinstance(user_site, str):
        outside.append(user_site)
    inside = [os.path.join(root, STATE_DIR)]
    for entry in extra:
        entry = os.path.expanduser(entry)
        if os.path.isabs(entry):
            outside.append(entry)
        else:
            inside.append(os.path.join(root, entry))
    expanded = {os.path.normpath(os.path.expanduser(p)) for p in outside}
    real = {os.path.realpath(p) for p in expanded}
    return Ignored(
        root,
        tuple(sorted(expanded | real)),
        tuple(os.path.normpath(p) for p in inside),
    )


def under(path: str, folder: str) -> bool:
    """``path`` is ``folder`` or inside it (absolute, normalised paths)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


# -- [settings] strict_io -------------------------------------------------------


class StrictIO:
    """``[settings] strict_io``: one attempt of a shell transform, traced into
    a log of its own; ``stray()`` names a file it wrote outside its outputs
    (and outside its staging folder and the ignored places)."""

    def __init__(self, task: str, root: str, settings: Mapping[str, object]) -> None:
        self.task = task
        self.root = os.path.realpath(root)
        self.ignored = ignored_paths(root, names_of(settings, "audit_ignore"))
        self.refused = strace_unavailable("[settings] strict_io")
        fd, self.log = tempfile.mkstemp(prefix="doit-assets-strict.", suffix=".log")
        os.close(fd)
        self.start_ns = 0

    @classmethod
    def of(
        cls, task: str, root: str, python: bool, settings: Mapping[str, object]
    ) -> StrictIO | None:
        """Its tracer, when ``strict_io`` is on and the transform is a shell
        command (a Python function runs in doit's own process: see
        docs/reproducibility.md)."""
        if python or settings.get("strict_io") is not True:
            return None
        return cls(task, root, settings)

    def refusal(self) -> str | None:
        if self.refused is None:
            return None
        return f"asset '{self.task}': {self.refused[0]}. {self.refused[1]}"

    def wrap(self, command: str) -> str:
        self.start_ns = clock_ns(self.log)  # just before the command starts
        return traced_command(command, self.log)

    def stray(self) -> str | None:
        """The line that fails the asset, if it wrote outside its outputs."""
        trace = read_trace(self.log, self.root)
        writes = sorted(written_path(p) for p in trace.changed(self.start_ns))
        for path in writes:
            if path in self.ignored:
                continue
            inside = path.startswith(self.root + os.sep)
            shown = os.path.relpath(path, self.root) if inside else path
            return (
                f"asset '{self.task}': transform wrote '{shown}' outside its "
                "outputs (strict_io). Write only where {self.path} says, or "
                "declare it in 'path'; the previous output is kept"
            )
        return None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self.log)
