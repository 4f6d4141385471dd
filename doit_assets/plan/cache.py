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
from typing import Any

from ..atomic import read_nofollow, write_atomically
from ..paths import CACHE_FILE

# Bump when what is cached changes shape.
FORMAT = 10


def cache_key(
    toml: str | os.PathLike[str], reserved_names: frozenset[str]
) -> str | None:
    """The key of a project: its file's bytes and everything else that shapes it."""
    return project_digest(
        toml, f"project cache {FORMAT}", "\0".join(sorted(reserved_names))
    )


def project_digest(toml: str | os.PathLike[str], *more: str) -> str | None:
    """A digest of a project as it is now: its file's bytes and identity, where
    it is, and this package's code; ``more`` says what it is for."""
    try:
        with open(toml, "rb") as f:
            data = f.read()
    except OSError:
        return None
    digest = hashlib.sha256(data)
    for part in (
        code_stamp(),
        os.path.abspath(toml),
        os.getcwd(),
        file_identity(str(toml)),
        *more,
    ):
        digest.update(b"\0" + part.encode())
    return digest.hexdigest()


def code_stamp() -> str:
    """This package's own code, so that an upgrade or an edit invalidates."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    stamps = []
    for folder, dirs, names in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith(".py"):
                st = os.stat(os.path.join(folder, name))
                rel = os.path.relpath(os.path.join(folder, name), package)
                stamps.append(f"{rel}:{st.st_size}:{st.st_mtime_ns}")
    return ",".join(stamps)


def file_identity(path: str) -> str:
    """This very file: its inode and change time, which no one can set.

    What a manifest or a cache vouches for is bound to it, so that one copied
    from elsewhere (a restored CI cache, a planted file) never matches.
    """
    try:
        st = os.stat(path)
    except OSError:
        return "-"
    return f"{st.st_dev}:{st.st_ino}:{st.st_ctime_ns}"


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
