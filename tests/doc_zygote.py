"""``doit`` and ``doit-assets`` for the doc examples, without paying their imports.

The docs call ``doit`` a few hundred times; most of each call is Python starting
and importing doit and doit-assets. ``Zygote`` imports them once, then forks a
child for every call: the child takes the caller's standard streams, folder,
environment and arguments, runs the console script's entry point as the script
would, and reports its exit code. The caller is a tiny ``doit`` (or
``doit-assets``) script on ``PATH`` that starts Python without ``site`` (fast)
and forwards its own streams over a Unix socket.

So each call is still a new process, running the real entry point on a real
project; only the imports happened earlier, in a process that never ran
anything. ``DOC_EXAMPLES_PLAIN=1`` runs the installed scripts instead.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

# The programs, and their entry points as their console scripts call them.
ENTRY_POINTS = {
    "doit": "doit.__main__:main",
    "doit-assets": "doit_assets.cli.console:main",
}

CLIENT = """\
import json, os, socket, struct, sys
conn = socket.socket(socket.AF_UNIX)
conn.connect({socket_path!r})
message = json.dumps([{program!r}, sys.argv[1:], os.getcwd(), dict(os.environ)]).encode()
socket.send_fds(conn, [struct.pack("!I", len(message)) + message], [0, 1, 2])
reply = b""
while len(reply) < 4:
    chunk = conn.recv(4 - len(reply))
    if not chunk:
        sys.exit(70)  # the child died without an answer
    reply += chunk
sys.exit(struct.unpack("!i", reply)[0])
"""


class Zygote:
    """A forking server of ``doit`` and ``doit-assets``, in a fresh interpreter
    started with ``env``; ``bin`` goes first on PATH."""

    def __init__(self, env: dict[str, str]) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="doc-zygote-"))
        self.bin = self.folder / "bin"
        self.bin.mkdir()
        self.socket_path = str(self.folder / "socket")
        for program in ENTRY_POINTS:
            script = self.bin / program
            client = CLIENT.format(socket_path=self.socket_path, program=program)
            script.write_text(f"#!{sys.executable} -SE\n{client}")
            script.chmod(0o755)
        self.process = subprocess.Popen(
            [sys.executable, __file__, self.socket_path],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        ready = self.process.stdout.readline()
        if ready != "ready\n":
            raise RuntimeError(f"the zygote did not start: {ready!r}")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        if self.process.stdout is not None:
            self.process.stdout.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def serve(socket_path: str) -> None:
    """The zygote: import, then fork a child for each call."""
    import doit.__main__
    import doit.doit_cmd  # noqa: F401

    import doit_assets.cli.command
    import doit_assets.cli.console
    import doit_assets.dodo
    import doit_assets.doit_plugin.loader
    import doit_assets.doit_plugin.reporter  # noqa: F401

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children reap themselves
    server = socket.socket(socket.AF_UNIX)
    server.bind(socket_path)
    server.listen(64)
    server.settimeout(1.0)
    parent = os.getppid()
    print("ready", flush=True)
    while True:
        try:
            conn, _ = server.accept()
        except TimeoutError:
            if os.getppid() != parent:  # the tests ended without stopping us
                return
            continue
        conn.settimeout(None)
        data, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
        (length,) = struct.unpack("!I", data[:4])
        while len(data) < 4 + length:
            data += conn.recv(1 << 20)
        request = json.loads(data[4 : 4 + length])
        if os.fork() == 0:
            server.close()
            _run(conn, fds, *request)  # never returns
        conn.close()
        for fd in fds:
            os.close(fd)


def _run(
    conn: socket.socket,
    fds: list[int],
    program: str,
    args: list[str],
    cwd: str,
    env: dict[str, str],
) -> None:
    """In the forked child: become the program, run it, answer its exit code."""
    code = 70
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        sys.argv = [os.path.join(os.path.dirname(sys.executable), program), *args]
        # the one thing doit reads from sys.argv when it is imported
        sys.modules["doit.doit_cmd"].DoitMain.BIN_NAME = program
        module, _, function = ENTRY_POINTS[program].partition(":")
        main = getattr(sys.modules[module], function)
        try:
            result = main()
            code = result if isinstance(result, int) else 0
        except SystemExit as exit_:
            if isinstance(exit_.code, int) or exit_.code is None:
                code = exit_.code or 0
            else:
                sys.stderr.write(f"{exit_.code}\n")
                code = 1
        except BaseException:
            sys.excepthook(*sys.exc_info())
            code = 1
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
    finally:
        try:
            conn.sendall(struct.pack("!i", code))
        finally:
            os._exit(code)


_lock = threading.Lock()
_zygote: Zygote | None = None


def zygote_bin(env: dict[str, str]) -> str | None:
    """The folder to put first on PATH (the zygote starts on first use, with
    ``env``), or None with ``DOC_EXAMPLES_PLAIN=1``."""
    global _zygote
    if os.environ.get("DOC_EXAMPLES_PLAIN") == "1":
        return None
    with _lock:
        if _zygote is None:
            _zygote = Zygote(env)
        return str(_zygote.bin)


def stop_zygote() -> None:
    global _zygote
    with _lock:
        if _zygote is not None:
            _zygote.close()
            _zygote = None


if __name__ == "__main__":
    serve(sys.argv[1])
