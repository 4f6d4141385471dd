"""Versions: what defines an asset (its fingerprint) and what it produced (output versions).

doit checks file dependencies itself (md5 with an mtime short-cut, which gives
early cutoff for free). doit checks targets only for existence, so
``AssetFreshness`` adds what an asset needs on top: the definition fingerprint,
every output's content (a deleted, truncated or hand-edited output re-runs its
asset) and the content of upstream *directories*, which doit cannot hash.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
from collections.abc import Mapping
from typing import Any

from ..model import clock
from ..model.spec import is_directory

FINGERPRINT = "asset:fingerprint"
OUTPUTS = "asset:outputs"
DIR_INPUTS = "asset:dir_inputs"
MADE_AT = "asset:made_at"

_CHUNK = 1 << 20
# (path, size, mtime_ns) -> md5: a file is hashed at most once per process even
# when several assets read it.
_md5_cache: dict[tuple[str, int, int], str] = {}


def fingerprint(
    transform: str, code_version: str | None, paths: tuple[str, ...]
) -> str:
    """A stable digest of everything that defines how an asset is made.

    ``transform`` is the template rendered with final, project-relative paths,
    so the fingerprint does not depend on where the project lives.
    """
    text = json.dumps([transform, code_version, paths], separators=(",", ":"))
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


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


def _dir_files(path: str) -> list[tuple[str, os.stat_result]]:
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
        files = _dir_files(path)
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


def _stamp(path: str) -> str | None:
    if is_directory(path):
        if not os.path.isdir(path):
            return None
        return _dir_stamp(path, _dir_files(path))
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
    stamp = _stamp(path)
    if stamp is None:
        return False
    if stamp == stored.get("stamp"):
        return True
    current = output_state(path)
    return current is not None and current["md5"] == stored.get("md5")


_SIGNATURE = inspect.Signature(
    [
        inspect.Parameter("task", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("values", inspect.Parameter.POSITIONAL_OR_KEYWORD),
    ]
)


class AssetFreshness:
    """doit ``uptodate`` item: fingerprint, output content, directory inputs, age.

    Outputs and directory inputs are paths as doit sees them (relative to the
    working directory); directories keep their trailing ``/``.
    """

    # doit asks for the signature of every uptodate callable on every check;
    # this answers at once (inspect would otherwise work it out each time).
    __signature__ = _SIGNATURE

    def __init__(
        self,
        fingerprint: str,
        outputs: tuple[str, ...],
        dir_inputs: tuple[str, ...] = (),
        max_age: float | None = None,
    ) -> None:
        self.fingerprint = fingerprint
        self.outputs = outputs
        self.dir_inputs = dir_inputs
        self.max_age = max_age

    def __repr__(self) -> str:
        return "doit-assets check of the transform, code version and outputs"

    def configure_task(self, task: Any) -> None:
        task.value_savers.append(self.record)

    def record(self) -> dict[str, Any]:
        """Values doit stores after a success; the reporter reads them too."""
        return {
            FINGERPRINT: self.fingerprint,
            OUTPUTS: {p: output_state(p, names=True) for p in self.outputs},
            DIR_INPUTS: {p: output_state(p) for p in self.dir_inputs},
            MADE_AT: clock.now(),
        }

    def __call__(self, task: Any, values: Mapping[str, Any]) -> bool:
        if values.get(FINGERPRINT) != self.fingerprint:
            return False
        for group, paths in ((OUTPUTS, self.outputs), (DIR_INPUTS, self.dir_inputs)):
            stored = values.get(group) or {}
            if not all(unchanged(p, stored.get(p)) for p in paths):
                return False
        return not too_old(values, self.max_age)


def too_old(values: Mapping[str, Any], max_age: float | None) -> bool:
    """Past its ``max_age`` (or of unknown age, when it has one)."""
    if max_age is None:
        return False
    made_at = values.get(MADE_AT)
    return made_at is None or clock.now() - float(made_at) > max_age
