"""One asset's fields -> AssetSpec, with the same rules for ``assets.toml`` and ``@asset``.

``AssetBuilder`` checks names, types, paths, templates and Python functions,
appending every problem it finds (each with the location ``locate`` gives
for that field) instead of stopping at the first.
"""

from __future__ import annotations

import datetime
import functools
import inspect
import os
import posixpath
import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

from ..errors import AssetDefinitionError, AssetError, Location, did_you_mean
from ..model.clock import parse_duration
from ..model.partitions import (
    SEPARATOR,
    Mapping_,
    PartitionsDef,
    PartitionsError,
    parse_mapping,
    parse_partitions,
    render_key,
)
from ..model.spec import KEY_CHARACTERS, KEY_PATTERN, RESERVED_KEYS, AssetKey, AssetSpec
from ..model.template import PATH_ATTRIBUTES, TemplateError, parse_template
from ..model.values import STORES, observation_path, value_path
from ..paths import STAGING_PREFIX, STAGING_ROOM, STATE_DIR
from .imports import ModuleImportError, import_module

ASSET_KEYS = (
    "path",
    "transform",
    "python",
    "depends_on",
    "inputs",
    "description",
    "metadata",
    "code_version",
    "io",
    "ins",
    "group",
    "tags",
    "max_age",
    "observe",
    "partitions",
    "partition_mapping",
)
# Group and tag names, as written after 'group:' and 'tag:' in a selection.
LABEL_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
OUTPUT_PARAMS = ("output", "outputs")
NUL_HINT = "Remove it: file names and shell commands cannot hold one"

# (asset name, field or "") -> where to point a message about it
Locate = Callable[[str, str], Location]


class AssetBuilder:
    """Validate asset tables; problems go to ``problems``, field lines to ``fields``."""

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
        self.dep_fields: dict[tuple[str, str], str] = {}  # (asset, dep) -> field
        # Assets left out for their own problems, kept with their dependencies
        # so that the graph can still report an unknown one among them.
        self.partial: list[AssetSpec] = []

    def _type(self, value: object) -> str:
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

    def build(self, name: str, table: object) -> AssetSpec | None:
        """The spec of one asset, or None when it has problems (then reported)."""
        before = len(self.problems)
        self.skipped = False
        hint = name_problem(name)
        if hint is not None:
            self.fail(name, "", "invalid asset name", hint)
        if not isinstance(table, dict):
            self.fail(name, "", f"must be a table, got {self._type(table)}")
            return None
        allowed = ASSET_KEYS + (("name",) if self.decorator else ())
        for field, value in table.items():
            if field in allowed:
                continue
            hint = did_you_mean(field, allowed) or "Allowed: " + ", ".join(allowed)
            if isinstance(value, dict) and not self.decorator:
                # [assets.raw.orders] makes a table 'orders' inside asset 'raw'
                hint = f"To name an asset '{name}.{field}', quote it: [assets.\"{name}.{field}\"]"
            self.fail(name, field, f"unknown key '{field}'", hint)
        transform = self._no_nul(
            name, "transform", self._optional_str(name, table, "transform")
        )
        function = self._function(name, table)
        if transform is not None and function is not None:
            self.fail(
                name,
                "python",
                "has both 'transform' and 'python'",
                "Keep one: a shell command or a Python function",
            )
        io = self._io(name, table, function)
        observe = self._observe(name, table, transform is None and function is None)
        partitions = self._partitions(name, table, observe)
        if io is not None and partitions is not None:
            paths = [value_path(name + "/{partition}", io)]
        elif io is not None:
            paths = [value_path(name, io)]
        elif observe is not None:
            paths = [observation_path(name)]
        else:
            paths = self._paths(name, table)
        self._lengths(name, paths, partitions, derived=io is not None or bool(observe))
        depends_on = [
            dep
            for dep in self._strings(name, table, "depends_on")
            if self._no_nul(name, "depends_on", dep) is not None
        ]
        inputs = self._strings(name, table, "inputs")
        for pattern in inputs:
            if self._relative(name, "inputs", pattern):
                self._lengths(name, [pattern], None, field="inputs")
        description = self._optional_str(name, table, "description")
        code_version = self._optional_str(name, table, "code_version")
        metadata = table.get("metadata", {})
        if not isinstance(metadata, dict):
            self.fail(
                name,
                "metadata",
                f"'metadata' must be {'a dict' if self.decorator else 'a table'}, "
                f"got {self._type(metadata)}",
            )
            metadata = {}
        is_source = transform is None and function is None
        group = self._label(name, table, "group", table.get("group", "default"))
        tags = [
            self._label(name, table, "tags", t)
            for t in self._strings(name, table, "tags")
        ]
        max_age = self._max_age(name, table, is_source)
        if is_source and "transform" not in table and depends_on:
            self.fail(
                name,
                "depends_on",
                "a source asset cannot have 'depends_on'",
                "Add a 'transform' that makes it from its dependencies",
            )
        refs: list[str] = []
        params: list[tuple[str, AssetKey | None]] = []
        if partitions is not None or "partitions" not in table:  # else reported
            self._partition_paths(name, paths, partitions, io is not None)
        if transform is not None:
            refs = self._template_refs(
                name, transform, paths, partitions, "partitions" in table
            )
        elif function is not None:
            # A Python asset without a path is a value asset (even if its
            # store is misnamed: that is reported on its own).
            params = self._params(name, table, function, value="path" not in table)
            refs = [str(dep) for _, dep in params if dep is not None]
        for field, named in (("depends_on", depends_on), ("python", refs)):
            for dep in named:
                self.dep_fields.setdefault((name, dep), field)
        if transform is not None:
            for dep in refs:
                self.dep_fields[(name, dep)] = "transform"
        deps = tuple(dict.fromkeys(AssetKey(d) for d in (*depends_on, *refs)))
        mappings = self._mappings(name, table, deps)
        if len(self.problems) > before or self.skipped:
            where = self.locate(name, "")
            self.partial.append(
                AssetSpec(AssetKey(name), (), deps=deps, location=where)
            )
            return None
        return AssetSpec(
            key=AssetKey(name),
            paths=tuple(paths),
            transform=function if function is not None else transform,
            deps=deps,
            inputs=tuple(inputs),
            description=description,
            metadata=metadata,
            code_version=code_version,
            location=self.locate(name, ""),
            io=io,
            params=tuple(params),
            group=group,
            tags=tuple(dict.fromkeys(tags)),
            max_age=max_age,
            observe=observe,
            partitions=partitions,
            mappings=mappings,
        )

    # -- fields ----------------------------------------------------------------

    def _paths(self, name: str, table: dict[str, Any]) -> list[str]:
        if "path" not in table:
            if self.decorator or "python" in table or "observe" in table:
                # a value asset (see _io), or an observation (see _observe)
                return []
            self.fail(
                name,
                "",
                "missing required key 'path'",
                'Add path = "build/NAME.csv" (the file this asset is)',
            )
            return []
        value = table["path"]
        raw = [value] if isinstance(value, str) else value
        if (
            not isinstance(raw, list)
            or not raw
            or not all(isinstance(p, str) and p for p in raw)
        ):
            self.fail(
                name,
                "path",
                "'path' must be a non-empty string or list of strings, "
                f"got {self._type(value)}",
            )
            return []
        return [p for p in (self._relative(name, "path", p) for p in raw) if p]

    def _relative(self, name: str, field: str, path: str) -> str | None:
        normal, problem, hint = check_relative(_singular(field), path)
        if normal is not None:
            problem, hint = reserved_path_problem(_singular(field), path)
        if problem:
            self.fail(name, field, problem, hint)
            return None
        return normal

    def _no_nul(self, name: str, field: str, value: str | None) -> str | None:
        """``value``, or None when it holds a NUL (then reported)."""
        if value is not None and "\0" in value:
            self.fail(
                name, field, f"'{field}' contains a NUL character (\\u0000)", NUL_HINT
            )
            return None
        return value

    def _lengths(
        self,
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
            problem = length_problem(self.root, full)
            if problem is None:
                continue
            if derived:
                self.fail(
                    name,
                    "",
                    f"the name is too long: the path '{_cut(full)}' {problem[0]}",
                    "Shorten the name",
                )
            else:
                what = _singular(field)
                self.fail(
                    name, field, f"{what} '{_cut(full)}' {problem[0]}", problem[1]
                )
            return

    def _strings(self, name: str, table: dict[str, Any], field: str) -> list[str]:
        value = table.get(field, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            hint = None
            if isinstance(value, str):
                example = (
                    f'{field}=["{value}"]'
                    if self.decorator
                    else f'{field} = ["{value}"]'
                )
                hint = f"Write {example}"
            self.fail(
                name,
                field,
                f"'{field}' must be a list of strings, got {self._type(value)}",
                hint,
            )
            return []
        return value

    def _optional_str(self, name: str, table: dict[str, Any], field: str) -> str | None:
        value = table.get(field)
        if value is None or isinstance(value, str):
            return value
        self.fail(name, field, f"'{field}' must be a string, got {self._type(value)}")
        return None

    def _template_refs(
        self,
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
            self.fail(name, "transform", err.problem, err.hint)
            return []
        deps = []
        for ref in template.refs:
            if ref.scope == "partition":
                if partitions is None and declared:
                    continue  # their own problem is reported
                problem = _partition_ref_problem(ref.text, ref.attr, partitions)
                if problem:
                    self.fail(name, "transform", *problem)
                continue
            if ref.scope == "vars":
                if ref.attr not in self.variables and ref.attr not in self.broken_vars:
                    hint = did_you_mean(ref.attr, self.variables) or (
                        f'Declare it under [vars]: {ref.attr} = "..."'
                    )
                    self.fail(
                        name,
                        "transform",
                        f"unknown variable '{ref.attr}' in transform",
                        hint,
                    )
                continue
            if ref.attr not in PATH_ATTRIBUTES:
                self.fail(
                    name,
                    "transform",
                    f"unknown attribute '{ref.attr}' in '{ref.text}'",
                    did_you_mean(ref.attr, PATH_ATTRIBUTES)
                    or "Use '.path' or '.paths'",
                )
                continue
            if ref.scope == "self":
                if ref.attr == "path" and len(paths) > 1:
                    self.fail(
                        name,
                        "transform",
                        f"'{{self.path}}' is ambiguous for an asset with {len(paths)} paths",
                        "Use '{self.paths}'",
                    )
            elif ref.scope not in deps:
                deps.append(ref.scope)
        return deps

    def _label(self, name: str, table: dict[str, Any], field: str, value: Any) -> str:
        """A group or tag name: used in selections as group:NAME and tag:NAME."""
        if not isinstance(value, str):
            self.fail(
                name, field, f"'{field}' must be a string, got {self._type(value)}"
            )
            return "default"
        if not LABEL_PATTERN.fullmatch(value):
            what = "group" if field == "group" else "tag"
            self.fail(
                name,
                field,
                f"invalid {what} name '{value}'",
                "Use letters, digits, '_', '-' and '.'",
            )
        return value

    def _max_age(
        self, name: str, table: dict[str, Any], is_source: bool
    ) -> float | None:
        value = table.get("max_age")
        if value is None:
            return None
        if self.decorator and hasattr(value, "total_seconds"):
            value = value.total_seconds()
        seconds: float | None
        if (
            self.decorator
            and isinstance(value, (int, float))
            and not isinstance(value, bool)
        ):
            seconds = float(value) if value > 0 else None
        elif isinstance(value, str):
            seconds = parse_duration(value)
        else:
            seconds = None
        if seconds is None and isinstance(value, (int, float)) and self.decorator:
            self.fail(
                name,
                "max_age",
                f"'max_age' must be longer than nothing, got {value:g} seconds",
                'For example max_age=timedelta(hours=26) or max_age="26h"',
            )
            return None
        if seconds is None:
            shown = repr(value) if isinstance(value, str) else self._type(value)
            self.fail(
                name,
                "max_age",
                f"'max_age' must be a duration like \"26h\", got {shown}",
                'Write a number and a unit: s, m, h, d or w (for example "1h30m")',
            )
            return None
        if is_source:
            self.fail(
                name,
                "max_age",
                "a source asset cannot have 'max_age'",
                "Nothing can re-make a source; give the asset a 'transform' that "
                "fetches it",
            )
            return None
        return seconds

    def _observe(
        self, name: str, table: dict[str, Any], is_source: bool
    ) -> str | Callable[[], object] | None:
        """The observation of an observable source: a command or a function."""
        value = table.get("observe")
        if value is None:
            return None
        if isinstance(value, str) and not value.strip():
            self.fail(
                name,
                "observe",
                "'observe' is empty",
                'Give a command that prints the version, e.g. observe = "curl -sI '
                'https://example.com/data.csv"',
            )
            return None
        if isinstance(value, str) and self._no_nul(name, "observe", value) is None:
            return None
        if not isinstance(value, str) and not callable(value):
            self.fail(
                name,
                "observe",
                f"'observe' must be a shell command, got {self._type(value)}",
                'For example observe = "curl -sI https://example.com/data.csv"',
            )
            return None
        if callable(value) and _required_params(value):
            self.fail(
                name,
                "observe",
                "an observation function takes no parameters, but it has "
                + ", ".join(f"'{p}'" for p in _required_params(value)),
                "Return the version of the source from nothing but the source",
            )
            return None
        if not is_source:
            self.fail(
                name,
                "observe",
                "'observe' is for source assets, which have no transform",
                "Remove 'observe', or remove the transform",
            )
            return None
        if "path" in table:
            self.fail(
                name,
                "path",
                "an observable source has no 'path': what 'observe' prints is its "
                "version",
                "Remove 'path'; without 'observe' the file itself is tracked",
            )
            return None
        return value  # type: ignore[no-any-return]

    # -- partitions ------------------------------------------------------------

    def _partitions(
        self, name: str, table: dict[str, Any], observe: object
    ) -> PartitionsDef | None:
        value = table.get("partitions")
        if value is None:
            return None
        try:
            partitions = parse_partitions(value, self.timezone, self.decorator)
        except PartitionsError as err:
            self.fail(name, "partitions", err.problem, err.hint)
            return None
        if observe is not None:
            self.fail(
                name,
                "partitions",
                "an observable source cannot have partitions",
                "Observe the whole source; partition the assets made from it",
            )
            return None
        return partitions

    def _partition_paths(
        self,
        name: str,
        paths: list[str],
        partitions: PartitionsDef | None,
        value: bool,
    ) -> None:
        """Each partition needs files of its own; only partitions have them."""
        for path in paths:
            for ref in re.findall(r"\{partition(?:\.[^}]*)?\}", path):
                problem = _partition_ref_problem(ref, ref[11:-1], partitions, "path")
                if problem:
                    self.fail(name, "path", *problem)
                    return
            if partitions is None or value:
                continue
            names = partitions.names
            whole = "{partition}" in path
            by_dimension = bool(names) and all(
                "{partition." + n + "}" in path for n in names
            )
            if not (whole or by_dimension):
                if names:
                    each = " and ".join("{partition." + n + "}" for n in names)
                    example = "/".join("{partition." + n + "}" for n in names)
                else:
                    each, example = "{partition}", "{partition}"
                self.fail(
                    name,
                    "path",
                    f"path '{path}' is the same file for every partition",
                    f'Put {each} in it, e.g. "build/{name}/{example}.csv"',
                )

    def _mappings(
        self, name: str, table: dict[str, Any], deps: tuple[AssetKey, ...]
    ) -> tuple[tuple[AssetKey, Mapping_], ...]:
        value = table.get("partition_mapping")
        if value is None:
            return ()
        if not isinstance(value, dict):
            self.fail(
                name,
                "partition_mapping",
                "'partition_mapping' must map upstream assets to a mapping, "
                f"got {self._type(value)}",
                'For example partition_mapping = { daily_sales = "all" }',
            )
            return ()
        mappings = []
        for dep, spec in value.items():
            if dep not in deps:
                self.fail(
                    name,
                    "partition_mapping",
                    f"'partition_mapping' names '{dep}', which it does not depend on",
                    did_you_mean(dep, deps) or "Name an upstream asset",
                )
                continue
            try:
                mappings.append((AssetKey(dep), parse_mapping(spec)))
            except PartitionsError as err:
                self.fail(name, "partition_mapping", err.problem, err.hint)
        return tuple(mappings)

    # -- Python ----------------------------------------------------------------

    def _function(self, name: str, table: dict[str, Any]) -> Callable[..., Any] | None:
        value = table.get("python")
        if value is None or callable(value):
            return value
        if not isinstance(value, str) or ":" not in value:
            self.fail(
                name,
                "python",
                f"'python' must be 'module:function', got {value!r}",
                'For example python = "pipeline:clean"',
            )
            return None
        module_name, _, attr = value.partition(":")
        if module_name in self.failed_imports:
            self.skipped = True  # its error is reported once, at the module
            return None
        try:
            module = import_module(module_name, self.root)
        except ModuleImportError as err:
            self.failed_imports.add(module_name)
            if err.location is None:  # not in the project: point at 'python'
                err = ModuleImportError(
                    err.problem, location=self.locate(name, "python")
                )
            self.problems.append(err)
            self.skipped = True
            return None
        except Exception as err:  # the module itself is missing
            self.fail(
                name,
                "python",
                f"cannot import '{module_name}': {type(err).__name__}: {err}",
                "The project directory is on the import path; check the module name",
            )
            return None
        target: Any = module
        for part in attr.split("."):
            target = getattr(target, part, None)
        if target is None or not callable(target):
            names = [n for n, v in vars(module).items() if callable(v)]
            self.fail(
                name,
                "python",
                f"module '{module_name}' has no function '{attr}'",
                did_you_mean(attr, names),
            )
            return None
        function: Callable[..., Any] = getattr(target, "fn", target)  # an @asset
        return function

    def _io(
        self, name: str, table: dict[str, Any], function: Callable[..., Any] | None
    ) -> str | None:
        """The value store of a value asset (a Python asset with no path), else None."""
        value = table.get("io")
        if "python" not in table or "path" in table:
            if value is not None:
                self.fail(
                    name,
                    "io",
                    "'io' is for value assets (Python assets without a 'path')",
                    "Remove 'io', or remove 'path' to keep the return value",
                )
            return None
        if value is None or function is None:
            return "pickle"  # (a function that failed to import is reported)
        if not isinstance(value, str):
            self.fail(
                name,
                "io",
                f"'io' must be a store name or a value store, got {self._type(value)}",
                "A store has name, extension, dump(value, path) and load(path)",
            )
            return None
        if value not in STORES:
            self.fail(
                name,
                "io",
                f"unknown value store '{value}'",
                did_you_mean(value, STORES) or "Known: " + ", ".join(sorted(STORES)),
            )
            return None
        return value

    def _params(
        self,
        name: str,
        table: dict[str, Any],
        function: Callable[..., Any],
        *,
        value: bool,
    ) -> list[tuple[str, AssetKey | None]]:
        """Bind each parameter to an upstream asset, or to where the output goes.

        A parameter with a default keeps it, unless ``ins`` maps it to an asset.
        """
        ins = table.get("ins") or {}
        if not isinstance(ins, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and "\0" not in v
            for k, v in ins.items()
        ):
            example = (
                "ins={'orders': 'raw/orders'}"
                if self.decorator
                else 'ins = { orders = "raw/orders" }'
            )
            self.fail(
                name,
                "ins",
                "'ins' must map parameter names to asset keys",
                f"For example {example}",
            )
            return []  # the parameters cannot be bound without it
        try:
            signature = inspect.signature(function)
        except (TypeError, ValueError):
            return []
        unknown = [k for k in ins if k not in signature.parameters]
        for key in unknown:
            self.fail(
                name,
                "ins",
                f"'ins' names '{key}', which is not a parameter of the function",
                did_you_mean(key, signature.parameters),
            )
        writes = [
            p for p in OUTPUT_PARAMS if p in signature.parameters and p not in ins
        ]
        if not value and not writes and "io" not in table:
            self.fail(
                name,
                "python",
                "a file asset's function has no 'output' parameter",
                "Add one and write the file there, or remove 'path' to keep the "
                "return value",
            )
        params: list[tuple[str, AssetKey | None]] = []
        for param in signature.parameters.values():
            if param.default is not param.empty and param.name not in ins:
                continue  # a setting with its default, not an upstream asset
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                self.fail(
                    name,
                    "python",
                    f"parameter '{param.name}' cannot be *args or **kwargs",
                    "Name each upstream asset as a parameter",
                )
            elif param.name == "partition" and "partition" not in ins:
                if "partitions" not in table:
                    self.fail(
                        name,
                        "python",
                        "parameter 'partition', but the asset has no 'partitions'",
                        "Declare them, e.g. partitions={'daily': {'start': "
                        "'2024-01-01'}}",
                    )
                params.append((param.name, None))
            elif param.name in OUTPUT_PARAMS and param.name not in ins:
                if value:
                    self.fail(
                        name,
                        "python",
                        f"a value asset has no '{param.name}' parameter",
                        "Return the value, or give the asset a 'path' to write",
                    )
                params.append((param.name, None))
            else:
                params.append((param.name, AssetKey(ins.get(param.name, param.name))))
        return params


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be an asset key (as a hint), or None when it can."""
    if KEY_PATTERN.fullmatch(name) and name not in RESERVED_KEYS:
        return None
    if ":" in name:
        return "':' is reserved for partitions (KEY:PARTITION)"
    if name in RESERVED_KEYS:
        return f"'{name}' is reserved in templates; choose another name"
    if KEY_CHARACTERS.fullmatch(name):  # the parts between '/' are wrong
        return "Each part between '/' must start with a letter, a digit or '_'"
    return "Use letters, digits, '_', '-', '.' and '/'"


def check_relative(what: str, path: str) -> tuple[str | None, str | None, str | None]:
    """Normalise a project-relative path: (path, None, None) or (None, problem, hint).

    Directories keep their trailing '/'.
    """
    if "\0" in path:
        return None, f"{what} '{shown(path)}' contains a NUL character", NUL_HINT
    if posixpath.isabs(path) or os.path.isabs(path) or path.startswith("~"):
        return (
            None,
            f"{what} '{path}' is absolute",
            ("Use a path relative to the project directory"),
        )
    normal = posixpath.normpath(path.replace("\\", "/"))
    if normal == ".." or normal.startswith("../"):
        return (
            None,
            f"{what} '{path}' is outside the project directory",
            ("Keep every file inside the project directory"),
        )
    if normal == ".":
        return (
            None,
            f"{what} '{path}' is the project directory itself",
            ("Name a file or a sub-directory"),
        )
    return (normal + "/" if path.endswith("/") else normal), None, None


def reserved_path_problem(what: str, path: str) -> tuple[str | None, str | None]:
    """(problem, hint) when a declared path is one of doit-assets' own."""
    if STATE_DIR not in path:  # both start with it: most paths end here
        return None, None
    parts = posixpath.normpath(path.replace("\\", "/")).split("/")
    if parts[0] == STATE_DIR:
        return (
            f"{what} '{path}' is inside '{STATE_DIR}/', doit-assets' own folder",
            "Choose another folder",
        )
    if any(part.startswith(STAGING_PREFIX) for part in parts):
        return (
            f"{what} '{path}' has a part starting with '{STAGING_PREFIX}', "
            "which doit-assets uses for staging",
            "Rename that part",
        )
    return None, None


@functools.lru_cache(maxsize=8)
def path_limits(root: str) -> tuple[int, int, int]:
    """The longest file name and the longest path the file system under
    ``root`` takes, in bytes, and the length of ``root`` in bytes."""
    limits = []
    for name, default in (("PC_NAME_MAX", 255), ("PC_PATH_MAX", 4096)):
        try:
            limits.append(os.pathconf(root, name))
        except (OSError, ValueError, AttributeError):  # no pathconf on Windows
            limits.append(default)
    return limits[0], limits[1], len(os.fsencode(root))


def length_problem(root: str, path: str) -> tuple[str, str] | None:
    """(problem, hint) when ``path`` under ``root`` is longer than the file
    system allows, with room left for staging."""
    name_max, path_max, root_length = path_limits(root)
    limit = path_max - 1 - STAGING_ROOM  # path_max counts the final NUL
    if (
        path.isascii()
        and len(path) <= name_max
        and root_length + 1 + len(path) <= limit
    ):
        return None  # one byte a character, and short: most paths end here
    encoded = os.fsencode(path)
    part = max(encoded.rstrip(b"/").split(b"/"), key=len)
    if len(part) > name_max:
        return (
            f"has a part of {len(part)} bytes, over the limit of {name_max}",
            "Shorten it: the file system refuses longer names",
        )
    full = root_length + 1 + len(encoded)
    if full > limit:
        return (
            f"is too long: {full} bytes with the project directory, over the "
            f"limit of {limit}",
            f"Shorten it, or move the project: the file system refuses paths over "
            f"{path_max - 1} bytes, and staging adds up to {STAGING_ROOM}",
        )
    return None


def longest_path(template: str, partitions: PartitionsDef) -> str:
    """A partition's path, with the longest key of each dimension in it."""
    longest = []
    for dimension in partitions.dimensions:
        if dimension.is_time:
            keys = [dimension.key_of(dimension.start or datetime.datetime(2000, 1, 1))]
        else:
            keys = list(dimension.static)
        longest.append(max(keys, key=len))
    return render_key(template, SEPARATOR.join(longest), partitions)


def shown(text: str) -> str:
    """``text`` for a message, with a NUL written as TOML and Python escape it."""
    return text.replace("\0", "\\u0000")


def _cut(path: str) -> str:
    """A long path shortened for a message."""
    return path if len(path) <= 64 else f"{path[:40]}...{path[-20:]}"


def _partition_ref_problem(
    text: str,
    attr: str,
    partitions: PartitionsDef | None,
    where: str = "transform",
) -> tuple[str, str] | None:
    """(problem, hint) for a '{partition...}' reference that cannot be filled."""
    if partitions is None:
        return (
            f"'{text}' in {where}, but the asset has no 'partitions'",
            'Declare them, e.g. partitions = { daily = { start = "2024-01-01" } }',
        )
    names = partitions.names
    if attr and attr not in names:
        if not names:
            return (
                f"'{text}' in {where}: the partitions have one dimension",
                "Write '{partition}'",
            )
        return (
            f"unknown partition dimension '{attr}' in '{text}'",
            did_you_mean(attr, names) or "Dimensions: " + ", ".join(names),
        )
    return None


def _required_params(function: Callable[..., Any]) -> list[str]:
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
