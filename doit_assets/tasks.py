"""AssetGraph -> doit task dicts, and the task creator a ``dodo.py`` imports.

One asset is one doit task named by its key: upstream files and ``inputs``
become ``file_dep``, outputs become ``targets``, and ``AssetFreshness`` is the
``uptodate`` check that covers what doit does not (definition, output content,
directory inputs). Asset data for the reporter travels in ``task["meta"]``.
"""

from __future__ import annotations

import gc
import os
import shlex
import sys
from collections.abc import Iterator, Mapping
from types import ModuleType
from typing import Any

from .codeversion import code_version
from .decorators import collect
from .errors import AssetError, Location, raise_all
from .execute import (
    CommandJob,
    PythonJob,
    materialize,
    remove_outputs,
    staging_path,
)
from .files import STATE_DIR, check_files
from .graph import AssetGraph
from .project import load_graph
from .spec import AssetSpec, is_directory
from .template import Ref, parse_template
from .toml_loader import Project
from .versioning import AssetFreshness, fingerprint

STATE_FILE = f"{STATE_DIR}/state.sqlite"
BACKEND = "assets-sqlite"

# The [settings] of the project loaded last in this process, for the reporter.
LOADED_SETTINGS: dict[str, object] = {}


def doit_config(**overrides: Any) -> dict[str, Any]:
    """``DOIT_CONFIG`` for an assets project: SQLite state under ``.doit-assets/``
    and the lineage reporter."""
    from .reporter import LineageReporter

    config: dict[str, Any] = {
        "backend": BACKEND,
        "dep_file": STATE_FILE,
        "reporter": LineageReporter,
        # doit 0.37 crashes on a bare `doit forget`; ask for a name or --all instead
        "forget_disable_default": True,
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
    ) -> None:
        self.path = path
        self.reserved_names = reserved_names
        self.create_doit_tasks = self._create

    def _create(self) -> Iterator[dict[str, Any]]:
        # Loading makes many long-lived objects (ours and doit's Tasks, built
        # as we yield); collecting garbage meanwhile only costs time, a third of
        # a no-op run at 10 000 assets. Afterwards they are frozen, so that the
        # collections of the run itself do not walk them again.
        gc.disable()
        try:
            python_assets = collect(self._home_modules())
            project, graph = load_graph(self.path, self.reserved_names, python_assets)
            yield from to_doit_tasks(project, graph)
        finally:
            gc.freeze()
            gc.enable()

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
    cwd = os.getcwd()
    root = str(project.root)
    prefix = (
        "" if root == cwd else os.path.relpath(root, cwd).replace(os.sep, "/") + "/"
    )
    LOADED_SETTINGS.clear()
    LOADED_SETTINGS.update(project.settings)
    inputs = graph.inputs
    if len(inputs) < len(graph):  # a graph built without load_graph
        problems: list[AssetError] = []
        inputs = check_files(project.root, list(graph), _spec_location, problems)
        raise_all(problems)
    return [
        _task(spec, graph, project.vars, prefix, root, list(inputs[spec.key]))
        for spec in graph
    ]


def _task(
    spec: AssetSpec,
    graph: AssetGraph,
    variables: Mapping[str, str],
    prefix: str,
    root: str,
    inputs: list[str],
) -> dict[str, Any]:
    targets = tuple(prefix + p for p in spec.paths)
    file_dep = [prefix + p for p in inputs]
    dir_inputs: list[str] = []
    for dep in spec.deps:
        for p in graph.specs[dep].paths:
            (dir_inputs if is_directory(p) else file_dep).append(prefix + p)
    meta: dict[str, Any] = {
        "key": str(spec.key),
        "paths": list(spec.paths),
        "targets": list(targets),
        "deps": {str(d): [prefix + p for p in graph.specs[d].paths] for d in spec.deps},
        "location": str(spec.location) if spec.location else None,
        "metadata": dict(spec.metadata),
        "code_version": spec.code_version,
        "root": root,
        "prefix": prefix,
        "inputs": inputs,
    }
    task: dict[str, Any] = {
        "basename": str(spec.key),
        "doc": spec.description or "",
        "meta": {"asset": meta},
        "task_dep": [str(d) for d in spec.deps],
    }
    if spec.is_source:
        meta["kind"] = "source"
        meta["transform"] = meta["fingerprint"] = None
        task["actions"] = None
        files = [t for t in targets if not is_directory(t)]
        dirs = tuple(t for t in targets if is_directory(t))
        task["file_dep"] = files
        if dirs:
            task["uptodate"] = [AssetFreshness("source", (), dirs)]
        return task
    meta["kind"] = "transform"
    job: CommandJob | PythonJob
    if callable(spec.transform):
        job = _python_job(spec, graph, prefix, root)
        meta["transform"] = shown = job.describe()
        meta["code_version"] = spec.code_version or code_version(spec.transform, root)
    else:
        template = parse_template(spec.transform or "")

        def final(ref: Ref) -> str:
            return _render_ref(ref, spec, graph, variables, lambda p: p)

        def staged(ref: Ref) -> str:
            return _render_ref(ref, spec, graph, variables, staging_path)

        meta["transform"] = shown = template.render(final)
        job = CommandJob(
            str(spec.key), template.render(staged), root, spec.paths, shown=shown
        )
    meta["fingerprint"] = fingerprint(shown, meta["code_version"], spec.paths)
    task.update(
        actions=[(materialize, [job])],
        file_dep=file_dep,
        targets=[t.rstrip("/") for t in targets],
        uptodate=[
            AssetFreshness(
                meta["fingerprint"],
                targets,
                tuple(dir_inputs),
            )
        ],
        clean=[(remove_outputs, [list(targets)])],
    )
    return task


def _python_job(
    spec: AssetSpec, graph: AssetGraph, prefix: str, root: str
) -> PythonJob:
    """Bind each parameter: upstream files as paths, values by their store."""
    bindings: list[tuple[str, str, tuple[str, ...], str | None]] = []
    for param, dep in spec.params:
        if dep is None:
            staged = tuple(prefix + staging_path(p) for p in spec.paths)
            bindings.append((param, param, staged, None))
        else:
            upstream = graph.specs[dep]
            paths = tuple(prefix + p for p in upstream.paths)
            kind = "value" if upstream.io else "file"
            bindings.append((param, kind, paths, upstream.io))
    assert callable(spec.transform)
    return PythonJob(
        str(spec.key), spec.transform, root, spec.paths, tuple(bindings), spec.io
    )


def _render_ref(
    ref: Ref,
    spec: AssetSpec,
    graph: AssetGraph,
    variables: Mapping[str, str],
    own_path: Any,
) -> str:
    if ref.scope == "vars":
        return variables[ref.attr]
    if ref.scope == "self":
        paths = [own_path(p) for p in spec.paths]
    else:
        paths = list(graph.specs[ref.scope].paths)  # type: ignore[index]
    return " ".join(shlex.quote(p.rstrip("/") or p) for p in paths)


def _spec_location(spec: AssetSpec, field: str) -> Location | None:
    return spec.location
