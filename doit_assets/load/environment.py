"""The checks of an asset's environment: ``env``, ``requires``, and the
settings that choose what of the caller's environment a transform sees
(``pass_env``), which inherited variables count (``fingerprint_env``) and
which values are never shown (``secret_env``).

``env`` values are templates that may use ``{vars.NAME}``, rendered here:
what a transform is given, and what its fingerprint holds, is the final value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import did_you_mean
from ..model.template import TemplateError, parse_template
from .fields import Checker, type_name

VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
NAME_HINT = (
    "A variable name is letters, digits and '_', and does not start with a digit"
)
ENV_EXAMPLE = 'env = { LC_ALL = "C" }'
REQUIRES_EXAMPLE = 'requires = ["sort --version"]'
# the settings that hold variable names, each with an example
NAME_LISTS = {
    "pass_env": 'pass_env = ["HOME", "PATH"]',
    "fingerprint_env": 'fingerprint_env = ["LANG"]',
    "secret_env": 'secret_env = ["API_TOKEN"]',
}

# (problem, hint) of one field; the caller says where
Fail = Callable[[str, str | None], None]


def env_table(
    value: object,
    variables: Mapping[str, str],
    fail: Fail,
    *,
    broken_vars: frozenset[str] | tuple[str, ...] = (),
    decorator: bool = False,
    where: str = "env",
) -> tuple[tuple[str, str], ...]:
    """``env``: variable name -> value, its ``{vars.NAME}`` rendered, in the
    order written."""
    if not isinstance(value, dict):
        what = type(value).__name__ if decorator else type_name(value)
        example = "env={'LC_ALL': 'C'}" if decorator else ENV_EXAMPLE
        kind = "a dict" if decorator else "a table"
        fail(
            f"'{where}' must be {kind} of variable names and values, got {what}",
            f"For example {example}",
        )
        return ()
    found: list[tuple[str, str]] = []
    for name, text in value.items():
        if not isinstance(name, str) or not VARIABLE_NAME.fullmatch(name):
            fail(f"'{where}' name {str(name)!r} is not a variable name", NAME_HINT)
            continue
        if not isinstance(text, str):
            what = type(text).__name__ if decorator else type_name(text)
            # the value is not repeated: it may be a secret
            fail(
                f"{where} '{name}' must be a string, got {what}",
                f'Quote it: {name} = "..."',
            )
            continue
        if "\0" in text:
            fail(f"{where} '{name}' contains a NUL character", None)
            continue
        rendered = _rendered(name, text, variables, broken_vars, fail, where)
        if rendered is not None:
            found.append((name, rendered))
    return tuple(found)


def _rendered(
    name: str,
    text: str,
    variables: Mapping[str, str],
    broken_vars: frozenset[str] | tuple[str, ...],
    fail: Fail,
    where: str,
    what: str = "value",
) -> str | None:
    """``text`` with its ``{vars.NAME}`` replaced (no other reference)."""
    try:
        template = parse_template(text)
    except TemplateError as err:  # its words are a transform's: say where
        problem = err.problem.replace(" of transform", f" of the {what}")
        fail(f"{where} '{name}': {problem}", err.hint)
        return None
    for ref in template.refs:
        if ref.scope != "vars":
            fail(
                f"{where} '{name}' may use only {{vars.NAME}}, got '{ref.text}'",
                "An environment variable is part of the definition; paths "
                "go in the transform"
                if where != "requires"
                else "A version command names a program, not an asset's files",
            )
            return None
        if ref.attr not in variables:
            if ref.attr not in broken_vars:
                fail(
                    f"unknown variable '{ref.attr}' in {where} '{name}'",
                    did_you_mean(ref.attr, variables)
                    or f'Declare it under [vars]: {ref.attr} = "..."',
                )
            return None
    return template.render(lambda ref: variables[ref.attr])


def commands(
    value: object,
    fail: Fail,
    *,
    decorator: bool = False,
    variables: Mapping[str, str] | None = None,
    broken_vars: frozenset[str] | tuple[str, ...] = (),
) -> tuple[str, ...]:
    """``requires``: commands that print the version of a tool, their
    ``{vars.NAME}`` rendered."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        what = type(value).__name__ if decorator else type_name(value)
        hint = (
            f'Write requires = ["{value}"]'
            if isinstance(value, str)
            else f"For example {REQUIRES_EXAMPLE}"
        )
        fail(f"'requires' must be a list of commands, got {what}", hint)
        return ()
    found = []
    for command in value:
        if not command.strip():
            fail(
                "'requires' holds an empty command",
                "Write a command that prints a tool's version, for example "
                '"sort --version"',
            )
        elif "\0" in command:
            fail("'requires' command contains a NUL character", None)
        else:
            rendered = _rendered(
                command.strip(),
                command.strip(),
                variables or {},
                broken_vars,
                fail,
                "requires",
                what="command",
            )
            if rendered is not None:
                found.append(rendered)
    return tuple(dict.fromkeys(found))


def variable_names(name: str, value: object, fail: Fail) -> list[str]:
    """``pass_env``, ``fingerprint_env``, ``secret_env``: lists of names."""
    example = NAME_LISTS[name]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        fail(
            f"setting '{name}' must be a list of variable names, got "
            f"{type_name(value)}",
            f"For example {example}",
        )
        return []
    for item in value:
        if not VARIABLE_NAME.fullmatch(item):
            fail(f"setting '{name}': {item!r} is not a variable name", NAME_HINT)
            return []
    return list(dict.fromkeys(value))


def asset_environment(
    checker: Checker, name: str, table: dict[str, Any]
) -> dict[str, Any]:
    """An asset's ``env`` and ``requires``, as AssetSpec's keyword arguments."""
    found: dict[str, Any] = {}
    if "env" in table:

        def fail_env(problem: str, hint: str | None) -> None:
            checker.fail(name, "env", problem, hint)

        found["env"] = env_table(
            table["env"],
            checker.variables,
            fail_env,
            broken_vars=tuple(checker.broken_vars),
            decorator=checker.decorator,
        )
    if "requires" in table:

        def fail_requires(problem: str, hint: str | None) -> None:
            checker.fail(name, "requires", problem, hint)

        found["requires"] = commands(
            table["requires"],
            fail_requires,
            decorator=checker.decorator,
            variables=checker.variables,
            broken_vars=tuple(checker.broken_vars),
        )
    return found
