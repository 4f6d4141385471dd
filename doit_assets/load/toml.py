"""``assets.toml`` -> a Project: vars, settings and one AssetSpec per asset.

TOML parsers return no positions, so ``_scan_lines`` finds the line of every
table header and key by reading the source once; every message can then name
``file:line``. Problems are collected, not raised one by one, so a user sees
them all at once.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from ..errors import (
    AssetDefinitionError,
    AssetError,
    AssetSyntaxError,
    Location,
    did_you_mean,
    raise_all,
)
from ..model.automation import SensorSpec
from ..model.clock import parse_duration
from ..model.spec import AssetSpec
from . import environment, fields
from .automation import known_timezone as _known_timezone
from .definition import AssetBuilder
from .fields import type_name
from .imports import ModuleImportError, import_module
from .pathnames import LABEL_PATTERN, NUL_HINT, shown
from .sensors import sensor_spec

if sys.version_info >= (3, 14):
    import tomllib
else:  # stdlib tomllib before 3.14 keeps line and column only in the message text
    import tomli as tomllib

TOP_LEVEL_KEYS = ("assets", "vars", "settings", "pools", "sensors")
SETTINGS_KEYS = (
    "progress",
    "modules",
    "timezone",
    "external_roots",
    # defaults of the assets' own keys of the same names (issue 14)
    "retries",
    "retry_delay",
    "timeout",
    "on_failure",
    "keep_going",  # doit's --continue, by default
    "keep_history",  # how long the history and the attempts' logs are kept
    "keep_logs",
    # the environment of every transform (issue 16)
    "env",
    "requires",
    "pass_env",
    "fingerprint_env",
    "secret_env",
    # audit (issue 16): every shell transform traced; paths audit never reports
    "strict_io",
    "audit_ignore",
    # the fast path of doit-assets (issue 17): on unless false
    "fast_path",
)
BOOLEAN_SETTINGS = ("progress", "keep_going", "strict_io", "fast_path")
BOM = "\ufeff"
# The settings that are defaults of an asset's keys, with an example (issue 14)
RUN_SETTINGS = ("retries", "retry_delay", "timeout", "on_failure")
ENVIRONMENT_SETTINGS = ("env", "requires", "pass_env", "fingerprint_env", "secret_env")
DURATION_EXAMPLES = {"retry_delay": "5s", "timeout": "10m"}


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
    partial: tuple[AssetSpec, ...] = ()
    modules: tuple[ModuleType, ...] = ()  # imported from [settings] modules
    # Modules of [settings] modules that could not be imported: the assets
    # they declare are unknown, so unknown dependencies are not reported.
    failed_modules: tuple[str, ...] = ()
    # [pools]: name -> how many of its assets may run at once (issue 14)
    pools: Mapping[str, int] = field(default_factory=dict)
    # [sensors] (issue 15), each checked on its own: their triggers are
    # checked with the Python assets, in load_graph. Lines are in ``lines``
    # under ("[sensors]", NAME) and ("[sensors]", "NAME.FIELD").
    sensors: tuple[SensorSpec, ...] = ()

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
            "file not found",
            location=Location(source),
            hint="Declare assets in it, e.g. [assets.report] with a 'path' and a "
            "'transform'",
        ) from None
    # Some editors start a UTF-8 file with a byte order mark; it is not text.
    text = _decode(raw, source).removeprefix(BOM)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise AssetSyntaxError(
            f"invalid TOML: {err.msg}",
            location=Location(source, err.lineno, err.colno),
        ) from None
    except RecursionError:  # the parser recurses once per level of nesting
        raise _too_deep(text, source) from None
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


# The tokens that matter for nesting: strings and comments (skipped whole, so
# that a bracket inside one does not count), and brackets.
_NESTING = re.compile(
    r'"""(?:\\.|[^\\])*?"""|\'\'\'.*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'[^\'\n]*\''
    r"|#[^\n]*|[\[\]{}]",
    re.DOTALL,
)


def _too_deep(text: str, source: str) -> AssetSyntaxError:
    """The error for a value nested deeper than the parser can follow,
    pointing at the first bracket of the deepest level."""
    depth, deepest, where = 0, 0, 0
    for token in _NESTING.finditer(text):
        bracket = token.group()
        if bracket in ("[", "{"):
            depth += 1
            if depth > deepest:
                deepest, where = depth, token.start()
        elif bracket in ("]", "}"):
            depth -= 1
    line = text.count("\n", 0, where) + 1
    col = where - (text.rfind("\n", 0, where) + 1) + 1
    return AssetSyntaxError(
        f"invalid TOML: arrays and inline tables nested {deepest} levels deep, "
        "deeper than the parser can follow",
        location=Location(source, line, col),
        hint="Flatten the value",
    )


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
        self.partial: list[AssetSpec] = []
        self.modules: list[ModuleType] = []
        self.failed_modules: list[str] = []
        self.broken_vars: set[str] = set()
        self.variables: dict[str, str] = {}

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
        for name, value in self.data.items():
            if name in TOP_LEVEL_KEYS:
                continue
            if isinstance(value, dict):
                self.fail(
                    f"unknown table '{name}'",
                    name,
                    hint=did_you_mean(name, TOP_LEVEL_KEYS)
                    or "Allowed: " + ", ".join(TOP_LEVEL_KEYS),
                )
            else:
                self.fail(
                    f"unknown top-level key '{name}'",
                    name,
                    hint="Variables go under [vars], settings under [settings]",
                )
        variables = self._vars()
        self.variables = variables  # for [settings] env
        settings = self._settings()
        pools = self._pools()
        specs = self._assets(variables, pools)
        sensors = self._sensors()
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
            tuple(self.partial),
            tuple(self.modules),
            tuple(self.failed_modules),
            pools,
            tuple(sensors),
        )

    def _table(self, name: str) -> dict[str, Any]:
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            self.fail(f"'{name}' must be a table, got {type_name(value)}", name)
            return {}
        return value

    def _vars(self) -> dict[str, str]:
        result = {}
        for name, value in self._table("vars").items():
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                self.broken_vars.add(name)
                self.fail(
                    f"var '{name}' must be a string, got {type_name(value)}",
                    "vars",
                    name,
                    hint=_var_hint(name, value),
                )
            elif isinstance(value, str) and "\0" in value:
                self.broken_vars.add(name)
                self.fail(
                    f"var '{name}' contains a NUL character (\\u0000)",
                    "vars",
                    name,
                    hint=NUL_HINT,
                )
            else:
                result[name] = str(value)
        return result

    def _settings(self) -> dict[str, object]:
        settings = self._table("settings")
        for name, value in settings.items():
            self.lines[("[settings]", name)] = self.line("settings", name) or 0
            if name not in SETTINGS_KEYS:
                self.fail(
                    f"unknown setting '{name}'",
                    "settings",
                    name,
                    hint=did_you_mean(name, SETTINGS_KEYS)
                    or "Allowed: " + ", ".join(SETTINGS_KEYS),
                )
            elif name in BOOLEAN_SETTINGS and not isinstance(value, bool):
                self.fail(
                    f"setting '{name}' must be true or false, got {type_name(value)}",
                    "settings",
                    name,
                )
            elif name == "modules" and (
                not isinstance(value, list)
                or not all(isinstance(v, str) for v in value)
            ):
                self.fail(
                    "setting 'modules' must be a list of module names, "
                    f"got {type_name(value)}",
                    "settings",
                    name,
                    hint='For example modules = ["pipeline"]',
                )
            elif name == "timezone" and not _known_timezone(value):
                self.fail(
                    f"setting 'timezone': unknown timezone {value!r}",
                    "settings",
                    name,
                    hint="Use an IANA name such as 'Europe/Paris' or 'UTC'",
                )
            elif name in ("keep_history", "keep_logs") and (
                not isinstance(value, str) or parse_duration(value) is None
            ):
                shown = repr(value) if isinstance(value, str) else type_name(value)
                example = "90d" if name == "keep_history" else "30d"
                self.fail(
                    f"setting '{name}' must be a duration like \"{example}\", "
                    f"got {shown}",
                    "settings",
                    name,
                    hint='Write a number and a unit: s, m, h, d or w (for example "12w")',
                )
            elif name == "audit_ignore" and _paths_problem(value):
                self.fail(
                    f"setting 'audit_ignore' {_paths_problem(value)}",
                    "settings",
                    name,
                    hint='For example audit_ignore = ["/opt/reference", "scratch/"]',
                )
            elif name == "external_roots":
                settings[name] = self._external_roots(value)
            elif name in ENVIRONMENT_SETTINGS:
                settings[name] = self._environment_setting(name, value)
            elif name in RUN_SETTINGS:
                settings[name] = self._run_setting(name, value)
            elif name == "modules":
                # Imported before the assets are built: a module may register
                # value stores or define the functions that 'python' names.
                self._import(value)
        return settings

    def _run_setting(self, name: str, value: object) -> object:
        """retries, retry_delay, timeout, on_failure: checked as an asset's own
        keys are; durations kept in seconds."""
        if name == "retries":
            found: object = fields.retry_count(value)
            problem = "a whole number, 0 or more"
            hint = "For example retries = 2 (three attempts in all)"
        elif name == "on_failure":
            command = isinstance(value, str) and value.strip() and "\0" not in value
            found = value if command else None
            problem = "a shell command"
            hint = f"For example {fields.ON_FAILURE_EXAMPLE}"
        else:
            found = fields.duration_of(value)
            problem = f'a duration like "{DURATION_EXAMPLES[name]}"'
            hint = fields.DURATION_HINT
        if found is None:
            shown = fields.shown_value(value, numbers=name == "retries")
            self.fail(
                f"setting '{name}' must be {problem}, got {shown}",
                "settings",
                name,
                hint=hint,
            )
        return found

    def _environment_setting(self, name: str, value: object) -> object:
        """env, requires, pass_env, fingerprint_env, secret_env (issue 16)."""

        def fail(problem: str, hint: str | None) -> None:
            if not problem.startswith("setting"):
                problem = f"setting {problem}"
            self.fail(problem, "settings", name, hint=hint)

        if name == "env":
            return environment.env_table(
                value,
                self.variables,
                fail,
                broken_vars=tuple(self.broken_vars),
            )
        if name == "requires":
            return environment.commands(
                value,
                fail,
                variables=self.variables,
                broken_vars=tuple(self.broken_vars),
            )
        return environment.variable_names(name, value, fail)

    def _pools(self) -> dict[str, int]:
        """[pools]: each a name and how many of its assets may run at once."""
        pools = {}
        for name, size in self._table("pools").items():
            if not LABEL_PATTERN.fullmatch(name):  # it names lock files
                self.fail(
                    f"invalid pool name '{name}'",
                    "pools",
                    name,
                    hint="Use letters, digits, '_', '-' and '.'",
                )
            if isinstance(size, int) and not isinstance(size, bool) and size >= 1:
                pools[name] = size
                continue
            shown = fields.shown_value(size, numbers=True)
            self.fail(
                f"pool '{name}' must be a whole number, 1 or more, got {shown}",
                "pools",
                name,
                hint=f"Write how many of its assets may run at once: {name} = 1",
            )
            pools[name] = 1  # known: its assets are not told it is unknown
        return pools

    def _external_roots(self, value: object) -> list[str]:
        """Absolute folders, normalised: where outputs may go through a symlink."""
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(
                "setting 'external_roots' must be a list of absolute folder "
                f"paths, got {type_name(value)}",
                "settings",
                "external_roots",
                hint='For example external_roots = ["/mnt/big"]',
            )
            return []
        roots = []
        for root in value:
            problem = _external_root_problem(root)
            if problem:
                self.fail(
                    f"setting 'external_roots': {problem[0]}",
                    "settings",
                    "external_roots",
                    hint=problem[1],
                )
            else:
                roots.append(os.path.normpath(root))
        return list(dict.fromkeys(roots))

    def _import(self, names: list[str]) -> None:
        for name in names:
            try:
                self.modules.append(import_module(name, str(self.root)))
            except ModuleImportError as err:
                self.failed_modules.append(name)
                self.problems.append(self._at_setting(err, "modules"))
            except Exception as err:  # the module itself is missing
                self.failed_modules.append(name)
                self.fail(
                    f"setting 'modules': cannot import '{name}': "
                    f"{type(err).__name__}: {err}",
                    "settings",
                    "modules",
                    hint="Modules are imported from the project directory",
                )

    def _at_setting(self, err: AssetError, setting: str) -> AssetError:
        """An error of an imported module, at its file and line when it has one."""
        if err.location is not None:
            return err
        where = Location(self.source, self.line("settings", setting))
        return type(err)(err.problem, location=where, hint=err.hint)

    def _assets(
        self, variables: Mapping[str, str], pools: Mapping[str, int]
    ) -> list[AssetSpec]:
        assets = self._table("assets")
        self.lines[("[assets]", "")] = self.line("assets") or 0
        settings = self.data.get("settings")
        zone = settings.get("timezone", "UTC") if isinstance(settings, dict) else "UTC"
        builder = AssetBuilder(
            self._locate,
            variables,
            str(self.root),
            timezone=zone if _known_timezone(zone) else "UTC",
            broken_vars=frozenset(self.broken_vars),
        )
        builder.failed_imports.update(self.failed_modules)  # reported already
        builder.pools = pools
        specs = []
        lines, raw_lines = self.lines, self.raw_lines
        for name, table in assets.items():
            # a field's own line, else the asset's (what self.line finds)
            asset_line = lines[(name, "")] = self.line("assets", name) or 0
            if isinstance(table, dict):
                for field_name in table:
                    line = raw_lines.get(("assets", name, field_name))
                    lines[(name, field_name)] = asset_line if line is None else line
            spec = builder.build(name, table)
            if spec is not None:
                specs.append(spec)
        for (name, dep), field_name in builder.dep_fields.items():
            self.lines[(name, "dep:" + dep)] = self.lines.get((name, field_name), 0)
        self.problems += builder.problems
        self.partial = builder.partial
        return specs

    def _sensors(self) -> list[SensorSpec]:
        """[sensors.NAME] tables, each checked on its own (see load/sensors.py)."""
        sensors = []
        for name, table in self._table("sensors").items():
            self.lines[("[sensors]", name)] = self.line("sensors", name) or 0
            if isinstance(table, dict):
                for field_name in table:
                    self.lines[("[sensors]", f"{name}.{field_name}")] = (
                        self.line("sensors", name, field_name) or 0
                    )
            sensor = sensor_spec(name, table, self._locate_sensor, self.problems)
            if sensor is not None:
                sensors.append(sensor)
        return sensors

    def _locate_sensor(self, name: str, field_name: str) -> Location:
        dotted = (name, field_name) if field_name else (name,)
        return Location(self.source, self.line("sensors", *dotted))

    def _locate(self, name: str, field_name: str) -> Location:
        if field_name:  # a check's key is 'checks.[N].KEY' (see _scan_lines)
            dotted = field_name.split(".")
            return Location(self.source, self.line("assets", name, *dotted))
        return Location(self.source, self.line("assets", name))


def _scan_lines(text: str) -> dict[tuple[str, ...], int]:
    """Map every table header and key to the line where it is first declared.

    The N-th table of an array of tables (``[[assets.x.checks]]``) is the
    table ``("assets", "x", "checks", "[N]")``, counted from 0.
    """
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    entries: dict[tuple[str, ...], int] = {}  # [[x]] tables met so far, by header
    in_multiline: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if in_multiline:
            end = line.find(in_multiline)
            if end == -1:
                continue
            in_multiline = _open_multiline(line[end + 3 :])
            continue
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("["):
            bare_header = _BARE_HEADER.match(stripped)
            if bare_header is not None:  # most headers: [a.b.c], bare keys
                header: tuple[tuple[str, ...], str] | None = (
                    tuple(bare_header.group(1).split(".")),
                    "",
                )
            else:
                header = _parse_dotted(stripped.lstrip("["))
            if header is not None:
                table = header[0]
                for i in range(1, len(table) + 1):
                    lines.setdefault(table[:i], number)
                if stripped.startswith("[["):  # each entry of an array of tables
                    index = entries.get(table, 0)
                    entries[table] = index + 1
                    table = (*table, f"[{index}]")
                    lines.setdefault(table, number)
            continue
        bare = _BARE_KEY.match(stripped)
        if bare is not None:  # most lines: 'key = value', one key
            lines.setdefault((*table, bare.group(1)), number)
            rest = stripped[bare.end() :]
        else:
            parsed = _parse_dotted(stripped, terminator="=")
            if parsed is None:
                continue
            dotted, rest = parsed
            full = table + dotted
            for i in range(len(table) + 1, len(full) + 1):
                lines.setdefault(full[:i], number)
        # only a triple quote opens a multi-line string
        if '"""' in rest or "'''" in rest:
            in_multiline = _open_multiline(rest)
    return lines


# A bare key and its '=' (what _parse_dotted reads, in one step): the rest of
# the line is the value.
_BARE_KEY = re.compile(r"([A-Za-z0-9_-]+)[ \t]*=")
_BARE_HEADER = re.compile(r"\[+([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)\]")


def _open_multiline(text: str, quote: str | None = None) -> str | None:
    """The triple quote of a multi-line string still open at the end of ``text``.

    Strings are skipped whole, so a '#' or quote inside one is not mistaken
    for a comment or a delimiter, and a comment ends the scan.
    """
    i, n = 0, len(text)
    while i < n:
        if quote is not None:  # inside a multi-line string
            end = text.find(quote, i)
            if end == -1:
                return quote
            i, quote = end + 3, None
            continue
        ch = text[i]
        if ch == "#":
            return None
        if text.startswith(('"""', "'''"), i):
            quote = text[i : i + 3]
            i += 3
        elif ch in "\"'":
            i += 1
            while i < n and text[i] != ch:
                i += 2 if ch == '"' and text[i] == "\\" else 1
            i += 1
        else:
            i += 1
    return quote


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


def _external_root_problem(root: str) -> tuple[str, str] | None:
    if "\0" in root:
        return f"'{shown(root)}' contains a NUL character (\\u0000)", NUL_HINT
    if not os.path.isabs(root):
        return (
            f"'{root}' is not an absolute path",
            'Write the folder\'s full path, e.g. "/mnt/big"',
        )
    if os.path.normpath(root) == os.path.normpath("/"):
        return (
            f"'{root}' would let outputs be written anywhere",
            "Name the folder that a symlink of the project points into",
        )
    return None


def _var_hint(name: str, value: object) -> str | None:
    if isinstance(value, bool):
        return f'Quote it: {name} = "{str(value).lower()}"'
    return None


def _paths_problem(value: object) -> str | None:
    """audit_ignore (issue 16): a list of non-empty paths, or what is wrong."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return f"must be a list of paths, got {type_name(value)}"
    for path in value:
        if not path.strip() or "\0" in path:
            return f"holds {shown(path)!r}, which is not a path"
    return None
