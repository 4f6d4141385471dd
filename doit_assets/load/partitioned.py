"""The fields of a partitioned asset: ``partitions``, the partition keys in its
paths, and ``partition_mapping`` (one asset's own view; whether the upstream's
partitions match is checked with the whole graph, in validate.py).
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import did_you_mean
from ..model.mappings import Mapping_, parse_mapping
from ..model.partitions import PartitionsDef, PartitionsError, parse_partitions
from ..model.spec import AssetKey
from .fields import Checker
from .pathnames import partition_ref_problem


def partitions(
    checker: Checker, name: str, table: dict[str, Any], observe: object
) -> PartitionsDef | None:
    value = table.get("partitions")
    if value is None:
        return None
    try:
        parsed = parse_partitions(value, checker.timezone, checker.decorator)
    except PartitionsError as err:
        checker.fail(name, "partitions", err.problem, err.hint)
        return None
    if observe is not None:
        checker.fail(
            name,
            "partitions",
            "an observable source cannot have partitions",
            "Observe the whole source; partition the assets made from it",
        )
        return None
    return parsed


_PARTITION_REF = re.compile(r"\{partition(?:\.[^}]*)?\}")


def partition_paths(
    checker: Checker,
    name: str,
    paths: list[str],
    partitions: PartitionsDef | None,
    value: bool,
) -> None:
    """Each partition needs files of its own; only partitions have them."""
    for path in paths:
        # most paths have no reference: no regex for them
        refs = re.findall(_PARTITION_REF, path) if "{partition" in path else ()
        for ref in refs:
            problem = partition_ref_problem(ref, ref[11:-1], partitions, "path")
            if problem:
                checker.fail(name, "path", *problem)
                return
        if partitions is None or value:
            continue
        names = partitions.names
        whole = "{partition}" in path
        by_dimension = bool(names) and all(
            "{partition." + n + "}" in path for n in names
        )
        if not (whole or by_dimension):
            if names:
                each = " and ".join("{partition." + n + "}" for n in names)
                example = "/".join("{partition." + n + "}" for n in names)
            else:
                each, example = "{partition}", "{partition}"
            checker.fail(
                name,
                "path",
                f"path '{path}' is the same file for every partition",
                f'Put {each} in it, e.g. "build/{name}/{example}.csv"',
            )


def mappings(
    checker: Checker, name: str, table: dict[str, Any], deps: tuple[AssetKey, ...]
) -> tuple[tuple[AssetKey, Mapping_], ...]:
    value = table.get("partition_mapping")
    if value is None:
        return ()
    if not isinstance(value, dict):
        checker.fail(
            name,
            "partition_mapping",
            "'partition_mapping' must map upstream assets to a mapping, "
            f"got {checker.type_of(value)}",
            'For example partition_mapping = { daily_sales = "all" }',
        )
        return ()
    found = []
    for dep, spec in value.items():
        if dep not in deps:
            checker.fail(
                name,
                "partition_mapping",
                f"'partition_mapping' names '{dep}', which it does not depend on",
                did_you_mean(dep, deps) or "Name an upstream asset",
            )
            continue
        try:
            found.append((AssetKey(dep), parse_mapping(spec)))
        except PartitionsError as err:
            checker.fail(name, "partition_mapping", err.problem, err.hint)
    return tuple(found)
