"""Names and paths as written: the checks an asset key and a declared path pass.

The one place for them: the loaders check each asset's fields with these
(definition.py), and ``build_graph`` checks specs made in Python with the same
(validate.py). Each check answers with the words of a message, or None when
the name or path is fine; the caller says where it was written.
"""

from __future__ import annotations

import datetime
import functools
import os
import posixpath
import re

from ..errors import did_you_mean
from ..model.partitions import SEPARATOR, PartitionsDef, render_key
from ..model.spec import KEY_CHARACTERS, KEY_PATTERN, RESERVED_KEYS
from ..paths import STAGING_PREFIX, STAGING_ROOM, STATE_DIR

# Group and tag names, as written after 'group:' and 'tag:' in a selection.
LABEL_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
NUL_HINT = "Remove it: file names and shell commands cannot hold one"
# A relative path that normpath leaves as it is: parts of these characters,
# none empty and none starting with '.' (so no '.' or '..'), no trailing '/'.
_PLAIN_PATH = re.compile(
    r"[A-Za-z0-9_-][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*"
)


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


def declared_path(
    what: str, path: str, *, own: bool = False
) -> tuple[str | None, str | None, str | None]:
    """A path an asset declares, normalised: (path, None, None), or (None,
    problem, hint) when it is not a path inside the project, or is one of
    doit-assets' own (unless ``own``: a value's or an observation's path, made
    from the key). Directories keep their trailing '/'.
    """
    normal, problem, hint = _relative(what, path)
    if normal is not None and not own:
        problem, hint = _reserved(what, path)
        if problem:
            return None, problem, hint
    return normal, problem, hint


def _relative(what: str, path: str) -> tuple[str | None, str | None, str | None]:
    """Normalise a project-relative path: (path, None, None) or (None, problem, hint)."""
    if _PLAIN_PATH.fullmatch(path):
        return path, None, None  # most paths: relative, already normal
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


def _reserved(what: str, path: str) -> tuple[str | None, str | None]:
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


def partition_ref_problem(
    text: str,
    attr: str,
    partitions: PartitionsDef | None,
    where: str = "transform",
) -> tuple[str, str] | None:
    """(problem, hint) for a '{partition...}' reference (in a path or a transform)
    that cannot be filled."""
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


def shown(text: str) -> str:
    """``text`` for a message, with a NUL written as TOML and Python escape it."""
    return text.replace("\0", "\\u0000")


def cut(path: str) -> str:
    """A long path shortened for a message."""
    return path if len(path) <= 64 else f"{path[:40]}...{path[-20:]}"
