"""What changed in an asset's environment since its last success, in words.

The components of a fingerprint (plan/environment.py) are recorded with each
materialization in the history (and in doit's values, ``ENVIRONMENT``, by
``accept`` and ``reset-dep``, which record no materialization); comparing them
with the plan's says which variable, tool or package made the asset stale:
``tool 'sort' changed: 9.4 → 9.5``, ``package 'pandas' changed: 2.2.3 →
2.3.0``. A secret's values are digests, and are never shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from ..load.tools import ToolVersion, tool_name
from ..plan.environment import SECRET, secret_digest
from .causes import Cause

_VERSION = re.compile(r"\d+(?:\.\d+)+[A-Za-z0-9.+-]*|\d+")


def environment_causes(
    old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> list[Cause]:
    """Each component that differs, one cause each."""
    old, new = old or {}, new or {}
    causes = list(_variables("env", old.get("env"), new.get("env")))
    causes += _variables("inherited env", old.get("inherited"), new.get("inherited"))
    causes += _tools(old.get("tools") or {}, new.get("tools") or {})
    if old.get("python") and new.get("python") and old["python"] != new["python"]:
        causes.append(
            Cause(
                "package_changed",
                f"Python changed: {old['python']} → {new['python']}",
                old=old["python"],
                new=new["python"],
            )
        )
    causes += _packages(old.get("packages") or {}, new.get("packages") or {})
    return causes


def _variables(
    what: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> Iterator[Cause]:
    old, new = old or {}, new or {}
    for name in dict.fromkeys([*old, *new]):
        before, after = old.get(name), new.get(name)
        if before == after or _same_secret(before, after):
            continue
        secret = any(
            isinstance(v, str) and v.startswith(SECRET) for v in (before, after)
        )
        if secret:
            text = f"{what} '{name}' changed (a secret: its value is not shown)"
        elif name not in old:
            text = f"{what} '{name}' added: {_shown(after)}"
        elif name not in new:
            text = f"{what} '{name}' removed (was {_shown(before)})"
        else:
            text = f"{what} '{name}' changed: {_shown(before)} → {_shown(after)}"
        yield Cause(
            "env_changed",
            text,
            path=name,
            old=None if secret else before,
            new=None if secret else after,
        )


def _same_secret(before: Any, after: Any) -> bool:
    """The same value, once kept as a secret's digest and once not (a name
    added to or removed from secret_env)."""
    return any(
        isinstance(digest, str)
        and digest.startswith(SECRET)
        and isinstance(plain, str)
        and secret_digest(plain) == digest
        for digest, plain in ((before, after), (after, before))
    )


def _shown(value: Any) -> str:
    return "(unset)" if value is None else str(value)


def _tools(old: Mapping[str, str], new: Mapping[str, str]) -> Iterator[Cause]:
    for command in dict.fromkeys([*old, *new]):
        before, after = old.get(command), new.get(command)
        if before == after or (command in new and after is None):
            continue  # None: its command failed now (the cause tool_failed says so)
        name = tool_name(command)
        if before is None:
            text = f"tool '{name}' added: {_version(after)}"
        elif after is None:
            text = f"tool '{name}' no longer required (was {_version(before)})"
        elif _version(before) != _version(after):
            text = f"tool '{name}' changed: {_version(before)} → {_version(after)}"
        else:
            text = f"tool '{name}' changed: what '{command}' prints differs"
        yield Cause(
            "tool_changed",
            text,
            path=command,
            old=_version(before),
            new=_version(after),
        )


def _version(output: str | None) -> str:
    """The version in what a command printed: the first number like 9.4 of
    its first line (else the line itself)."""
    if output is None:
        return "-"
    line = ToolVersion(output).first_line
    found = _VERSION.search(line)
    return found.group(0) if found else line


def _packages(old: Mapping[str, str], new: Mapping[str, str]) -> Iterator[Cause]:
    for name in dict.fromkeys([*old, *new]):
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        if before is None:
            text = f"package '{name}' added: {after}"
        elif after is None:
            text = f"package '{name}' no longer imported (was {before})"
        else:
            text = f"package '{name}' changed: {before} → {after}"
        yield Cause("package_changed", text, path=name, old=before, new=after)
