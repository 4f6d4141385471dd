"""What a status is made of: the state of an asset and the causes behind it.

Plain data with its JSON form; ``status.py`` works the causes out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .queries import iso

STATES = ("fresh", "stale", "missing", "failed", "source", "ignored")
# Causes that only mean "make the recorded version again".
RESTORING = frozenset({"output_missing", "output_edited"})


@dataclass
class Cause:
    """One reason an asset is stale; ``upstream`` nests the upstream's status."""

    kind: str
    text: str
    path: str | None = None
    old: str | None = None
    new: str | None = None
    changed_at: float | None = None
    diff: list[str] = field(default_factory=list)
    upstream: AssetStatus | None = None

    def to_dict(self) -> dict[str, Any]:
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
            data["causes"] = [c.to_dict() for c in self.upstream.causes]
        return data


@dataclass
class AssetStatus:
    asset: str
    kind: str  # 'transform' | 'source'
    state: str  # one of STATES
    causes: list[Cause] = field(default_factory=list)
    will_run: bool = False  # doit would execute it (observable sources always)
    made_at: float | None = None  # the last materialization, or observation
    max_age: float | None = None
    observation: str | None = None
    last_error: str | None = None
    # 'doit ignore': the asset set aside, this one or one it depends on
    ignored_by: str | None = None
    meta: dict[str, Any] = field(default_factory=dict, repr=False)  # the task's
    # a partitioned asset as a whole: how many partitions are in each state
    partition_counts: dict[str, int] | None = None
    partition_total: int = 0

    @property
    def reason(self) -> str:
        """One line: the first cause, and where it comes from upstream."""
        if self.partition_counts is not None:
            return partition_summary(
                self.partition_counts, self.partition_total, self.kind == "source"
            )
        if self.meta.get("observable"):
            if self.observation is None:
                return "not observed yet"
            return f"observed: {self.observation}"
        if not self.causes:
            return ""
        first = root = self.causes[0]
        owner = self.asset
        while root.upstream is not None and root.upstream.causes:
            owner = root.upstream.asset
            root = root.upstream.causes[0]
        text = first.text
        if root is not first and first.upstream is not None:
            if owner == first.upstream.asset:
                text += f": {root.text}"
            else:
                text += f", because '{owner}': {root.text}"
        more = len(self.causes) - 1
        return text + (f" (and {more} more)" if more else "")

    @property
    def restores_only(self) -> bool:
        """It runs only to make its recorded version again."""
        return bool(self.causes) and all(c.kind in RESTORING for c in self.causes)

    def age(self, now: float) -> float | None:
        return None if self.made_at is None else max(0.0, now - self.made_at)

    def to_dict(self, now: float) -> dict[str, Any]:
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
            "causes": [c.to_dict() for c in self.causes],
            **(
                {"partitions": {"total": self.partition_total, **self.partition_counts}}
                if self.partition_counts is not None
                else {}
            ),
        }


def partition_summary(counts: dict[str, int], total: int, source: bool = False) -> str:
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
