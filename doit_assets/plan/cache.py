"""A cache of the validated project, so that an unchanged ``assets.toml`` is
not parsed, checked and turned into tasks again on every run.

Parsing and validating costs about 100 microseconds per asset; for 10 000
assets that is most of a no-op run. The cache holds what depends only on the
file's bytes (and on where it is and which doit commands exist): the project,
the asset tasks before their ``inputs`` are expanded, as plain values. What
depends on the disk (source files present, globs) is checked on every run.
Projects with Python assets are not cached: their code is not in the file.

The cache decides what runs, so it is bound to the very file it was made
from: its key holds the file's inode and change time, which nobody can set.
A cache copied from elsewhere (restored in CI, planted) never matches and is
made again (see "Trust" in docs/design.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
from pathlib import Path
from typing import Any

from ..atomic import read_nofollow, write_atomically
from ..doit_plugin.fastpath import code_stamp, file_identity
from ..paths import CACHE_FILE

# Bump when what is cached changes shape.
FORMAT = 4


def cache_key(toml: Path, reserved_names: frozenset[str]) -> str | None:
    """The key of a project: its file's bytes and everything else that shapes it."""
    try:
        data = toml.read_bytes()
    except OSError:
        return None
    digest = hashlib.sha256(data)
    for part in (
        str(FORMAT),
        code_stamp(),
        str(toml.resolve()),
        file_identity(str(toml)),
        os.getcwd(),
        "\0".join(sorted(reserved_names)),
    ):
        digest.update(b"\0" + part.encode())
    return digest.hexdigest()


def load(key: str) -> Any | None:
    """What was saved under ``key``, or None (missing, stale or unreadable)."""
    try:
        saved_key, value = marshal.loads(read_nofollow(CACHE_FILE))
    except Exception:  # a cache is only a cache: any problem means "rebuild"
        return None
    return value if saved_key == key else None


def save(key: str, value: Any) -> None:
    """Write atomically; a failure to write only costs the next run some time.

    ``marshal`` keeps plain values only, and loads them ten times faster than
    pickle loads objects; a project whose values it cannot keep (a TOML date
    in ``metadata``) is simply not cached.
    """
    try:
        data = marshal.dumps((key, value))
    except ValueError:
        return
    with contextlib.suppress(OSError):
        write_atomically(CACHE_FILE, data)
