"""Staging: where an attempt writes, what is checked, and how outputs are published.

Each attempt at a materialization gets staging folders of its own, one beside
each output's folder: ``build/report.md`` is written at
``build/.doit-assets-staging.XXXXXXXXXXXX/report.md``. The folder is unique, so
a transform left over from a killed run can never write into a later
attempt's output; the file keeps the output's own name, since tools such as
gzip and zip write the name into what they make. On success each output is
flushed to disk and moved into place with ``os.replace``; whatever happens,
the folders go.

Before anything runs, an attempt checks what it would replace: an output
that resolves outside the project through a symbolic link, a folder where a
file output goes, or files in a directory output's folder that no
materialization of the asset made, each fail the asset instead of being
overwritten or deleted.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from ..atomic import sync_folder
from ..paths import STAGING_PREFIX, STAGING_TOKEN, is_directory
from .processes import Entry, Registry, ensure_watchdog

Stamp = tuple[int, int, int] | None  # (size, mtime, inode) of what is at a path


class Attempt:
    """One run of one transform: its staging folders and its registry entry.

    ``outputs`` are the final paths, relative to ``cwd`` (the project
    directory), directories with their trailing ``/``.
    """

    def __init__(self, cwd: str, outputs: Sequence[str], registry: Registry) -> None:
        self.cwd = cwd
        self.outputs = tuple(outputs)
        self.registry = registry
        token = secrets.token_hex(STAGING_TOKEN)
        self.folders: dict[str, str] = {}  # output folder -> its staging folder
        for output in self.outputs:
            head = os.path.dirname(output.rstrip("/"))
            if head not in self.folders:
                self.folders[head] = os.path.join(head, STAGING_PREFIX + token)
        self.entry: Entry | None = None

    def staged(self, output: str) -> str:
        """Where ``output`` is written in this attempt, relative to ``cwd``."""
        head, tail = os.path.split(output.rstrip("/"))
        staged = os.path.join(self.folders[head], tail)
        return staged + "/" if is_directory(output) else staged

    def full(self, path: str) -> str:
        return os.path.join(self.cwd, path.rstrip("/"))

    # -- before ------------------------------------------------------------------

    def refuse(
        self,
        external_roots: Sequence[str],
        previous: Callable[[], Mapping[str, Any]],
        key: str,
        *,
        replacing: bool = True,
    ) -> str | None:
        """Why this attempt must not replace its outputs, or None. One that
        will not (``replacing=False``: a rehearsal) may keep foreign files."""
        for output in self.outputs:
            problem = _outside(self.cwd, output, external_roots)
            if problem is not None:
                return problem
            final = self.full(output)
            if not is_directory(output):
                if os.path.isdir(final) and not os.path.islink(final):
                    return (
                        f"output '{output}' is a folder here, but the asset declares a "
                        f"file. Move the folder away, or declare a directory output: "
                        f'path = "{output}/"'
                    )
                continue
            if os.path.lexists(final) and not os.path.isdir(final):
                return (
                    f"output '{output}' is a file here, but the asset declares a "
                    f"folder. Move the file away, or declare a file output: "
                    f'path = "{output.rstrip("/")}"'
                )
            if not replacing:
                continue
            foreign = foreign_files(final, previous().get(output))
            if foreign:
                shown = ", ".join(f"'{output}{name}'" for name in foreign[:3])
                more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
                count = f"{len(foreign)} file{'' if len(foreign) == 1 else 's'}"
                return (
                    f"output folder '{output}' holds {count} that no materialization "
                    f"of '{key}' made: {shown}{more}. Move them away: a directory "
                    "output is replaced whole"
                )
        return None

    def begin(self) -> None:
        """Record the attempt, then make its staging folders."""
        folders = [os.path.join(self.cwd, f) for f in self.folders.values()]
        self.entry = self.registry.begin(folders)
        ensure_watchdog(self.registry)
        for output in self.outputs:
            _clear_legacy(self.full(output))
        for folder in folders:
            os.makedirs(os.path.dirname(folder) or ".", exist_ok=True)
            os.mkdir(folder)
        for output in self.outputs:
            if is_directory(output):
                os.mkdir(self.full(self.staged(output)))

    def started(self, pid: int) -> None:
        if self.entry is not None:
            self.registry.started(self.entry, pid)

    # -- after -------------------------------------------------------------------

    def check(self, before: Mapping[str, Stamp], hint: str) -> str | None:
        """What is wrong with what the transform left, or None."""
        missing = []
        for output in self.outputs:
            staged = self.full(self.staged(output))
            if not os.path.lexists(staged):
                missing.append(output)
            elif is_directory(output) and not os.path.isdir(staged):
                return (
                    f"transform wrote a file at '{output}', but the asset declares a "
                    "folder (its path ends with '/'). Write the files inside the "
                    f"folder {{self.path}} gives, or declare a file output: "
                    f'path = "{output.rstrip("/")}"'
                )
            elif not is_directory(output) and os.path.isdir(staged):
                return (
                    f"transform wrote a folder at '{output}', but the asset declares a "
                    f'file. Declare a directory output: path = "{output}/"'
                )
        touched = [m for m in missing if stamp(self.full(m)) != before[m]]
        if touched:
            return overwritten(touched, hint, any(before[m] for m in touched))
        if missing:
            names = ", ".join(f"'{m}'" for m in missing)
            return f"transform succeeded but did not write {names}. {hint}"
        return None

    def publish(self, *, durable: bool) -> None:
        """Move every output into place; with ``durable``, on disk first."""
        synced: set[str] = set()
        for output in self.outputs:
            staged, final = self.full(self.staged(output)), self.full(output)
            if durable:
                _sync_tree(staged)
            if os.path.isdir(final) and not os.path.islink(final):
                # A folder cannot be replaced in one step: move the old one into
                # the staging folder first, so that a crash in between leaves
                # the output missing (made again next time), never mixed.
                os.replace(final, os.path.join(os.path.dirname(staged), ".previous"))
            os.replace(staged, final)
            folder = os.path.dirname(final)
            if durable and folder not in synced:
                synced.add(folder)
                sync_folder(folder)

    def end(self) -> None:
        """Remove the staging folders and the record, whatever happened."""
        for folder in self.folders.values():
            path = os.path.join(self.cwd, folder)
            try:
                os.rmdir(path)  # after a success it is empty: one call, no walk
            except OSError:
                shutil.rmtree(path, ignore_errors=True)
        if self.entry is not None:
            self.registry.end(self.entry)


def stamp(path: str) -> Stamp:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def overwritten(paths: Sequence[str], hint: str, existed: bool) -> str:
    names = ", ".join(repr(p) for p in paths)
    lost = ", so the previous output was overwritten" if existed else ""
    return (
        f"transform wrote {names} in place instead of to its staging path{lost}. {hint}"
    )


def foreign_files(final: str, recorded: Mapping[str, Any] | None) -> list[str]:
    """Files in a directory output that no materialization of it made."""
    if not os.path.isdir(final):
        return []
    present = sorted(
        os.path.relpath(os.path.join(folder, name), final).replace(os.sep, "/")
        for folder, _, names in os.walk(final)
        for name in names
    )
    if not present:
        return []
    if recorded is None:
        return present  # nothing of it was ever made here
    names = recorded.get("names")
    if names is None:  # only a version is known: all of it, if it is that one
        from ..store.versions import output_state

        now = output_state(final + "/") or {}
        return [] if now.get("md5") == recorded.get("md5") else present
    made = set(names)
    return [name for name in present if name not in made]


@lru_cache(maxsize=64)
def _real(path: str) -> str:
    return os.path.realpath(path)


def _outside(cwd: str, output: str, external_roots: Sequence[str]) -> str | None:
    """An output whose folder resolves outside the project (through a symlink)."""
    folder = os.path.dirname(os.path.join(cwd, output.rstrip("/")))
    resolved = _real(folder)
    for root in (cwd, *external_roots):
        real = _real(root)
        if resolved == real or resolved.startswith(real.rstrip(os.sep) + os.sep):
            return None
    return (
        f"output '{output}' resolves outside the project, through a symbolic link, "
        f"to '{os.path.join(resolved, os.path.basename(output.rstrip('/')))}'. "
        f'Allow that folder with [settings] external_roots = ["{resolved}"], or '
        "change the link"
    )


def _sync_tree(path: str) -> None:
    if not os.path.isdir(path):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        return
    for folder, _, names in os.walk(path):
        for name in names:
            _sync_tree(os.path.join(folder, name))
        sync_folder(folder)


def _clear_legacy(final: str) -> None:
    """Staging left by doit-assets before 0.2 (a sibling named after the output)."""
    head, tail = os.path.split(final)
    for name in (STAGING_PREFIX + tail, STAGING_PREFIX + tail + ".old"):
        legacy = os.path.join(head, name)
        if os.path.isdir(legacy) and not os.path.islink(legacy):
            shutil.rmtree(legacy, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                os.unlink(legacy)


# -- doit clean ------------------------------------------------------------------


def remove_made(
    cwd: str,
    outputs: Sequence[str],
    recorded: Mapping[str, Any],
    external_roots: Sequence[str] = (),
) -> list[str]:
    """Delete what materializations of an asset made; say what was kept and why.

    A file output is removed; a directory output loses the files its last
    materialization made, and the folders they leave empty. Nothing is
    deleted through a symbolic link out of the project, and nothing the asset
    did not make.
    """
    lines = []
    for output in outputs:
        final = os.path.join(cwd, output.rstrip("/"))
        shown = output.rstrip("/")
        if not os.path.lexists(final):
            continue
        problem = _outside(cwd, output, external_roots)
        if problem is not None:
            lines.append(f"{shown} - kept: it resolves outside the project")
            continue
        if not is_directory(output):
            if os.path.isdir(final) and not os.path.islink(final):
                lines.append(f"{shown} - kept: a folder, but the output is a file")
                continue
            os.remove(final)
            lines.append(f"{shown} - removed")
            continue
        if os.path.islink(final) or not os.path.isdir(final):
            lines.append(f"{shown}/ - kept: not a folder")
            continue
        foreign = set(foreign_files(final, recorded.get(output)))
        kept = 0
        for folder, dirs, names in os.walk(final, topdown=False):
            for name in names:
                path = os.path.join(folder, name)
                rel = os.path.relpath(path, final).replace(os.sep, "/")
                if rel in foreign:
                    kept += 1
                else:
                    os.remove(path)
            for name in dirs:
                with contextlib.suppress(OSError):  # not empty: holds kept files
                    os.rmdir(os.path.join(folder, name))
        if kept:
            lines.append(
                f"{shown}/ - kept {kept} file{'' if kept == 1 else 's'} that no "
                "materialization made"
            )
        else:
            os.rmdir(final)
            lines.append(f"{shown}/ - removed")
    return lines
