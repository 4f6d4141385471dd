"""A real ``doit assets watch`` in a test's project: started as a subprocess,
its lines read as they come, stopped with Ctrl-C (SIGINT) at the end."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

from conftest import PYTHON, Project

TIMEOUT = 30.0  # seconds a test waits for a line it expects


class Watch:
    def __init__(self, root: Path, *args: str, env: dict[str, str] | None = None):
        self.root = root
        full_env = dict(os.environ)
        full_env.pop("DOIT_ASSETS_FILE", None)
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "doit", "assets", "watch", "--debounce", "0.1", *args],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=full_env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def expect(self, pattern: str, timeout: float = TIMEOUT) -> str:
        """The next line that matches ``pattern`` (a regex, searched)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"no line matched {pattern!r} in {timeout} s; seen:\n"
                    + "\n".join(self.seen)
                )
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(line)
            if re.search(pattern, line):
                return line

    def quiet(self, seconds: float) -> list[str]:
        """The lines printed in the next ``seconds`` (a test expects none)."""
        deadline = time.monotonic() + seconds
        got = []
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(line)
            got.append(line)
        return got

    def ready(self) -> str:
        """The first cycle's line (the watcher started and caught up)."""
        return self.expect(r"^\d\d:\d\d:\d\d (watch started|start)")

    def stop(self, how: signal.Signals = signal.SIGINT) -> int:
        """Ctrl-C, as a terminal sends it to the watcher (or ``how``); its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(how)
        try:
            return self.proc.wait(TIMEOUT)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> Watch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def edit(path: Path, text: str) -> None:
    """Write a file as an editor saves it (one write), a moment after the last
    change so that its time stamp moves too."""
    time.sleep(0.05)
    path.write_text(text, encoding="utf-8")


def started(project: Project) -> None:
    """Until a materialization has begun (its staging folder exists)."""
    deadline = time.monotonic() + 20
    while not project.staging_dirs():
        assert time.monotonic() < deadline, "no materialization started"
        time.sleep(0.05)
