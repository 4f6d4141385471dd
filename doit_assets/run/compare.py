"""What a rebuild changed: the staged outputs of a rehearsal against those in
place, file by file (a directory output per file in it), with a unified diff
for text and sizes and digests otherwise. Plain data; ``doit assets
reproduce`` (run/reproduce.py) shows it.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from ..paths import is_directory
from ..store.versions import dir_files, file_md5

DIFF_LINES = 40  # lines of a unified diff shown; the rest are counted
DIFF_BYTES = 256 * 1024  # a larger file gets sizes and digests, not a diff

Change = Literal["changed", "added", "removed"]
# what a file holds, as far as a diff goes: UTF-8 text, anything else, or a
# file over DIFF_BYTES (not read: its sizes and digests say enough)
Content = Literal["text", "binary", "large"]


@dataclass(frozen=True, slots=True)
class Version:
    """One file's bytes, as far as a comparison needs them."""

    md5: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        return {"md5": self.md5, "size": self.size}


@dataclass(frozen=True, slots=True)
class Difference:
    """One file that the rebuild made otherwise: ``changed`` (both have it),
    ``added`` (only the rebuild has it, in a directory output) or ``removed``
    (only the output in place has it). ``diff`` holds the first lines of a
    unified diff when both sides are text, ``more`` how many were left out."""

    path: str  # relative to the project; a file in a folder: 'out/parts/a.txt'
    change: Change
    current: Version | None
    rebuilt: Version | None
    content: Content
    diff: tuple[str, ...] = ()
    more: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "change": self.change,
            "current": None if self.current is None else self.current.to_dict(),
            "rebuilt": None if self.rebuilt is None else self.rebuilt.to_dict(),
            "content": self.content,
            "diff": list(self.diff),
            "diff_lines_left_out": self.more,
        }


def differences(output: str, current: str, rebuilt: str) -> list[Difference]:
    """How the rebuilt ``output`` (at ``rebuilt``) differs from the one in
    place (at ``current``); empty when they are identical."""
    if not is_directory(output):
        found = _compare(output, current, rebuilt)
        return [] if found is None else [found]
    now, made = _files(current), _files(rebuilt)
    found_all = []
    for name in sorted(now.keys() | made.keys()):
        path = output + name
        if name not in made:
            found_all.append(_one_side(path, "removed", now[name]))
        elif name not in now:
            found_all.append(_one_side(path, "added", made[name]))
        else:
            found = _compare(path, now[name], made[name])
            if found is not None:
                found_all.append(found)
    return found_all


def _files(folder: str) -> dict[str, str]:
    """Each file in ``folder`` by its name relative to it ('/' separated)."""
    return {
        os.path.relpath(full, folder).replace(os.sep, "/"): full
        for full, _ in dir_files(folder)
    }


def _version(path: str) -> Version:
    st = os.stat(path)
    return Version(file_md5(path, st), st.st_size)


def _one_side(path: str, change: Change, full: str) -> Difference:
    version = _version(full)
    added = change == "added"
    return Difference(
        path,
        change,
        None if added else version,
        version if added else None,
        content=_content(full, version)[0],
    )


def _compare(path: str, current: str, rebuilt: str) -> Difference | None:
    now, made = _version(current), _version(rebuilt)
    if now.md5 == made.md5:
        return None
    old_kind, old_text = _content(current, now)
    new_kind, new_text = _content(rebuilt, made)
    if old_text is None or new_text is None:
        kind: Content = "large" if "large" in (old_kind, new_kind) else "binary"
        return Difference(path, "changed", now, made, kind)
    lines = _diff_lines(
        difflib.unified_diff(
            old_text.splitlines(keepends=True),
            new_text.splitlines(keepends=True),
            f"{path} (current)",
            f"{path} (rebuilt)",
        )
    )
    return Difference(
        path,
        "changed",
        now,
        made,
        "text",
        diff=tuple(lines[:DIFF_LINES]),
        more=max(0, len(lines) - DIFF_LINES),
    )


def _diff_lines(diff: Iterable[str]) -> list[str]:
    """The diff's lines without their endings; a file's last line without
    one is followed by diff(1)'s note that it has none."""
    lines = []
    for line in diff:
        if line.endswith("\n"):
            lines.append(line[:-1])
        else:
            lines += [line, "\\ No newline at end of file"]
    return lines


def _content(path: str, version: Version) -> tuple[Content, str | None]:
    """What the file holds, and its text if it is UTF-8 text small enough
    to diff."""
    if version.size > DIFF_BYTES:
        return "large", None
    with open(path, "rb") as f:
        data = f.read()
    if b"\0" in data:
        return "binary", None
    try:
        return "text", data.decode("utf-8")
    except UnicodeDecodeError:
        return "binary", None
