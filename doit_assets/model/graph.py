"""AssetGraph: the validated specs, in dependency order, and the ways to walk it.

Made by ``load.validate.build_graph``, which checks the whole (unknown names,
cycles, clashing outputs) before it makes one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from .automation import SensorSpec
from .disk import OnDisk
from .spec import AssetKey, AssetSpec
from .traversal import walk


@dataclass(frozen=True)
class AssetGraph:
    """Specs by key, in dependency order (every asset after its upstreams)."""

    specs: dict[AssetKey, AssetSpec]
    downstream: dict[AssetKey, tuple[AssetKey, ...]]
    # What load_graph found on disk: input files (globs and directories
    # expanded), missing source files and inputs.
    on_disk: OnDisk | None = None
    # The project's sensors (issue 15), validated with the assets.
    sensors: tuple[SensorSpec, ...] = ()

    @property
    def inputs(self) -> Mapping[AssetKey, tuple[str, ...]]:
        """The files each asset's ``inputs`` stand for ({} without ``on_disk``)."""
        return self.on_disk.inputs if self.on_disk is not None else {}

    def __iter__(self) -> Iterator[AssetSpec]:
        return iter(self.specs.values())

    def __len__(self) -> int:
        return len(self.specs)

    def __getitem__(self, key: str) -> AssetSpec:
        return self.specs[AssetKey(key)]

    def __contains__(self, key: object) -> bool:
        return key in self.specs

    @property
    def keys(self) -> list[AssetKey]:
        return list(self.specs)

    def deps(self, key: str) -> tuple[AssetKey, ...]:
        return self.specs[AssetKey(key)].deps

    def labels(self, key: str) -> tuple[str, tuple[str, ...]]:
        """Its group and tags, for ``group:`` and ``tag:`` in selections."""
        spec = self.specs[AssetKey(key)]
        return spec.group, spec.tags

    def upstream_of(self, key: str, depth: int | None = None) -> list[AssetKey]:
        """Every asset ``key`` needs, nearest first, up to ``depth`` levels."""
        return [AssetKey(k) for k in walk(key, self.deps, depth)]

    def downstream_of(self, key: str, depth: int | None = None) -> list[AssetKey]:
        """Every asset that needs ``key``, nearest first, up to ``depth`` levels."""
        found = walk(key, lambda k: self.downstream.get(AssetKey(k), ()), depth)
        return [AssetKey(k) for k in found]
