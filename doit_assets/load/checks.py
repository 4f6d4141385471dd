"""The checks of an asset: ``[[assets.NAME.checks]]`` tables (or ``checks=[...]``
in ``@asset``), and ``@asset_check`` functions, validated with the same rules.

Each table holds one kind (``non_empty``, ``min_rows``, ``max_rows``,
``columns``, ``json_schema``, ``command``) and, optionally, ``name`` (default:
the kind), ``blocking`` (default: true) and ``description``. Every problem is
reported at the line of the key it is about.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import inspect
import posixpath
from collections.abc import Iterable, Sequence
from typing import Any

from ..errors import AssetDefinitionError, AssetError, did_you_mean
from ..model.checks import (
    BUILT_IN_KINDS,
    HEADER_EXTENSIONS,
    LINE_EXTENSIONS,
    ROW_KINDS,
    CheckKind,
    CheckSpec,
    check_label,
)
from ..model.partitions import PartitionsDef
from ..model.spec import AssetKey, AssetSpec
from ..model.template import PATH_ATTRIBUTES, TemplateError, parse_template
from ..paths import is_directory
from .decorators import AssetCheckDef
from .fields import Checker
from .pathnames import LABEL_PATTERN, declared_path, partition_ref_problem

CHECK_KEYS = ("name", "blocking", "description")
ALLOWED = (*BUILT_IN_KINDS, *CHECK_KEYS)
KINDS_HINT = "Kinds: " + ", ".join(BUILT_IN_KINDS)
INSTALL_HINT = "Install it: pip install 'doit-assets[checks]'"
SOURCE_PROBLEM = (
    "a source asset cannot have checks",
    "Nothing makes it, so no new version waits to be checked: check the "
    "assets made from it",
)


def declared_checks(
    checker: Checker,
    name: str,
    table: dict[str, Any],
    *,
    paths: Sequence[str],
    deps: Sequence[str],
    partitions: PartitionsDef | None,
    is_source: bool,
    value: bool,
) -> list[CheckSpec]:
    """The checks of one asset's table, each validated; [] when it has none."""
    entries = table.get("checks")
    if entries is None:
        return []
    if not isinstance(entries, list):
        example = (
            "checks=[{'min_rows': 10}]"
            if checker.decorator
            else f"[[assets.{_dotted(name)}.checks]] tables"
        )
        checker.fail(
            name,
            "checks",
            f"'checks' must be an array of tables, got {checker.type_of(entries)}",
            f"Write {example}, one per check",
        )
        return []
    if is_source and entries:
        checker.fail(name, "checks", *SOURCE_PROBLEM)
        return []
    found: list[CheckSpec] = []
    context = _Context(checker, name, paths, deps, partitions, value)
    for number, entry in enumerate(entries, 1):
        spec = context.check(number, entry)
        if spec is None:
            continue
        if any(c.name == spec.name for c in found):
            checker.fail(
                name,
                context.field(number, "name" if "name" in entry else ""),
                f"two checks named '{spec.name}'",
                'Give one a name of its own: name = "..."'
                if not checker.decorator
                else "Give one a name of its own: {'name': '...'}",
            )
            continue
        found.append(spec)
    return found


def _dotted(name: str) -> str:
    return name if LABEL_PATTERN.fullmatch(name) and "." not in name else f'"{name}"'


class _Context:
    """What the checks of one asset are validated against."""

    def __init__(
        self,
        checker: Checker,
        name: str,
        paths: Sequence[str],
        deps: Sequence[str],
        partitions: PartitionsDef | None,
        value: bool,
    ) -> None:
        self.checker, self.name, self.paths = checker, name, paths
        self.deps, self.partitions, self.value = deps, partitions, value

    def field(self, number: int, key: str = "") -> str:
        """The field a locator finds the line of: ``checks.[N].KEY``."""
        if self.checker.decorator:
            return "checks"
        return f"checks.[{number - 1}]" + (f".{key}" if key else "")

    def fail(self, number: int, key: str, problem: str, hint: str | None) -> None:
        self.checker.fail(self.name, self.field(number, key), problem, hint)

    def check(self, number: int, entry: object) -> CheckSpec | None:
        checker = self.checker
        if not isinstance(entry, dict):
            self.fail(
                number,
                "",
                f"check #{number} must be a table, got {checker.type_of(entry)}",
                "Write it as {min_rows = 10}" if not checker.decorator else None,
            )
            return None
        kinds = [k for k in entry if k in BUILT_IN_KINDS]
        given = entry.get("name")
        label = check_label(
            given if isinstance(given, str) else None,
            kinds[0] if len(kinds) == 1 else None,
            number,
        )
        before = len(checker.problems)
        unknown = [k for k in entry if k not in ALLOWED]
        for key in unknown:
            self.fail(
                number,
                key,
                f"{label}: unknown check kind '{key}'",
                did_you_mean(key, ALLOWED) or KINDS_HINT,
            )
        if not kinds and not unknown:
            self.fail(number, "", f"{label} has no kind", KINDS_HINT)
        if len(kinds) > 1:
            shown = ", ".join(f"'{k}'" for k in kinds)
            self.fail(
                number,
                kinds[1],
                f"{label} has {len(kinds)} kinds: {shown}",
                "Write each kind as a check of its own",
            )
        name = self._name(number, label, entry)
        blocking = self._blocking(number, label, entry)
        description = self._description(number, label, entry)
        argument = None
        if len(kinds) == 1:
            argument = self._argument(number, label, kinds[0], entry[kinds[0]])
        if len(checker.problems) > before or argument is None:
            return None
        return CheckSpec(
            name or kinds[0],
            kinds[0],
            argument,
            blocking,
            description,
            checker.locate(self.name, self.field(number)),
        )

    def _name(self, number: int, label: str, entry: dict[str, Any]) -> str | None:
        value = entry.get("name")
        if value is None:
            return None
        if not isinstance(value, str):
            problem = f"{label}: 'name' must be a string, got {self._type(value)}"
            self.fail(number, "name", problem, None)
            return None
        if not LABEL_PATTERN.fullmatch(value):
            self.fail(
                number,
                "name",
                f"invalid check name '{value}'",
                "Use letters, digits, '_', '-' and '.'",
            )
            return None
        return value

    def _blocking(self, number: int, label: str, entry: dict[str, Any]) -> bool:
        value = entry.get("blocking", True)
        if not isinstance(value, bool):
            self.fail(
                number,
                "blocking",
                f"{label}: 'blocking' must be true or false, got {self._type(value)}",
                None,
            )
            return True
        return value

    def _description(
        self, number: int, label: str, entry: dict[str, Any]
    ) -> str | None:
        value = entry.get("description")
        if value is None or isinstance(value, str):
            return value
        self.fail(
            number,
            "description",
            f"{label}: 'description' must be a string, got {self._type(value)}",
            None,
        )
        return None

    def _type(self, value: object) -> str:
        return self.checker.type_of(value)

    def _argument(
        self, number: int, label: str, kind: CheckKind, value: object
    ) -> bool | int | tuple[str, ...] | str | None:
        """The kind's value, checked; None when it has a problem (reported)."""
        problem: tuple[str, str | None] | None = None
        argument: bool | int | tuple[str, ...] | str | None = None
        if kind == "non_empty":
            if value is True:
                argument = True
            elif value is False:
                problem = ("'non_empty' must be true, got false", "Remove the check")
            else:
                problem = (f"'non_empty' must be true, got {self._type(value)}", None)
        elif kind in ("min_rows", "max_rows"):
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                argument = value
            else:
                got = str(value) if isinstance(value, int) else self._type(value)
                problem = (
                    f"'{kind}' must be a whole number, 0 or more, got {got}",
                    None,
                )
        elif kind == "columns":
            if (
                isinstance(value, list)
                and value
                and all(isinstance(v, str) and v for v in value)
            ):
                argument = tuple(value)
            else:
                got = "an empty array" if value == [] else self._type(value)
                problem = (
                    f"'columns' must be a non-empty array of column names, got {got}",
                    'For example columns = ["id", "email"]'
                    if not self.checker.decorator
                    else "For example {'columns': ['id', 'email']}",
                )
        elif kind == "json_schema":
            argument, problem = self._schema(value)
        else:
            argument, problem = self._command(value)
        if problem is None:
            problem = self._applies(kind)
        if problem is not None:
            self.fail(number, kind, f"{label}: {problem[0]}", problem[1])
            return None
        return argument

    def _applies(self, kind: CheckKind) -> tuple[str, str | None] | None:
        """Why ``kind`` cannot check this asset's outputs, or None."""
        if self.value:
            return (
                f"'{kind}' checks a file, and a value asset has none",
                "Check the value with an @asset_check function, which receives it",
            )
        if kind == "json_schema" and importlib.util.find_spec("jsonschema") is None:
            return ("'json_schema' needs the jsonschema package", INSTALL_HINT)
        if kind not in (*ROW_KINDS, "json_schema"):
            return None
        for path in self.paths:
            if is_directory(path):
                return (
                    f"'{kind}' reads a file, but output '{path}' is a directory",
                    "Use non_empty or a command check for a directory",
                )
            extension = posixpath.splitext(path)[1].lower()
            if kind == "columns" and extension not in HEADER_EXTENSIONS:
                return (
                    "'columns' reads the header of a .csv or .tsv file, "
                    f"not of '{path}'",
                    "Use a command check for other formats",
                )
            if kind in ROW_KINDS and extension not in (
                *HEADER_EXTENSIONS,
                *LINE_EXTENSIONS,
            ):
                *most, last = HEADER_EXTENSIONS + LINE_EXTENSIONS
                known = ", ".join(most) + f" and {last}"
                return (
                    f"'{kind}' counts the rows of {known} files, not of '{path}'",
                    "Use a command check for other formats",
                )
        return None

    def _schema(
        self, value: object
    ) -> tuple[str | None, tuple[str, str | None] | None]:
        if not isinstance(value, str) or not value:
            return None, (
                f"'json_schema' must be the path of a schema file, got {self._type(value)}",
                'For example json_schema = "schemas/orders.json"',
            )
        normal, problem, hint = declared_path("schema", value)
        if problem is not None or normal is None:
            return None, (problem or "", hint)
        if is_directory(normal):
            return None, (f"schema '{value}' is a folder", "Name a .json file")
        return normal, None

    def _command(
        self, value: object
    ) -> tuple[str | None, tuple[str, str | None] | None]:
        if not isinstance(value, str) or not value.strip():
            got = "an empty string" if isinstance(value, str) else self._type(value)
            return None, (
                f"'command' must be a shell command, got {got}",
                'For example command = "python validate.py {self.path}"',
            )
        if "\0" in value:
            return None, ("'command' contains a NUL character (\\u0000)", None)
        try:
            template = parse_template(value)
        except TemplateError as err:
            return None, (err.problem, err.hint)
        for ref in template.refs:
            problem = self._reference(ref.scope, ref.attr, ref.text)
            if problem is not None:
                return None, problem
        return value, None

    def _reference(
        self, scope: str, attr: str, text: str
    ) -> tuple[str, str | None] | None:
        variables = self.checker.variables
        if scope == "partition":
            return partition_ref_problem(text, attr, self.partitions, "command")
        if scope == "vars":
            if attr in variables or attr in self.checker.broken_vars:
                return None
            return (
                f"unknown variable '{attr}' in command",
                did_you_mean(attr, variables)
                or f'Declare it under [vars]: {attr} = "..."',
            )
        if attr not in PATH_ATTRIBUTES:
            return (
                f"unknown attribute '{attr}' in '{text}'",
                did_you_mean(attr, PATH_ATTRIBUTES) or "Use '.path' or '.paths'",
            )
        if scope == "self":
            if attr == "path" and len(self.paths) > 1:
                return (
                    f"'{{self.path}}' is ambiguous for an asset with {len(self.paths)} paths",
                    "Use '{self.paths}'",
                )
            return None
        if scope not in self.deps:
            return (
                f"'{text}' names '{scope}', which asset '{self.name}' does not depend on",
                f'Add it to depends_on = ["{scope}"], or check it in that asset',
            )
        return None


def attach_python_checks(
    specs: list[AssetSpec],
    defs: Iterable[AssetCheckDef],
    problems: list[AssetError],
    partial: Iterable[AssetSpec],
) -> list[AssetSpec]:
    """The specs with each ``@asset_check`` added to the asset it names."""
    by_key = {spec.key: i for i, spec in enumerate(specs)}
    broken = {spec.key for spec in partial}
    for check in defs:
        where = check.location
        label = f"check '{check.key}'"
        asset = check.asset
        if not isinstance(asset, str):
            problems.append(
                AssetDefinitionError(
                    f"{label}: 'asset' must be an asset key or an @asset, got "
                    f"{type(asset).__name__}",
                    location=where,
                )
            )
            continue
        if asset not in by_key:
            if asset in broken:
                continue  # reported with its own problems
            problems.append(
                AssetDefinitionError(
                    f"{label}: unknown asset '{asset}'",
                    location=where,
                    hint=did_you_mean(asset, [str(k) for k in by_key])
                    or "Name an asset declared in assets.toml or with @asset",
                )
            )
            continue
        spec = specs[by_key[AssetKey(asset)]]
        problem = _python_check_problem(check, spec, label)
        if problem is not None:
            problems.append(
                AssetDefinitionError(
                    problem[0], location=where, key=asset, hint=problem[1]
                )
            )
            continue
        made = CheckSpec(
            check.key,
            "python",
            check.fn,
            check.blocking,
            check.description,
            where,
        )
        specs[by_key[spec.key]] = dataclasses.replace(spec, checks=(*spec.checks, made))
    return specs


def _python_check_problem(
    check: AssetCheckDef, spec: AssetSpec, label: str
) -> tuple[str, str | None] | None:
    if not LABEL_PATTERN.fullmatch(check.key):
        return (
            f"invalid check name '{check.key}'",
            "Use letters, digits, '_', '-' and '.'",
        )
    if spec.is_source:
        return SOURCE_PROBLEM
    if not isinstance(check.blocking, bool):
        return (
            f"{label}: 'blocking' must be True or False, got "
            f"{type(check.blocking).__name__}",
            None,
        )
    if check.description is not None and not isinstance(check.description, str):
        return (
            f"{label}: 'description' must be a string, got "
            f"{type(check.description).__name__}",
            None,
        )
    if any(c.name == check.key for c in spec.checks):
        return (
            f"two checks named '{check.key}'",
            "Give one a name of its own: @asset_check(name=...)",
        )
    required = _required_names(check)
    if len(required) != 1:
        names = ", ".join(f"'{p}'" for p in required)
        takes = f"{len(required)}: {names}" if required else "none"
        return (
            f"{label} must take one parameter, the output, but it takes {takes}",
            "The function receives the staged output: its Path, or a value "
            "asset's value",
        )
    return None


def _required_names(check: AssetCheckDef) -> list[str]:
    try:
        signature = inspect.signature(check.fn)
    except (TypeError, ValueError):
        return ["?"]
    return [
        p.name
        for p in signature.parameters.values()
        if p.default is p.empty
        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
