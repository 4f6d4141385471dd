"""What is on disk when a run starts: source files and the files of ``inputs``.

Checked on every run, from the project cache or not. What is or is not on
disk never stops the project from loading (the rule is in declared.py): a
missing source file, a missing input or a glob that matches nothing is
printed once as a warning, and only the asset that needs it fails when doit
comes to it, with the same words (``fail_missing``); doit then skips what
reads it. A glob or a directory in ``inputs`` becomes the sorted list of files
it stands for, less the paths the asset and its upstream assets declare
(those come through the dependency) and doit-assets' own files.
"""

from __future__ import annotations

import difflib
import glob
import os
import stat
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Literal, NamedTuple

from ..errors import AssetDefinitionError, Location
from ..model.disk import Missing, MissingKind, OnDisk
from ..model.spec import AssetKey, AssetSpec
from ..paths import STAGING_PREFIX, STATE_DIR, is_directory
from .declared import Covered, Where, named_by_dependency

INPUT_HINT = (
    "List files the transform reads; outputs of other assets go in 'depends_on'"
)
SOURCE_HINT = "Create it, or give the asset a 'transform' that makes it"
# What is at a path: a file (or anything that is not a folder), or a folder.
Found = Literal["file", "dir"]


class FileCheck(NamedTuple):
    """What the check needs of one asset, as plain values (the project cache
    keeps them as a tuple)."""

    key: str
    sources: tuple[str, ...]  # a source's own files (each partition's) to find on disk
    inputs: tuple[str, ...]  # to look for on disk (not the upstreams' outputs)
    declared: tuple[str, ...]  # its own paths and its upstreams', left out of globs
    from_upstream: tuple[str, ...]  # globs and folders that name an upstream's output
    path_at: tuple[str, int | None]  # where 'path' and 'inputs' are declared
    inputs_at: tuple[str, int | None]


def file_checks(specs: Mapping[AssetKey, AssetSpec], where: Where) -> list[FileCheck]:
    """What to look for on disk, for every asset with a source file or inputs.

    An input that is an upstream's output (or lies in one) is left out here,
    once: it comes through the dependency, whatever is on disk."""
    named = named_by_dependency(specs)
    checks = []
    for spec in specs.values():
        on_disk = spec.is_source and spec.observe is None
        if not (on_disk or spec.inputs):
            continue
        sources: tuple[str, ...] = ()
        if on_disk:
            sources = spec.paths
            if spec.partitions is not None:
                sources = tuple(spec.partitions.all_paths(spec.paths))
        declared = list(spec.paths)
        for dep in spec.deps:
            if dep in specs:
                declared += specs[dep].paths
        covered = Covered(declared)
        inputs = tuple(
            p
            for p in dict.fromkeys(spec.inputs)
            if glob.has_magic(p) or not covered(os.path.normpath(p))
        )
        checks.append(
            FileCheck(
                str(spec.key),
                sources,
                inputs,
                tuple(declared),
                tuple(p for p in inputs if p in named.get(spec.key, ())),
                _at(where(spec, "path")),
                _at(where(spec, "inputs")),
            )
        )
    return checks


def _at(location: Location | None) -> tuple[str, int | None]:
    return ("", None) if location is None else (location.path, location.line)


def check_files(root: str | os.PathLike[str], checks: Iterable[FileCheck]) -> OnDisk:
    """Look for each source file and expand each input; note what is missing."""
    look = _Looker(str(root))
    inputs: dict[AssetKey, tuple[str, ...]] = {}
    missing_inputs: dict[str, tuple[Missing, ...]] = {}
    missing_sources: dict[str, Missing] = {}
    warnings: list[str] = []
    patterns: dict[AssetKey, tuple[str, ...]] = {}
    for check in checks:
        if check.sources:
            missing = [m for m in (_source(look, check, p) for p in check.sources) if m]
            missing_sources.update((m.path, m) for m in missing)
            if missing:
                warnings.append(_warning(missing))
        if check.inputs:
            files, unmade = _expand(look, check)
            inputs[AssetKey(check.key)] = files
            patterns[AssetKey(check.key)] = check.inputs
            if unmade:
                missing_inputs[check.key] = tuple(unmade)
                warnings += [m.warning for m in unmade]
    return OnDisk(inputs, missing_inputs, missing_sources, tuple(warnings), patterns)


class _Looker:
    """What is at a path (None: nothing); each path looked at once (many assets
    list the same script as an input)."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.seen: dict[str, Found | None] = {}

    def __call__(self, path: str) -> Found | None:
        try:
            return self.seen[path]
        except KeyError:
            pass
        kind: Found | None
        try:
            mode = os.stat(os.path.join(self.root, path)).st_mode
        except (OSError, ValueError):
            kind = None
        else:
            kind = "dir" if stat.S_ISDIR(mode) else "file"
        self.seen[path] = kind
        return kind


def _source(look: _Looker, check: FileCheck, path: str) -> Missing | None:
    kind = look(path.rstrip("/"))
    if kind is None:
        what = "directory" if is_directory(path) else "file"
        return _missing(
            check,
            path,
            "source_missing",
            f"source {what} '{path}' does not exist",
            _did_you_mean(Path(look.root), path, check.sources) or SOURCE_HINT,
        )
    if kind == "dir" and not is_directory(path):
        return _missing(
            check,
            path,
            "source_kind",
            f"source '{path}' is a directory",
            f'Write path = "{path}/" to declare a directory asset',
        )
    if kind != "dir" and is_directory(path):
        return _missing(
            check,
            path,
            "source_kind",
            f"source '{path}' is a file, not a directory",
            f'Write path = "{path.rstrip("/")}"',
        )
    return None


def _expand(look: _Looker, check: FileCheck) -> tuple[tuple[str, ...], list[Missing]]:
    """The files the inputs stand for, and the inputs that stand for none."""
    covered: Covered | None = None
    files: list[str] = []
    unmade: list[Missing] = []
    for pattern in check.inputs:
        magic = glob.has_magic(pattern)
        kind = None if magic else look(pattern)
        if kind == "file":
            files.append(pattern)
        elif magic or kind == "dir":
            wildcard = pattern if magic else pattern.rstrip("/") + "/**"
            covered = covered or Covered(check.declared)
            matches = _matching_files(look.root, wildcard, covered)
            if not matches and pattern not in check.from_upstream:
                problem = f"input '{pattern}' matches no file"
                unmade.append(
                    _missing(check, pattern, "input_unmatched", problem, INPUT_HINT)
                )
            files += matches
        elif pattern not in check.from_upstream:
            hint = _did_you_mean(Path(look.root), pattern, ()) or INPUT_HINT
            problem = f"input '{pattern}' does not exist"
            unmade.append(_missing(check, pattern, "input_missing", problem, hint))
    return tuple(dict.fromkeys(files)), unmade


def _matching_files(root: str, pattern: str, covered: Covered) -> list[str]:
    found = []
    for match in glob.glob(pattern, root_dir=root, recursive=True):
        path = match.replace(os.sep, "/")
        if (
            covered(path)
            or path.startswith(STATE_DIR + "/")
            or STAGING_PREFIX in path
            or not os.path.isfile(os.path.join(root, path))
        ):
            continue
        found.append(path)
    return sorted(found)


def _missing(
    check: FileCheck, path: str, kind: MissingKind, problem: str, hint: str
) -> Missing:
    at = check.inputs_at if kind.startswith("input") else check.path_at
    error = AssetDefinitionError(
        problem, location=Location(*at) if at[0] else None, key=check.key, hint=hint
    )
    return Missing(path, kind, problem, error.message, error.warning)


def _warning(missing: list[Missing]) -> str:
    """One line for a source: the first file, and how many partitions miss theirs."""
    first, more = missing[0], len(missing) - 1
    if not more:
        return first.warning
    count = f" (and {more} more partition{'s' if more > 1 else ''})"
    return first.warning.replace(first.problem, first.problem + count, 1)


def _did_you_mean(root: Path, path: str, declared: Iterable[str]) -> str | None:
    """The closest existing path, one folder at a time, as a hint; never one
    the asset declares too (another partition's file is no typo)."""
    folder = root
    parts = []
    for name in path.rstrip("/").split("/"):
        try:
            entries = os.listdir(folder)
        except OSError:
            return None
        if name not in entries:
            # close: a typo ('clean.pyy'), not another file ('orders' for 'returns')
            close = difflib.get_close_matches(name, entries, n=1, cutoff=0.8)
            if not close:
                return None
            name = close[0]
        parts.append(name)
        folder = folder / name
    guess = "/".join(parts) + ("/" if is_directory(path) else "")
    if guess == path or guess in declared:
        return None
    return f"Did you mean '{guess}'?"


# -- at run time -------------------------------------------------------------


def print_warnings(warnings: Iterable[str], warned: set[str]) -> None:
    """On stderr, each line once in ``warned`` (a run may load twice: a command
    that looks at the plan, then the run it starts)."""
    for line in warnings:
        if line not in warned:
            warned.add(line)
            sys.stderr.write(line + "\n")
