"""Versions of files and folders: their md5 (each file hashed once per
process), size and a cheap stamp, and the names of what doit-assets keeps of
them in doit's saved values (``asset:outputs`` ...).

The state and the history record these versions; the freshness check
(doit_plugin/freshness.py) and the status compare them with the disk.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from typing import Any

from ..model import clock
from ..paths import is_directory

FINGERPRINT = "asset:fingerprint"
OUTPUTS = "asset:outputs"
DIR_INPUTS = "asset:dir_inputs"
MADE_AT = "asset:made_at"
# what entered the fingerprint beyond the definition's text (plan/environment.py),
# where it is not what the last materialization recorded: saved by `accept` and
# `reset-dep` only (a run's is in the history; 10 000 copies would slow a no-op)
ENVIRONMENT = "asset:environment"

# Files whose stamp moved while their content did not, seen this run: doit
# takes them as unchanged but never saves their new stamp, so every later run
# would hash them again (and the fast path would hand doit their tasks). The
# reporter saves the new stamps of the up-to-date tasks that read or made them.
# path -> doit's state of a file dependency (mtime, size, md5)
moved_deps: dict[str, tuple[float, int, str]] = {}
# path -> the output's stamp now
moved_outputs: dict[str, str] = {}

_CHUNK = 1 << 20
# (path, size, mtime_ns) -> md5: a file is hashed at most once per process even
# when several assets read it.
_md5_cache: dict[tuple[str, int, int], str] = {}


def file_md5(path: str, st: os.stat_result | None = None) -> str:
    st = st or os.stat(path)
    key = (path, st.st_size, st.st_mtime_ns)
    cached = _md5_cache.get(key)
    if cached is not None:
        return cached
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    _md5_cache[key] = result = digest.hexdigest()
    return result


def dir_files(path: str) -> list[tuple[str, os.stat_result]]:
    """Every file under a folder, in a stable order, with its stat."""
    found = []
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames.sort()
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            found.append((full, os.stat(full)))
    return found


def output_state(path: str, *, names: bool = False) -> dict[str, Any] | None:
    """Size, a cheap stamp and the md5 of a file or directory; None if missing.

    A directory's md5 covers the relative name and content of every file in it;
    with ``names`` the state also lists them (what a materialization made, so
    that publishing and ``doit clean`` never delete a file it did not make).
    """
    if is_directory(path):
        if not os.path.isdir(path):
            return None
        files = dir_files(path)
        relative = [os.path.relpath(f, path) for f, _ in files]
        listing = "\n".join(
            f"{rel}\t{file_md5(f, st)}"
            for rel, (f, st) in zip(relative, files, strict=True)
        )
        state = {
            "size": sum(st.st_size for _, st in files),
            "stamp": _dir_stamp(path, files),
            "md5": hashlib.md5(listing.encode(), usedforsecurity=False).hexdigest(),
            "files": len(files),
        }
        if names:
            state["names"] = [r.replace(os.sep, "/") for r in relative]
        return state
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return {
        "size": st.st_size,
        "stamp": f"{st.st_size}:{st.st_mtime_ns}",
        "md5": file_md5(path, st),
    }


def _dir_stamp(path: str, files: list[tuple[str, os.stat_result]]) -> str:
    text = "\n".join(
        f"{os.path.relpath(f, path)}\t{st.st_size}\t{st.st_mtime_ns}" for f, st in files
    )
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def current_stamp(path: str) -> str | None:
    """A file's or folder's stamp as it is now (None: missing)."""
    if is_directory(path):
        if not os.path.isdir(path):
            return None
        return _dir_stamp(path, dir_files(path))
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return f"{st.st_size}:{st.st_mtime_ns}"


def unchanged(path: str, stored: Mapping[str, Any] | None) -> bool:
    """True if ``path`` still has the content recorded in ``stored``.

    The stamp (size and mtime) decides when it matches; only a moved stamp
    costs a hash, so ``touch`` alone never re-runs anything.
    """
    if not stored:
        return False
    stamp = current_stamp(path)
    if stamp is None:
        return False
    if stamp == stored.get("stamp"):
        return True
    current = output_state(path)
    if current is None or current["md5"] != stored.get("md5"):
        return False
    moved_outputs[path] = stamp
    return True


def too_old(values: Mapping[str, Any], max_age: float | None) -> bool:
    """Past its ``max_age`` (or of unknown age, when it has one)."""
    if max_age is None:
        return False
    made_at = values.get(MADE_AT)
    return made_at is None or clock.now() - float(made_at) > max_age
