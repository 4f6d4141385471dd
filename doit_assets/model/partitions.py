"""Partitions: an asset sliced into keys (days, regions), each one a doit sub-task.

A ``PartitionsDef`` has one dimension, or two (``date`` x ``region``); a
dimension is a static list of keys or a time window (hourly, daily, weekly,
monthly) from ``start`` to an inclusive ``end``, or up to now when ``end`` is
left out (then only windows that have ended count). Keys of time windows are
the window's start: ``2024-03-05`` (``2024-03-05-13:00`` hourly). Keys of two
dimensions are joined with ``|`` in declared order: ``2024-03-05|eu``.

A partition mapping says which partitions of an upstream asset one partition
reads: the same key (identity), all of them, the time windows that overlap
its own (daily into monthly), or its own window shifted by an offset.
"""

from __future__ import annotations

import bisect
import collections
import datetime as dt
import difflib
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from . import clock

TIME_KINDS = ("hourly", "daily", "weekly", "monthly")
KINDS = ("static", *TIME_KINDS)
KEY_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
SEPARATOR = "|"
# At most this many partitions per asset, counted before any key is made:
# each one is a doit task, and an hourly range over a century is not a plan.
MAX_PARTITIONS = 1_000_000
# Keys have four-digit years, and the window after the last must exist.
FIRST_DAY = dt.datetime(1000, 1, 1)
LAST_DAY = dt.datetime(9998, 12, 31, 23, 59, 59)
_FORMATS = {
    "hourly": "%Y-%m-%d-%H:%M",
    "daily": "%Y-%m-%d",
    "weekly": "%Y-%m-%d",
    "monthly": "%Y-%m-%d",
}


class PartitionsError(ValueError):
    def __init__(self, problem: str, hint: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.hint = hint


@dataclass(frozen=True)
class Dimension:
    kind: str
    name: str | None = None  # None in a one-dimensional definition
    static: tuple[str, ...] = ()
    start: dt.datetime | None = None  # naive, in ``timezone``
    end: dt.datetime | None = None  # inclusive; None: up to now
    timezone: str = "UTC"

    @property
    def is_time(self) -> bool:
        return self.kind in TIME_KINDS

    def describe(self) -> str:
        if not self.is_time:
            return "static [" + ", ".join(self.static) + "]"
        assert self.start is not None
        end = self.end.date().isoformat() if self.end else "now"
        return f"{self.kind} from {self.start.date().isoformat()} to {end}"

    def keys(self, now: float | None = None) -> list[str]:
        if not self.is_time:
            return list(self.static)
        return [self.key_of(start) for start in self._starts(now)]

    def count(self, now: float | None = None) -> int:
        """How many keys ``keys(now)`` gives, without making them."""
        if not self.is_time:
            return len(self.static)
        assert self.start is not None
        first, last = _align(self.kind, self.start), self._last_start(now)
        if last < first:
            return 0
        if self.kind == "monthly":  # first is the 1st of a month, at midnight
            return (last.year - first.year) * 12 + last.month - first.month + 1
        return (last - first) // (shift(self.kind, first, 1) - first) + 1

    def _starts(self, now: float | None) -> list[dt.datetime]:
        assert self.start is not None
        last_start = self._last_start(now)
        starts = []
        current = _align(self.kind, self.start)
        while current <= last_start:
            starts.append(current)
            current = shift(self.kind, current, 1)
        return starts

    def _last_start(self, now: float | None) -> dt.datetime:
        if self.end is not None:
            return self.end
        zone = zoneinfo.ZoneInfo(self.timezone)
        moment = dt.datetime.fromtimestamp(clock.now() if now is None else now, zone)
        # windows that have ended by now: the one before the window of now
        return shift(self.kind, _floor(self.kind, moment.replace(tzinfo=None)), -1)

    def key_of(self, start: dt.datetime) -> str:
        return start.strftime(_FORMATS[self.kind])

    def window(self, key: str) -> tuple[dt.datetime, dt.datetime]:
        start = dt.datetime.strptime(key, _FORMATS[self.kind])
        return start, shift(self.kind, start, 1)


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
            zone = zoneinfo.ZoneInfo(dim.timezone)
            local = dt.datetime.fromtimestamp(now, zone).replace(tzinfo=None)
            current = _align(dim.kind, dim.start or local)
            while shift(dim.kind, current, 1) <= local:
                current = shift(dim.kind, current, 1)
            ends = shift(dim.kind, current, 1)  # the window now in progress
            moments.append(ends.replace(tzinfo=zone).timestamp())
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
        if not KEY_PATTERN.fullmatch(name) or "." in name:
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


def _dimension(kind: str, spec: Any, name: str | None, timezone: str) -> Dimension:
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
            if not KEY_PATTERN.fullmatch(key):
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


def _floor(kind: str, moment: dt.datetime) -> dt.datetime:
    """The start of the window that holds ``moment``."""
    if kind == "hourly":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if kind == "weekly":
        return day - dt.timedelta(days=day.weekday())
    if kind == "monthly":
        return day.replace(day=1)
    return day


def _align(kind: str, moment: dt.datetime) -> dt.datetime:
    """The first window start at or after ``moment``."""
    if kind == "hourly":
        start = moment.replace(minute=0, second=0, microsecond=0)
    else:
        start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        if kind == "weekly":
            start += dt.timedelta(days=(7 - start.weekday()) % 7)  # Monday
        elif kind == "monthly" and start.day != 1:
            start = shift("monthly", start.replace(day=1), 1)
    return start if start >= moment else shift(kind, start, 1)


def shift(kind: str, start: dt.datetime, count: int) -> dt.datetime:
    """The start of the window ``count`` windows after the one at ``start``."""
    if kind == "hourly":
        return start + dt.timedelta(hours=count)
    if kind == "daily":
        return start + dt.timedelta(days=count)
    if kind == "weekly":
        return start + dt.timedelta(weeks=count)
    months = start.year * 12 + start.month - 1 + count
    return start.replace(year=months // 12, month=months % 12 + 1)


# -- mappings ----------------------------------------------------------------


@dataclass(frozen=True)
class Mapping_:
    kind: str  # 'default' | 'identity' | 'all' | 'offset'
    offset: int = 0


DEFAULT = Mapping_("default")


def parse_mapping(value: object) -> Mapping_:
    if value in ("identity", "all"):
        return Mapping_(str(value))
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
        self.kind = resolve(down, up, mapping)
        self._known = set(up_keys)
        if self.kind in ("overlap", "offset"):
            dim = up.dimensions[0]
            self._starts = [dim.window(k)[0] for k in up_keys]

    def of(self, key: str | None) -> list[str]:
        if self.kind == "all" or key is None:
            return self.up_keys
        assert self.down is not None
        if self.kind == "identity":
            return [key] if key in self._known else []
        if self.kind in ("overlap", "offset"):
            dim = self.down.dimensions[0]
            start, end = dim.window(key)
            if self.kind == "offset":
                try:
                    start = shift(dim.kind, start, self.mapping.offset)
                    end = shift(dim.kind, start, 1)
                except (OverflowError, ValueError):  # before year 1 or after 9999
                    return []
            low = bisect.bisect_right(self._starts, start) - 1
            found = []
            for i in range(max(low, 0), len(self._starts)):
                up_start = self._starts[i]
                up_end = self.up.dimensions[0].window(self.up_keys[i])[1]
                if up_start >= end:
                    break
                if up_end > start:
                    found.append(self.up_keys[i])
            return found
        # by a shared dimension
        down_parts = self.down.parts(key) or {"": key}
        if len(self.up.dimensions) == 1:  # 2-D reader of a 1-D asset
            value = down_parts[self.kind.removeprefix("dimension:")]
            return [value] if value in self._known else []
        name = self.kind.removeprefix("dimension:")
        return [k for k in self.up_keys if self.up.parts(k)[name] == key]


def resolve(down: PartitionsDef | None, up: PartitionsDef, mapping: Mapping_) -> str:
    """How ``down`` reads ``up``: 'all', 'identity', 'overlap', 'offset' or
    'dimension:NAME'; raises PartitionsError when they cannot be matched."""
    if down is None or mapping.kind == "all":
        return "all"
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
        return "offset"
    if _same(down, up):
        return "identity"
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
        return "overlap"
    if len(down.dimensions) == 2 and len(up.dimensions) == 1:
        for dim in down.dimensions:
            if _same_dimension(dim, up.dimensions[0]):
                return f"dimension:{dim.name}"
    if len(down.dimensions) == 1 and len(up.dimensions) == 2:
        for dim in up.dimensions:
            if _same_dimension(dim, down.dimensions[0]):
                return f"dimension:{dim.name}"
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


def render_key(template: str, key: str, definition: PartitionsDef) -> str:
    """``{partition}`` and ``{partition.NAME}`` in a path, with this key."""
    text = template.replace("{partition}", key)
    for name, value in definition.parts(key).items():
        text = text.replace("{partition." + name + "}", value)
    return text
