"""What was found on disk for a project's assets: plain data.

Made by load/files.py on every run (from the project cache or not); what is
or is not on disk never stops a project from loading, it fails the asset that
needs the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from .spec import AssetKey

# The status cause a missing file gives, in the order docs/status.md lists them:
# an input that is not there, a glob that matches nothing, a source file (or
# folder) that is not there, a source that is a folder where a file is declared
# (or the other way round), a tool whose version command of ``requires`` failed.
MissingKind = Literal[
    "input_missing", "input_unmatched", "source_missing", "source_kind", "tool_failed"
]


class Missing(NamedTuple):
    """A file an asset needs that is not there, or not the kind declared."""

    path: str
    kind: MissingKind
    problem: str  # "input 'x' does not exist"
    message: str  # the whole line: "assets.toml:7: asset 'x': input 'x' ... . hint"
    warning: str  # the same, marked "warning:"


@dataclass(frozen=True)
class OnDisk:
    """What ``check_files`` found."""

    inputs: dict[AssetKey, tuple[str, ...]] = field(default_factory=dict)
    missing_inputs: dict[str, tuple[Missing, ...]] = field(default_factory=dict)
    missing_sources: dict[str, Missing] = field(default_factory=dict)  # by path
    warnings: tuple[str, ...] = ()
    # each asset's ``inputs`` as declared (globs unexpanded): where a watcher
    # looks for files that a glob will match
    patterns: dict[AssetKey, tuple[str, ...]] = field(default_factory=dict)
