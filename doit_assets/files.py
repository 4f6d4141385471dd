"""What must be on disk before anything runs: source files and ``inputs``.

Checked while the project is validated, so that a missing file is reported
together with every other problem, and expanded once: a glob or a directory
in ``inputs`` becomes the sorted list of files it stands for.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import AssetDefinitionError, AssetError, Location
from .paths import STAGING_PREFIX
from .spec import AssetKey, AssetSpec, is_directory

STATE_DIR = ".doit-assets"

Where = Callable[[AssetSpec, str], "Location | None"]


def check_files(
    root: Path, specs: Sequence[AssetSpec], where: Where, problems: list[AssetError]
) -> dict[AssetKey, tuple[str, ...]]:
    """Report missing sources and inputs; return each asset's input files."""
    inputs: dict[AssetKey, tuple[str, ...]] = {}
    for spec in specs:
        if spec.is_source and spec.observe is None:
            problems += _source_problems(root, spec, where)
        inputs[spec.key] = _expand(root, spec, where, problems)
    return inputs


def _source_problems(root: Path, spec: AssetSpec, where: Where) -> list[AssetError]:
    problems: list[AssetError] = []
    paths = spec.paths
    if spec.partitions is not None:
        paths = tuple(spec.partitions.all_paths(paths))
    for path in paths:
        full = root / path
        if not os.path.exists(full):
            problem, hint = (
                f"source file '{path}' does not exist",
                "Create it, or give the asset a 'transform' that makes it",
            )
        elif os.path.isdir(full) and not is_directory(path):
            problem, hint = (
                f"source '{path}' is a directory",
                f'Write path = "{path}/" to declare a directory asset',
            )
        elif not os.path.isdir(full) and is_directory(path):
            problem, hint = (
                f"source '{path}' is a file, not a directory",
                f'Write path = "{path.rstrip("/")}"',
            )
        else:
            continue
        problems.append(
            AssetDefinitionError(
                problem, location=where(spec, "path"), key=spec.key, hint=hint
            )
        )
    return problems


def _expand(
    root: Path, spec: AssetSpec, where: Where, problems: list[AssetError]
) -> tuple[str, ...]:
    """A glob or a directory stands for the files it matches, less the asset's
    own outputs (a glob over a folder that also holds the output must not make
    the asset depend on itself) and doit-assets' own files."""
    files: list[str] = []
    for pattern in spec.inputs:
        if glob.has_magic(pattern) or os.path.isdir(root / pattern):
            wildcard = (
                pattern if glob.has_magic(pattern) else pattern.rstrip("/") + "/**"
            )
            matches = _matching_files(root, wildcard, spec.paths)
            if not matches:
                problems.append(_input_error(spec, where, pattern, "matches no file"))
            files += matches
        elif os.path.isfile(root / pattern):
            files.append(pattern)
        else:
            problems.append(_input_error(spec, where, pattern, "does not exist"))
    return tuple(dict.fromkeys(files))


def _matching_files(root: Path, pattern: str, own: tuple[str, ...]) -> list[str]:
    own_dirs = tuple(p for p in own if is_directory(p))
    found = []
    for match in glob.glob(pattern, root_dir=root, recursive=True):
        path = match.replace(os.sep, "/")
        if (
            path in own
            or path.startswith(own_dirs)
            or path.startswith(STATE_DIR + "/")
            or STAGING_PREFIX in path
            or not os.path.isfile(root / path)
        ):
            continue
        found.append(path)
    return sorted(found)


def _input_error(
    spec: AssetSpec, where: Where, pattern: str, problem: str
) -> AssetError:
    return AssetDefinitionError(
        f"input '{pattern}' {problem}",
        location=where(spec, "inputs"),
        key=spec.key,
        hint="List files the transform reads; outputs of other assets go in "
        "'depends_on'",
    )
