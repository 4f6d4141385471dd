"""Partitions: an asset sliced into keys (days, regions), each one a doit sub-task.

A ``PartitionsDef`` has one dimension, or two (``date`` x ``region``); a
dimension is a static list of keys or a time window (hourly, daily, weekly,
monthly) from ``start`` to an inclusive ``end``, or up to now when ``end`` is
left out (then only windows that have ended count). Keys of time windows are
the window's start: ``2024-03-05`` (``2024-03-05-13:00`` hourly). Keys of two
dimensions are joined with ``|`` in declared order: ``2024-03-05|eu``.

Here are the definitions, how they are parsed, and ``PartitionKey``, the key a
Python transform receives. The arithmetic of time windows is in windows.py,
which partitions of an upstream asset a partition reads in mappings.py.
"""

from __future__ import annotations

import collections
import datetime as dt
import difflib
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from . import clock, windows
from .windows import FIRST_DAY, LAST_DAY, TIME_KINDS, TimeKind

DimensionKind = Literal["static"] | TimeKind
KINDS: tuple[DimensionKind, ...] = ("static", *TIME_KINDS)
# A static partition key, or a dimension's name (which has no '.'). Keys go in
# file names and commands. (Asset keys, which may hold '/', are model/spec.py's.)
PARTITION_KEY_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
SEPARATOR = "|"
# At most this many partitions per asset, counted before any key is made:
# each one is a doit task, and an hourly range over a century is not a plan.
MAX_PARTITIONS = 1_000_000


class PartitionsError(ValueError):
    def __init__(self, problem: str, hint: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.hint = hint


@dataclass(frozen=True)
class Dimension:
    kind: DimensionKind
    name: str | None = None  # None in a one-dimensional definition
    static: tuple[str, ...] = ()
    start: dt.datetime | None = None  # naive, in ``timezone``
    end: dt.datetime | None = None  # inclusive; None: up to now
    timezone: str = "UTC"

    @property
    def is_time(self) -> bool:
        return self.kind in TIME_KINDS

    @property
    def time_kind(self) -> TimeKind:
        """The kind of its windows (a time dimension's only)."""
        kind = self.kind
        assert kind != "static", "a static dimension has no windows"
        return kind

    def describe(self) -> str:
        if not self.is_time:
            return "static [" + ", ".join(self.static) + "]"
        assert self.start is not None
        end = self.end.date().isoformat() if self.end else "now"
        return f"{self.kind} from {self.start.date().isoformat()} to {end}"

    def keys(self, now: float | None = None) -> list[str]:
        if not self.is_time:
            return list(self.static)
        kind = self.time_kind
        return windows.keys(kind, self._first_start(kind), self._last_start(now))

    def count(self, now: float | None = None) -> int:
        """How many keys ``keys(now)`` gives, without making them."""
        if not self.is_time:
            return len(self.static)
        kind = self.time_kind
        return windows.count(kind, self._first_start(kind), self._last_start(now))

    def _first_start(self, kind: TimeKind) -> dt.datetime:
        assert self.start is not None
        return windows.align(kind, self.start)

    def _last_start(self, now: float | None) -> dt.datetime:
        if self.end is not None:
            return self.end
        moment = clock.now() if now is None else now
        return windows.last_ended(self.time_kind, self.timezone, moment)

    def key_of(self, start: dt.datetime) -> str:
        return windows.key_of(self.time_kind, start)

    def window(self, key: str) -> tuple[dt.datetime, dt.datetime]:
        return windows.window(self.time_kind, key)


@dataclass(frozen=True)
class PartitionsDef:
    dimensions: tuple[Dimension, ...]

    def describe(self) -> str:
        if len(self.dimensions) == 1:
            return self.dimensions[0].describe()
        return " x ".join(f"{d.name} ({d.describe()})" for d in self.dimensions)

    def renews_at(self, now: float) -> float | None:
        """When an open window next ends and adds a partition (None: never)."""
        moments = []
        for dim in self.dimensions:
            if not (dim.is_time and dim.end is None):
                continue
            moments.append(
                windows.next_end(dim.time_kind, dim.start, dim.timezone, now)
            )
        return min(moments) if moments else None

    def all_paths(
        self, templates: tuple[str, ...], now: float | None = None
    ) -> list[str]:
        return [render_key(t, k, self) for k in self.keys(now) for t in templates]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.dimensions if d.name)

    def keys(self, now: float | None = None) -> list[str]:
        keys = [""]
        for dim in self.dimensions:
            values = dim.keys(now)
            keys = [f"{k}{SEPARATOR}{v}" if k else v for k in keys for v in values]
        return keys if keys != [""] else []

    def parts(self, key: str) -> dict[str, str]:
        """A two-dimensional key by dimension name; {} for one dimension."""
        if len(self.dimensions) == 1:
            return {}
        values = key.split(SEPARATOR)
        return {d.name or "": v for d, v in zip(self.dimensions, values, strict=True)}

    @cached_property
    def time_dimension(self) -> Dimension | None:
        found = [d for d in self.dimensions if d.is_time]
        return found[0] if found else None


class PartitionKey(str):
    """A partition key handed to a Python transform; ``key.region`` for a dimension."""

    __slots__ = ("dimensions",)
    dimensions: dict[str, str]

    def __new__(
        cls, key: str, dimensions: Mapping[str, str] | None = None
    ) -> PartitionKey:
        value = super().__new__(cls, key)
        value.dimensions = dict(dimensions or {})
        return value

    def __getattr__(self, name: str) -> str:
        try:
            return self.dimensions[name]
        except KeyError:
            raise AttributeError(name) from None


# -- parsing -----------------------------------------------------------------


def parse_partitions(value: object, timezone: str, decorator: bool) -> PartitionsDef:
    """``{daily = {start = ...}}``, ``{static = [...]}`` or two named dimensions."""
    example = (
        'partitions={"daily": {"start": "2024-01-01"}}'
        if decorator
        else 'partitions = { daily = { start = "2024-01-01" } }'
    )
    if isinstance(value, PartitionsDef):
        return value
    if not isinstance(value, dict) or not value:
        raise PartitionsError(
            "'partitions' must name a kind: " + ", ".join(KINDS),
            f"For example {example}",
        )
    if len(value) == 1 and next(iter(value)) in KINDS:
        ((kind, spec),) = value.items()
        return _within_limit(PartitionsDef((_dimension(kind, spec, None, timezone),)))
    if len(value) == 1:
        ((kind, _),) = value.items()
        close = difflib.get_close_matches(str(kind), KINDS, n=1)
        if close or not isinstance(value[kind], dict):
            raise PartitionsError(
                f"unknown partitions kind '{kind}'",
                f"Did you mean '{close[0]}'?"
                if close
                else "Kinds: " + ", ".join(KINDS),
            )
    unknown_kinds = [k for k in value if k in KINDS]
    if unknown_kinds or len(value) != 2:
        raise PartitionsError(
            "'partitions' has one kind (daily, static, ...) or two named dimensions, "
            f"got {', '.join(repr(k) for k in value)}",
            'Two dimensions: partitions = { date = { daily = { start = "2024-01-01" } }, '
            'region = { static = ["eu", "us"] } }',
        )
    dims = []
    for name, spec in value.items():
        if not PARTITION_KEY_PATTERN.fullmatch(name) or "." in name:
            raise PartitionsError(
                f"invalid dimension name '{name}'", "Use letters, digits, '_' and '-'"
            )
        if (
            not isinstance(spec, dict)
            or len(spec) != 1
            or next(iter(spec)) not in KINDS
        ):
            raise PartitionsError(
                f"dimension '{name}' must name one kind: " + ", ".join(KINDS),
                f'For example {name} = {{ static = ["eu", "us"] }}',
            )
        ((kind, inner),) = spec.items()
        dims.append(_dimension(kind, inner, name, timezone))
    if sum(d.is_time for d in dims) > 1:
        raise PartitionsError(
            "two time dimensions cannot be combined", "Make one of them static"
        )
    return _within_limit(PartitionsDef(tuple(dims)))


def _within_limit(definition: PartitionsDef) -> PartitionsDef:
    count = 1
    for dim in definition.dimensions:
        count *= dim.count()
    if count > MAX_PARTITIONS:
        raise PartitionsError(
            f"'partitions' declare {count:,} partitions, more than the limit of "
            f"{MAX_PARTITIONS:,}",
            "Start later, or use longer windows or fewer keys",
        )
    return definition


def _dimension(
    kind: DimensionKind, spec: Any, name: str | None, timezone: str
) -> Dimension:
    if kind == "static":
        if (
            not isinstance(spec, list)
            or not spec
            or not all(isinstance(k, str) for k in spec)
        ):
            raise PartitionsError(
                "'static' partitions must be a non-empty list of keys",
                'For example static = ["eu", "us"]',
            )
        for key in spec:
            if not PARTITION_KEY_PATTERN.fullmatch(key):
                raise PartitionsError(
                    f"invalid partition key '{key}'",
                    "Keys are used in file names and commands: letters, digits, "
                    "'_', '-' and '.'",
                )
        counts = collections.Counter(spec)  # linear: lists can hold many keys
        duplicates = sorted(k for k, n in counts.items() if n > 1)
        if duplicates:
            raise PartitionsError(f"partition key '{duplicates[0]}' is listed twice")
        return Dimension("static", name, tuple(spec), timezone=timezone)
    if not isinstance(spec, dict) or "start" not in spec:
        raise PartitionsError(
            f"'{kind}' partitions need a 'start'",
            f'For example {kind} = {{ start = "2024-01-01" }}',
        )
    unknown = [k for k in spec if k not in ("start", "end", "timezone")]
    if unknown:
        raise PartitionsError(
            f"unknown key '{unknown[0]}' in '{kind}' partitions",
            "Allowed: start, end, timezone",
        )
    zone = spec.get("timezone", timezone)
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise PartitionsError(
            f"unknown timezone '{zone}'",
            "Use an IANA name such as 'Europe/Paris' or 'UTC'",
        ) from None
    start = _moment(spec["start"], "start")
    end = _moment(spec["end"], "end") if spec.get("end") is not None else None
    if end is not None and end < start:
        raise PartitionsError(
            f"'{kind}' partitions end ({end.date()}) before they start ({start.date()})"
        )
    return Dimension(kind, name, start=start, end=end, timezone=zone)


def _moment(value: object, field: str) -> dt.datetime:
    moment = _parse_moment(value, field)
    if not FIRST_DAY <= moment <= LAST_DAY:
        raise PartitionsError(
            f"'{field}' must be a date from {FIRST_DAY.date()} to "
            f"{LAST_DAY.date()}, got '{moment.isoformat().removesuffix('T00:00:00')}'",
            "Partition keys have four-digit years",
        )
    return moment


def _parse_moment(value: object, field: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value).replace(tzinfo=None)
        except ValueError:
            pass
    raise PartitionsError(
        f"'{field}' must be a date like \"2024-01-01\", got {value!r}",
        'Write a date ("2024-01-01") or a time ("2024-01-01T06:00")',
    )


def render_key(template: str, key: str, definition: PartitionsDef) -> str:
    """``{partition}`` and ``{partition.NAME}`` in a path, with this key."""
    text = template.replace("{partition}", key)
    for name, value in definition.parts(key).items():
        text = text.replace("{partition." + name + "}", value)
    return text
