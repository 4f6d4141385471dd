"""The checks of one asset's fields, each with the same rules for ``assets.toml``
and ``@asset``: paths, strings and lists of them, group and tag names,
``max_age``, ``observe``, and the references of a shell ``transform``.

Each check takes the ``Checker``, which knows where each field is written and
collects every problem (instead of stopping at the first), and returns the
field's value as the spec holds it, or an empty one when it has a problem.
The fields of partitions are checked in partitioned.py, those of Python
assets in python.py; definition.py puts one asset together.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection, Mapping
from typing import Any

from ..errors import AssetDefinitionError, AssetError, Location, did_you_mean
from ..model.clock import parse_duration
from ..model.partitions import PartitionsDef
from ..model.template import PATH_ATTRIBUTES, TemplateError, parse_template
from .pathnames import (
    LABEL_PATTERN,
    NUL_HINT,
    cut,
    declared_path,
    length_problem,
    longest_path,
    partition_ref_problem,
)

# (asset name, field or "") -> where to point a message about it
Locate = Callable[[str, str], Location]


class Checker:
    """What the checks of an asset's fields need to know, and the problems
    they found (in ``problems``)."""

    def __init__(
        self,
        locate: Locate,
        variables: Mapping[str, str],
        root: str,
        *,
        decorator: bool = False,
        timezone: str = "UTC",
        broken_vars: Collection[str] = (),
    ) -> None:
        self.locate = locate
        self.variables = variables
        # Vars declared with a problem of their own (reported): not unknown.
        self.broken_vars = broken_vars
        # Modules that failed to import: reported once, not again per asset
        self.failed_imports: set[str] = set()
        self.skipped = False  # an asset left out for a problem reported elsewhere
        self.root = root
        self.decorator = decorator
        self.timezone = timezone
        self.problems: list[AssetError] = []
        # [pools]: the names an asset's 'pool' may take (issue 14)
        self.pools: Mapping[str, int] = {}

    def type_of(self, value: object) -> str:
        """A value's type in the words of where it was written."""
        return type(value).__name__ if self.decorator else type_name(value)

    def fail(
        self, name: str, field: str, problem: str, hint: str | None = None
    ) -> None:
        self.problems.append(
            AssetDefinitionError(
                problem, location=self.locate(name, field), key=name, hint=hint
            )
        )


def paths(checker: Checker, name: str, table: dict[str, Any]) -> list[str]:
    """The files the asset is, normalised."""
    if "path" not in table:
        if checker.decorator or "python" in table or "observe" in table:
            # a value asset (see python.io), or an observation (see observe)
            return []
        checker.fail(
            name,
            "",
            "missing required key 'path'",
            'Add path = "build/NAME.csv" (the file this asset is)',
        )
        return []
    value = table["path"]
    if isinstance(value, str) and value:  # most assets: one path
        normal = relative(checker, name, "path", value)
        return [normal] if normal else []
    raw = [value] if isinstance(value, str) else value
    if (
        not isinstance(raw, list)
        or not raw
        or not all(isinstance(p, str) and p for p in raw)
    ):
        checker.fail(
            name,
            "path",
            "'path' must be a non-empty string or list of strings, "
            f"got {checker.type_of(value)}",
        )
        return []
    return [p for p in (relative(checker, name, "path", p) for p in raw) if p]


def relative(checker: Checker, name: str, field: str, path: str) -> str | None:
    """A path in 'path' or 'inputs', normalised; None when it has a problem."""
    normal, problem, hint = declared_path(_singular(field), path)
    if problem:
        checker.fail(name, field, problem, hint)
        return None
    return normal


def no_nul(checker: Checker, name: str, field: str, value: str | None) -> str | None:
    """``value``, or None when it holds a NUL (then reported)."""
    if value is not None and "\0" in value:
        checker.fail(
            name, field, f"'{field}' contains a NUL character (\\u0000)", NUL_HINT
        )
        return None
    return value


def lengths(
    checker: Checker,
    name: str,
    paths: list[str],
    partitions: PartitionsDef | None,
    *,
    derived: bool = False,
    field: str = "path",
) -> None:
    """Each path fits the file system, with the longest partition key in it.

    ``derived``: the paths of a value or an observation, made from the name.
    """
    for path in paths:
        full = path if partitions is None else longest_path(path, partitions)
        problem = length_problem(checker.root, full)
        if problem is None:
            continue
        if derived:
            checker.fail(
                name,
                "",
                f"the name is too long: the path '{cut(full)}' {problem[0]}",
                "Shorten the name",
            )
        else:
            what = _singular(field)
            checker.fail(name, field, f"{what} '{cut(full)}' {problem[0]}", problem[1])
        return


def strings(
    checker: Checker, name: str, table: dict[str, Any], field: str
) -> list[str]:
    if field not in table:
        return []  # most assets leave most of these out
    value = table[field]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        hint = None
        if isinstance(value, str):
            example = (
                f'{field}=["{value}"]'
                if checker.decorator
                else f'{field} = ["{value}"]'
            )
            hint = f"Write {example}"
        checker.fail(
            name,
            field,
            f"'{field}' must be a list of strings, got {checker.type_of(value)}",
            hint,
        )
        return []
    return value


def optional_str(
    checker: Checker, name: str, table: dict[str, Any], field: str
) -> str | None:
    value = table.get(field)
    if value is None or isinstance(value, str):
        return value
    checker.fail(
        name, field, f"'{field}' must be a string, got {checker.type_of(value)}"
    )
    return None


def metadata(checker: Checker, name: str, table: dict[str, Any]) -> dict[str, Any]:
    value = table.get("metadata", {})
    if not isinstance(value, dict):
        checker.fail(
            name,
            "metadata",
            f"'metadata' must be {'a dict' if checker.decorator else 'a table'}, "
            f"got {checker.type_of(value)}",
        )
        return {}
    return value


def template_refs(
    checker: Checker,
    name: str,
    transform: str,
    paths: list[str],
    partitions: PartitionsDef | None,
    declared: bool = False,
) -> list[str]:
    """Check a transform's references; return the asset keys it names."""
    try:
        template = parse_template(transform)
    except TemplateError as err:
        checker.fail(name, "transform", err.problem, err.hint)
        return []
    deps = []
    for ref in template.refs:
        if ref.scope == "partition":
            if partitions is None and declared:
                continue  # their own problem is reported
            problem = partition_ref_problem(ref.text, ref.attr, partitions)
            if problem:
                checker.fail(name, "transform", *problem)
            continue
        if ref.scope == "vars":
            if (
                ref.attr not in checker.variables
                and ref.attr not in checker.broken_vars
            ):
                hint = did_you_mean(ref.attr, checker.variables) or (
                    f'Declare it under [vars]: {ref.attr} = "..."'
                )
                checker.fail(
                    name,
                    "transform",
                    f"unknown variable '{ref.attr}' in transform",
                    hint,
                )
            continue
        if ref.attr not in PATH_ATTRIBUTES:
            checker.fail(
                name,
                "transform",
                f"unknown attribute '{ref.attr}' in '{ref.text}'",
                did_you_mean(ref.attr, PATH_ATTRIBUTES) or "Use '.path' or '.paths'",
            )
            continue
        if ref.scope == "self":
            if ref.attr == "path" and len(paths) > 1:
                checker.fail(
                    name,
                    "transform",
                    f"'{{self.path}}' is ambiguous for an asset with {len(paths)} paths",
                    "Use '{self.paths}'",
                )
        elif ref.scope not in deps:
            deps.append(ref.scope)
    return deps


def label(
    checker: Checker, name: str, table: dict[str, Any], field: str, value: Any
) -> str:
    """A group or tag name: used in selections as group:NAME and tag:NAME."""
    if not isinstance(value, str):
        checker.fail(
            name, field, f"'{field}' must be a string, got {checker.type_of(value)}"
        )
        return "default"
    if not LABEL_PATTERN.fullmatch(value):
        what = "group" if field == "group" else "tag"
        checker.fail(
            name,
            field,
            f"invalid {what} name '{value}'",
            "Use letters, digits, '_', '-' and '.'",
        )
    return value


def max_age(
    checker: Checker, name: str, table: dict[str, Any], is_source: bool
) -> float | None:
    value = table.get("max_age")
    if value is None:
        return None
    if checker.decorator and hasattr(value, "total_seconds"):
        value = value.total_seconds()
    seconds: float | None
    if (
        checker.decorator
        and isinstance(value, (int, float))
        and not isinstance(value, bool)
    ):
        seconds = float(value) if value > 0 else None
    elif isinstance(value, str):
        seconds = parse_duration(value)
    else:
        seconds = None
    if seconds is None and isinstance(value, (int, float)) and checker.decorator:
        checker.fail(
            name,
            "max_age",
            f"'max_age' must be longer than nothing, got {value:g} seconds",
            'For example max_age=timedelta(hours=26) or max_age="26h"',
        )
        return None
    if seconds is None:
        shown = repr(value) if isinstance(value, str) else checker.type_of(value)
        checker.fail(
            name,
            "max_age",
            f"'max_age' must be a duration like \"26h\", got {shown}",
            'Write a number and a unit: s, m, h, d or w (for example "1h30m")',
        )
        return None
    if is_source:
        checker.fail(
            name,
            "max_age",
            "a source asset cannot have 'max_age'",
            "Nothing can re-make a source; give the asset a 'transform' that "
            "fetches it",
        )
        return None
    return seconds


def observe(
    checker: Checker, name: str, table: dict[str, Any], is_source: bool
) -> str | Callable[[], object] | None:
    """The observation of an observable source: a command or a function."""
    value = table.get("observe")
    if value is None:
        return None
    if isinstance(value, str) and not value.strip():
        checker.fail(
            name,
            "observe",
            "'observe' is empty",
            'Give a command that prints the version, e.g. observe = "curl -sI '
            'https://example.com/data.csv"',
        )
        return None
    if isinstance(value, str) and no_nul(checker, name, "observe", value) is None:
        return None
    if not isinstance(value, str) and not callable(value):
        checker.fail(
            name,
            "observe",
            f"'observe' must be a shell command, got {checker.type_of(value)}",
            'For example observe = "curl -sI https://example.com/data.csv"',
        )
        return None
    if callable(value) and required_params(value):
        checker.fail(
            name,
            "observe",
            "an observation function takes no parameters, but it has "
            + ", ".join(f"'{p}'" for p in required_params(value)),
            "Return the version of the source from nothing but the source",
        )
        return None
    if not is_source:
        checker.fail(
            name,
            "observe",
            "'observe' is for source assets, which have no transform",
            "Remove 'observe', or remove the transform",
        )
        return None
    if "path" in table:
        checker.fail(
            name,
            "path",
            "an observable source has no 'path': what 'observe' prints is its version",
            "Remove 'path'; without 'observe' the file itself is tracked",
        )
        return None
    return value  # type: ignore[no-any-return]


def required_params(function: Callable[..., Any]) -> list[str]:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return []
    return [
        p.name
        for p in signature.parameters.values()
        if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]


def _singular(field: str) -> str:
    return {"inputs": "input"}.get(field, field)


def type_name(value: object) -> str:
    names = {str: "string", bool: "boolean", int: "integer", float: "float"}
    names.update({list: "array", dict: "table"})
    return names.get(type(value), type(value).__name__)


# -- retries, timeouts, pools and on_failure (issue 14) ----------------------------
# How an asset runs, not what it makes: none of them is in the fingerprint.

ON_FAILURE_EXAMPLE = 'on_failure = "notify-send \\"$DOIT_ASSETS_ASSET failed\\""'
DURATION_HINT = 'Write a number and a unit: s, m, h, d or w (for example "1h30m")'
PYTHON_TIMEOUT_HINT = (
    "A function runs inside doit's process, which cannot be stopped safely; "
    'make it a shell transform (transform = "python script.py ...") to limit its time'
)


def retry_count(value: object) -> int | None:
    """A number of retries (a whole number, 0 or more), or None."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def duration_of(value: object, *, decorator: bool = False) -> float | None:
    """Seconds in a duration ("5s", "1h30m"; from Python also a number of
    seconds or a timedelta), or None when it is none."""
    if decorator and hasattr(value, "total_seconds"):
        value = value.total_seconds()
    if decorator and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) if value > 0 else None
    if isinstance(value, str):
        return parse_duration(value)
    return None


def shown_value(
    value: object, *, decorator: bool = False, numbers: bool = False
) -> str:
    """A wrong value in a message: a string quoted, a number (with
    ``numbers``) as it is, anything else by its type."""
    if numbers and isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:g}"
    if isinstance(value, str):
        return repr(value)
    return type(value).__name__ if decorator else type_name(value)


def run_options(
    checker: Checker,
    name: str,
    table: dict[str, Any],
    is_source: bool,
    is_python: bool,
) -> dict[str, Any]:
    """``retries``, ``retry_delay``, ``timeout``, ``pool`` and ``on_failure``
    (the AssetSpec's fields of the same names; absent ones are None)."""
    found: dict[str, Any] = {}
    if "retries" in table:
        value = table["retries"]
        found["retries"] = retry_count(value)
        if found["retries"] is None:
            checker.fail(
                name,
                "retries",
                "'retries' must be a whole number, 0 or more, "
                f"got {shown_value(value, decorator=checker.decorator, numbers=True)}",
                "For example retries = 2 (three attempts in all)",
            )
    for field, example in (("retry_delay", "5s"), ("timeout", "10m")):
        if field not in table:
            continue
        value = table[field]
        found[field] = duration_of(value, decorator=checker.decorator)
        if found[field] is None:
            checker.fail(
                name,
                field,
                f"'{field}' must be a duration like \"{example}\", "
                f"got {shown_value(value, decorator=checker.decorator)}",
                DURATION_HINT,
            )
    if "pool" in table:
        found["pool"] = _pool(checker, name, table["pool"])
    if "on_failure" in table:
        found["on_failure"] = on_failure_command(
            checker, name, "on_failure", table["on_failure"]
        )
    if is_source:
        for field in found:
            checker.fail(
                name,
                field,
                f"a source asset cannot have '{field}'",
                "Nothing runs to make a source; give the asset a 'transform'",
            )
        return {}
    if is_python and found.get("timeout") is not None:
        checker.fail(
            name, "timeout", "a Python asset cannot have 'timeout'", PYTHON_TIMEOUT_HINT
        )
        found["timeout"] = None
    return found


def _pool(checker: Checker, name: str, value: object) -> str | None:
    if not isinstance(value, str):
        checker.fail(
            name, "pool", f"'pool' must be a string, got {checker.type_of(value)}"
        )
        return None
    if value not in checker.pools:
        hint = did_you_mean(value, checker.pools) or (
            f"Declare it under [pools]: {value} = 1 (how many may run at once)"
        )
        checker.fail(name, "pool", f"unknown pool '{value}'", hint)
        return None
    return value


def on_failure_command(
    checker: Checker, name: str, field: str, value: object
) -> str | None:
    if not isinstance(value, str):
        checker.fail(
            name,
            field,
            f"'{field}' must be a shell command, got {checker.type_of(value)}",
        )
        return None
    if not value.strip():
        checker.fail(
            name,
            field,
            f"'{field}' is empty",
            f"Give a command, e.g. {ON_FAILURE_EXAMPLE}",
        )
        return None
    return no_nul(checker, name, field, value)


def track_packages(checker: Checker, name: str, table: dict[str, Any]) -> bool:
    """Whether the automatic code version covers the installed distributions."""
    value = table.get("track_packages", True)
    if isinstance(value, bool):
        return value
    words = "True or False" if checker.decorator else "true or false"
    checker.fail(
        name,
        "track_packages",
        f"'track_packages' must be {words}, got {checker.type_of(value)}",
    )
    return True
