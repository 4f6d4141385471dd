"""Which project a command works on: the one a run with the same options would.

doit picks a project with its loader's options, given before the command name
(``doit -f DIR/dodo.py``, ``doit -d DIR``, ``doit -k``; ``doit-assets -f FILE``,
``doit-assets -d DIR``), with their environment variables (``DOIT_FILE``,
``DOIT_ASSETS_FILE``) or in the doit configuration. A plain doit ``Command``
such as ``doit assets`` is handed those options and acts on none of them:
``command_place`` acts on them as the loader would, so that
``doit -f DIR/dodo.py assets status`` answers for DIR. ``assets_file_place``
is the same choice for the ``doit-assets`` loader itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import AssetError

DODO_FORMS = (
    "Name a project with -f DIR/dodo.py or -d DIR before 'assets', "
    "or with -f DIR/assets.toml after it"
)
ASSETS_FORMS = (
    "Name a project with -f DIR/assets.toml, -d DIR or DOIT_ASSETS_FILE=DIR/assets.toml"
)
DEFAULT_FILE = "assets.toml"


@dataclass(frozen=True, slots=True)
class Given:
    """A loader option's value, and how it was given (``-f``, ``DOIT_FILE``...;
    None: not given, the default)."""

    value: Any
    by: str | None = None


@dataclass(frozen=True, slots=True)
class Place:
    """Where a command works and what it reads there."""

    folder: str  # absolute: the command changes into it
    assets_file: str  # relative to ``folder``
    dodo: str | None  # absolute: the dodo file whose assets count, if it exists
    forms: str  # the hint that lists the ways to name a project
    named: str | None = None  # how assets_file was named: "-f x.toml" (or None)


def loader_options(
    options: Sequence[Mapping[str, Any]],
    given: Mapping[str, Any],
    config: Mapping[str, Any],
    environ: Mapping[str, str],
) -> dict[str, Given]:
    """Each loader option as doit resolves it: the command line before the command
    name, else its environment variable, else the configuration, else its default."""
    from doit.cmdparse import CmdOption

    found = {}
    for spec in options:
        option = CmdOption(dict(spec))  # CmdOption consumes the dict it is given
        if option.name in given:
            flag = f"-{option.short}" if option.short else f"--{option.long}"
            found[option.name] = Given(given[option.name], flag)
        elif option.env_var and environ.get(option.env_var) is not None:
            value = option.str2type(environ[option.env_var])
            found[option.name] = Given(value, option.env_var)
        elif option.name in config:
            value = option.str2type(config[option.name])
            found[option.name] = Given(value, option.name)
        else:
            found[option.name] = Given(option.default)
    return found


def command_place(options: Mapping[str, Given], own_file: str | None) -> Place:
    """The project of ``doit assets``: where the loader would run, and ``-f FILE``
    given after ``assets`` (relative to that folder)."""
    if "assets_file" in options:  # doit-assets, or [tool.doit] loader = "assets"
        place = assets_file_place(options["assets_file"], options["project_dir"])
    elif "dodoFile" in options:
        place = _dodo_place(
            options["dodoFile"], options["cwdPath"], options["seek_file"]
        )
    else:  # another loader: its options mean nothing to us
        here = os.getcwd()
        place = Place(here, DEFAULT_FILE, os.path.join(here, "dodo.py"), DODO_FORMS)
    if own_file is None:
        return place
    full = os.path.join(place.folder, own_file)
    if os.path.isdir(full):
        raise AssetError(
            f"-f {own_file}: is a folder, not an assets file",
            hint=f"Name the file (-f {os.path.join(own_file, DEFAULT_FILE)}), "
            f"or the folder with -d {own_file} before 'assets'",
        )
    folder, name = os.path.split(full)
    dodo = None if place.dodo is None else os.path.join(folder, "dodo.py")
    return Place(folder, name, dodo, place.forms, f"-f {own_file}")


def assets_file_place(assets_file: Given, project_dir: Given) -> Place:
    """Where ``doit-assets`` runs: in ``-d DIR``, then in the folder of ``-f FILE``."""
    base = _folder(project_dir, ASSETS_FORMS)
    path = assets_file.value or DEFAULT_FILE
    full = os.path.join(base, path)
    by = assets_file.by
    named = None if by is None else _spelled(by, path)
    if by is not None and os.path.isdir(full):
        raise AssetError(
            f"{named}: is a folder, not an assets file",
            hint=f"Name the file ({_spelled(by, os.path.join(path, DEFAULT_FILE))}), "
            f"or the folder with -d {path}",
        )
    folder, name = os.path.split(full)
    if by is not None and not os.path.isdir(folder):
        raise AssetError(f"{named}: no such file", hint=ASSETS_FORMS)
    return Place(folder, name, None, ASSETS_FORMS, named)


def missing_project(place: Place) -> AssetError:
    """The error for a place that holds no project."""
    if place.named is not None:
        return AssetError(f"{place.named}: no such file", hint=place.forms)
    has = "no assets.toml" if place.dodo is None else "no dodo.py and no assets.toml"
    return AssetError(
        f"no assets project in {place.folder}: it has {has}", hint=place.forms
    )


def holds_project(place: Place) -> bool:
    """Is there something to load at ``place``? (Checked in its folder.)"""
    if os.path.exists(os.path.join(place.folder, place.assets_file)):
        return True
    if place.named is not None:
        return False  # a file named on purpose must be there
    return place.dodo is not None and os.path.exists(place.dodo)


def _dodo_place(dodo_file: Given, cwd: Given, seek: Given) -> Place:
    """As doit's own loader: ``-f`` is relative to where doit started, ``-k``
    looks for it there and in every parent, and ``-d`` is where it runs."""
    folder = _folder(cwd, DODO_FORMS) if cwd.value else None
    name = dodo_file.value or "dodo.py"
    if seek.value:
        path = _seek(name)
        if path is None:
            raise AssetError(
                f"{seek.by}: no {name} in {os.getcwd()} or a folder above it",
                hint=DODO_FORMS,
            )
    elif dodo_file.by is not None:
        path = os.path.abspath(name)
        named = _spelled(dodo_file.by, name)
        if os.path.isdir(path):
            raise AssetError(
                f"{named}: is a folder, not a dodo file",
                hint=f"Name the file ({_spelled(dodo_file.by, os.path.join(name, 'dodo.py'))}), "
                f"or the folder with -d {name}",
            )
        if not os.path.exists(path):
            raise AssetError(f"{named}: no such file", hint=DODO_FORMS)
        if name.endswith(".toml"):  # an assets file where doit wants Python
            raise AssetError(
                f"{named}: is an assets file, not a dodo file",
                hint=f"Name it after 'assets' (doit assets -f {name} ...), "
                f"or run it with doit-assets -f {name}",
            )
    else:  # the dodo.py of the folder, if there is one
        here = folder or os.getcwd()
        return Place(here, DEFAULT_FILE, os.path.join(here, "dodo.py"), DODO_FORMS)
    return Place(folder or os.path.dirname(path), DEFAULT_FILE, path, DODO_FORMS)


def _folder(given: Given, forms: str) -> str:
    if not given.value:
        return os.getcwd()
    path = os.path.abspath(str(given.value))
    if not os.path.isdir(path):
        problem = "not a folder" if os.path.exists(path) else "no such folder"
        named = _spelled(given.by or "-d", given.value)
        raise AssetError(f"{named}: {problem}", hint=forms)
    return path


def _spelled(by: str, value: str) -> str:
    """An option as the user wrote it: ``-f x``, ``DOIT_ASSETS_FILE=x``, or a
    setting of the doit configuration, ``assets_file = x``."""
    if by.startswith("-"):
        return f"{by} {value}"
    return f"{by}={value}" if by.isupper() else f"{by} = {value}"


def _seek(name: str) -> str | None:
    folder = os.getcwd()
    while True:
        path = os.path.join(folder, name)
        if os.path.exists(path):
            return path
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent
