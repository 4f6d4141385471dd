"""The plan of a project: what loading produces and everything after it reads.

``plan_project`` loads a project, from the project cache when its file has not
changed (and it has no Python assets), validates it otherwise, and looks at
the disk (source files, ``inputs``) on every call. The ``Plan`` it returns holds
the typed records (records.py) in doit's order, what is on disk, the settings,
and answers the questions of selections and commands about the asset graph.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from ..errors import Location
from ..load.decorators import Declared
from ..load.files import FileCheck, check_files, file_checks
from ..load.project import load_graph, locator
from ..load.toml import Project
from ..model import clock
from ..model.disk import Missing, OnDisk
from ..model.graph import AssetGraph
from ..model.spec import AssetKey, AssetSpec
from ..model.traversal import closure, walk
from ..paths import is_directory
from . import cache
from .compile import compile_plan, compile_sensors
from .environment import Components, names_of, resolve
from .records import (
    Planned,
    PlannedAsset,
    PlannedGroup,
    PlannedSensor,
    from_tuples,
    to_tuples,
)


@dataclass(frozen=True)
class Plan:
    """The planned assets of a project, in doit's order (a group before its
    partitions), and what was found on disk for them."""

    items: list[Planned]
    settings: Mapping[str, object]
    on_disk: OnDisk = field(default_factory=OnDisk)
    # The assets.toml whose tasks the fast path may triage (None: not this
    # project: @assets of a dodo.py, which doit imports before we can look,
    # or [settings] fast_path = false)
    fast_path: str | None = None
    # When the next time window opens (a partition appears); None: none will
    renews_at: float | None = None
    # The project's sensors (issue 15)
    sensors: tuple[PlannedSensor, ...] = ()
    # Each asset's fingerprint components beyond its definition's text, by
    # task (issue 16: environment.py); assets without any are not here
    environment: Mapping[str, Components] = field(default_factory=dict)
    # What is looked for on disk for each asset (load/files.FileCheck, as
    # tuples): the fast path expands the globs of ``inputs`` again (issue 17)
    file_checks: tuple[tuple[Any, ...], ...] = ()
    # Its assets come from its Python modules too: the fast path vouches for
    # their code as well (load/python_code.py)
    python: bool = False

    # -- the tasks ---------------------------------------------------------------

    @cached_property
    def assets(self) -> list[PlannedAsset]:
        """Every doit task of an asset (each partition), upstream first."""
        return [i for i in self.items if isinstance(i, PlannedAsset)]

    @cached_property
    def external_roots(self) -> tuple[str, ...]:
        """Folders outside the project that outputs may reach through a symlink."""
        return names_of(self.settings, "external_roots")

    @cached_property
    def by_task(self) -> dict[str, PlannedAsset]:
        return {a.task: a for a in self.assets}

    @cached_property
    def groups(self) -> dict[str, PlannedGroup]:
        """Each partitioned asset as a whole, by key."""
        return {i.key: i for i in self.items if isinstance(i, PlannedGroup)}

    @cached_property
    def newest(self) -> dict[str, tuple[str, ...]]:
        """Each partitioned asset's partitions of its newest time window (all of
        them, without a time dimension): once, not once per partition asked."""
        return {key: group.newest() for key, group in self.groups.items()}

    def tasks_of(self, key: str) -> tuple[str, ...]:
        """An asset's doit tasks: its partitions, or the asset itself."""
        group = self.groups.get(key)
        return group.tasks if group is not None else (key,)

    def inputs(self, asset: PlannedAsset) -> tuple[str, ...]:
        """The files its ``inputs`` stand for now, relative to the project."""
        return self.on_disk.inputs.get(AssetKey(asset.key), ())

    def file_dep(self, asset: PlannedAsset) -> list[str]:
        """What doit checks by content, as doit sees the paths: its inputs and
        its upstream files; for a source, its own files."""
        if asset.kind == "source":
            if asset.observable:
                return []
            return [t for t in asset.targets if not is_directory(t)]
        prefix = asset.prefix
        return [prefix + p for p in self.inputs(asset)] + list(asset.file_dep)

    def missing(self, asset: PlannedAsset) -> list[Missing]:
        """Files the asset needs that were not on disk (then it fails at once)."""
        if asset.observable:
            return []
        if asset.kind == "source":
            found = self.on_disk.missing_sources
            return [found[p] for p in asset.paths if p in found]
        return list(self.on_disk.missing_inputs.get(asset.key, ()))

    # -- the asset graph -----------------------------------------------------------

    @cached_property
    def infos(self) -> dict[str, Planned]:
        """Each asset as a whole: its group if it has partitions, else its task."""
        found: dict[str, Planned] = {}
        for item in self.items:
            found.setdefault(item.key, item)
        return found

    @property
    def keys(self) -> list[str]:
        """Every asset, upstream first."""
        return list(self.infos)

    def __contains__(self, key: object) -> bool:
        return key in self.infos

    def __getitem__(self, key: str) -> Planned:
        return self.infos[key]

    def deps(self, key: str) -> tuple[str, ...]:
        """The assets it reads."""
        info = self.infos[key]
        if isinstance(info, PlannedGroup):
            return info.deps
        return tuple(up for up, _, _ in info.upstream)

    @cached_property
    def downstream(self) -> dict[str, tuple[str, ...]]:
        """The assets that read each asset."""
        found: dict[str, list[str]] = {}
        for key in self.infos:
            for dep in self.deps(key):
                found.setdefault(dep, []).append(key)
        return {k: tuple(v) for k, v in found.items()}

    def upstream_of(self, key: str, depth: int | None = None) -> list[str]:
        """Every asset ``key`` needs, nearest first, up to ``depth`` levels."""
        return walk(key, self.deps, depth)

    def downstream_of(self, key: str, depth: int | None = None) -> list[str]:
        """Every asset that needs ``key``, nearest first, up to ``depth`` levels."""
        return walk(key, lambda k: self.downstream.get(k, ()), depth)

    def labels(self, key: str) -> tuple[str, tuple[str, ...]]:
        """Its group and tags, for ``group:`` and ``tag:`` in selections."""
        info = self.infos[key]
        return info.group, info.tags

    def closure(self, tasks: Iterable[str]) -> set[str]:
        """These doit tasks and every task they need."""
        by_task = self.by_task
        found = closure(
            (t for t in tasks if t in by_task),
            lambda t: (d for d in by_task[t].task_dep if d in by_task),
        )
        return set(found)

    def __iter__(self) -> Iterator[PlannedAsset]:
        return iter(self.assets)

    def only(self, keys: Iterable[str]) -> Plan:
        """The plan of these assets alone (``materialize --only``): what they read
        of the others is then plain files."""
        chosen = set(keys)
        items = [
            i
            for i in self.items
            if i.key in chosen or (isinstance(i, PlannedAsset) and i.task in chosen)
        ]
        return Plan(
            items,
            self.settings,
            self.on_disk,
            None,
            sensors=self.sensors,
            environment=self.environment,
        )


def plan_of(project: Project, graph: AssetGraph) -> Plan:
    """The plan of a project loaded and validated just now (not cached)."""
    on_disk = graph.on_disk
    if on_disk is None:  # a graph built without load_graph
        on_disk = check_files(project.root, file_checks(graph.specs, _spec_location))
    resolved = resolve(compile_plan(project, graph), project.settings)
    sensors = compile_sensors(graph)
    return Plan(
        resolved.items,
        dict(project.settings),
        _with_failed_tools(on_disk, resolved.failed_tools),
        None,
        sensors=sensors,
        environment=resolved.components,
    )


def _spec_location(spec: AssetSpec, field: str) -> Location | None:
    return spec.location


def plan_project(
    path: str | os.PathLike[str],
    reserved_names: frozenset[str] | None = None,
    python_assets: list[Declared] = (),  # type: ignore[assignment]
    *,
    write_cache: bool = True,
    standalone: bool = False,
    cone: frozenset[str] | None = None,
) -> Plan:
    """The plan of the project whose declarations are at ``path``.

    ``python_assets`` are ``@asset`` functions found outside it (a dodo.py).
    ``standalone``: loaded by ``doit-assets`` (no dodo.py), the only case the
    fast path can vouch for. ``cone``: the only tasks the run needs (the fast
    path's), read alone from the project cache.
    """
    from ..load.project import command_names

    reserved = command_names() if reserved_names is None else reserved_names
    key = None if python_assets else cache.cache_key(Path(path), reserved)
    saved = cache.load(key) if key else None
    python = False
    if saved is not None and _still_valid(saved[5], clock.now()):
        settings, root, _, checks, rows, (_, renews_at), sensor_rows = saved
        if cone is not None:
            rows, checks = _in_cone(rows, checks, cone)
        items = from_tuples(rows)
        sensors = tuple(PlannedSensor._make(row) for row in sensor_rows)
        on_disk = check_files(root, map(FileCheck._make, checks))
    else:
        project, graph = load_graph(path, reserved, python_assets)
        items = compile_plan(project, graph)
        sensors = compile_sensors(graph)
        assert graph.on_disk is not None
        on_disk = graph.on_disk
        settings = dict(project.settings)
        checks = [tuple(c) for c in file_checks(graph.specs, locator(project))]
        python_sensors = any(callable(s.observe) for s in sensors)
        if project.modules or python_sensors or any(s.is_python for s in graph):
            key = None  # its code is not in the file: never cached
            python = not python_assets  # (a dodo.py's: never vouched for)
        # open time windows gain a partition as time passes
        renewals = [
            spec.partitions.renews_at(clock.now())
            for spec in graph
            if spec.partitions is not None
        ]
        renews_at = min((r for r in renewals if r is not None), default=None)
        if key and write_cache:
            valid = (clock.now(), renews_at)
            rows = to_tuples(items)
            sensor_rows = [tuple(s) for s in sensors]
            cache.save(
                key,
                (
                    settings,
                    str(project.root),
                    project.source,
                    checks,
                    rows,
                    valid,
                    sensor_rows,
                ),
            )
    # (max_age, observations, time windows and globs: the fast path's manifest
    # and stamps hold what they need)
    wanted = settings.get("fast_path") is not False  # [settings] fast_path
    fast_path = str(path) if (key or python) and wanted else None
    resolved = resolve(items, settings)
    on_disk = _with_failed_tools(on_disk, resolved.failed_tools)
    return Plan(
        resolved.items,
        settings,
        on_disk,
        fast_path,
        renews_at,
        sensors,
        resolved.components,
        tuple(tuple(c) for c in checks),
        python,
    )


def _in_cone(
    rows: list[tuple[Any, ...]], checks: list[tuple[Any, ...]], cone: frozenset[str]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The cached rows of the cone's tasks (key, then partition or a group's
    doc), and the file checks of their assets."""
    width = len(PlannedAsset._fields)
    kept = [
        row
        for row in rows
        if (row[1] if len(row) != width or row[2] is None else f"{row[1]}:{row[2]}")
        in cone
    ]
    keys = {row[1] for row in kept}
    return kept, [check for check in checks if check[0] in keys]


def _with_failed_tools(
    on_disk: OnDisk, failed: Mapping[str, tuple[Missing, ...]]
) -> OnDisk:
    """A tool whose version command failed is missing like an input: the
    assets that declare it fail first thing, with a warning when tasks load."""
    if not failed:
        return on_disk
    missing = dict(on_disk.missing_inputs)
    for key, lacking in failed.items():
        missing[key] = (*missing.get(key, ()), *lacking)
    warnings = (*on_disk.warnings, *(m.warning for ms in failed.values() for m in ms))
    return dataclasses.replace(on_disk, missing_inputs=missing, warnings=warnings)


def _still_valid(valid: tuple[float, float | None], now: float) -> bool:
    """Partitions of open windows change with time: the cache holds them for the
    time between its making and the end of the window then in progress."""
    made, renews_at = valid
    return renews_at is None or made <= now < renews_at
