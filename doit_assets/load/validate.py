"""The graph as a whole: unknown names, cycles, clashing outputs, partitioned
edges, inputs that another asset makes.

Every check collects its problems; ``build_graph`` raises them all at once,
sorted by position, the way a compiler reports.
"""

from __future__ import annotations

import dataclasses
import difflib
import graphlib
from collections.abc import Callable, Collection, Iterable

from ..errors import (
    AssetCycleError,
    AssetDefinitionError,
    AssetError,
    DuplicateAssetError,
    Location,
    UnknownDependencyError,
    did_you_mean,
    raise_all,
)
from ..model.graph import AssetGraph
from ..model.mappings import DEFAULT, Reading, resolve
from ..model.partitions import PartitionsError
from ..model.spec import AssetKey, AssetSpec
from ..model.template import TemplateError, parse_template
from .declared import check_inputs
from .pathnames import declared_path, name_problem

# Where to point a message: (spec, field) -> location. Field is a TOML key, or
# "dep:NAME" for the key that declared a dependency.
Where = Callable[[AssetSpec, str], "Location | None"]
# A hint for a dependency that names no asset, or None.
UnknownHint = Callable[[str], "str | None"]


def _spec_location(spec: AssetSpec, field: str) -> Location | None:
    return spec.location


def build_graph(
    specs: Iterable[AssetSpec],
    *,
    where: Where = _spec_location,
    reserved_names: Collection[str] = (),
    known_keys: Collection[str] = (),
    problems: Iterable[AssetError] = (),
    partial: Iterable[AssetSpec] = (),
    explain_unknown: UnknownHint | None = None,
    incomplete: bool = False,
) -> AssetGraph:
    """Validate specs as a whole and order them; raise AssetError listing every problem.

    ``known_keys`` are declared assets left out of ``specs`` because they have
    problems of their own (passed in ``problems``, raised along with the rest);
    ``partial`` holds them with their dependencies, checked like the others.
    ``explain_unknown`` gives a hint for a dependency that names no asset.
    ``incomplete``: some assets could not be read (a module that declares
    them failed to import), so a dependency that names none is not reported.
    """
    problems = list(problems)
    by_key: dict[AssetKey, AssetSpec] = {}
    for spec in specs:
        spec = _with_template_deps(spec, where, problems)
        if spec.key in by_key:
            first = by_key[spec.key].location
            problems.append(
                DuplicateAssetError(
                    f"declared twice (first at {first})" if first else "declared twice",
                    location=where(spec, ""),
                    key=spec.key,
                    hint="Rename one of them",
                )
            )
            continue
        by_key[spec.key] = spec
        if spec.key in reserved_names:
            problems.append(
                AssetDefinitionError(
                    f"name clashes with the doit command '{spec.key}'",
                    location=where(spec, ""),
                    key=spec.key,
                    hint=f"Rename it (e.g. '{spec.key}_data'); "
                    f"'doit {spec.key}' would run the command, not the asset",
                )
            )
    problems += _check_deps(
        by_key, where, known_keys, list(partial), explain_unknown, incomplete
    )
    problems += _check_outputs(by_key, where)
    problems += check_inputs(by_key, where)
    problems += _check_partitions(by_key, where)
    order, cycle_problem = _order(by_key, where)
    if cycle_problem:
        problems.append(cycle_problem)
    raise_all(problems)
    downstream: dict[AssetKey, list[AssetKey]] = {}
    for spec in by_key.values():
        for dep in spec.deps:
            downstream.setdefault(dep, []).append(spec.key)
    return AssetGraph(
        {key: by_key[key] for key in order},
        {key: tuple(keys) for key, keys in downstream.items()},
    )


def _with_template_deps(
    spec: AssetSpec, where: Where, problems: list[AssetError]
) -> AssetSpec:
    """Check what a loader may not have: the key, the paths, and that every
    asset the template names is a dependency (it is added when missing)."""
    hint = name_problem(spec.key)
    if hint is not None:
        problems.append(
            AssetDefinitionError(
                "invalid asset name",
                location=where(spec, ""),
                key=spec.key,
                hint=hint,
            )
        )
    derived = spec.io is not None or spec.observe is not None  # made from the key
    for path in spec.paths:
        _, problem, hint = declared_path("path", path, own=derived)
        if problem:
            problems.append(
                AssetDefinitionError(
                    problem, location=where(spec, "path"), key=spec.key, hint=hint
                )
            )
    if not isinstance(spec.transform, str):
        return spec
    try:
        refs = parse_template(spec.transform).refs
    except TemplateError as err:
        problems.append(
            AssetDefinitionError(
                err.problem,
                location=where(spec, "transform"),
                key=spec.key,
                hint=err.hint,
            )
        )
        return spec
    named = [
        AssetKey(r.scope) for r in refs if r.scope not in ("self", "vars", "partition")
    ]
    missing = [k for k in dict.fromkeys(named) if k not in spec.deps]
    return (
        dataclasses.replace(spec, deps=spec.deps + tuple(missing)) if missing else spec
    )


def _check_deps(
    by_key: dict[AssetKey, AssetSpec],
    where: Where,
    known_keys: Collection[str],
    partial: list[AssetSpec],
    explain_unknown: UnknownHint | None,
    incomplete: bool,
) -> list[AssetError]:
    problems: list[AssetError] = []
    names: list[str] = []  # sorted when a dependency names no asset: rarely
    for spec in [*by_key.values(), *partial]:
        multi_path_deps = False
        for dep in spec.deps:
            upstream = by_key.get(dep)
            if upstream is None and dep not in known_keys:
                if incomplete:
                    continue
                found = explain_unknown(dep) if explain_unknown else None
                if not names:
                    names = sorted({*by_key, *known_keys})
                hint = unknown_key_hint(dep, names, explain_unknown)
                # a parameter named after no asset (not mapped with 'ins')
                if not found and any(p == d == dep for p, d in spec.params):
                    close = difflib.get_close_matches(dep, names, n=1)
                    if not close or not close[0].isidentifier():
                        key = close[0] if close else "KEY"
                        hint = (
                            f"A parameter names an upstream asset: rename '{dep}', "
                            f"or map it with ins={{'{dep}': '{key}'}}"
                        )
                problems.append(
                    UnknownDependencyError(
                        f"unknown dependency '{dep}'",
                        location=where(spec, "dep:" + dep),
                        key=spec.key,
                        hint=hint,
                    )
                )
            elif upstream is not None and len(upstream.paths) > 1:
                multi_path_deps = True
        if multi_path_deps and isinstance(spec.transform, str):
            for ref in parse_template(spec.transform).refs:
                upstream = by_key.get(AssetKey(ref.scope))
                if ref.attr == "path" and upstream and len(upstream.paths) > 1:
                    problems.append(
                        AssetDefinitionError(
                            f"'{ref.text}' is ambiguous: '{ref.scope}' has "
                            f"{len(upstream.paths)} paths",
                            location=where(spec, "transform"),
                            key=spec.key,
                            hint="Use '{" + ref.scope + ".paths}'",
                        )
                    )
    return problems


def unknown_key_hint(
    key: str, names: Iterable[str], explain_unknown: UnknownHint | None
) -> str | None:
    """The hint for a name of no asset (a dependency, a sensor's trigger): a
    function that is not loaded or not an @asset, or the closest asset."""
    found = explain_unknown(key) if explain_unknown else None
    return found or did_you_mean(key, names)


def _check_partitions(
    by_key: dict[AssetKey, AssetSpec], where: Where
) -> list[AssetError]:
    """Each partitioned edge has a mapping; a single '.path' reads one partition."""
    problems: list[AssetError] = []
    for spec in by_key.values():
        single: set[str] | None = None  # read when a dependency is partitioned
        for dep in spec.deps:
            upstream = by_key.get(dep)
            if upstream is None:
                continue
            if upstream.partitions is None and not spec.mappings:
                continue  # most edges: nothing to map
            mapping = spec.mapping(dep)
            field = "partition_mapping" if mapping is not DEFAULT else "partitions"
            if upstream.partitions is None:
                if mapping is not DEFAULT:
                    problems.append(
                        AssetDefinitionError(
                            f"'partition_mapping' names '{dep}', which has no partitions",
                            location=where(spec, "partition_mapping"),
                            key=spec.key,
                            hint=f"Remove '{dep}' from 'partition_mapping'",
                        )
                    )
                continue
            try:
                how = resolve(spec.partitions, upstream.partitions, mapping)
            except PartitionsError as err:
                problems.append(
                    AssetDefinitionError(
                        f"cannot read '{dep}': {err.problem}",
                        location=where(spec, field),
                        key=spec.key,
                        hint=err.hint and err.hint.replace("{ NAME", "{ " + dep),
                    )
                )
                continue
            one = how.kind == "identity" or (
                how.kind == "dimension" and len(upstream.partitions.dimensions) == 1
            )
            if single is None:
                single = _single_path_refs(spec)
            if dep in single and not one:
                problems.append(
                    AssetDefinitionError(
                        f"'{{{dep}.path}}' names one file, but each "
                        f"{'run' if spec.partitions is None else 'partition'} of "
                        f"'{spec.key}' reads {_how(how, dep)}",
                        location=where(spec, "transform"),
                        key=spec.key,
                        hint="Use '{" + dep + ".paths}'",
                    )
                )
    return problems


def _single_path_refs(spec: AssetSpec) -> set[str]:
    """The assets a shell transform names with '{NAME.path}' (one file)."""
    if not isinstance(spec.transform, str):
        return set()
    refs = parse_template(spec.transform).refs
    return {r.scope for r in refs if r.attr == "path"}


def _how(how: Reading, dep: str) -> str:
    """Which partitions of ``dep`` one reader reads, in words."""
    if how.kind == "dimension":
        return f"the partitions of '{dep}' with the same {how.dimension}"
    return {
        "all": f"every partition of '{dep}'",
        "overlap": f"the partitions of '{dep}' within its window",
        "offset": f"an earlier partition of '{dep}' (none for the first)",
    }[how.kind]


def _check_outputs(by_key: dict[AssetKey, AssetSpec], where: Where) -> list[AssetError]:
    """Every path has one owner, and no path lies inside another asset's output."""
    problems: list[AssetError] = []
    owner: dict[str, AssetSpec] = {}

    def clash(spec: AssetSpec, problem: str, hint: str | None = None) -> None:
        problems.append(
            DuplicateAssetError(
                problem,
                location=where(spec, "path"),
                key=spec.key,
                hint=hint or "Each file has exactly one asset that makes it",
            )
        )

    for spec in by_key.values():
        for path in spec.paths:
            bare = path.rstrip("/")
            other = owner.get(bare)
            if other is None:
                owner[bare] = spec
            elif other.key == spec.key:
                clash(spec, f"path '{path}' is listed twice", "Remove one of them")
            else:
                clash(spec, f"path '{path}' is also the path of asset '{other.key}'")
    for spec in by_key.values():
        for path in dict.fromkeys(spec.paths):
            parent = path.rstrip("/")
            while "/" in parent:
                parent = parent.rsplit("/", 1)[0]
                other = owner.get(parent)
                if other is not None:
                    kind = "directory" if parent + "/" in other.paths else "file"
                    if other.key == spec.key:
                        clash(
                            spec,
                            f"path '{path}' is inside '{parent}', another of its "
                            f"outputs ({kind})",
                            "An asset's outputs cannot contain one another",
                        )
                    else:
                        clash(
                            spec,
                            f"path '{path}' is inside '{parent}', the {kind} output "
                            f"of asset '{other.key}'",
                        )
                    break
    return problems


def _order(
    by_key: dict[AssetKey, AssetSpec], where: Where
) -> tuple[list[AssetKey], AssetError | None]:
    sorter: graphlib.TopologicalSorter[AssetKey] = graphlib.TopologicalSorter()
    for spec in by_key.values():
        sorter.add(spec.key, *(d for d in spec.deps if d in by_key))
    try:
        return list(sorter.static_order()), None
    except graphlib.CycleError as err:
        # graphlib lists each node before the node that depends on it; reversed,
        # the path reads as "depends on". Start at the first declared member.
        cycle = list(reversed(err.args[1]))[:-1]
        declared = list(by_key)
        start = min(range(len(cycle)), key=lambda i: declared.index(cycle[i]))
        cycle = cycle[start:] + cycle[:start]
        first = by_key[cycle[0]]
        target = cycle[1] if len(cycle) > 1 else cycle[0]
        return [], AssetCycleError(
            [*cycle, cycle[0]], location=where(first, "dep:" + target)
        )
