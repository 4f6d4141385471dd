"""Errors that users see: one finished line each, ``file:line: subject: problem. hint``.

Nothing here knows doit: where an error reaches doit (the task creator, the
loader, the reporter, the state backend), the plugin turns it into doit's
``InvalidDodoFile`` (doit_plugin/edge.py), which doit prints as
``ERROR: <message>`` with exit code 3, without a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """Where a declaration lives: a file, a 1-based line and, for syntax errors, a column."""

    path: str
    line: int | None = None
    col: int | None = None

    def __str__(self) -> str:
        text = self.path
        if self.line is not None:
            text += f":{self.line}"
            if self.col is not None:
                text += f":{self.col}"
        return text


class AssetError(Exception):
    """A problem with a declaration; ``str(err)`` is the finished one-line message."""

    # What ``key`` names in the message: ``asset 'KEY'`` (``sensor 'NAME'``: SensorError)
    subject = "asset"

    def __init__(
        self,
        problem: str,
        *,
        location: Location | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.problem = problem
        self.location = location
        self.key = key
        self.hint = hint
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return self._line()

    def _line(self, marker: str | None = None) -> str:
        parts = []
        if self.location is not None:
            parts.append(str(self.location))
        if marker is not None:
            parts.append(marker)
        if self.key is not None:
            parts.append(f"{self.subject} '{self.key}'")
        parts.append(self.problem)
        text = ": ".join(parts)
        if self.hint:
            text += f". {self.hint}"
        return text

    def __str__(self) -> str:
        return self.message

    @property
    def warning(self) -> str:
        """The same line as a warning: ``file:line: warning: asset 'x': problem``."""
        return self._line("warning")

    def sort_key(self) -> tuple[str, int, int]:
        loc = self.location
        if loc is None:
            return ("", 0, 0)
        return (loc.path, loc.line or 0, loc.col or 0)


class AssetSyntaxError(AssetError):
    """The file is not valid TOML or not UTF-8."""


class AssetDefinitionError(AssetError):
    """A bad or missing field, a wrong type, an invalid name or path."""


class SensorError(AssetDefinitionError):
    """A problem with a sensor (``[sensors.NAME]``, ``@sensor``): ``sensor 'NAME'``."""

    subject = "sensor"


class UnknownDependencyError(AssetError):
    """A dependency or template reference names no asset."""


class DuplicateAssetError(AssetError):
    """Two assets share a key or an output path."""


class AssetCycleError(AssetError):
    """Assets depend on each other in a loop; ``.cycle`` reads as 'depends on'."""

    def __init__(
        self, cycle: Sequence[str], *, location: Location | None = None
    ) -> None:
        self.cycle = tuple(cycle)
        super().__init__(
            "dependency cycle: " + " -> ".join(self.cycle), location=location
        )


class ProjectLocked(AssetError):
    """Another doit run holds this project's lock."""


class AssetValidationError(AssetError):
    """Several problems found in one pass, reported together, sorted by position."""

    def __init__(self, problems: Iterable[AssetError]) -> None:
        self.problems = sorted(problems, key=AssetError.sort_key)
        super().__init__("\n".join(p.message for p in self.problems))

    @property
    def message(self) -> str:
        return "\n".join(p.message for p in self.problems)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A hint naming the closest choice, or None when nothing is close."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"Did you mean '{matches[0]}'?" if matches else None


def raise_all(problems: Sequence[AssetError]) -> None:
    """Raise nothing, the one problem, or all of them as one error."""
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise AssetValidationError(problems)
