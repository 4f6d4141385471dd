"""When assets are materialized without being asked (issue 15): each asset's
``automation``, and sensors, which watch something outside the project.

Declarations only: the loaders check them (load/automation.py), the plan
carries them, and ``doit assets watch``/``tick`` act on them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import Location
from .spec import AssetKey

DEFAULT_AUTOMATION = "eager"
# The forms an automation takes; "cron:EXPR" is a 5-field cron expression.
AUTOMATIONS = ("eager", "on_missing", "manual")
CRON = "cron:"
AUTOMATION_FORMS = '"eager", "on_missing", "manual" or "cron:EXPR"'
# Seconds between two observations of a sensor that does not say.
DEFAULT_SENSOR_INTERVAL = 30.0


def is_cron(automation: str) -> bool:
    return automation.startswith(CRON)


@dataclass(frozen=True, slots=True)
class SensorSpec:
    """A question asked of the world every ``interval`` seconds: a shell
    command (its output) or a function of no arguments (its return value).
    When the answer changes, the ``triggers`` assets are materialized."""

    name: str
    observe: str | Callable[[], object]
    triggers: tuple[AssetKey, ...]
    interval: float = DEFAULT_SENSOR_INTERVAL
    description: str | None = None
    location: Location | None = None
