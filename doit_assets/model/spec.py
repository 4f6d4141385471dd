"""The asset model: keys and specs. Frozen data, no I/O."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ..errors import Location
from .checks import CheckSpec
from .mappings import DEFAULT, Mapping_
from .partitions import PartitionsDef

# Letters, digits, '_', '-', '.', '/'. ':' is kept for partitions (`key:partition`).
# Keys become paths (.doit-assets/values/KEY.pickle): each part between '/'
# starts with a letter, a digit or '_', so that none is empty, '.' or '..'.
KEY_PATTERN = re.compile(
    r"[A-Za-z0-9_][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.-]*)*"
)
KEY_CHARACTERS = re.compile(r"[A-Za-z0-9_./-]+")
RESERVED_KEYS = frozenset({"self", "vars", "partition"})


class AssetKey(str):
    """The name of an asset, which is also the name of its doit task."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"AssetKey({str(self)!r})"


@dataclass(frozen=True, slots=True)
class AssetSpec:
    """What should exist, how it is made and what it is made from.

    ``paths`` are relative to the project directory, normalised, with a trailing
    ``/`` for a directory output. ``transform`` is the template as written;
    ``None`` declares a source asset, a file made outside the pipeline.
    ``deps`` merges ``depends_on`` with every asset the template refers to
    (or, for a Python function, every parameter names).
    """

    key: AssetKey
    paths: tuple[str, ...]
    transform: str | Callable[..., object] | None = None
    deps: tuple[AssetKey, ...] = ()
    inputs: tuple[str, ...] = ()
    description: str | None = None
    metadata: Mapping[str, object] = field(default_factory=dict)
    code_version: str | None = None
    location: Location | None = None
    # A value asset (a Python asset without a path): the name of its value store.
    io: str | None = None
    # Python transforms: each parameter and the upstream asset it receives,
    # or None for 'output'/'outputs' (where the function writes).
    params: tuple[tuple[str, AssetKey | None], ...] = ()
    # For selection: one group per asset ("default" when unset), any tags.
    group: str = "default"
    tags: tuple[str, ...] = ()
    # Freshness policy: stale once the last materialization is older (seconds).
    max_age: float | None = None
    # An observable source: a shell command or function whose output is its version.
    observe: str | Callable[[], object] | None = None
    # Partitions: ``paths`` then hold ``{partition}``; mappings by upstream key.
    partitions: PartitionsDef | None = None
    mappings: tuple[tuple[AssetKey, Mapping_], ...] = ()
    # Retries, timeouts, pools (issue 14): how it runs, not what it makes (not
    # in the fingerprint). None: the project's [settings] decide.
    retries: int | None = None
    retry_delay: float | None = None  # seconds before the first retry
    timeout: float | None = None  # seconds an attempt may take
    pool: str | None = None  # a name of [pools]
    on_failure: str | None = None  # a command run once it has failed
    # Checks: what its output must pass before it replaces the previous one.
    checks: tuple[CheckSpec, ...] = ()
    # Automation (issue 15): when watch and tick materialize it, not what it
    # makes (not in the fingerprint). "eager", "on_missing", "manual" or
    # "cron:EXPR"; a cron's timezone resolved at load; an observable source's
    # interval between observations (seconds).
    automation: str = "eager"
    timezone: str | None = None
    interval: float | None = None
    # Reproducibility (issue 16): environment variables set for its transform
    # (name, value; [settings] env merged in when planned) and commands that
    # print the versions of the tools it uses; both enter its fingerprint.
    env: tuple[tuple[str, str], ...] = ()
    requires: tuple[str, ...] = ()
    # Python packages (issue 16): whether a Python transform's or check's
    # automatic code version covers Python's major.minor and the versions of
    # the installed distributions its code imports.
    track_packages: bool = True

    def mapping(self, dep: str) -> Mapping_:
        return dict(self.mappings).get(AssetKey(dep), DEFAULT)

    @property
    def is_source(self) -> bool:
        return self.transform is None

    @property
    def is_python(self) -> bool:
        return callable(self.transform)
