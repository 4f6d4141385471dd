"""Why an asset is stale, in this process: the reason line of a status and the
JSON of ``why`` built from causes by hand (inspect/causes.py), without doit.

test_status.py checks the same answers end to end, on real projects.
"""

from __future__ import annotations

from typing import Any

from doit_assets.inspect.causes import AssetStatus, Cause, explain, partition_summary
from doit_assets.model.traversal import MAX_NESTING

NOW = 1_700_000_000.0
CHANGED = "input 'data/a0.txt' changed"


def changed_a0() -> Cause:
    return Cause("input_changed", CHANGED, "data/a0.txt", "old md5", "new md5", NOW)


def stale(asset: str, *causes: Cause) -> AssetStatus:
    return AssetStatus(asset, "transform", "stale", list(causes), will_run=True)


def upstream(status: AssetStatus) -> Cause:
    return Cause("upstream", f"upstream '{status.asset}' will re-run", upstream=status)


def ladder() -> dict[str, AssetStatus]:
    """a1, b1 read the edited data/a0.txt; a2, b2 read a1 and b1; b3 reads a2, b2
    (the ladder of test_status.py, three layers up)."""
    a1, b1 = stale("a1", changed_a0()), stale("b1", changed_a0())
    a2 = stale("a2", upstream(a1), upstream(b1))
    b2 = stale("b2", upstream(a1), upstream(b1))
    b3 = stale("b3", upstream(a2), upstream(b2))
    return {s.asset: s for s in (a1, b1, a2, b2, b3)}


def test_a_reason_is_the_first_cause_and_where_its_chain_ends() -> None:
    statuses = ladder()
    assert statuses["a1"].reason == CHANGED
    assert statuses["a2"].reason == f"upstream 'a1' will re-run: {CHANGED} (and 1 more)"
    assert statuses["b3"].reason == (
        f"upstream 'a2' will re-run, because 'a1': {CHANGED} (and 1 more)"
    )
    assert AssetStatus("x", "transform", "fresh").reason == ""


def upstream_json(
    asset: str, *causes: dict[str, Any], ref: bool = False
) -> dict[str, Any]:
    cause: dict[str, Any] = {
        "kind": "upstream",
        "text": f"upstream '{asset}' will re-run",
        "asset": asset,
        "state": "stale",
        "causes": list(causes),
    }
    return cause | ({"ref": True} if ref else {})


A0_JSON = {
    "kind": "input_changed",
    "text": CHANGED,
    "path": "data/a0.txt",
    "old": "old md5",
    "new": "new md5",
    "changed_at": "2023-11-14T22:13:20.000Z",
}


def entry(asset: str, reason: str, causes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "asset": asset,
        "kind": "transform",
        "state": "stale",
        "reason": reason,
        "will_run": True,
        "made_at": None,
        "age_s": None,
        "max_age_s": None,
        "observation": None,
        "causes": causes,
    }


def test_each_upstream_is_explained_once_then_referred_to() -> None:
    statuses = ladder()
    entries, continued = explain([statuses["b3"]], NOW)
    assert continued == []
    assert entries == [
        entry(
            "b3",
            statuses["b3"].reason,
            [
                upstream_json(
                    "a2", upstream_json("a1", A0_JSON), upstream_json("b1", A0_JSON)
                ),
                upstream_json(
                    "b2",
                    upstream_json("a1", ref=True),
                    upstream_json("b1", ref=True),
                ),
            ],
        )
    ]


def test_an_asset_asked_for_is_explained_in_its_own_entry() -> None:
    statuses = ladder()
    entries, continued = explain([statuses["b3"], statuses["a2"]], NOW)
    assert continued == []
    # a2 is one of the answers: under b3 it refers to its own entry, which
    # comes later and refers back to a1 and b1, explained under b2
    assert entries == [
        entry(
            "b3",
            statuses["b3"].reason,
            [
                upstream_json("a2", ref=True),
                upstream_json(
                    "b2", upstream_json("a1", A0_JSON), upstream_json("b1", A0_JSON)
                ),
            ],
        ),
        entry(
            "a2",
            statuses["a2"].reason,
            [upstream_json("a1", ref=True), upstream_json("b1", ref=True)],
        ),
    ]


def test_a_chain_deeper_than_the_nesting_goes_on_in_entries_of_its_own() -> None:
    statuses = [stale("s0", changed_a0())]
    for n in range(1, 2 * MAX_NESTING + 5):
        statuses.append(stale(f"s{n}", upstream(statuses[-1])))
    entries, continued = explain([statuses[-1]], NOW)
    assert len(entries) == 1
    assert [c["asset"] for c in continued] == [
        statuses[-1 - MAX_NESTING].asset,
        statuses[-1 - 2 * MAX_NESTING].asset,
    ]
    depth, cause = 0, entries[0]["causes"][0]
    while cause["causes"]:
        depth, cause = depth + 1, cause["causes"][0]
    assert depth == MAX_NESTING - 1
    assert cause == upstream_json(statuses[-1 - MAX_NESTING].asset, ref=True)
    last = continued[-1]
    assert last["reason"] == (f"upstream 's3' will re-run, because 's0': {CHANGED}")


def test_an_asset_that_only_restores_its_outputs_says_so() -> None:
    gone = Cause("output_missing", "output 'out/a.txt' does not exist", "out/a.txt")
    edited = Cause("output_edited", "output 'out/a.txt' was changed since it was made")
    assert stale("a", gone, edited).restores_only
    assert not stale("a", gone, changed_a0()).restores_only
    assert not stale("a").restores_only


def test_a_partitioned_asset_sums_its_partitions_up() -> None:
    counts = {"fresh": 87, "stale": 0, "missing": 3, "failed": 1}
    assert partition_summary(counts, 91) == "87/91 fresh, 3 missing, 1 failed"
    assert partition_summary({"source": 90, "missing": 1}, 91, source=True) == (
        "91 partitions, 1 missing"
    )
    assert partition_summary({"source": 1}, 1, source=True) == "1 partition"
    assert partition_summary({}, 0) == "no partitions yet"
    whole = AssetStatus("sales", "transform", "stale", partition_counts=counts)
    whole.partition_total = 91
    assert whole.reason == "87/91 fresh, 3 missing, 1 failed"
