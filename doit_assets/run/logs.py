"""Each attempt's log: what its transform printed, kept in a file of its own.

A transform's stdout and stderr go, as they arrive, both to doit's streams
(the terminal, or doit's capture) and to one file per attempt,
``paths.log_path(RUN, TASK, ATTEMPT)``, the two streams in the order they came,
as a terminal shows them. A file holds at most ``LOG_LIMIT`` bytes: past that,
the first ``HEAD`` bytes stay, the rest is kept in memory as the last ``TAIL``
bytes, and when the attempt ends the file becomes the head, one line that says
how much was cut, and the tail. The last lines of stderr are kept apart, for
the history row of a failure (they outlive the file).

A Python transform's ``print`` (``sys.stdout`` and ``sys.stderr`` during the
call) goes the same way; what it writes to the file descriptors itself (a C
library, a child process) reaches doit's streams only.

Also here: the run-time metadata a transform reports (a shell transform in the
file ``$DOIT_ASSETS_METADATA``, a Python asset in a ``MaterializeResult``),
checked to be a JSON object.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import sys
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import IO, Any

from .tail import StderrTail

LOG_LIMIT = 1 << 20  # bytes in one log file
HEAD = LOG_LIMIT // 4  # kept from the start of a longer output
TAIL = LOG_LIMIT - HEAD - 200  # kept from its end (room for the line that says so)
TAIL_LINES = 10  # lines of stderr a failure's history row keeps
TAIL_CHARS = 2000  # at most, from their end

METADATA_VARIABLE = "DOIT_ASSETS_METADATA"
METADATA_FILE = ".doit-assets-metadata.json"  # in the attempt's staging folder
METADATA_HINT = 'Write one JSON object to it, such as {"rows": 12}'


class AttemptLog:
    """What one attempt printed and reported: its log file (none without a
    ``path``, or where it cannot be written), the last lines of its stderr,
    and the metadata its transform reported."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.file: IO[bytes] | None = None
        if path is not None:
            try:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                self.file = open(path, "wb")  # noqa: SIM115 (closed by close())
            except OSError:  # a log is a help, never a reason to fail
                self.path = None
        self.reported: dict[str, Any] | None = None
        self.size = 0  # bytes the transform printed
        self._tail: deque[bytes] = deque()  # the end, once past the head
        self._tail_size = 0
        self._stderr = StderrTail(TAIL_LINES)
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def write(self, data: bytes, *, stderr: bool, tail: bool = True) -> None:
        if stderr and tail:
            self._stderr.add(self._decoder.decode(data))
        if self.file is None or not data:
            return
        start = self.size
        self.size += len(data)
        if start < LOG_LIMIT:  # still written as it comes, for --follow
            self.file.write(data[: LOG_LIMIT - start])
            self.file.flush()
        if self.size > HEAD:  # what may end up in the tail
            self._tail.append(data[max(HEAD - start, 0) :])
            self._tail_size += len(self._tail[-1])
            while self._tail_size - len(self._tail[0]) >= TAIL:
                self._tail_size -= len(self._tail.popleft())

    def close(self) -> None:
        """The file as it stays: cut to its head and tail if it is too long."""
        if self.file is None:
            return
        try:
            if self.size > LOG_LIMIT:
                tail = b"".join(self._tail)[-TAIL:]
                cut = self.size - HEAD - len(tail)
                self.file.seek(HEAD)
                self.file.truncate()
                self.file.write(cut_line(cut, self.size).encode())
                self.file.write(tail)
        finally:
            self.file.close()
            self.file = None
            self._tail.clear()

    def stderr_tail(self) -> tuple[str, ...]:
        """The last lines the transform wrote to stderr (tail.py)."""
        return self._stderr.lines()


def stderr_text(lines: Sequence[str]) -> str | None:
    """The last lines of stderr as the history keeps them (None: there were none)."""
    return "\n".join(lines)[-TAIL_CHARS:] or None


def cut_line(cut: int, total: int) -> str:
    """The line that stands where a long log was cut."""
    return (
        f"\n[doit-assets: {cut} bytes cut here; this log keeps the first "
        f"{HEAD} and the last {total - HEAD - cut} of {total} bytes]\n"
    )


class _Tee:
    """A text stream that writes to another one and to an attempt's log."""

    def __init__(self, stream: Any, log: AttemptLog, *, stderr: bool) -> None:
        self._stream = stream
        self._log = log
        self._stderr = stderr

    def write(self, text: str) -> int:
        self._log.write(text.encode("utf-8", "replace"), stderr=self._stderr)
        return int(self._stream.write(text) or len(text))

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding, ...
        return getattr(self._stream, name)


@contextmanager
def printed_into(log: AttemptLog) -> Iterator[None]:
    """``sys.stdout`` and ``sys.stderr`` go to the log too, while in the block."""
    out, err = sys.stdout, sys.stderr
    sys.stdout = _Tee(out, log, stderr=False)
    sys.stderr = _Tee(err, log, stderr=True)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


# -- run-time metadata ---------------------------------------------------------


def reported_path(log: str) -> str:
    """Where an attempt leaves the metadata it reported, beside its log, for
    the reporter (in doit's process) to record: ``RUN/TASK.N.metadata.json``."""
    return log.removesuffix(".log") + ".metadata.json"


def keep_reported(log: AttemptLog) -> None:
    """Leave a successful attempt's reported metadata for the reporter."""
    if log.path is None or log.reported is None:
        return
    from ..atomic import write_atomically

    data = json.dumps(log.reported).encode()
    # on a full disk, the materialization is recorded without it
    with contextlib.suppress(OSError):
        write_atomically(reported_path(log.path), data)


def take_reported(log: str) -> dict[str, Any] | None:
    """The metadata an attempt reported (read once: the file goes)."""
    path = reported_path(log)
    try:
        with open(path, encoding="utf-8") as f:
            value = json.load(f)
        os.unlink(path)
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def read_reported(path: str) -> tuple[dict[str, Any] | None, str | None]:
    """The JSON object a shell transform wrote to ``$DOIT_ASSETS_METADATA``:
    (the object, None), (None, None) if it wrote none, or (None, why not)."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return None, None
    except UnicodeDecodeError:
        return None, f"${METADATA_VARIABLE} is not UTF-8 text. {METADATA_HINT}"
    except OSError as err:
        return None, f"cannot read ${METADATA_VARIABLE}: {err.strerror or err}"
    if not text.strip():
        return None, None  # an empty file reports nothing, as no file does
    try:
        value = json.loads(text, parse_constant=_not_json)
    except (json.JSONDecodeError, ValueError) as err:
        return None, f"${METADATA_VARIABLE} is not JSON: {err}. {METADATA_HINT}"
    if not isinstance(value, dict):
        return None, (
            f"${METADATA_VARIABLE} must hold a JSON object, got "
            f"{_json_type(value)}. {METADATA_HINT}"
        )
    return value, None


def checked_metadata(metadata: object) -> tuple[dict[str, Any] | None, str | None]:
    """A ``MaterializeResult``'s metadata as JSON would keep it, or why it cannot be."""
    if not isinstance(metadata, Mapping):
        return None, (
            "MaterializeResult(metadata=...) must be a dict, got "
            f"{type(metadata).__name__}"
        )
    keys = [k for k in metadata if not isinstance(k, str)]
    if keys:
        return None, (
            f"MaterializeResult(metadata=...) has a key that is not a string: {keys[0]!r}"
        )
    try:  # NaN and Infinity are not JSON: every --json output would break
        return json.loads(json.dumps(dict(metadata), allow_nan=False)), None
    except (TypeError, ValueError) as err:
        return None, (
            f"MaterializeResult(metadata=...) cannot be kept as JSON: {err}. Use "
            "strings, numbers, booleans, None, lists and dicts"
        )


def _not_json(word: str) -> object:
    """json.loads takes NaN, Infinity and -Infinity, which JSON has not."""
    raise ValueError(f"{word} is not a JSON value")


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"
