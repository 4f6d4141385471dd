"""Sensors: questions asked of the world outside the project, on an interval.

A sensor is an observation (a shell command or a Python function, the same
``ObserveJob`` an observable source is asked with) that names the assets it
triggers. A tick asks each sensor whose interval is over; every answer (or
failure) is recorded in the history, and an answer that differs from the
previous one (the first one too: nothing was known before) makes the tick
materialize its target assets.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence

from ..plan.records import PlannedSensor
from ..run.observe import ObservationFailed, ObserveJob
from ..store.history import History
from ..text import first_line

# Seconds a sensor's command may run: a sensor that hangs must not hold the
# watcher (and the cycles after it) forever
SENSOR_TIMEOUT = 60.0


def due(
    sensors: Sequence[PlannedSensor], moments: Mapping[str, float], now: float
) -> tuple[list[PlannedSensor], float | None]:
    """The sensors to ask now, and when the next one is due after them."""
    asked, moments_due = [], []
    for sensor in sensors:
        last = moments.get(f"sensor:{sensor.name}")
        if last is None or now >= last + sensor.interval:
            asked.append(sensor)
            moments_due.append(now + sensor.interval)
        else:
            moments_due.append(last + sensor.interval)
    return asked, min(moments_due, default=None)


def ask(
    sensors: Sequence[PlannedSensor], history: History, now: float, root: str
) -> dict[str, tuple[str, ...]]:
    """Ask these sensors; record each answer. The sensors whose answer changed,
    with their targets."""
    previous = history.last_values()
    fired: dict[str, tuple[str, ...]] = {}
    for sensor in sensors:
        job = ObserveJob(sensor.name, sensor.observe, root, "")
        value: str | None = None
        error: str | None = None
        try:
            value = job.value(timeout=SENSOR_TIMEOUT)
        except ObservationFailed as failed:
            error = str(failed).replace("observation of", "sensor", 1)
        if error is None and not value:
            error = f"sensor '{sensor.name}' printed nothing"
        history.set_moment(f"sensor:{sensor.name}", now)
        if error is not None:
            sys.stderr.write(f"warning: {first_line(error)}\n")
            history.record_observation(sensor.name, None, changed=False, error=error)
            continue
        changed = previous.get(sensor.name) != value
        history.record_observation(sensor.name, value, changed=changed, error=None)
        if changed:
            fired[sensor.name] = sensor.triggers
    return fired
