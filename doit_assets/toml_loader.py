"""``assets.toml`` -> a Project: vars, settings and one AssetSpec per asset.

TOML parsers return no positions, so ``_scan_lines`` finds the line of every
table header and key by reading the source once; every message can then name
``file:line``. Problems are collected, not raised one by one, so a user sees
them all at once.
"""

from __future__ import annotations

import os
import posixpath
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import (
    AssetDefinitionError,
    AssetError,
    AssetSyntaxError,
    Location,
    did_you_mean,
    raise_all,
)
from .spec import KEY_PATTERN, RESERVED_KEYS, AssetKey, AssetSpec
from .template import PATH_ATTRIBUTES, TemplateError, parse_template

if sys.version_info >= (3, 14):
    import tomllib
else:  # stdlib tomllib before 3.14 keeps line and column only in the message text
    import tomli as tomllib

TOP_LEVEL_KEYS = ("assets", "vars", "settings")
ASSET_KEYS = (
    "path",
    "transform",
    "depends_on",
    "inputs",
    "description",
    "metadata",
    "code_version",
)
SETTINGS_KEYS = ("progress",)


@dataclass(frozen=True)
class Project:
    """Everything one ``assets.toml`` declares. ``root`` is the file's directory."""

    source: str
    root: Path
    vars: Mapping[str, str]
    settings: Mapping[str, object]
    specs: tuple[AssetSpec, ...]
    # (asset key, field) -> line, so graph checks can point at the exact key
    lines: Mapping[tuple[str, str], int] = field(default_factory=dict)
    # Problems found in single assets; those assets are left out of ``specs``
    # and reported together with the problems of the graph as a whole.
    problems: tuple[AssetError, ...] = ()
    declared: frozenset[str] = frozenset()

    def where(self, key: str, field_name: str | None = None) -> Location:
        line = self.lines.get((key, field_name or ""))
        if line is None:
            line = self.lines.get((key, ""))
        return Location(self.source, line)


def load_toml(path: str | os.PathLike[str], *, strict: bool = True) -> Project:
    """Read, parse and check one ``assets.toml``; raise AssetError listing every problem.

    With ``strict=False`` only a file that cannot be read or parsed raises; the
    problems of single assets are left in ``Project.problems`` so that
    ``load_graph`` can report them together with those of the whole graph.
    """
    path = Path(path)
    source = os.path.relpath(path) if path.is_absolute() else str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise AssetDefinitionError(
            "file not found", location=Location(source), hint="Run 'doit assets init'"
        ) from None
    text = _decode(raw, source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise AssetSyntaxError(
            f"invalid TOML: {err.msg}",
            location=Location(source, err.lineno, err.colno),
        ) from None
    lines = _scan_lines(text)
    project = _Builder(source, path.parent.resolve(), data, lines).build()
    if strict:
        raise_all(project.problems)
    return project


def _decode(raw: bytes, source: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        col = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        raise AssetSyntaxError(
            f"file is not UTF-8 (byte 0x{raw[err.start]:02x})",
            location=Location(source, line, col),
            hint="Save it with UTF-8 encoding",
        ) from None


class _Builder:
    def __init__(
        self,
        source: str,
        root: Path,
        data: dict[str, Any],
        lines: dict[tuple[str, ...], int],
    ) -> None:
        self.source = source
        self.root = root
        self.data = data
        self.raw_lines = lines
        self.problems: list[AssetError] = []
        self.lines: dict[tuple[str, str], int] = {}

    def line(self, *dotted: str) -> int | None:
        """The line of a dotted key, or of its closest declared parent."""
        while dotted:
            if dotted in self.raw_lines:
                return self.raw_lines[dotted]
            dotted = dotted[:-1]
        return None

    def fail(
        self,
        problem: str,
        *dotted: str,
        key: str | None = None,
        hint: str | None = None,
        kind: type[AssetError] = AssetDefinitionError,
    ) -> None:
        where = Location(self.source, self.line(*dotted))
        self.problems.append(kind(problem, location=where, key=key, hint=hint))

    def build(self) -> Project:
        for name in self.data:
            if name not in TOP_LEVEL_KEYS:
                self.fail(
                    f"unknown table '{name}'",
                    name,
                    hint=did_you_mean(name, TOP_LEVEL_KEYS)
                    or "Allowed: " + ", ".join(TOP_LEVEL_KEYS),
                )
        variables = self._vars()
        settings = self._settings()
        specs = self._assets(variables)
        assets = self.data.get("assets")
        return Project(
            self.source,
            self.root,
            variables,
            settings,
            tuple(specs),
            self.lines,
            tuple(self.problems),
            frozenset(assets) if isinstance(assets, dict) else frozenset(),
        )

    def _table(self, name: str) -> dict[str, Any]:
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            self.fail(f"'{name}' must be a table, got {_type(value)}", name)
            return {}
        return value

    def _vars(self) -> dict[str, str]:
        result = {}
        for name, value in self._table("vars").items():
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                self.fail(
                    f"var '{name}' must be a string, got {_type(value)}", "vars", name
                )
            else:
                result[name] = str(value)
        return result

    def _settings(self) -> dict[str, object]:
        settings = self._table("settings")
        for name, value in settings.items():
            if name not in SETTINGS_KEYS:
                self.fail(
                    f"unknown setting '{name}'",
                    "settings",
                    name,
                    hint=did_you_mean(name, SETTINGS_KEYS)
                    or "Allowed: " + ", ".join(SETTINGS_KEYS),
                )
            elif name == "progress" and not isinstance(value, bool):
                self.fail(
                    f"setting 'progress' must be true or false, got {_type(value)}",
                    "settings",
                    name,
                )
        return settings

    def _assets(self, variables: Mapping[str, str]) -> list[AssetSpec]:
        assets = self._table("assets")
        if not assets:
            if not self.problems:
                self.fail(
                    "no assets declared",
                    "assets",
                    hint="Add a table such as [assets.report] with a 'path'",
                )
            return []
        specs = []
        for name, table in assets.items():
            self.lines[(name, "")] = self.line("assets", name) or 0
            spec = self._asset(name, table, variables)
            if spec is not None:
                specs.append(spec)
        return specs

    def _asset(
        self, name: str, table: object, variables: Mapping[str, str]
    ) -> AssetSpec | None:
        before = len(self.problems)
        if not KEY_PATTERN.fullmatch(name) or name in RESERVED_KEYS:
            if ":" in name:
                hint = "':' is reserved for partitions (KEY:PARTITION)"
            elif name in RESERVED_KEYS:
                hint = f"'{name}' is reserved in templates; choose another name"
            else:
                hint = "Use letters, digits, '_', '-', '.' and '/'"
            self.fail("invalid asset name", "assets", name, key=name, hint=hint)
        if not isinstance(table, dict):
            self.fail(f"must be a table, got {_type(table)}", "assets", name, key=name)
            return None
        for field_name in table:
            self.lines[(name, field_name)] = self.line("assets", name, field_name) or 0
            if field_name not in ASSET_KEYS:
                self.fail(
                    f"unknown key '{field_name}'",
                    "assets",
                    name,
                    field_name,
                    key=name,
                    hint=did_you_mean(field_name, ASSET_KEYS)
                    or "Allowed: " + ", ".join(ASSET_KEYS),
                )

        def at(field_name: str) -> tuple[str, ...]:
            return ("assets", name, field_name)

        paths = self._paths(name, table)
        transform = table.get("transform")
        if transform is not None and not isinstance(transform, str):
            self.fail(
                f"'transform' must be a string, got {_type(transform)}",
                *at("transform"),
                key=name,
            )
            transform = None
        depends_on = self._strings(name, table, "depends_on")
        inputs = self._strings(name, table, "inputs")
        for pattern in inputs:
            self._check_relative(name, "inputs", pattern)
        description = self._optional_str(name, table, "description")
        code_version = self._optional_str(name, table, "code_version")
        metadata = table.get("metadata", {})
        if not isinstance(metadata, dict):
            self.fail(
                f"'metadata' must be a table, got {_type(metadata)}",
                *at("metadata"),
                key=name,
            )
            metadata = {}
        if transform is None and "transform" not in table and depends_on:
            self.fail(
                "a source asset cannot have 'depends_on'",
                *at("depends_on"),
                key=name,
                hint="Add a 'transform' that makes it from its dependencies",
            )
        refs: list[str] = []
        if isinstance(transform, str):
            refs = self._template_refs(name, transform, paths, variables)
        for dep in depends_on:
            self.lines.setdefault(
                (name, "dep:" + dep), self.lines[(name, "depends_on")]
            )
        for dep in refs:
            self.lines.setdefault((name, "dep:" + dep), self.lines[(name, "transform")])
        if len(self.problems) > before:
            return None
        deps = tuple(dict.fromkeys(AssetKey(d) for d in (*depends_on, *refs)))
        return AssetSpec(
            key=AssetKey(name),
            paths=tuple(paths),
            transform=transform,
            deps=deps,
            inputs=tuple(inputs),
            description=description,
            metadata=metadata,
            code_version=code_version,
            location=Location(self.source, self.line("assets", name)),
        )

    def _paths(self, name: str, table: dict[str, Any]) -> list[str]:
        if "path" not in table:
            self.fail(
                "missing required key 'path'",
                "assets",
                name,
                key=name,
                hint='Add path = "build/NAME.csv" (the file this asset is)',
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
                "'path' must be a non-empty string or list of strings, "
                f"got {_type(value)}",
                "assets",
                name,
                "path",
                key=name,
            )
            return []
        return [p for p in (self._check_relative(name, "path", p) for p in raw) if p]

    def _check_relative(self, name: str, field_name: str, path: str) -> str | None:
        """Normalise a project-relative path, or report why it is not one."""
        where = ("assets", name, field_name)
        if posixpath.isabs(path) or os.path.isabs(path) or path.startswith("~"):
            self.fail(
                f"{field_name} '{path}' is absolute",
                *where,
                key=name,
                hint="Use a path relative to the project directory",
            )
            return None
        normal = posixpath.normpath(path.replace("\\", "/"))
        if normal == ".." or normal.startswith("../"):
            self.fail(
                f"{field_name} '{path}' is outside the project directory",
                *where,
                key=name,
                hint="Keep every file below the directory of assets.toml",
            )
            return None
        if normal == ".":
            self.fail(
                f"{field_name} '{path}' is the project directory itself",
                *where,
                key=name,
                hint="Name a file or a sub-directory",
            )
            return None
        return normal + "/" if path.endswith("/") else normal

    def _strings(self, name: str, table: dict[str, Any], field_name: str) -> list[str]:
        value = table.get(field_name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            hint = (
                f'Write {field_name} = ["{value}"]' if isinstance(value, str) else None
            )
            self.fail(
                f"'{field_name}' must be a list of strings, got {_type(value)}",
                "assets",
                name,
                field_name,
                key=name,
                hint=hint,
            )
            return []
        return value

    def _optional_str(
        self, name: str, table: dict[str, Any], field_name: str
    ) -> str | None:
        value = table.get(field_name)
        if value is None or isinstance(value, str):
            return value
        self.fail(
            f"'{field_name}' must be a string, got {_type(value)}",
            "assets",
            name,
            field_name,
            key=name,
        )
        return None

    def _template_refs(
        self,
        name: str,
        transform: str,
        paths: list[str],
        variables: Mapping[str, str],
    ) -> list[str]:
        """Check a transform's references; return the asset keys it names."""
        where = ("assets", name, "transform")
        try:
            template = parse_template(transform)
        except TemplateError as err:
            self.fail(err.problem, *where, key=name, hint=err.hint)
            return []
        deps = []
        for ref in template.refs:
            if ref.scope == "vars":
                if ref.attr not in variables:
                    hint = did_you_mean(ref.attr, variables) or (
                        f'Declare it under [vars]: {ref.attr} = "..."'
                    )
                    self.fail(
                        f"unknown variable '{ref.attr}' in transform",
                        *where,
                        key=name,
                        hint=hint,
                    )
                continue
            if ref.attr not in PATH_ATTRIBUTES:
                self.fail(
                    f"unknown attribute '{ref.attr}' in '{ref.text}'",
                    *where,
                    key=name,
                    hint=did_you_mean(ref.attr, PATH_ATTRIBUTES)
                    or "Use '.path' or '.paths'",
                )
                continue
            if ref.scope == "self":
                if ref.attr == "path" and len(paths) > 1:
                    self.fail(
                        "'{self.path}' is ambiguous for an asset with "
                        f"{len(paths)} paths",
                        *where,
                        key=name,
                        hint="Use '{self.paths}'",
                    )
            elif ref.scope not in deps:
                deps.append(ref.scope)
        return deps


def _type(value: object) -> str:
    names = {str: "string", bool: "boolean", int: "integer", float: "float"}
    names.update({list: "array", dict: "table"})
    return names.get(type(value), type(value).__name__)


def _scan_lines(text: str) -> dict[tuple[str, ...], int]:
    """Map every table header and key to the line where it is first declared."""
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    in_multiline: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if in_multiline:
            if stripped.count(in_multiline) % 2 == 1:
                in_multiline = None
            continue
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("[") and not stripped.startswith("[["):
            header = _parse_dotted(stripped[1:])
            if header is not None:
                table = header[0]
                for i in range(1, len(table) + 1):
                    lines.setdefault(table[:i], number)
            continue
        parsed = _parse_dotted(stripped, terminator="=")
        if parsed is None:
            continue
        dotted, rest = parsed
        full = table + dotted
        for i in range(len(table) + 1, len(full) + 1):
            lines.setdefault(full[:i], number)
        for quote in ('"""', "'''"):
            if rest.count(quote) % 2 == 1:
                in_multiline = quote
    return lines


def _parse_dotted(
    text: str, terminator: str = "]"
) -> tuple[tuple[str, ...], str] | None:
    """Parse ``a."b/c".d`` up to the terminator; return the parts and the rest."""
    parts: list[str] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] in "\"'":
            quote = text[i]
            end = text.find(quote, i + 1)
            if end == -1:
                return None
            parts.append(text[i + 1 : end])
            i = end + 1
        else:
            start = i
            while i < n and (text[i].isalnum() or text[i] in "_-"):
                i += 1
            if i == start:
                return None
            parts.append(text[start:i])
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] == ".":
            i += 1
            continue
        if i < n and text[i] == terminator:
            return tuple(parts), text[i + 1 :]
        return None
    return None
