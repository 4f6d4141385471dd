"""The automation fields of an asset (``automation``, ``timezone``,
``interval``) and the tables of sensors, with the same rules for
``assets.toml`` and the decorators (issue 15).

None of them is in the fingerprint: they say when an asset is made, not what
it makes. A cron expression is checked with ``croniter``, imported only when
an asset has one (it is an optional dependency: the 'automation' extra).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from typing import Any

from ..model.automation import (
    AUTOMATION_FORMS,
    AUTOMATIONS,
    CRON,
    DEFAULT_AUTOMATION,
    is_cron,
)
from . import fields
from .fields import Checker

AUTOMATION_EXAMPLE = (
    '"cron:0 6 * * *" (every day at 06:00, in [settings] timezone or UTC)'
)

CRON_HINT = (
    "Write 5 fields: minute hour day-of-month month day-of-week, "
    'e.g. "cron:0 6 * * *" (every day at 06:00)'
)
INSTALL_HINT = "Install it: pip install 'doit-assets[automation]'"
TIMEZONE_HINT = "Use an IANA name such as 'Europe/Paris' or 'UTC'"
INTERVAL_HINT = 'For example interval = "5m" (how often watch observes it)'


def asset_automation(
    checker: Checker,
    name: str,
    table: dict[str, Any],
    *,
    is_source: bool,
    observable: bool,
) -> dict[str, Any]:
    """``automation``, ``timezone`` and ``interval`` as the AssetSpec holds
    them (absent ones left out: the spec's defaults)."""
    found: dict[str, Any] = {}
    automation, understood = DEFAULT_AUTOMATION, True
    if "automation" in table:
        checked = _automation(checker, name, table["automation"])
        automation, understood = checked or automation, checked is not None
        if is_source and not observable:
            checker.fail(
                name,
                "automation",
                "a source asset cannot have 'automation'",
                "Nothing runs to make a source; give it 'observe' to have it "
                "observed, or a 'transform' that makes it",
            )
        else:
            found["automation"] = automation
    if "timezone" in table:
        zone = _timezone(checker, name, table["timezone"])
        if understood and not is_cron(automation):
            checker.fail(
                name,
                "timezone",
                "'timezone' applies to a cron automation only",
                "Remove it, or give a schedule: "
                f'{_assignment(checker, "automation")}"cron:0 6 * * *"',
            )
        elif zone is not None:
            found["timezone"] = zone
    if is_cron(automation) and "timezone" not in found:
        # resolved here, so that the plan holds the zone it runs in
        found["timezone"] = checker.timezone
    if "interval" in table:
        seconds = _interval(checker, name, table["interval"])
        if not observable:
            checker.fail(
                name,
                "interval",
                "'interval' is for observable sources only",
                "It says how often watch observes a source that has 'observe'; "
                "to run an asset on a schedule, use "
                f'{_assignment(checker, "automation")}"cron:..."',
            )
        elif seconds is not None:
            found["interval"] = seconds
    return found


def _assignment(checker: Checker, field: str) -> str:
    """``field = `` in TOML, ``field=`` in a decorator."""
    return f"{field}=" if checker.decorator else f"{field} = "


def _automation(checker: Checker, name: str, value: object) -> str | None:
    if isinstance(value, str) and value in AUTOMATIONS:
        return value
    if isinstance(value, str) and value.startswith(CRON):
        return _cron(checker, name, value)
    shown = fields.shown_value(value, decorator=checker.decorator)
    checker.fail(
        name,
        "automation",
        f"'automation' must be {AUTOMATION_FORMS}, got {shown}",
        f"For example {_assignment(checker, 'automation')}{AUTOMATION_EXAMPLE}",
    )
    return None


def _cron(checker: Checker, name: str, value: str) -> str | None:
    expression = value[len(CRON) :].strip()
    count = len(expression.split())
    if count != 5:
        checker.fail(
            name,
            "automation",
            f"cron expression '{expression}' has {count} field"
            f"{'' if count == 1 else 's'}, not 5",
            CRON_HINT,
        )
        return None
    valid = cron_validator()
    if valid is None:
        checker.fail(
            name,
            "automation",
            "a cron automation needs the croniter package, which is not installed",
            INSTALL_HINT,
        )
        return None
    if not valid(expression):
        checker.fail(
            name,
            "automation",
            f"invalid cron expression '{expression}'",
            CRON_HINT,
        )
        return None
    return CRON + " ".join(expression.split())


def cron_validator() -> Callable[[str], bool] | None:
    """croniter's check of an expression, or None when it is not installed."""
    try:
        # untyped (no stubs), whether or not mypy is told to ignore it
        from croniter import croniter  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        return None

    def valid(expression: str) -> bool:
        try:
            return bool(croniter.is_valid(expression))
        except Exception:  # some versions raise on what they cannot parse
            return False

    return valid


def _timezone(checker: Checker, name: str, value: object) -> str | None:
    if not isinstance(value, str):
        checker.fail(
            name,
            "timezone",
            f"'timezone' must be a string, got {checker.type_of(value)}",
            TIMEZONE_HINT,
        )
        return None
    if not known_timezone(value):
        checker.fail(name, "timezone", f"unknown timezone {value!r}", TIMEZONE_HINT)
        return None
    return value


def known_timezone(name: object) -> bool:
    """An IANA timezone name that zoneinfo knows."""
    if not isinstance(name, str):
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _interval(checker: Checker, name: str, value: object) -> float | None:
    seconds = fields.duration_of(value, decorator=checker.decorator)
    if seconds is None:
        checker.fail(name, "interval", *interval_problem(value, checker.decorator))
    return seconds


def interval_problem(value: object, decorator: bool) -> tuple[str, str]:
    """Why ``value`` is no interval, and the hint (an asset's or a sensor's)."""
    if decorator and hasattr(value, "total_seconds"):
        value = value.total_seconds()
    if decorator and isinstance(value, (int, float)) and not isinstance(value, bool):
        return (
            f"'interval' must be longer than nothing, got {value:g} seconds",
            'For example interval=timedelta(minutes=5) or interval="5m"',
        )
    shown = fields.shown_value(value, decorator=decorator)
    return (
        f"'interval' must be a duration like \"5m\", got {shown}",
        fields.DURATION_HINT,
    )
