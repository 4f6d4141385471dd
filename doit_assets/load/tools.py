"""The versions of the tools assets declare in ``requires``.

Each command (``sort --version``) prints the version of a tool a transform
uses; its output enters the fingerprint of the assets that declare it. A
command runs at most once per process. Its output is kept between runs
(``.doit-assets/tools``) only where the program alone can decide it: a
compiled program (not a script: a version manager's shim dispatches on
variables and files), found on ``PATH`` or relative to the project, given
options only (``-V``, ``--version``, ``version``), and no shell syntax. Then it
does not run again while the program keeps its path, size and modification
time. Any other command (``python3 -m pip show x``, ``cat VERSION``, ``env
PATH=... sort --version``, a pyenv shim) runs once per process.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
from collections.abc import Iterable
from typing import NamedTuple

from ..atomic import read_nofollow, write_atomically
from ..paths import TOOLS_FILE

TIMEOUT = 30.0  # seconds a version command may take, unless told otherwise
LONGEST = 2000  # characters of its output kept


class ToolVersion(NamedTuple):
    """What a version command printed, or why it could not tell."""

    output: str
    problem: str | None = None

    @property
    def first_line(self) -> str:
        return next((line for line in self.output.splitlines() if line.strip()), "")


def tool_name(command: str) -> str:
    """``sort --version`` -> ``sort``; ``/usr/bin/python3 -V`` -> ``python3``."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    return os.path.basename(words[0]) if words else command


def executable_stamp(command: str, root: str) -> str | None:
    """Where the command's program is, with its size and modification time;
    None when it cannot be told."""
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if not words or any(c in command for c in "|;&`$<>()'\"\\*?[~=#"):
        return None  # more than one program, or the shell decides
    if not all(w.startswith("-") or w == "version" for w in words[1:]):
        return None  # an operand (a file, a module, a package) may decide
    program = words[0]
    if os.sep in program:
        found: str | None = os.path.join(root, program)
    else:
        found = shutil.which(program)
    if found is None:
        return None
    real = os.path.realpath(found)
    if not os.path.basename(real).startswith(os.path.basename(program)):
        # a link to another program (rustc -> rustup, node -> mise): a version
        # manager, which chooses the tool by variables and files
        return None
    try:
        st = os.stat(real)
        with open(real, "rb") as f:
            if f.read(2) == b"#!":
                return None  # a script: what it runs is its own business
    except OSError:
        return None
    return f"{real}:{st.st_size}:{st.st_mtime_ns}"


class Tools:
    """The versions of tools, asked once per process and kept between runs."""

    @classmethod
    def of(cls, root: str) -> Tools:
        """The project's, one per process: a command is asked once however
        often the project is planned (``materialize`` plans twice)."""
        key = os.path.realpath(root)
        if key not in _PER_PROJECT:
            _PER_PROJECT[key] = cls(root)
        return _PER_PROJECT[key]

    def __init__(self, root: str, keep: str | None = TOOLS_FILE) -> None:
        self.root = root
        self.keep = keep
        self.found: dict[str, ToolVersion] = {}
        self.saved: dict[str, list[str]] | None = None  # command -> [stamp, output]
        self.changed = False

    def versions(self, commands: Iterable[str]) -> dict[str, ToolVersion]:
        """Each command's version; saved for the next process."""
        for command in commands:
            if command not in self.found:
                self.found[command] = self._version(command)
        if self.changed and self.keep is not None:
            self._save()
        return {c: self.found[c] for c in commands}

    def _version(self, command: str) -> ToolVersion:
        stamp = executable_stamp(command, self.root)
        saved = self._saved().get(command)
        if stamp is not None and saved is not None and saved[0] == stamp:
            return ToolVersion(saved[1])
        found = _run(command, self.root)
        if stamp is not None and found.problem is None:
            self._saved()[command] = [stamp, found.output]
            self.changed = True
        return found

    def _saved(self) -> dict[str, list[str]]:
        if self.saved is None:
            self.saved = {}
            if self.keep is not None:
                with contextlib.suppress(Exception):  # only a cache
                    loaded = json.loads(read_nofollow(self.keep))
                    if isinstance(loaded, dict):
                        self.saved = loaded
        return self.saved

    def _save(self) -> None:
        assert self.keep is not None
        with contextlib.suppress(OSError):
            os.makedirs(os.path.dirname(self.keep), exist_ok=True)
            write_atomically(self.keep, json.dumps(self._saved()).encode())
        self.changed = False


_PER_PROJECT: dict[str, Tools] = {}


def _run(command: str, root: str) -> ToolVersion:
    import signal
    import subprocess  # not on the no-op fast path, which only stamps
    import tempfile

    # its output goes to a file, not a pipe: what it leaves running in the
    # background (a daemon it starts) cannot hold the run up
    with tempfile.TemporaryFile() as out:
        try:
            proc = subprocess.Popen(
                command,
                shell=True,
                cwd=root,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: stopped whole if it hangs
            )
        except OSError as err:
            return ToolVersion("", str(err))
        try:
            code = proc.wait(timeout=_timeout())
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)  # not reaped yet: its group
            proc.wait()
            return ToolVersion("", f"did not finish within {_timeout():g}s")
        out.seek(0)
        # some tools print their version on stderr (java -version, old pythons)
        text = out.read(LONGEST * 4).decode("utf-8", "replace").strip()
    if code != 0:
        last = text.splitlines()[-1] if text else "no output"
        return ToolVersion(text, f"exited with code {code}: {last}")
    if not text:
        return ToolVersion("", "printed nothing")
    return ToolVersion(text[:LONGEST])


def _timeout() -> float:
    """Seconds a version command may take: ``DOIT_ASSETS_TOOL_TIMEOUT``, else 30."""
    try:
        return max(float(os.environ.get("DOIT_ASSETS_TOOL_TIMEOUT", "")), 0.1)
    except ValueError:
        return TIMEOUT
