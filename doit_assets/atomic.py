"""Write a file whole or not at all: a unique temporary file, then ``os.replace``.

The temporary file is created exclusively (``O_EXCL``, never through a symbolic
link), so that a link planted at the destination or at a temporary name is
replaced, never followed; ``durable`` also flushes the data and the folder to
disk, so that the new file survives a power loss once this returns.
"""

from __future__ import annotations

import contextlib
import os

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)


def write_atomically(path: str, data: bytes, *, durable: bool = False) -> None:
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    temporary = f"{path}.{os.urandom(4).hex()}.tmp"
    fd = os.open(temporary, _FLAGS, 0o644)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    if durable:
        sync_folder(folder or ".")


def sync_folder(folder: str) -> None:
    """Flush a folder's entries (a rename into it) to disk, where the OS can."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the rename still happened
    finally:
        os.close(fd)


def read_nofollow(path: str) -> bytes:
    """A state file's bytes; a symbolic link there is an error (ELOOP), not followed."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as f:
        return f.read()
