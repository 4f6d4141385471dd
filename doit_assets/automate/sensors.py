"""Sensors: questions asked of the world outside the project, on an interval.

A sensor is an observation (a shell command or a Python function, the same
``ObserveJob`` an observable source is asked with) that names the assets it
triggers. A tick asks each sensor whose interval is over; every answer (or
failure) is recorded in the history. An answer that differs from the last one
whose targets were made (the first answer too: nothing was made for any)
makes the tick materialize the targets; once the run has made them, that
answer is the one to differ from. A run that is interrupted before it made
them leaves the answer new, for the next tick.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass

from ..model.clock import format_duration
from ..plan.records import PlannedSensor
from ..run.observe import ObservationFailed, ObserveJob
from ..store.history import History
from ..text import first_line

# Seconds a sensor may take: a sensor that hangs must not hold the watcher
# (and the cycles after it) forever
SENSOR_TIMEOUT = 60.0
# An answer longer than this is kept as its digest: a sensor that prints a
# whole file must not grow the history by that much at each interval
LONGEST_ANSWER = 1000


@dataclass(frozen=True)
class Fired:
    """A sensor whose answer is new: the assets it makes, and the answer."""

    targets: tuple[str, ...]
    answer: str


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
) -> tuple[dict[str, Fired], list[str]]:
    """Ask these sensors and record each answer: the sensors whose answer is
    new, and a warning for each that failed (once, not at each interval)."""
    acted = history.acted_answers()
    before = history.last_answers()
    fired: dict[str, Fired] = {}
    warnings = []
    for sensor in sensors:
        history.set_moment(f"sensor:{sensor.name}", now)
        try:
            answer = _answer(sensor, root)
        except ObservationFailed as failed:
            error = str(failed).replace("observation of", "sensor", 1)
            if before.get(sensor.name, (0, None, None))[2] != error:
                warnings.append(_warning(sensor, error))
            history.record_observation(sensor.name, None, changed=False, error=error)
            continue
        new = acted.get(sensor.name) != answer
        history.record_observation(sensor.name, answer, changed=new, error=None)
        if new:
            fired[sensor.name] = Fired(sensor.triggers, answer)
    return fired, warnings


def _warning(sensor: PlannedSensor, error: str) -> str:
    """``file:line: warning: sensor 'x': problem. hint``, said once."""
    problem = first_line(error).removeprefix(f"sensor '{sensor.name}' ")
    problem = problem.removeprefix("failed: ")
    where = f"{sensor.location}: " if sensor.location else ""
    return (
        f"{where}warning: sensor '{sensor.name}': {problem}. It is asked again "
        f"every {format_duration(sensor.interval)}; until it answers, it "
        "triggers nothing"
    )


def _answer(sensor: PlannedSensor, root: str) -> str:
    job = ObserveJob(sensor.name, sensor.observe, root, "")
    value = job.value(timeout=SENSOR_TIMEOUT, echo=False)
    if not value:
        raise ObservationFailed(f"sensor '{sensor.name}' printed nothing")
    if len(value) > LONGEST_ANSWER:
        digest = hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()
        return f"sha256:{digest} ({len(value)} characters)"
    return value


def acknowledge(
    fired: Mapping[str, Fired],
    asked: Set[str],
    done: Set[str],
    history: History,
    now: float,
) -> None:
    """The answers whose targets the run made (or tried: a failure is an
    answer too), of those it was asked to make (a selection may leave some
    out): the ones to differ from from now on."""
    for name, sensor in fired.items():
        targets = [t for t in sensor.targets if t in asked]
        if targets and all(t in done for t in targets):
            history.set_moment(f"answer:{name}", now, sensor.answer)
