"""Asset checks: what a check of an asset's output is, and what it found.

A check runs on the *staged* output of an attempt, after the transform
succeeded and before the output replaces the previous one (run/checks.py).
A blocking check that fails discards the new output; a non-blocking one (a
warning) is recorded and stops nothing. Plain data: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from ..errors import Location

# The kinds that need no code, as written in assets.toml, then a Python
# function (@asset_check).
CheckKind = Literal[
    "non_empty", "min_rows", "max_rows", "columns", "json_schema", "command", "python"
]
BUILT_IN_KINDS: tuple[CheckKind, ...] = get_args(CheckKind)[:-1]
# The built-in kinds that read a file's rows, by the file's extension: a
# header line and then rows (CSV, TSV), or a row per line (JSON lines, text).
ROW_KINDS: tuple[CheckKind, ...] = ("min_rows", "max_rows", "columns")
HEADER_EXTENSIONS = (".csv", ".tsv")
LINE_EXTENSIONS = (".jsonl", ".ndjson", ".txt")


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """One declared check of an asset.

    ``argument`` is the kind's value: ``True`` (non_empty), a number of rows,
    the column names, the schema file (relative to the project), the command
    template as written, or the function of an ``@asset_check``.
    """

    name: str
    kind: CheckKind
    argument: bool | int | tuple[str, ...] | str | Callable[..., Any]
    blocking: bool = True
    description: str | None = None
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What an ``@asset_check`` function returns (it may also return a bool).

    ``passed``: whether the output is good; ``message``: one line that says
    what was found (shown when the check fails, and kept in the history);
    ``metadata``: numbers or text about the output, kept in the history.
    """

    passed: bool
    message: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)


def check_label(name: str | None, kind: str | None, number: int) -> str:
    """How a message names a check: by its name, else its kind, else its place."""
    if name:
        return f"check '{name}'"
    if kind:
        return f"check '{kind}'"
    return f"check #{number}"
