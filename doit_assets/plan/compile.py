"""The validated graph -> the plan: a record per asset, per partition.

Each record holds everything about an asset's task but the files its
``inputs`` expand to, which can change between runs (load/files.py finds them
on every run). A partitioned asset gives a group record, then one record per
partition: the doit sub-tasks ``KEY:PARTITION`` that ``doit KEY`` runs
together.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Mapping
from typing import Any, TypeVar

from ..load.codeversion import CodeParts, code_parts
from ..load.toml import Project
from ..model import clock
from ..model.checks import CheckSpec
from ..model.graph import AssetGraph
from ..model.mappings import UpstreamPartitions
from ..model.partitions import render_key
from ..model.spec import AssetKey, AssetSpec
from ..model.template import Ref, parse_template
from ..paths import is_directory
from .records import (
    DEFAULT_RETRY_DELAY,
    MARK,
    Binding,
    Planned,
    PlannedAsset,
    PlannedCheck,
    PlannedGroup,
    PlannedSensor,
    PythonCall,
    Upstream,
    fingerprint,
)

T = TypeVar("T", int, float, str)


def compile_plan(project: Project, graph: AssetGraph) -> list[Planned]:
    """Every asset's records, upstream first (a group before its partitions)."""
    prefix, root = _prefix(project), str(project.root)
    now = clock.now()
    keys = {s.key: s.partitions.keys(now) for s in graph if s.partitions is not None}
    items: list[Planned] = []
    for spec in graph:
        edges = {
            dep: UpstreamPartitions(
                spec.partitions, up.partitions, spec.mapping(dep), keys[dep]
            )
            for dep in spec.deps
            if (up := graph.specs[dep]).partitions is not None
        }
        maker = _Maker(spec, graph, project.vars, prefix, root, edges)
        maker.settings, maker.pools = project.settings, project.pools
        if spec.partitions is None:
            items.append(maker.asset(None))
            continue
        items.append(maker.group(keys[spec.key]))
        items += [maker.asset(key) for key in keys[spec.key]]
    return items


def compile_sensors(graph: AssetGraph) -> tuple[PlannedSensor, ...]:
    """The project's sensors, in the order they are declared."""
    return tuple(
        PlannedSensor(
            s.name,
            s.observe,
            s.interval,
            tuple(str(t) for t in s.triggers),
            str(s.location) if s.location else None,
            s.description,
        )
        for s in graph.sensors
    )


def _prefix(project: Project) -> str:
    """How doit's working directory reaches the project's files."""
    root, cwd = str(project.root), os.getcwd()
    if root == cwd:
        return ""
    return os.path.relpath(root, cwd).replace(os.sep, "/") + "/"


class _Maker:
    def __init__(
        self,
        spec: AssetSpec,
        graph: AssetGraph,
        variables: Mapping[str, str],
        prefix: str,
        root: str,
        edges: Mapping[AssetKey, UpstreamPartitions],
    ) -> None:
        self.spec, self.graph, self.variables = spec, graph, variables
        self.prefix, self.root, self.edges = prefix, root, edges
        # the project's [settings] and [pools], for run_options (issue 14)
        self.settings: Mapping[str, object] = {}
        self.pools: Mapping[str, int] = {}
        self.described = spec.partitions.describe() if spec.partitions else None
        time = spec.partitions.time_dimension if spec.partitions else None
        self.time_kind = time.time_kind if time else None
        # which part of a key (split at '|') is its time window
        self.time_part = (
            spec.partitions.dimensions.index(time) if spec.partitions and time else None
        )
        self.version = spec.code_version
        packages = spec.track_packages
        # what the automatic code version covers besides code (issue 16)
        self.parts: CodeParts | None = None
        if callable(spec.transform) and not self.version:
            self.parts = code_parts(spec.transform, root, packages)
            self.version = self.parts.digest
        # checks: a Python check's code counts as a transform's does
        self.check_versions = {
            c.name: code_parts(c.argument, root, packages).digest
            for c in spec.checks
            if c.kind == "python" and callable(c.argument)
        }

    def group(self, keys: list[str]) -> PlannedGroup:
        spec = self.spec
        count = len(keys)
        assert self.described is not None
        return PlannedGroup(
            "source" if spec.is_source else "transform",
            str(spec.key),
            spec.description or f"{count} partition{'' if count == 1 else 's'}",
            spec.paths,
            tuple(str(dep) for dep in spec.deps),
            str(spec.location) if spec.location else None,
            dict(spec.metadata),
            self.version,
            spec.transform if isinstance(spec.transform, str) else None,
            spec.max_age,
            spec.group,
            spec.tags,
            self.described,
            self.time_kind,
            tuple(f"{spec.key}:{key}" for key in keys),
            spec.automation,
            spec.timezone,
            self.time_part,
        )

    def asset(self, partition: str | None) -> PlannedAsset:
        spec, prefix = self.spec, self.prefix
        paths = self.own_paths(partition)
        # Without a prefix the very same tuples are reused: the cache then
        # writes each path once (marshal refers back to an object it has written).
        targets = tuple(prefix + p for p in paths) if prefix else paths
        file_dep: list[str] = []
        dir_inputs: list[str] = []
        upstream: list[Upstream] = []
        self.dep_paths: dict[str, tuple[str, ...]] = {}
        for dep in spec.deps:
            up = self.graph.specs[dep]
            if dep in self.edges:
                assert up.partitions is not None
                up_keys = self.edges[dep].of(partition)
                found = tuple(
                    render_key(p, k, up.partitions) for k in up_keys for p in up.paths
                )
                owners = tuple(f"{dep}:{k}" for k in up_keys for _ in up.paths)
            else:
                found, owners = up.paths, (str(dep),) * len(up.paths)
            self.dep_paths[str(dep)] = found
            with_prefix = tuple(prefix + p for p in found) if prefix else found
            upstream.append((str(dep), with_prefix, owners))
            for p in with_prefix:
                (dir_inputs if is_directory(p) else file_dep).append(p)
        transform = fp = command = None
        call = None
        if callable(spec.transform):
            call = self.python_call(paths, partition)
            transform = repr(call)
            if partition is not None:
                transform += f" [{partition}]"
        elif spec.transform is not None:
            template = parse_template(spec.transform)
            transform = template.render(lambda r: self.render(r, paths, partition))
            # where each staged output goes: known only when an attempt begins
            marks = tuple(f"{MARK}{i}{MARK}" for i in range(len(paths)))
            command = template.render(lambda r: self.render(r, marks, partition))
        checks = tuple(self.check(c, paths, partition) for c in spec.checks)
        env, requires = self.environment()
        if transform is not None:
            blocking = self.blocking(checks)
            fp = fingerprint(transform, self.version, paths, blocking, env)
        return PlannedAsset(
            "source" if spec.is_source else "transform",
            str(spec.key),
            partition,
            spec.description or "",
            paths,
            targets,
            tuple(upstream),
            str(spec.location) if spec.location else None,
            dict(spec.metadata),
            self.version,
            self.root,
            prefix,
            transform,
            fp,
            command,
            call,
            spec.observe,
            tuple(file_dep),
            tuple(dir_inputs),
            spec.max_age,
            spec.group,
            spec.tags,
            self.described,
            self.time_kind,
            *self.run_options(),
            checks,
            spec.automation,
            spec.timezone,
            spec.interval,
            env,
            requires,
            *self.code_environment(),
        )

    def code_environment(self) -> tuple[str | None, tuple[tuple[str, str], ...], str]:
        """python, packages and the code's own digest, of an automatic code
        version that tracks packages (else None, (), "")."""
        parts = self.parts
        if parts is None or parts.python is None:
            return None, (), ""
        return parts.python, parts.packages, parts.code

    def environment(self) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
        """Its env ([settings] env, then its own, which wins) and requires
        ([settings] requires first); a source runs nothing, so has neither."""
        spec, settings = self.spec, self.settings
        if spec.is_source:
            return (), ()
        shared_env = settings.get("env") or ()
        env = dict(shared_env) if isinstance(shared_env, (list, tuple)) else {}
        env.update(spec.env)
        shared = settings.get("requires") or ()
        requires = tuple(shared) if isinstance(shared, (list, tuple)) else ()
        return tuple(env.items()), tuple(dict.fromkeys((*requires, *spec.requires)))

    def check(
        self, spec: CheckSpec, paths: tuple[str, ...], partition: str | None
    ) -> PlannedCheck:
        """One check, its command rendered as a transform's is."""
        kind, argument = spec.kind, spec.argument
        planned: Any = argument
        if kind == "command":
            assert isinstance(argument, str)
            template = parse_template(argument)
            definition = template.render(lambda r: self.render(r, paths, partition))
            marks = tuple(f"{MARK}{i}{MARK}" for i in range(len(paths)))
            planned = template.render(lambda r: self.render(r, marks, partition))
        elif kind == "python":
            assert callable(argument)
            planned = PythonCall(argument, (), self.spec.io)
            definition = repr(planned)
        elif kind == "non_empty":
            definition = "non_empty = true"
        elif kind == "columns":
            assert isinstance(argument, tuple)
            definition = f"columns = {json.dumps(list(argument))}"
        else:
            definition = f"{kind} = {json.dumps(argument)}"
        where = str(spec.location) if spec.location else None
        return PlannedCheck(
            spec.name, kind, spec.blocking, planned, definition, spec.description, where
        )

    def blocking(self, checks: tuple[PlannedCheck, ...]) -> tuple[str, ...]:
        """What of the checks goes into the fingerprint: the blocking ones."""
        return tuple(
            f"{c.name}: {c.definition} {self.check_versions.get(c.name, '')}".rstrip()
            for c in checks
            if c.blocking
        )

    def run_options(
        self,
    ) -> tuple[int, float, float | None, tuple[str, int] | None, str | None]:
        """retries, retry_delay, timeout, pool, on_failure: the asset's own,
        else the [settings] default (a timeout only for a shell transform)."""
        spec, settings = self.spec, self.settings
        if spec.is_source:
            return 0, DEFAULT_RETRY_DELAY, None, None, None
        retries = spec.retries
        if retries is None:
            retries = _setting(settings, "retries", int) or 0
        delay = spec.retry_delay or _setting(settings, "retry_delay", float)
        timeout = spec.timeout
        if timeout is None and not spec.is_python:
            timeout = _setting(settings, "timeout", float)
        pool = (spec.pool, self.pools[spec.pool]) if spec.pool else None
        on_failure = spec.on_failure or _setting(settings, "on_failure", str)
        return retries, delay or DEFAULT_RETRY_DELAY, timeout, pool, on_failure

    def own_paths(self, partition: str | None) -> tuple[str, ...]:
        if partition is None:
            return self.spec.paths
        assert self.spec.partitions is not None
        return tuple(
            render_key(p, partition, self.spec.partitions) for p in self.spec.paths
        )

    def render(self, ref: Ref, own: tuple[str, ...], partition: str | None) -> str:
        if ref.scope == "vars":
            return self.variables[ref.attr]
        if ref.scope == "partition":
            assert partition is not None and self.spec.partitions is not None
            value = self.spec.partitions.parts(partition).get(ref.attr, partition)
            return shlex.quote(value)
        if ref.scope == "self" and own and own[0].startswith(MARK):
            return " ".join(own)  # quoted when the attempt renders them
        paths = own if ref.scope == "self" else self.dep_paths[ref.scope]
        return " ".join(shlex.quote(p.rstrip("/") or p) for p in paths)

    def python_call(self, paths: tuple[str, ...], partition: str | None) -> PythonCall:
        """Bind each parameter: upstream files as paths, values by their store,
        the partition key as a ``PartitionKey``, where to write as the outputs."""
        spec, prefix = self.spec, self.prefix
        bindings: list[tuple[str, Binding, tuple[str, ...], str | None]] = []
        for param, dep in spec.params:
            if dep is None and param == "partition":
                assert spec.partitions is not None and partition is not None
                parts = spec.partitions.parts(partition)
                dims = tuple(f"{k}={v}" for k, v in parts.items())
                bindings.append((param, "partition", (partition, *dims), None))
            elif dep is None:  # where to write: staged when the attempt begins
                kind: Binding = "outputs" if param == "outputs" else "output"
                bindings.append((param, kind, paths, None))
            else:
                upstream = self.graph.specs[dep]
                found = tuple(prefix + p for p in self.dep_paths[str(dep)])
                if dep in self.edges and not _one(self.edges[dep]):
                    # several partitions (or none): {partition key: value or Path}
                    keys = self.edges[dep].of(partition)
                    per_key = len(upstream.paths)
                    pairs = tuple(
                        f"{k}={p}"
                        for i, k in enumerate(keys)
                        for p in found[i * per_key : (i + 1) * per_key]
                    )
                    many: Binding = "values" if upstream.io else "files"
                    bindings.append((param, many, pairs, upstream.io))
                else:
                    one: Binding = "value" if upstream.io else "file"
                    bindings.append((param, one, found, upstream.io))
        assert callable(spec.transform)
        return PythonCall(spec.transform, tuple(bindings), spec.io)


def _setting(settings: Mapping[str, object], name: str, kind: type[T]) -> T | None:
    """A [settings] value as the loader checked it (durations in seconds)."""
    value = settings.get(name)
    if isinstance(value, bool) or not isinstance(value, (kind, int)):
        return None
    return kind(value)


def _one(edge: UpstreamPartitions) -> bool:
    """Each reader partition reads exactly one partition of the upstream."""
    return edge.kind == "identity" or (
        edge.kind == "dimension" and len(edge.up.dimensions) == 1
    )
