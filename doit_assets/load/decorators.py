"""``@asset``: Python functions as assets, in one graph with ``assets.toml``.

A parameter names an upstream asset: a file asset arrives as a ``Path``, a
value asset as its loaded value. ``output`` (or ``outputs``) receives where a
file asset must write. Without a ``path`` the function's return value is the
asset, kept by a value store. The decorator only records what it was given;
``to_spec`` validates it with the same rules as ``assets.toml``, so that
problems are reported together, each at ``file.py:LINE``.
"""

from __future__ import annotations

import contextlib
import datetime
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, overload

from ..errors import Location
from ..model.values import ValueStore, register_store


class _Decorated:
    """A decorated function: where it is; calling it calls the function
    (handy in unit tests)."""

    fn: Callable[..., Any]

    @property
    def location(self) -> Location:
        return _location(self.fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)


class _Tabled(_Decorated):
    """One whose arguments are a table, as assets.toml would hold them."""

    table: Mapping[str, Any]

    @property
    def key(self) -> str:
        """``name``, or the function's."""
        return str(self.table.get("name") or self.fn.__name__)


@dataclass(frozen=True)
class AssetDef(_Tabled):
    """A decorated asset."""

    fn: Callable[..., Any]
    table: Mapping[str, Any] = field(default_factory=dict)


def _location(fn: Callable[..., Any]) -> Location:
    code = fn.__code__
    return Location(_display_path(code.co_filename), code.co_firstlineno)


@overload
def asset(fn: Callable[..., Any], /) -> AssetDef: ...


@overload
def asset(
    *,
    name: str | None = None,
    path: str | Sequence[str] | None = None,
    depends_on: Sequence[str] = (),
    inputs: Sequence[str] = (),
    description: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    code_version: str | None = None,
    io: str | ValueStore | None = None,
    ins: Mapping[str, str] | None = None,
    group: str | None = None,
    tags: Sequence[str] = (),
    max_age: str | float | datetime.timedelta | None = None,
    partitions: Mapping[str, Any] | None = None,
    partition_mapping: Mapping[str, Any] | None = None,
    retries: int | None = None,
    retry_delay: str | float | datetime.timedelta | None = None,
    pool: str | None = None,
    on_failure: str | None = None,
    checks: Sequence[Mapping[str, Any]] = (),
    automation: str | None = None,
    timezone: str | None = None,
    env: Mapping[str, str] | None = None,
    requires: Sequence[str] = (),
    track_packages: bool = True,
) -> Callable[[Callable[..., Any]], AssetDef]: ...


def asset(
    fn: Callable[..., Any] | None = None,
    /,
    **options: Any,
) -> AssetDef | Callable[[Callable[..., Any]], AssetDef]:
    """Declare a Python asset: ``@asset`` or ``@asset(path=..., depends_on=[...])``.

    Keys are those of ``assets.toml`` (``path``, ``depends_on``, ``inputs``,
    ``description``, ``metadata``, ``code_version``) plus ``name`` (the asset
    key, default: the function's name), ``io`` (the value store of a value
    asset: ``"pickle"``, ``"json"`` or a store object) and ``ins`` (parameter
    name -> asset key, for keys that are not valid Python names).
    ``max_age`` and ``retry_delay`` also take a ``timedelta`` or a number of
    seconds. ``retries``, ``retry_delay``, ``pool`` and ``on_failure`` are those
    of ``assets.toml``; ``timeout`` is refused (a function cannot be stopped).
    ``partitions`` and ``partition_mapping`` take what ``assets.toml`` does, as
    dicts; the function then may take a ``partition`` parameter (a PartitionKey).
    ``checks`` takes the tables of ``[[assets.NAME.checks]]``, as dicts.
    ``automation`` (``"eager"``, ``"on_missing"``, ``"manual"`` or
    ``"cron:EXPR"``) and ``timezone`` (of a cron) say when ``doit assets
    watch`` and ``tick`` make it. ``env`` (variable -> value, set while the
    function runs) and ``requires`` (commands that print the versions of the
    tools it uses) are those of ``assets.toml``: both enter its fingerprint.
    ``track_packages=False`` leaves Python's version and the installed
    distributions out of the automatic code version.
    """
    if fn is None:
        return lambda f: _define(f, options)
    return _define(fn, options)


def observable_source(
    fn: Callable[[], object] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    group: str | None = None,
    tags: Sequence[str] = (),
    automation: str | None = None,
    timezone: str | None = None,
    interval: str | float | datetime.timedelta | None = None,
) -> Any:
    """Declare a source made outside the pipeline, whose version ``fn`` returns.

    ``fn`` takes no arguments and returns something that changes when the
    source does (an ETag, a row count, a date); every run calls it, and a new
    value makes the assets that depend on the source stale. ``interval``
    (``"5m"``, a number of seconds or a ``timedelta``) is how often ``doit
    assets watch`` observes it again; ``automation`` and ``timezone`` are
    those of ``@asset``.
    """
    options: dict[str, Any] = {"name": name, "description": description}
    options |= {"metadata": metadata, "group": group, "tags": tags}
    options |= {"automation": automation, "timezone": timezone, "interval": interval}

    def define(f: Callable[[], object]) -> AssetDef:
        table = {k: _plain(v) for k, v in options.items() if v is not None}
        table["observe"] = f
        return AssetDef(f, table)

    return define if fn is None else define(fn)


def _define(fn: Callable[..., Any], options: dict[str, Any]) -> AssetDef:
    io = options.get("io")
    if io is not None and not isinstance(io, str):
        # A bad store is reported when the project is loaded, with its location.
        with contextlib.suppress(TypeError):
            options = {**options, "io": register_store(io)}
    table = {k: _plain(v) for k, v in options.items() if v is not None}
    table["python"] = fn
    return AssetDef(fn, table)


def _plain(value: Any) -> Any:
    """Sequences as lists, so validation sees what TOML would give."""
    if isinstance(value, tuple):
        return list(value)
    return value


# -- checks --------------------------------------------------------------------


@dataclass(frozen=True)
class AssetCheckDef(_Decorated):
    """A decorated check."""

    fn: Callable[..., Any]
    asset: str
    name: str | None = None
    blocking: bool = True
    description: str | None = None

    @property
    def key(self) -> str:
        """The check's name: ``name``, or the function's."""
        return self.fn.__name__ if self.name is None else self.name


def asset_check(
    *,
    asset: str | AssetDef,
    name: str | None = None,
    blocking: bool = True,
    description: str | None = None,
) -> Callable[[Callable[..., Any]], AssetCheckDef]:
    """Declare a check of ``asset``'s output: ``@asset_check(asset="orders")``.

    The function receives the staged output (its ``Path``, a tuple of them for
    several paths, or a value asset's value) before it replaces the previous
    one, and returns a ``CheckResult`` or a bool. ``blocking`` (the default)
    keeps a failing output from being published; otherwise a failure is a
    warning. ``name`` defaults to the function's name.
    """
    key = asset.key if isinstance(asset, AssetDef) else asset

    def define(fn: Callable[..., Any]) -> AssetCheckDef:
        return AssetCheckDef(fn, key, name, blocking, description)

    return define


# -- sensors (issue 15) ----------------------------------------------------------


@dataclass(frozen=True)
class SensorDef(_Tabled):
    """A decorated sensor."""

    fn: Callable[[], object]
    table: Mapping[str, Any] = field(default_factory=dict)


def sensor(
    *,
    triggers: Sequence[str],
    interval: str | float | datetime.timedelta | None = None,
    name: str | None = None,
    description: str | None = None,
) -> Callable[[Callable[[], object]], SensorDef]:
    """Declare a sensor: ``@sensor(interval="5m", triggers=["orders"])``.

    The function takes no arguments; ``doit assets watch`` calls it every
    ``interval`` (``"5m"``, a number of seconds or a ``timedelta``; default
    30 seconds), and when its answer (its return value as text, stripped)
    changes, it materializes the ``triggers`` assets. ``name`` defaults to
    the function's name; sensors and assets share one set of names.
    """
    options = {"triggers": triggers, "interval": interval, "description": description}

    def define(fn: Callable[[], object]) -> SensorDef:
        table = {k: _plain(v) for k, v in options.items() if v is not None}
        table["observe"] = fn
        if name is not None:
            table["name"] = name
        return SensorDef(fn, table)

    return define


# What a module may declare: assets, checks of them, and sensors.
Declared = AssetDef | AssetCheckDef | SensorDef


def collect(modules: Iterable[ModuleType]) -> list[Declared]:
    """Every ``@asset``, ``@asset_check`` and ``@sensor`` defined at the top
    level of these modules, in source order."""
    found: dict[int, Declared] = {}
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, (AssetDef, AssetCheckDef, SensorDef)):
                found.setdefault(id(value), value)
    return sorted(
        found.values(),
        key=lambda d: (d.fn.__code__.co_filename, d.fn.__code__.co_firstlineno),
    )


def _display_path(filename: str) -> str:
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # another drive on Windows
        return filename
    return filename if relative.startswith("..") else relative
