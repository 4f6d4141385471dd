"""Each asset (each partition of one) as a compact task: plain values the cache keeps.

A compact holds everything about an asset's task but the files its ``inputs``
expand to, which can change between runs (see ``tasks._task``). A partitioned
asset gives a group compact, then one compact per partition: the doit
sub-tasks ``KEY:PARTITION`` that ``doit KEY`` runs together.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from typing import Any

from ..load.codeversion import code_version
from ..load.toml import Project
from ..model import clock
from ..model.graph import AssetGraph
from ..model.partitions import UpstreamPartitions, render_key
from ..model.spec import AssetKey, AssetSpec, is_directory
from ..model.template import Ref, parse_template
from ..run.execute import MARK, PythonJob
from ..store.versions import fingerprint

# (kind, key, doc, paths, targets, deps, location, metadata, code_version,
#  root, prefix, transform, fingerprint, job, file_dep, dir_inputs, max_age,
#  observe, group, tags, partition, partitions, time_kind)
# kind is 'source', 'transform' or 'group:KIND' (the parent of partitions); deps is
# ((dep, its paths, its task names), ...); job the staged command or a
# PythonJob; partition the key of this partition, partitions its definition's
# description (on the group and on each partition) and time_kind the kind of
# its time dimension (hourly, daily, ...), if it has one.
Compact = tuple[Any, ...]
KEY, PATHS, MAX_AGE, OBSERVE, PARTITION = 1, 3, 16, 17, 20


def task_name(compact: Compact) -> str:
    partition = compact[PARTITION]
    return compact[KEY] if partition is None else f"{compact[KEY]}:{partition}"


def static_tasks(project: Project, graph: AssetGraph) -> list[Compact]:
    """Every asset's compact task, upstream first."""
    prefix, root = _prefix(project), str(project.root)
    now = clock.now()
    keys = {s.key: s.partitions.keys(now) for s in graph if s.partitions is not None}
    compacts: list[Compact] = []
    for spec in graph:
        edges = {
            dep: UpstreamPartitions(
                spec.partitions, up.partitions, spec.mapping(dep), keys[dep]
            )
            for dep in spec.deps
            if (up := graph.specs[dep]).partitions is not None
        }
        maker = _Maker(spec, graph, project.vars, prefix, root, edges)
        if spec.partitions is None:
            compacts.append(maker.compact(None))
            continue
        compacts.append(maker.group(len(keys[spec.key])))
        compacts += [maker.compact(key) for key in keys[spec.key]]
    return compacts


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
        self.described = spec.partitions.describe() if spec.partitions else None
        time = spec.partitions.time_dimension if spec.partitions else None
        self.time_kind = time.kind if time else None
        self.version = spec.code_version
        if callable(spec.transform):
            self.version = self.version or code_version(spec.transform, root)

    def group(self, count: int) -> Compact:
        spec = self.spec
        doc = spec.description or f"{count} partition{'' if count == 1 else 's'}"
        return (
            "group:source" if spec.is_source else "group:transform",
            str(spec.key),
            doc,
            spec.paths,
            (),
            tuple((str(dep), (), ()) for dep in spec.deps),
            str(spec.location) if spec.location else None,
            dict(spec.metadata),
            self.version,
            self.root,
            self.prefix,
            spec.transform if isinstance(spec.transform, str) else None,
            None,
            None,
            (),
            (),
            spec.max_age,
            None,
            spec.group,
            spec.tags,
            None,
            self.described,
            self.time_kind,
        )

    def compact(self, partition: str | None) -> Compact:
        spec, prefix = self.spec, self.prefix
        paths = self.own_paths(partition)
        # Without a prefix the very same tuples are reused: the cache then
        # writes each path once (marshal refers back to an object it has written).
        targets = tuple(prefix + p for p in paths) if prefix else paths
        file_dep: list[str] = []
        dir_inputs: list[str] = []
        deps = []
        self.dep_paths: dict[str, tuple[str, ...]] = {}
        for dep in spec.deps:
            upstream = self.graph.specs[dep]
            if dep in self.edges:
                up_keys = self.edges[dep].of(partition)
                assert upstream.partitions is not None
                found = tuple(
                    render_key(p, k, upstream.partitions)
                    for k in up_keys
                    for p in upstream.paths
                )
                names = tuple(f"{dep}:{k}" for k in up_keys)
            else:
                found, names = upstream.paths, (str(dep),)
            self.dep_paths[str(dep)] = found
            with_prefix = tuple(prefix + p for p in found) if prefix else found
            deps.append((str(dep), with_prefix, names))
            for p in with_prefix:
                (dir_inputs if is_directory(p) else file_dep).append(p)
        kind = "source" if spec.is_source else "transform"
        transform = fp = None
        job: str | PythonJob | None = None
        if callable(spec.transform):
            job = self.python_job(paths, partition)
            transform = job.describe()
            if partition is not None:
                transform += f" [{partition}]"
        elif spec.transform is not None:
            template = parse_template(spec.transform)
            transform = template.render(lambda r: self.render(r, paths, partition))
            # where each staged output goes: known only when an attempt begins
            marks = tuple(f"{MARK}{i}{MARK}" for i in range(len(paths)))
            job = template.render(lambda r: self.render(r, marks, partition))
        if transform is not None:
            fp = fingerprint(transform, self.version, paths)
        return (
            kind,
            str(spec.key),
            spec.description or "",
            paths,
            targets,
            tuple(deps),
            str(spec.location) if spec.location else None,
            dict(spec.metadata),
            self.version,
            self.root,
            prefix,
            transform,
            fp,
            job,
            tuple(file_dep),
            tuple(dir_inputs),
            spec.max_age,
            spec.observe,
            spec.group,
            spec.tags,
            partition,
            self.described,
            self.time_kind,
        )

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

    def python_job(self, paths: tuple[str, ...], partition: str | None) -> PythonJob:
        """Bind each parameter: upstream files as paths, values by their store,
        the partition key as a ``PartitionKey``."""
        spec, prefix = self.spec, self.prefix
        bindings: list[tuple[str, str, tuple[str, ...], str | None]] = []
        for param, dep in spec.params:
            if dep is None and param == "partition":
                assert spec.partitions is not None and partition is not None
                parts = spec.partitions.parts(partition)
                dims = tuple(f"{k}={v}" for k, v in parts.items())
                bindings.append((param, "partition", (partition, *dims), None))
            elif dep is None:  # where to write: staged when the attempt begins
                bindings.append((param, param, paths, None))
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
                    kind = "values" if upstream.io else "files"
                    bindings.append((param, kind, pairs, upstream.io))
                else:
                    kind = "value" if upstream.io else "file"
                    bindings.append((param, kind, found, upstream.io))
        assert callable(spec.transform)
        task = str(spec.key) if partition is None else f"{spec.key}:{partition}"
        return PythonJob(
            task,
            spec.transform,
            self.root,
            paths,
            tuple(bindings),
            spec.io,
            prefix=prefix,
        )


def _one(edge: UpstreamPartitions) -> bool:
    """Each reader partition reads exactly one partition of the upstream."""
    return edge.kind == "identity" or (
        edge.kind.startswith("dimension:") and len(edge.up.dimensions) == 1
    )
