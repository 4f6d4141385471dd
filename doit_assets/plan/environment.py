"""What enters a fingerprint beyond the declarations, resolved when a run plans.

An asset's fingerprint from ``compile.py`` holds its transform, code version,
paths, blocking checks and ``env``: all known from the declarations, so it is
cached with them. Two parts are known only now: the versions its ``requires``
commands print (load/tools.py) and the values of the inherited variables
``[settings] fingerprint_env`` names. ``resolve`` folds them in, and gives
each asset's *components*: everything in its fingerprint that is not its
definition's text, as ``show`` lists them, ``why`` compares them and the
history records them. Values of the variables ``[settings] secret_env``
names are kept and shown as a digest only.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from ..errors import AssetDefinitionError, Location
from ..load.tools import Tools
from ..model.disk import Missing
from .records import Planned, PlannedAsset, with_environment

# The components of one asset: "env", "inherited" (name -> value, a secret's
# as SECRET + digest), "tools" (command -> output), "python", "packages"
# (distribution -> version), "code" (the digest of its code alone, beside
# python and packages); only those it has.
Components = dict[str, Any]
SECRET = "sha256:"


def secret_digest(value: str) -> str:
    """A secret value as it is shown and kept: its digest, never the value."""
    return SECRET + hashlib.sha256(value.encode()).hexdigest()[:16]


def changed_components(
    old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> list[str]:
    """The components that differ between two environments (a recorded one,
    the plan's), named without their values: ``env 'SEED'``, ``inherited env
    'LANG'``, ``tool 'sort --version'``, ``Python``, ``package 'pandas'``."""
    old, new = old or {}, new or {}
    named: list[str] = []
    for part, what in (
        ("env", "env"),
        ("inherited", "inherited env"),
        ("tools", "tool"),
    ):
        named += _differing(what, old.get(part), new.get(part))
    if old.get("python") and new.get("python") and old["python"] != new["python"]:
        named.append("Python")
    return named + _differing("package", old.get("packages"), new.get("packages"))


def code_changed(
    old_version: str | None,
    new_version: str | None,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
) -> bool:
    """Did the code itself change, not only the packages or Python that an
    automatic code version covers? Told by the code's own digest (``code``)
    where both environments have it; else a changed package or Python is
    taken as the whole story."""
    if old_version == new_version:
        return False
    old_code, new_code = (old or {}).get("code"), (new or {}).get("code")
    if old_code and new_code:
        return bool(old_code != new_code)
    named = changed_components(old, new)
    return not any(n == "Python" or n.startswith("package '") for n in named)


def _differing(what: str, old: Any, new: Any) -> list[str]:
    old, new = old or {}, new or {}
    return [
        f"{what} '{name}'"
        for name in dict.fromkeys([*old, *new])
        if old.get(name) != new.get(name)
    ]


def names_of(settings: Mapping[str, object], name: str) -> tuple[str, ...]:
    """A [settings] list of strings (variable names, paths), as the loader
    checked it; () when unset."""
    value = settings.get(name) or ()
    return tuple(str(v) for v in value) if isinstance(value, (list, tuple)) else ()


class Resolved(NamedTuple):
    """The plan's records with their final fingerprints, each asset's
    components (by task; assets without any are left out), and, by asset
    key, the tools whose version command failed: like a missing input, each
    fails the assets that declare it when they run, and nothing else."""

    items: list[Planned]
    components: dict[str, Components]
    failed_tools: dict[str, tuple[Missing, ...]]


def resolve(
    items: list[Planned],
    settings: Mapping[str, object],
    tools: Tools | None = None,
) -> Resolved:
    """What only a run knows, folded into the plan."""
    inherited_names = names_of(settings, "fingerprint_env")
    secrets = frozenset(names_of(settings, "secret_env"))
    inherited = {name: os.environ.get(name) for name in inherited_names}
    needed = [
        i
        for i in items
        if isinstance(i, PlannedAsset)
        and i.fingerprint is not None
        and (i.requires or i.env or i.packages or i.python or inherited)
    ]
    if not needed:
        return Resolved(items, {}, {})
    versions, failed = _versions(needed, tools, _secret_values(needed, secrets))
    shown_inherited = _shown(inherited, secrets)
    components: dict[str, Components] = {}
    final: dict[str, PlannedAsset] = {}
    # assets of the same environment (every one, with [settings] env only)
    # share one dict of components: 10 000 of them cost one
    shared: dict[tuple[Any, ...], Components] = {}
    for asset in needed:
        assert asset.fingerprint is not None
        if asset.requires or inherited:
            outputs = {c: versions.get(c) for c in asset.requires}
            fingerprint = with_environment(asset.fingerprint, outputs, inherited)
            final[asset.task] = asset._replace(fingerprint=fingerprint)
        same = (asset.env, asset.requires, asset.python, asset.packages, asset.code)
        found = shared.get(same)
        if found is None:
            found = shared[same] = _components(
                asset, versions, shown_inherited, secrets
            )
        components[asset.task] = found
    if final:
        items = [
            final.get(i.task, i) if isinstance(i, PlannedAsset) else i for i in items
        ]
    return Resolved(items, components, failed)


def _components(
    asset: PlannedAsset,
    versions: Mapping[str, str | None],
    inherited: dict[str, Any],
    secrets: frozenset[str],
) -> Components:
    found: Components = {}
    if asset.env:
        found["env"] = _shown(dict(asset.env), secrets)
    if inherited:
        found["inherited"] = inherited
    if asset.requires:  # a command that failed told no version: None
        found["tools"] = {c: versions.get(c) for c in asset.requires}
    if asset.python:
        found["python"] = asset.python
    if asset.packages:
        found["packages"] = dict(asset.packages)
    if asset.code:
        found["code"] = asset.code
    return found


def _shown(values: Mapping[str, str | None], secrets: frozenset[str]) -> dict[str, Any]:
    return {
        name: secret_digest(value) if name in secrets and value is not None else value
        for name, value in values.items()
    }


def _secret_values(
    assets: Sequence[PlannedAsset], secrets: frozenset[str]
) -> tuple[str, ...]:
    """The values of the secret variables, inherited or set by ``env``: a
    version command may print them (they are never shown)."""
    found = {os.environ.get(name) for name in secrets}
    found |= {value for a in assets for name, value in a.env if name in secrets}
    # a value of a few characters is no secret, and would blank out words
    return tuple(sorted((v for v in found if v and len(v) >= 4), key=len, reverse=True))


def _redacted(text: str, secrets: Sequence[str]) -> str:
    for value in secrets:
        text = text.replace(value, "***")
    return text


def _versions(
    assets: Sequence[PlannedAsset], tools: Tools | None, secrets: Sequence[str] = ()
) -> tuple[dict[str, str], dict[str, tuple[Missing, ...]]]:
    """Each command's output (a secret's value in it as ``***``), and the
    failures of each asset's commands (a failed one has no output here)."""
    commands = list(dict.fromkeys(c for a in assets for c in a.requires))
    if not commands:
        return {}, {}
    tools = tools or Tools.of(assets[0].root)
    found = tools.versions(commands)
    failed: dict[str, tuple[Missing, ...]] = {}
    for asset in assets:
        if asset.key in failed:
            continue  # a partitioned asset: said once
        lacking = [
            _failed(asset, command, _redacted(problem, secrets))
            for command in asset.requires
            if (problem := found[command].problem) is not None
        ]
        if lacking:
            failed[asset.key] = tuple(lacking)
    outputs = {
        c: _redacted(v.output, secrets) for c, v in found.items() if v.problem is None
    }
    return outputs, failed


def _failed(asset: PlannedAsset, command: str, problem: str) -> Missing:
    text = f"the version command '{command}' in 'requires' {problem.rstrip('.')}"
    error = AssetDefinitionError(
        text,
        location=_location(asset.location),
        key=asset.key,
        hint="Install the tool, or correct the command",
    )
    return Missing(command, "tool_failed", text, error.message, error.warning)


def _location(text: str | None) -> Location | None:
    if not text:
        return None
    path, _, line = text.rpartition(":")
    return Location(path, int(line)) if line.isdigit() else Location(text)
