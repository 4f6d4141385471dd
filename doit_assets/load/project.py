"""A whole project: ``assets.toml``, the Python modules it names, and ``@asset``s.

Everything is loaded and validated in one pass; every problem, in TOML or in
Python, is raised together.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

from ..errors import AssetDefinitionError, AssetError, Location
from ..memory import collector_paused
from ..model.automation import SensorSpec
from ..model.graph import AssetGraph
from ..model.spec import AssetSpec
from .checks import attach_python_checks
from .decorators import AssetCheckDef, AssetDef, Declared, SensorDef, collect
from .definition import AssetBuilder
from .files import check_files, file_checks
from .imports import Definition, project_functions
from .sensors import check_sensors, sensor_spec
from .toml import Project, load_toml
from .validate import UnknownHint, build_graph, unknown_key_hint

# doit's own commands; installed plugin commands are added from entry points.
DOIT_COMMANDS = (
    "help",
    "run",
    "list",
    "info",
    "clean",
    "forget",
    "ignore",
    "dumpdb",
    "strace",
    "tabcompletion",
    "reset-dep",
)


@lru_cache(maxsize=1)
def command_names() -> frozenset[str]:
    """Names ``doit NAME`` would take as a command rather than a task."""
    from importlib.metadata import entry_points

    plugins = {ep.name for ep in entry_points(group="doit.COMMAND")}
    return frozenset(DOIT_COMMANDS) | plugins


def load_graph(
    path: str | os.PathLike[str] = "assets.toml",
    reserved_names: frozenset[str] | None = None,
    python_assets: Iterable[Declared] = (),
) -> tuple[Project, AssetGraph]:
    """Load and validate a project: every problem is raised at once.

    ``python_assets`` are ``@asset`` (and ``@asset_check``) functions found
    outside ``assets.toml`` (in a dodo.py); the file may then be absent.
    """
    with collector_paused():  # many long-lived objects, nothing to free
        return _load_graph(path, reserved_names, python_assets)


def _load_graph(
    path: str | os.PathLike[str],
    reserved_names: frozenset[str] | None,
    python_assets: Iterable[Declared],
) -> tuple[Project, AssetGraph]:
    extra = list(python_assets)
    if extra and not os.path.exists(path):
        project = Project(str(path), Path.cwd(), {}, {}, ())
    else:
        project = load_toml(path, strict=False)
    problems: list[AssetError] = list(project.problems)
    declared = collect(project.modules)
    declared += [d for d in extra if all(d is not other for other in declared)]
    defs = [d for d in declared if isinstance(d, AssetDef)]
    partial = list(project.partial)
    specs = list(project.specs) + _python_specs(project, defs, problems, partial)
    # checks: each @asset_check joins the asset it names
    check_defs = [d for d in declared if isinstance(d, AssetCheckDef)]
    if check_defs:
        specs = attach_python_checks(specs, check_defs, problems, partial)
    if not specs and not problems:
        problems.append(
            AssetDefinitionError(
                "no assets declared",
                location=Location(
                    project.source, project.lines.get(("[assets]", "")) or None
                ),
                hint="Add a table such as [assets.report] with a 'path'",
            )
        )
    toml_keys = project.declared
    where = locator(project)
    explain = _unloaded_functions(project, defs)
    # sensors: reported with the assets' problems, their triggers checked
    # against every asset, TOML and Python
    sensor_defs = [d for d in declared if isinstance(d, SensorDef)]
    sensors = list(project.sensors) + _python_sensors(sensor_defs, problems)
    sensors, sensor_problems = check_sensors(
        sensors,
        toml_keys | {d.key for d in defs} | {s.key for s in specs},
        sensor_locator(project),
        lambda key, names: unknown_key_hint(key, names, explain),
        incomplete=bool(project.failed_modules),
    )
    problems += sensor_problems
    graph = build_graph(
        specs,
        where=where,
        reserved_names=command_names() if reserved_names is None else reserved_names,
        known_keys=toml_keys | {d.key for d in defs},
        problems=problems,
        partial=partial,
        explain_unknown=explain,
        incomplete=bool(project.failed_modules),
    )
    # On-disk facts come after: they are warnings, and failures of one asset.
    on_disk = check_files(project.root, file_checks(graph.specs, where))
    return project, dataclasses.replace(graph, on_disk=on_disk, sensors=tuple(sensors))


def locator(project: Project) -> Callable[[AssetSpec, str], Location | None]:
    """Where a field of an asset is declared: its line, or a Python asset's function."""

    def where(spec: AssetSpec, field: str) -> Location | None:
        if spec.location is None or spec.location.path == project.source:
            return project.where(spec.key, field)
        return spec.location

    return where


def sensor_locator(project: Project) -> Callable[[SensorSpec, str], Location | None]:
    """Where a field of a sensor is declared: its line, or a @sensor's function."""

    def where(sensor: SensorSpec, field: str) -> Location | None:
        if sensor.location is None or sensor.location.path == project.source:
            line = project.lines.get(("[sensors]", f"{sensor.name}.{field}"))
            line = line or project.lines.get(("[sensors]", sensor.name))
            return Location(project.source, line or None)
        return sensor.location

    return where


def _python_sensors(
    defs: list[SensorDef], problems: list[AssetError]
) -> list[SensorSpec]:
    sensors = []
    for d in defs:
        table = {k: v for k, v in d.table.items() if k != "name"}
        found = sensor_spec(d.key, table, _at(d.location), problems, decorator=True)
        if found is not None:
            sensors.append(found)
    return sensors


def _at(location: Location) -> Callable[[str, str], Location]:
    """Every field of a decorated function is at the function."""
    return lambda name, field: location


def _unloaded_functions(project: Project, defs: list[AssetDef]) -> UnknownHint:
    """A hint for an unknown dependency: a function of that name in a module
    of the project that is not loaded, or that is not an @asset.

    The project's files are read (not run) the first time it is needed:
    a valid project never pays for it.
    """
    loaded = {m.__name__ for m in project.modules} | {d.fn.__module__ for d in defs}
    found: dict[str, list[Definition]] = {}

    def explain(key: str) -> str | None:
        if not found:
            found.update(project_functions(project.root))
        for definition in found.get(key, []):
            if definition.is_asset and definition.module in loaded:
                continue  # loaded, yet not an asset: it says why itself
            return _load_hint(project, key, definition, definition.module in loaded)
        return None

    return explain


def _load_hint(project: Project, key: str, found: Definition, loaded: bool) -> str:
    module = found.module
    if found.is_asset:
        text = f"{found.location} declares it with @asset, but module '{module}' is not loaded"
    else:
        text = f"{found.location} has a function '{key}' without @asset: decorate it"
        if loaded:
            return text
        text += ", and load its module"
    if not os.path.exists(project.source):  # @assets of a dodo.py only
        return f"{text}: import it in dodo.py (from {module} import *)"
    if "modules" in project.settings:
        return f'{text}: add "{module}" to [settings] modules'
    return f'{text}: add modules = ["{module}"] under [settings]'


def _python_specs(
    project: Project,
    defs: list[AssetDef],
    problems: list[AssetError],
    partial: list[AssetSpec],
) -> list[AssetSpec]:
    current: list[Location] = []  # the function being built: every field is there
    builder = AssetBuilder(
        lambda name, field: current[-1],
        project.vars,
        str(project.root),
        decorator=True,
        timezone=str(project.settings.get("timezone", "UTC")),
    )
    builder.pools = project.pools
    specs = []
    for d in defs:
        current.append(d.location)
        spec = builder.build(d.key, dict(d.table))
        if spec is not None:
            specs.append(spec)
    problems += builder.problems
    partial += builder.partial
    return specs
