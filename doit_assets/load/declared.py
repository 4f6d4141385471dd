"""Declared paths against one another, by their text: which asset makes a file.

The rule for every path check: a path or glob in ``inputs`` is matched, at load
time and by text, against the outputs the project *declares* (every partition's
included); what is on disk is a fact of one asset at run time (``files.py``).
A file that another asset declares is that asset's: reading it makes the
reader depend on it. When the owner already is a dependency (``depends_on``, a
template reference, a parameter), the file simply comes through that
dependency; otherwise the input is an error that says to depend on the owner.
Outputs inside outputs are refused by ``graph._check_outputs``.
"""

from __future__ import annotations

import fnmatch
import glob
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache

from ..errors import AssetDefinitionError, AssetError, Location
from ..model.spec import AssetKey, AssetSpec
from ..paths import is_directory

Where = Callable[[AssetSpec, str], "Location | None"]
PLACEHOLDER = re.compile(r"\{partition(?:\.[A-Za-z_][A-Za-z0-9_]*)?\}")


class Covered:
    """Whether a file is one of some declared paths or lies inside one.

    Paths are as declared: a trailing ``/`` for a directory output, and
    ``{partition}`` placeholders, which any partition key fills.
    """

    def __init__(self, declared: Iterable[str]) -> None:
        files, dirs, patterns = set(), [], []
        for path in declared:
            if PLACEHOLDER.search(path):
                patterns.append(_template_pattern(path))
            elif is_directory(path):
                dirs.append(path)
            else:
                files.add(path)
        self.files = files
        self.dirs = tuple(dirs)
        self.pattern = re.compile("|".join(patterns)) if patterns else None

    def __call__(self, path: str) -> bool:
        return (
            path in self.files
            or path.startswith(self.dirs)
            or (self.pattern is not None and self.pattern.fullmatch(path) is not None)
        )


def _template_pattern(path: str) -> str:
    parts = PLACEHOLDER.split(path)
    text = "[^/]+".join(re.escape(p) for p in parts)
    return f"(?:{text}.+)" if is_directory(path) else f"(?:{text})"


def check_inputs(specs: Mapping[AssetKey, AssetSpec], where: Where) -> list[AssetError]:
    """An input that another asset declares must come through a dependency."""
    readers = [spec for spec in specs.values() if spec.inputs]
    if not readers:
        return []
    index = _Index(specs.values())
    problems = []
    for spec in readers:
        for pattern in dict.fromkeys(spec.inputs):
            problem = _input_problem(spec, pattern, index, specs, where)
            if problem is not None:
                problems.append(problem)
    return problems


class _Index:
    """Every declared path (each partition's), by itself and by each folder above it."""

    def __init__(self, specs: Iterable[AssetSpec]) -> None:
        self.exact: dict[str, tuple[str, AssetKey]] = {}
        self.under: dict[str, list[tuple[str, AssetKey]]] = {}
        for spec in specs:
            paths: Iterable[str] = spec.paths
            if spec.partitions is not None:
                paths = spec.partitions.all_paths(spec.paths)
            for path in paths:
                bare = path.rstrip("/")
                self.exact.setdefault(bare, (path, spec.key))
                self.under.setdefault("", []).append((path, spec.key))
                parent = bare
                while "/" in parent:
                    parent = parent.rsplit("/", 1)[0]
                    self.under.setdefault(parent, []).append((path, spec.key))

    def directory_above(self, path: str) -> tuple[str, AssetKey] | None:
        """The directory output that ``path`` lies in, if any."""
        parent = path
        while "/" in parent:
            parent = parent.rsplit("/", 1)[0]
            found = self.exact.get(parent)
            if found is not None and is_directory(found[0]):
                return found
        return None


# What a match is, in words: (what the input does, the declared path).
Match = tuple[str, str, AssetKey]


def _matches(pattern: str, index: _Index) -> list[Match]:
    """Every declared path that ``pattern`` names, holds or matches."""
    normal = posixpath.normpath(pattern)
    if not glob.has_magic(normal):
        found: list[Match] = []
        exact = index.exact.get(normal)
        if exact is not None:
            found.append(("is", *exact))
        above = index.directory_above(normal)
        if above is not None:
            found.append(("is inside", *above))
        found += [("holds", *hit) for hit in index.under.get(normal, ())]
        return found
    segments = normal.split("/")
    fixed = []
    for segment in segments[:-1]:
        if glob.has_magic(segment):
            break
        fixed.append(segment)
    prefix = "/".join(fixed)
    candidates = list(index.under.get(prefix, ()))
    if prefix in index.exact:
        candidates.append(index.exact[prefix])
    above = index.directory_above(prefix) if prefix else None
    if above is not None:
        candidates.append(above)
    found = []
    for path, owner in dict.fromkeys(candidates):
        inside = is_directory(path)
        if _glob_matches(tuple(segments), tuple(path.rstrip("/").split("/")), inside):
            found.append(("matches files in" if inside else "matches", path, owner))
    return found


def _glob_matches(
    pattern: tuple[str, ...], path: tuple[str, ...], inside: bool
) -> bool:
    """Whether ``pattern`` matches ``path`` (``inside``: some file below it)
    as ``glob.glob(..., recursive=True)`` would: ``*`` stays in one folder and
    skips hidden names, ``**`` spans folders."""
    if not pattern:
        return not path and not inside
    head = pattern[0]
    if head == "**":  # no folder, or one more
        if _glob_matches(pattern[1:], path, inside):
            return True
        if not path:
            return inside
        return not path[0].startswith(".") and _glob_matches(pattern, path[1:], inside)
    if not path:
        return inside  # what is left of the pattern can match names inside
    return _segment_matches(head, path[0]) and _glob_matches(
        pattern[1:], path[1:], inside
    )


@lru_cache(maxsize=1024)
def _segment_matches(pattern: str, name: str) -> bool:
    if name.startswith(".") and not pattern.startswith("."):
        return False
    return fnmatch.fnmatchcase(name, pattern)


def _input_problem(
    spec: AssetSpec,
    pattern: str,
    index: _Index,
    specs: Mapping[AssetKey, AssetSpec],
    where: Where,
) -> AssetError | None:
    matches = _matches(pattern, index)
    own = [m for m in matches if m[2] == spec.key]
    others = [m for m in matches if m[2] not in (spec.key, *spec.deps)]
    location = where(spec, "inputs")
    if own and own[0][0] in ("is", "is inside"):
        how, path, _ = own[0]
        problem = f"input '{pattern}' is its own output"
        if how == "is inside":
            problem = f"input '{pattern}' is inside '{path}', its own output"
        return AssetDefinitionError(
            problem, location=location, key=spec.key, hint="Remove it from 'inputs'"
        )
    if not others:
        return None
    how, path, owner = others[0]
    owners = list(dict.fromkeys(m[2] for m in others))
    problem = f"input '{pattern}' {how} '{path}', {_output_of(specs[owner])}"
    if how == "is":
        problem = f"input '{pattern}' is {_output_of(specs[owner])}"
    if len(owners) > 1:
        more = ", ".join(f"'{o}'" for o in owners[1:])
        problem += f", and outputs of {more}"
    return AssetDefinitionError(
        problem, location=location, key=spec.key, hint=_depend_hint(spec, owners, specs)
    )


def _output_of(owner: AssetSpec) -> str:
    if owner.is_source:
        return f"the path of source asset '{owner.key}'"
    return f"the output of asset '{owner.key}'"


def _depend_hint(
    reader: AssetSpec, owners: list[AssetKey], specs: Mapping[AssetKey, AssetSpec]
) -> str:
    quoted = ", ".join(f'"{o}"' for o in owners)
    which = "it" if len(owners) == 1 else "them"
    if reader.is_python:
        hint = f"Depend on {which} instead: depends_on=[{quoted}]"
        if len(owners) == 1 and owners[0].isidentifier():
            hint += f" (or a parameter named '{owners[0]}')"
        return hint
    hint = f"Depend on {which} instead: depends_on = [{quoted}]"
    if len(owners) == 1:
        attr = "paths" if len(specs[owners[0]].paths) > 1 else "path"
        hint += f" (or use {{{owners[0]}.{attr}}} in the transform)"
    return hint


def named_by_dependency(
    specs: Mapping[AssetKey, AssetSpec],
) -> dict[AssetKey, set[str]]:
    """Each asset's inputs that name what an upstream asset declares: they may
    match no file before a run (the upstream makes them), and are no warning."""
    readers = [spec for spec in specs.values() if spec.inputs and spec.deps]
    if not readers:
        return {}
    index = _Index(specs.values())
    named: dict[AssetKey, set[str]] = {}
    for spec in readers:
        for pattern in spec.inputs:
            if any(m[2] in spec.deps for m in _matches(pattern, index)):
                named.setdefault(spec.key, set()).add(pattern)
    return named
