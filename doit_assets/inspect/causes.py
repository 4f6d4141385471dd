"""What a status is made of: the state of an asset and the causes behind it.

Plain data with its JSON form; ``status.py`` works the causes out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from ..model.disk import MissingKind
from ..model.traversal import Step, walk_once
from ..plan.records import Kind, Planned, PlannedAsset, PlannedCheck
from ..store.records import RecordedCheck
from ..text import first_line, iso

# What an asset is in, as docs/status.md ("States") describes each
State = Literal["fresh", "stale", "missing", "failed", "source", "ignored", "blocked"]
STATES: tuple[State, ...] = get_args(State)
# Why an asset would run, as docs/status.md ("Causes") describes each
CauseKind = Literal[
    "never_materialized",
    "forgotten",
    "ignored",
    "last_failed",
    "last_interrupted",
    "output_missing",
    "output_edited",
    "transform_changed",
    "code_version_changed",
    "env_changed",
    "tool_changed",
    "package_changed",
    "paths_changed",
    "definition",
    "input_changed",
    "input_added",
    "input_removed",
    MissingKind,  # input_missing, input_unmatched, source_missing, source_kind
    "upstream_missing",
    "blocked",
    "upstream",
    "observation_changed",
    "not_observed",
    "max_age",
]
# Causes that only mean "make the recorded version again".
RESTORING: frozenset[CauseKind] = frozenset({"output_missing", "output_edited"})


@dataclass
class Cause:
    """One reason an asset is stale; ``upstream`` links the upstream's status."""

    kind: CauseKind
    text: str
    path: str | None = None
    old: str | None = None
    new: str | None = None
    changed_at: float | None = None
    diff: list[str] = field(default_factory=list)
    upstream: AssetStatus | None = None

    def to_dict(self) -> dict[str, Any]:
        """This cause; an upstream's own causes are filled in by ``explain``."""
        data: dict[str, Any] = {"kind": self.kind, "text": self.text}
        for name in ("path", "old", "new"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        if self.changed_at is not None:
            data["changed_at"] = _iso(self.changed_at)
        if self.diff:
            data["diff"] = self.diff
        if self.upstream is not None:
            data["asset"] = self.upstream.asset
            data["state"] = self.upstream.state
            data["causes"] = []
        return data


@dataclass
class AssetStatus:
    asset: str
    kind: Kind
    state: State
    causes: list[Cause] = field(default_factory=list)
    will_run: bool = False  # doit would execute it (observable sources always)
    made_at: float | None = None  # the last materialization, or observation
    max_age: float | None = None
    observation: str | None = None
    last_error: str | None = None
    # 'doit ignore': the asset set aside, this one or one it depends on
    ignored_by: str | None = None
    record: Planned | None = field(default=None, repr=False)  # what it is
    # a partitioned asset as a whole: how many partitions are in each state
    partition_counts: dict[State, int] | None = None
    partition_total: int = 0
    # checks: the latest result of each declared check, where it failed
    failing_checks: list[RecordedCheck] = field(default_factory=list)
    # keep-going: the failed or missing upstream it waits for (state 'blocked')
    blocked_by: str | None = None
    # where the first-cause chain ends: (the asset, its cause); see _root
    _root: tuple[str, Cause] | None = field(default=None, repr=False, compare=False)

    @property
    def observable(self) -> bool:
        return self.record is not None and self.record.observable

    @property
    def partition(self) -> str | None:
        record = self.record
        return record.partition if isinstance(record, PlannedAsset) else None

    @property
    def reason(self) -> str:
        """One line: the first cause, and where it comes from upstream."""
        if self.partition_counts is not None:
            return partition_summary(
                self.partition_counts, self.partition_total, self.kind == "source"
            )
        if self.observable:
            if self.observation is None:
                return "not observed yet"
            return f"observed: {self.observation}"
        if not self.causes:
            return self.check_note
        first = self.causes[0]
        owner, root = self._first_root()
        text = first.text
        if root is not first and first.upstream is not None:
            if owner == first.upstream.asset:
                text += f": {root.text}"
            else:
                text += f", because '{owner}': {root.text}"
        more = len(self.causes) - 1
        return text + (f" (and {more} more)" if more else "")

    def _first_root(self) -> tuple[str, Cause]:
        """Where the chain of first causes ends, remembered by every status on
        the way: the reasons of a chain of N assets cost N steps, not N^2."""
        chain: list[AssetStatus] = []
        status = self
        while status._root is None:
            chain.append(status)
            upstream = status.causes[0].upstream
            if upstream is None or not upstream.causes:
                status._root = (status.asset, status.causes[0])
                break
            status = upstream
        root = status._root
        assert root is not None
        for waiting in chain:
            waiting._root = root
        return root

    @property
    def check_note(self) -> str:
        """The first failing check, as a note ("" when none failed)."""
        if not self.failing_checks:
            return ""
        more = len(self.failing_checks) - 1
        text = check_text(self.failing_checks[0])
        return text + (f" (and {more} more)" if more else "")

    @property
    def restores_only(self) -> bool:
        """It runs only to make its recorded version again."""
        return bool(self.causes) and all(c.kind in RESTORING for c in self.causes)

    def age(self, now: float) -> float | None:
        return None if self.made_at is None else max(0.0, now - self.made_at)

    def to_dict(self, now: float) -> dict[str, Any]:
        """This asset; the causes of its upstreams are filled in by ``explain``."""
        age = self.age(now)
        return {
            "asset": self.asset,
            "kind": self.kind,
            "state": self.state,
            "reason": self.reason,
            "will_run": self.will_run,
            "made_at": _iso(self.made_at),
            "age_s": None if age is None else round(age, 3),
            "max_age_s": self.max_age,
            "observation": self.observation,
            **({"blocked_by": self.blocked_by} if self.blocked_by else {}),
            "causes": [],
            **(
                {"partitions": {"total": self.partition_total, **self.partition_counts}}
                if self.partition_counts is not None
                else {}
            ),
            **(
                {"failing_checks": [check_dict(c) for c in self.failing_checks]}
                if self.failing_checks
                else {}
            ),
        }


def check_text(check: RecordedCheck) -> str:
    """``check 'columns' failed (warning, #12): missing column 'email'``."""
    what = "blocking" if check.blocking else "warning"
    text = f"check '{check.name}' failed ({what}, #{check.materialization_id})"
    message = first_line(check.message)  # a command's output may have many
    return f"{text}: {message}" if message else text


def planned_check_dict(
    check: PlannedCheck, last: RecordedCheck | None
) -> dict[str, Any]:
    """A declared check and its latest result (None: never run)."""
    return {
        "check": check.name,
        "kind": check.kind,
        "definition": check.definition,
        "blocking": check.blocking,
        "description": check.description,
        "declared_at": check.location,
        "last": None if last is None else check_dict(last),
    }


def check_dict(check: RecordedCheck) -> dict[str, Any]:
    """A check's latest result, as the JSON of every command gives it."""
    return {
        "check": check.name,
        "passed": check.passed,
        "blocking": check.blocking,
        "message": check.message,
        "metadata": dict(check.metadata),
        "materialization_id": check.materialization_id,
        "checked_at": _iso(check.checked_at),
    }


def explain(
    statuses: Sequence[AssetStatus], now: float
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The JSON of ``statuses``, with every upstream's causes given once.

    An upstream is explained where it is first met: in the entry of one of
    ``statuses``, or nested in the first cause that names it. Every later cause
    that names it has ``"ref": true`` and no causes of its own. Upstreams met
    deeper than MAX_NESTING levels are referred to there too, and explained in
    the second list returned (the answer's ``continued``), as entries of their own.
    """
    entries: list[dict[str, Any]] = []
    continued: list[dict[str, Any]] = []
    open_lists: list[list[dict[str, Any]]] = []  # the causes being filled, by level
    for step in explanation(statuses):
        node = step.node
        if step.level == 0:
            entry = explained_status(node).to_dict(now)
            (entries if isinstance(node, AssetStatus) else continued).append(entry)
            open_lists = [entry["causes"]]
            continue
        assert isinstance(node, Cause)
        data = node.to_dict()
        open_lists[step.level - 1].append(data)
        del open_lists[step.level :]
        if step.shown != "here":
            data["ref"] = True
        elif node.upstream is not None:
            open_lists.append(data["causes"])
    return entries, continued


def explanation(statuses: Sequence[AssetStatus]) -> Iterator[Step[AssetStatus | Cause]]:
    """The walk behind ``why`` and the JSON: each status a tree of causes, in
    which an upstream that will re-run is expanded once (see trees.walk_once).
    A root is an AssetStatus (one of ``statuses``, or a Cause whose upstream is
    continued there); every other step is a Cause."""
    return walk_once(list(statuses), _explained_asset, _causes_under)


def explained_status(root: AssetStatus | Cause) -> AssetStatus:
    """The asset a tree of the explanation is about."""
    status = root if isinstance(root, AssetStatus) else root.upstream
    assert status is not None  # a continued tree is an upstream's
    return status


def _explained_asset(node: AssetStatus | Cause) -> str | None:
    if isinstance(node, AssetStatus):
        return node.asset
    return None if node.upstream is None else node.upstream.asset


def _causes_under(node: AssetStatus | Cause) -> list[Cause]:
    if isinstance(node, AssetStatus):
        return node.causes
    return [] if node.upstream is None else node.upstream.causes


def partition_summary(
    counts: Mapping[State, int], total: int, source: bool = False
) -> str:
    """``87/91 fresh, 3 missing, 1 failed``; for a source ``91 partitions, 1 missing``."""
    if not total:
        return "no partitions yet"
    if source:  # never "fresh": present, missing or ignored
        others = [f"{n} {s}" for s, n in counts.items() if s != "source" and n]
        return ", ".join([f"{total} partition{'' if total == 1 else 's'}", *others])
    fresh = counts.get("fresh", 0)
    others = [f"{n} {s}" for s, n in counts.items() if s != "fresh" and n]
    return ", ".join([f"{fresh}/{total} fresh", *others])


def _iso(timestamp: float | None) -> str | None:
    return None if timestamp is None else iso(timestamp)
