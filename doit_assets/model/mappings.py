"""Partition mappings: which partitions of an upstream asset one partition reads.

A mapping is declared per upstream (``partition_mapping``): the same key
(identity), all of them, or its own time window shifted by an offset; without
one, ``resolve`` finds it from the two definitions: the same partitions are
read one for one, time windows read the windows that overlap their own (daily
into monthly), and a definition of two dimensions reads (or is read by) one
of its dimensions by the keys of that dimension.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Literal, NamedTuple

from . import windows
from .partitions import Dimension, PartitionsDef, PartitionsError

# As declared: none (resolved from the two definitions), the same key, every
# partition, or the reader's own window shifted by ``offset`` windows.
MappingKind = Literal["default", "identity", "all", "offset"]
# As resolved: how each partition of the reader reads the upstream. "dimension":
# the upstream partitions with the same key in the one dimension both share.
ReadKind = Literal["all", "identity", "overlap", "offset", "dimension"]


@dataclass(frozen=True)
class Mapping_:
    kind: MappingKind
    offset: int = 0


DEFAULT = Mapping_("default")


class Reading(NamedTuple):
    """How a reader reads one upstream asset, resolved."""

    kind: ReadKind
    dimension: str = ""  # "dimension": the name of the dimension both share


def parse_mapping(value: object) -> Mapping_:
    if value == "identity":
        return Mapping_("identity")
    if value == "all":
        return Mapping_("all")
    if (
        isinstance(value, dict)
        and list(value) == ["offset"]
        and isinstance(value["offset"], int)
        and not isinstance(value["offset"], bool)
        and value["offset"] != 0
    ):
        return Mapping_("offset", value["offset"])
    raise PartitionsError(
        f'a partition mapping is "identity", "all" or {{ offset = N }}, got {value!r}',
        "For the previous day: { offset = -1 }",
    )


class UpstreamPartitions:
    """Which partitions of one upstream asset each partition of its reader reads."""

    def __init__(
        self,
        down: PartitionsDef | None,
        up: PartitionsDef,
        mapping: Mapping_,
        up_keys: list[str],
    ) -> None:
        self.down, self.up, self.mapping, self.up_keys = down, up, mapping, up_keys
        self.kind, self.dimension = resolve(down, up, mapping)
        self._known = set(up_keys)
        if self.kind in ("overlap", "offset"):
            assert down is not None
            # one time dimension on each side (see resolve)
            self._down_kind = down.dimensions[0].time_kind
            self._up_kind = up.dimensions[0].time_kind
            self._starts = [windows.window(self._up_kind, k)[0] for k in up_keys]

    def of(self, key: str | None) -> list[str]:
        if self.kind == "all" or key is None:
            return self.up_keys
        assert self.down is not None
        if self.kind == "identity":
            return [key] if key in self._known else []
        if self.kind in ("overlap", "offset"):
            kind, up_kind = self._down_kind, self._up_kind
            start, end = windows.window(kind, key)
            if self.kind == "offset":
                try:
                    start = windows.shift(kind, start, self.mapping.offset)
                    end = windows.shift(kind, start, 1)
                except (OverflowError, ValueError):  # before year 1 or after 9999
                    return []
            low = bisect.bisect_right(self._starts, start) - 1
            found = []
            for i in range(max(low, 0), len(self._starts)):
                up_start = self._starts[i]
                up_end = windows.window(up_kind, self.up_keys[i])[1]
                if up_start >= end:
                    break
                if up_end > start:
                    found.append(self.up_keys[i])
            return found
        # by a shared dimension
        down_parts = self.down.parts(key) or {"": key}
        if len(self.up.dimensions) == 1:  # 2-D reader of a 1-D asset
            value = down_parts[self.dimension]
            return [value] if value in self._known else []
        return [k for k in self.up_keys if self.up.parts(k)[self.dimension] == key]


def resolve(
    down: PartitionsDef | None, up: PartitionsDef, mapping: Mapping_
) -> Reading:
    """How ``down`` reads ``up``; raises PartitionsError when they cannot be
    matched."""
    if down is None or mapping.kind == "all":
        return Reading("all")
    if mapping.kind == "offset":
        if not (_one_time(down) and _one_time(up)):
            raise PartitionsError(
                "an offset mapping needs time partitions on both sides",
                'Use "all" or "identity"',
            )
        zones = (down.dimensions[0].timezone, up.dimensions[0].timezone)
        if zones[0] != zones[1]:
            raise PartitionsError(
                f"its windows are in {zones[0]} and those of the upstream in "
                f"{zones[1]}",
                "Give both the same timezone",
            )
        return Reading("offset")
    if _same(down, up):
        return Reading("identity")
    if mapping.kind == "identity":
        raise PartitionsError(
            f"'identity' needs the same partitions on both sides, but "
            f"{down.describe()} differs from {up.describe()}",
            'Use "all" to read every partition',
        )
    if _one_time(down) and _one_time(up):
        zones = (down.dimensions[0].timezone, up.dimensions[0].timezone)
        if zones[0] != zones[1]:
            raise PartitionsError(
                f"its windows are in {zones[0]} and those of the upstream in "
                f"{zones[1]}",
                "Give both the same timezone, or read them all with "
                'partition_mapping = { NAME = "all" }',
            )
        return Reading("overlap")
    if len(down.dimensions) == 2 and len(up.dimensions) == 1:
        for dim in down.dimensions:
            if _same_dimension(dim, up.dimensions[0]):
                return Reading("dimension", dim.name or "")
    if len(down.dimensions) == 1 and len(up.dimensions) == 2:
        for dim in up.dimensions:
            if _same_dimension(dim, down.dimensions[0]):
                return Reading("dimension", dim.name or "")
    raise PartitionsError(
        f"its partitions ({down.describe()}) do not match those of the upstream "
        f"({up.describe()})",
        "Declare the same partitions, or read them all with partition_mapping = "
        '{ NAME = "all" }',
    )


def _one_time(definition: PartitionsDef) -> bool:
    return len(definition.dimensions) == 1 and definition.dimensions[0].is_time


def _same_dimension(a: Dimension, b: Dimension) -> bool:
    return (a.kind, a.static, a.start, a.end, a.timezone) == (
        b.kind,
        b.static,
        b.start,
        b.end,
        b.timezone,
    )


def _same(a: PartitionsDef, b: PartitionsDef) -> bool:
    return len(a.dimensions) == len(b.dimensions) and all(
        _same_dimension(x, y) and x.name == y.name
        for x, y in zip(a.dimensions, b.dimensions, strict=True)
    )
