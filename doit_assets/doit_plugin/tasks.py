"""AssetGraph -> doit task dicts, and the task creator a ``dodo.py`` imports.

One asset is one doit task named by its key: upstream files and ``inputs``
become ``file_dep``, outputs become ``targets``, and ``AssetFreshness`` is the
``uptodate`` check that covers what doit does not (definition, output content,
directory inputs). Asset data for the reporter travels in ``task["meta"]``.
"""

from __future__ import annotations

import gc
import glob
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from ..errors import Location
from ..load.decorators import AssetDef, collect
from ..load.files import (
    FileCheck,
    Missing,
    OnDisk,
    check_files,
    fail_missing,
    file_checks,
    print_warnings,
)
from ..load.project import command_names, load_graph, locator
from ..load.toml import Project
from ..model import clock
from ..model.graph import AssetGraph
from ..model.spec import AssetKey, AssetSpec, is_directory
from ..paths import STATE_FILE
from ..plan import cache
from ..plan.plan import KEY, MAX_AGE, OBSERVE, PATHS, Compact, static_tasks, task_name
from ..run.execute import CommandJob, materialize, remove_outputs, with_reads
from ..run.observe import ObserveJob, observe
from ..store.versions import AssetFreshness

BACKEND = "assets-sqlite"

# The [settings] of the project loaded last in this process, for the reporter.
LOADED_SETTINGS: dict[str, object] = {}
# Set when that project qualifies for the no-op fast path (see fastpath.py):
# the assets.toml it came from, loaded by doit-assets, with nothing but files.
FAST_PATH: dict[str, str] = {}
# Set by ``doit assets backfill`` while it runs doit: its id, for the history.
BACKFILL: dict[str, int] = {}
# When not empty, only these assets become tasks (``materialize --only``):
# the others' outputs are then plain files that the selection reads.
ONLY: set[str] = set()


def doit_config(**overrides: Any) -> dict[str, Any]:
    """``DOIT_CONFIG`` for an assets project: SQLite state under ``.doit-assets/``
    and the lineage reporter."""
    from .backend import MD5Checker
    from .reporter import LineageReporter

    config: dict[str, Any] = {
        "backend": BACKEND,
        "dep_file": STATE_FILE,
        "reporter": LineageReporter,
        # doit 0.37 crashes on a bare `doit forget`; ask for a name or --all instead
        "forget_disable_default": True,
        "check_file_uptodate": MD5Checker,
    }
    config.update(overrides)
    return config


class AssetTasks:
    """A doit task creator for the assets of one ``assets.toml``.

    Put an instance in a ``dodo.py``; doit calls ``create_doit_tasks`` when it
    loads tasks. It is an instance attribute on purpose: doit treats any object
    with that attribute as a creator, classes included.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = "assets.toml",
        reserved_names: frozenset[str] | None = None,
        *,
        standalone: bool = False,
    ) -> None:
        self.path = path
        self.reserved_names = reserved_names
        self.standalone = standalone  # loaded by doit-assets, not from a dodo.py
        self.write_cache = True  # off for commands that must not write
        self.create_doit_tasks = self._create

    def _create(self) -> Iterator[dict[str, Any]]:
        # Loading makes many long-lived objects (ours and doit's Tasks, built
        # as we yield); collecting garbage meanwhile only costs time, a third of
        # a no-op run at 10 000 assets. Afterwards they are frozen, so that the
        # collections of the run itself do not walk them again.
        gc.disable()
        try:
            yield from self._tasks(collect(self._home_modules()))
        finally:
            gc.freeze()
            gc.enable()

    def _tasks(self, python_assets: list[AssetDef]) -> list[dict[str, Any]]:
        reserved = self.reserved_names
        if reserved is None:
            reserved = command_names()
        key = None if python_assets else cache.cache_key(Path(self.path), reserved)
        saved = cache.load(key) if key else None
        if saved is not None and _still_valid(saved[5], clock.now()):
            settings, root, source, checks, compacts, (_, renews_at) = saved
            on_disk = check_files(root, map(FileCheck._make, checks))
        else:
            project, graph = load_graph(self.path, reserved, python_assets)
            compacts = static_tasks(project, graph)
            assert graph.on_disk is not None
            on_disk = graph.on_disk
            settings = dict(project.settings)
            checks = [tuple(c) for c in file_checks(graph.specs, locator(project))]
            if project.modules or any(spec.is_python for spec in graph):
                key = None  # its code is not in the file: never cached
            # open time windows gain a partition as time passes
            renewals = [
                spec.partitions.renews_at(clock.now())
                for spec in graph
                if spec.partitions is not None
            ]
            renews_at = min((r for r in renewals if r is not None), default=None)
            if key and self.write_cache:
                root, source = str(project.root), project.source
                valid = (clock.now(), renews_at)
                saved = (settings, root, source, checks, compacts, valid)
                cache.save(key, saved)
        LOADED_SETTINGS.clear()
        LOADED_SETTINGS.update(settings)
        FAST_PATH.clear()
        # max_age and observations change what is stale without a file changing
        by_clock = renews_at is not None or any(
            c[MAX_AGE] is not None or c[OBSERVE] is not None for c in compacts
        )
        if (
            self.standalone
            and key
            and not by_clock
            and _only_plain_files(compacts, checks)
        ):
            FAST_PATH["toml"] = str(self.path)
        print_warnings(on_disk.warnings)
        return _with_inputs(compacts, on_disk, _external_roots(settings))

    def _home_modules(self) -> list[ModuleType]:
        """The modules (a dodo.py) that hold this creator: their @assets belong here."""
        cwd = os.getcwd()
        found = []
        for module in list(sys.modules.values()):
            path = getattr(module, "__file__", None) or ""
            if path.startswith(cwd) and any(v is self for v in vars(module).values()):
                found.append(module)
        return found


def to_doit_tasks(project: Project, graph: AssetGraph) -> list[dict[str, Any]]:
    """One doit task dict per asset, in dependency order."""
    LOADED_SETTINGS.clear()
    LOADED_SETTINGS.update(project.settings)
    on_disk = graph.on_disk
    if on_disk is None:  # a graph built without load_graph
        checks = file_checks(graph.specs, _spec_location)
        on_disk = check_files(project.root, checks)
    roots = _external_roots(project.settings)
    return _with_inputs(static_tasks(project, graph), on_disk, roots)


def _external_roots(settings: Mapping[str, object]) -> tuple[str, ...]:
    """Folders outside the project that outputs may reach through a symlink."""
    roots = settings.get("external_roots") or ()
    return tuple(str(r) for r in roots) if isinstance(roots, (list, tuple)) else ()


def _only_plain_files(compacts: list[Compact], checks: list[tuple[Any, ...]]) -> bool:
    """No directory outputs and no globs or directories in ``inputs``."""
    if any(is_directory(p) for c in compacts for p in c[PATHS]):
        return False
    for check in checks:
        inputs = check[2]
        if any(glob.has_magic(p) or os.path.isdir(p) for p in inputs):
            return False
    return True


def _with_inputs(
    compacts: list[Compact], on_disk: OnDisk, external_roots: tuple[str, ...]
) -> list[dict[str, Any]]:
    if ONLY:
        compacts = [c for c in compacts if task_name(c) in ONLY or c[KEY] in ONLY]
    inputs = on_disk.inputs
    made = [
        _task(c, inputs.get(AssetKey(c[KEY]), ()), external_roots) for c in compacts
    ]
    if on_disk.missing_sources or on_disk.missing_inputs:
        for task in made:
            _fail_if_missing(task, on_disk)
    if ONLY:
        for task in made:
            if "task_dep" in task:
                task["task_dep"] = [d for d in task["task_dep"] if _only(d)]
    return made


def _still_valid(valid: tuple[float, float | None], now: float) -> bool:
    """Partitions of open windows change with time: the cache holds them for the
    time between its making and the end of the window then in progress."""
    made, renews_at = valid
    return renews_at is None or made <= now < renews_at


def _only(name: str) -> bool:
    return name in ONLY or name.partition(":")[0] in ONLY


def _task(
    compact: Compact, inputs: tuple[str, ...], external_roots: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The doit task dict of one asset, with its ``inputs`` files."""
    (kind, key, doc, paths, targets, deps, location, metadata, version) = compact[:9]
    (root, prefix, transform, fp, job, file_dep, dir_inputs) = compact[9:16]
    (max_age, observation, group, tags, partition, partitions) = compact[16:22]
    time_kind = compact[22]
    if kind.startswith("group:"):  # the parent of partitions: doit KEY runs them
        return {
            "basename": key,
            "name": None,
            "doc": doc,
            "meta": {
                "asset_group": {
                    "key": key,
                    "kind": kind.removeprefix("group:"),
                    "partitions": partitions,
                    "time_kind": time_kind,
                    "paths": list(paths),
                    "deps": [d for d, _, _ in deps],
                    "group": group,
                    "tags": list(tags),
                    "max_age": max_age,
                    "transform": transform or "",
                    "metadata": metadata,
                    "code_version": version,
                }
            },
        }
    meta: dict[str, Any] = {
        "key": key,
        "kind": kind,
        "paths": list(paths),
        "targets": list(targets),
        "deps": {dep: list(dep_paths) for dep, dep_paths, _ in deps},
        "location": location,
        "metadata": metadata,
        "code_version": version,
        "root": root,
        "prefix": prefix,
        "transform": transform,
        "fingerprint": fp,
        "inputs": list(inputs),
        "max_age": max_age,
        "observe": observation
        if observation is None or isinstance(observation, str)
        else f"python {observation.__module__}:{observation.__qualname__}",
        "observable": observation is not None,
        "group": group,
        "tags": list(tags),
        "partition": partition,
        "partitions": partitions,
        "task": key if partition is None else f"{key}:{partition}",
    }
    task: dict[str, Any] = {
        "basename": key,
        "doc": doc,
        "meta": {"asset": meta},
        "task_dep": [name for _, _, names in deps for name in names],
    }
    if partition is not None:
        task["name"] = partition
    if observation is not None:
        # Observed on every run; downstream assets depend on the answer's file.
        job = ObserveJob(key, observation, root, targets[0])
        task.update(actions=[(observe, [job])], targets=list(targets), uptodate=[False])
        return task
    if kind == "source":
        task["actions"] = None
        task["file_dep"] = [t for t in targets if not is_directory(t)]
        dirs = tuple(t for t in targets if is_directory(t))
        if dirs:
            task["uptodate"] = [AssetFreshness("source", (), dirs)]
        return task
    name = meta["task"]
    reads = [prefix + p for p in inputs] + list(file_dep)
    if isinstance(job, str):
        job = CommandJob(
            name, job, root, paths, transform, prefix, tuple(reads), external_roots
        )
    else:
        job = with_reads(job, tuple(reads), external_roots)
    task.update(
        actions=[(materialize, [job])],
        file_dep=reads,
        targets=[t.rstrip("/") for t in targets],
        uptodate=[AssetFreshness(fp, targets, dir_inputs, max_age)],
        clean=[(remove_outputs, [name, root, paths, prefix, external_roots])],
    )
    return task


def _fail_if_missing(task: dict[str, Any], on_disk: OnDisk) -> None:
    """A task that misses a file fails first thing, with the warning's words,
    instead of running without it (or failing later in doit's words)."""
    meta = task["meta"].get("asset")
    if meta is None or meta["observable"]:
        return
    missing: list[Missing]
    if meta["kind"] == "source":
        found = on_disk.missing_sources
        missing = [found[p] for p in meta["paths"] if p in found]
    else:
        missing = list(on_disk.missing_inputs.get(meta["key"], ()))
    if not missing:
        return
    meta["missing"] = [(m.path, m.kind, m.problem) for m in missing]
    gone = {meta["prefix"] + m.path for m in missing}
    task["file_dep"] = [p for p in task.get("file_dep", ()) if p not in gone]
    failing = (fail_missing, [[m.message for m in missing]])
    task["actions"] = [failing, *(task.get("actions") or ())]
    task["uptodate"] = [*task.get("uptodate", ()), False]  # never skipped


def _spec_location(spec: AssetSpec, field: str) -> Location | None:
    return spec.location
