"""Sensors (issue 15): ``[sensors.NAME]`` tables and ``@sensor`` functions ->
SensorSpec, with the same rules for both.

A sensor asks a question of the world (a shell command's output, a function's
return value) every ``interval``; when the answer changes, its ``triggers``
are materialized. Each sensor is checked on its own here (``sensor_spec``);
its triggers, which may name assets of any file, are checked against the
whole project in ``check_sensors``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from ..errors import AssetError, Location, SensorError, did_you_mean
from ..model.automation import DEFAULT_SENSOR_INTERVAL, SensorSpec
from ..model.spec import AssetKey
from . import fields
from .automation import interval_problem
from .pathnames import NUL_HINT, name_problem

SENSOR_KEYS = ("observe", "interval", "triggers", "description")
OBSERVE_EXAMPLE = 'observe = "curl -sI https://example.com/data.csv"'
TRIGGERS_HINT = (
    'Name the assets to materialize when its answer changes, e.g. triggers = ["orders"]'
)
# (sensor name, field or "") -> where to point a message about it
SensorLocate = Callable[[str, str], Location]
# An unknown trigger -> a hint (as for an unknown dependency), or None
UnknownHint = Callable[[str, Collection[str]], "str | None"]


def sensor_spec(
    name: str,
    table: object,
    locate: SensorLocate,
    problems: list[AssetError],
    *,
    decorator: bool = False,
) -> SensorSpec | None:
    """One sensor, or None when it has problems (appended to ``problems``)."""
    before = len(problems)

    def fail(field: str, problem: str, hint: str | None = None) -> None:
        problems.append(
            SensorError(problem, location=locate(name, field), key=name, hint=hint)
        )

    def type_of(value: object) -> str:
        return type(value).__name__ if decorator else fields.type_name(value)

    hint = name_problem(name)
    if hint is not None:
        fail("", "invalid sensor name", hint)
    if not isinstance(table, dict):
        fail("", f"must be a table, got {type_of(table)}")
        return None
    for field in table:
        if field not in SENSOR_KEYS:
            allowed = "Allowed: " + ", ".join(SENSOR_KEYS)
            close = did_you_mean(field, SENSOR_KEYS)
            fail(
                field,
                f"unknown key '{field}'",
                f"{close} {allowed}" if close else allowed,
            )
    observe = _observe(table.get("observe"), fail, type_of, decorator)
    interval = DEFAULT_SENSOR_INTERVAL
    if "interval" in table:
        value = table["interval"]
        seconds = fields.duration_of(value, decorator=decorator)
        if seconds is None:
            fail("interval", *interval_problem(value, decorator))
        else:
            interval = seconds
    triggers = _triggers(table.get("triggers"), fail, type_of, decorator)
    description = table.get("description")
    if description is not None and not isinstance(description, str):
        fail(
            "description", f"'description' must be a string, got {type_of(description)}"
        )
    if len(problems) > before or observe is None:
        return None
    return SensorSpec(
        name,
        observe,
        tuple(AssetKey(t) for t in triggers),
        interval,
        description,
        locate(name, ""),
    )


Fail = Callable[..., None]


def _observe(
    value: object, fail: Fail, type_of: Callable[[object], str], decorator: bool
) -> str | Callable[[], object] | None:
    if value is None:
        fail(
            "",
            "missing required key 'observe'",
            f"Give a command that prints its answer, e.g. {OBSERVE_EXAMPLE}",
        )
        return None
    if decorator and callable(value):
        required = fields.required_params(value)
        if required:
            fail(
                "observe",
                "a sensor function takes no parameters, but it has "
                + ", ".join(f"'{p}'" for p in required),
                "Return the answer from nothing but what it observes",
            )
            return None
        return value
    if not isinstance(value, str):
        fail(
            "observe",
            f"'observe' must be a shell command, got {type_of(value)}",
            f"For example {OBSERVE_EXAMPLE}",
        )
        return None
    if not value.strip():
        fail("observe", "'observe' is empty", f"Give a command, e.g. {OBSERVE_EXAMPLE}")
        return None
    if "\0" in value:
        fail("observe", "'observe' contains a NUL character (\\u0000)", NUL_HINT)
        return None
    return value


def _triggers(
    value: object, fail: Fail, type_of: Callable[[object], str], decorator: bool
) -> list[str]:
    if value is None:
        fail("", "missing required key 'triggers'", TRIGGERS_HINT)
        return []
    if decorator and isinstance(value, tuple):
        value = list(value)
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) for v in value)
    ):
        shown = "an empty list" if value == [] else type_of(value)
        if value == [] and not decorator:
            shown = "an empty array"
        hint = TRIGGERS_HINT
        if isinstance(value, str):
            hint = (
                f'Write triggers=["{value}"]'
                if decorator
                else f'Write triggers = ["{value}"]'
            )
        fail(
            "triggers",
            f"'triggers' must be a non-empty list of asset keys, got {shown}",
            hint,
        )
        return []
    for trigger in value:
        if "\0" in trigger:
            fail("triggers", "'triggers' contains a NUL character (\\u0000)", NUL_HINT)
            return []
    return list(dict.fromkeys(value))


def check_sensors(
    sensors: Sequence[SensorSpec],
    asset_keys: Collection[str],
    where: Callable[[SensorSpec, str], Location | None],
    unknown_hint: UnknownHint,
    *,
    incomplete: bool = False,
) -> tuple[list[SensorSpec], list[AssetError]]:
    """The sensors of a project as a whole: each name once and not an
    asset's, each trigger an asset (unless ``incomplete``: some assets could
    not be read). Returns the valid sensors and the problems."""
    problems: list[AssetError] = []
    valid: list[SensorSpec] = []
    first: dict[str, SensorSpec] = {}
    names = sorted(asset_keys)  # the hint's choices, in a stable order
    for sensor in sensors:
        found = len(problems)
        if sensor.name in first:
            earlier = first[sensor.name].location
            problems.append(
                SensorError(
                    f"declared twice (first at {earlier})"
                    if earlier
                    else "declared twice",
                    location=where(sensor, ""),
                    key=sensor.name,
                    hint="Rename one of them",
                )
            )
            continue
        first[sensor.name] = sensor
        if sensor.name in asset_keys:
            problems.append(
                SensorError(
                    f"an asset is named '{sensor.name}' too",
                    location=where(sensor, ""),
                    key=sensor.name,
                    hint="Rename the sensor: sensors and assets share one set of names",
                )
            )
        for trigger in sensor.triggers:
            if trigger in asset_keys or incomplete:
                continue
            problems.append(
                SensorError(
                    f"unknown asset '{trigger}' in 'triggers'",
                    location=where(sensor, "triggers"),
                    key=sensor.name,
                    hint=unknown_hint(trigger, names),
                )
            )
        if len(problems) == found:
            valid.append(sensor)
    return valid, problems
