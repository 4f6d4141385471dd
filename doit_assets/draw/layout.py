"""A layered left-to-right layout of the asset graph, for the HTML page.

The classic Sugiyama steps, kept small: layers by longest path from the sources,
a dummy point on every layer a long edge crosses (so that edges go around nodes,
not through them), barycenter sweeps to reduce crossings, then vertical positions
that pull each node towards its neighbours without letting two overlap.

Positions are in abstract units: ``layer`` is a column index and ``y`` a row
coordinate (a node is one row high); the page turns them into pixels once it has
measured the text. Pure Python, no I/O.
"""

from __future__ import annotations

import graphlib
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias

# An asset, or the point where edge number i crosses a layer: (i, layer).
_Item: TypeAlias = str | tuple[int, int]

# Heights in rows: nodes need a full row, the points of long edges much less.
NODE_SIZE = 1.0
DUMMY_SIZE = 0.3
# Enough rounds for the graphs people draw; each round is two sweeps. Graphs with
# very many items (long chains make many edge points) get fewer rounds, so that
# the page of a deep graph still comes out in seconds.
ORDER_ROUNDS = 8
PLACE_ROUNDS = 6
WORK = 200_000  # items times rounds


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each asset goes, and the bends of each edge."""

    layers: int
    positions: dict[str, tuple[int, float]]
    """asset -> (layer, y)"""
    edges: list[tuple[str, str, list[tuple[int, float]]]]
    """(from, to, bends): one (layer, y) point per layer the edge crosses"""


def layout(deps: Mapping[str, Sequence[str]]) -> Layout:
    """Lay out a graph given as ``{asset: its upstream assets}``.

    Dependencies on assets that are not keys are ignored. Keys keep their mapping
    order where nothing else decides, so a stable input gives a stable picture.
    """
    deps = {
        k: [d for d in dict.fromkeys(v) if d in deps and d != k]
        for k, v in deps.items()
    }
    layer = _layers(deps)
    count = max(layer.values(), default=-1) + 1

    # ``up`` and ``down`` link each item to its neighbours on either side
    up: dict[_Item, list[_Item]] = {k: [] for k in deps}
    down: dict[_Item, list[_Item]] = {k: [] for k in deps}
    rows: list[list[_Item]] = [[] for _ in range(count)]
    for key in deps:
        rows[layer[key]].append(key)
    edge_list: list[tuple[str, str, list[_Item]]] = []
    for key, upstream in deps.items():
        for dep in upstream:
            chain: list[_Item] = [dep]
            bends: list[_Item] = []
            for lay in range(layer[dep] + 1, layer[key]):
                point: _Item = (len(edge_list), lay)
                rows[lay].append(point)
                up[point], down[point] = [], []
                bends.append(point)
                chain.append(point)
            chain.append(key)
            for a, b in itertools.pairwise(chain):
                down[a].append(b)
                up[b].append(a)
            edge_list.append((dep, key, bends))

    budget = max(1, WORK // max(len(up), 1))
    rows = _order(rows, up, down, min(ORDER_ROUNDS, budget))
    size = {item: NODE_SIZE if isinstance(item, str) else DUMMY_SIZE for item in up}
    y = _place(rows, up, down, size, max(1, min(PLACE_ROUNDS, budget)))
    positions = {k: (layer[k], y[k]) for k in deps}
    edges = [
        (dep, key, [(p[1], y[p]) for p in bends if not isinstance(p, str)])
        for dep, key, bends in edge_list
    ]
    return Layout(count, positions, edges)


def _layers(deps: Mapping[str, Sequence[str]]) -> dict[str, int]:
    layer: dict[str, int] = {}
    # static_order raises CycleError on a cycle; the graph was validated long before
    for key in graphlib.TopologicalSorter(deps).static_order():
        layer[key] = 1 + max((layer[d] for d in deps[key]), default=-1)
    return layer


def _order(
    rows: list[list[_Item]],
    up: Mapping[_Item, list[_Item]],
    down: Mapping[_Item, list[_Item]],
    rounds: int,
) -> list[list[_Item]]:
    """Reorder each layer by the barycenter of its neighbours' positions, sweeping
    right then left, and keep the order with the fewest crossings seen."""
    best = [list(r) for r in rows]
    best_crossings = _crossings(best, down)
    current = [list(r) for r in rows]
    for _ in range(rounds):
        if best_crossings == 0:
            break
        for i in range(1, len(current)):
            current[i] = _by_barycenter(current[i], current[i - 1], up)
        for i in range(len(current) - 2, -1, -1):
            current[i] = _by_barycenter(current[i], current[i + 1], down)
        crossings = _crossings(current, down)
        if crossings < best_crossings:
            best, best_crossings = [list(r) for r in current], crossings
    return best


def _by_barycenter(
    row: list[_Item], fixed: list[_Item], links: Mapping[_Item, list[_Item]]
) -> list[_Item]:
    where = {item: i for i, item in enumerate(fixed)}

    def center(pair: tuple[int, _Item]) -> float:
        index, item = pair
        seen = [where[n] for n in links[item] if n in where]
        # an item with no neighbour on that side keeps its place
        return (
            sum(seen) / len(seen)
            if seen
            else float(index) * len(fixed) / max(len(row), 1)
        )

    return [item for _, item in sorted(enumerate(row), key=center)]


def _crossings(rows: list[list[_Item]], down: Mapping[_Item, list[_Item]]) -> int:
    total = 0
    for left, right in itertools.pairwise(rows):
        where = {item: i for i, item in enumerate(right)}
        ends = [
            where[n] for item in left for n in sorted(down[item], key=where.__getitem__)
        ]
        total += _inversions(ends, len(right))
    return total


def _inversions(values: list[int], bound: int) -> int:
    """Pairs out of order (each is one crossing) among ``values`` in
    [0, bound), counted with a Fenwick tree of the values seen so far."""
    tree = [0] * (bound + 1)
    count = 0
    for seen, value in enumerate(values):
        i, not_greater = value + 1, 0
        while i > 0:
            not_greater += tree[i]
            i -= i & -i
        count += seen - not_greater
        i = value + 1
        while i <= bound:
            tree[i] += 1
            i += i & -i
    return count


def _place(
    rows: list[list[_Item]],
    up: Mapping[_Item, list[_Item]],
    down: Mapping[_Item, list[_Item]],
    size: Mapping[_Item, float],
    rounds: int,
) -> dict[_Item, float]:
    """Vertical positions: each item as near the mean of its neighbours as the
    order of its layer and the room between items allow."""
    y: dict[_Item, float] = {}
    for row in rows:
        _fit(row, {item: 0.0 for item in row}, size, y)
    for round_ in range(rounds):
        last = round_ == rounds - 1
        for links, layers in (
            (down, range(len(rows) - 2, -1, -1)),
            (up, range(1, len(rows))),
        ):
            if last and links is down:
                continue  # end on a rightward sweep: edges into a node meet it level
            for i in layers:
                desired = {
                    item: _mean([y[n] for n in links[item]], y[item])
                    for item in rows[i]
                }
                _fit(rows[i], desired, size, y)
    low = min(y.values(), default=0.0)
    return {item: round(value - low, 3) for item, value in y.items()}


def _mean(values: Iterable[float], default: float) -> float:
    values = list(values)
    return sum(values) / len(values) if values else default


def _fit(
    row: list[_Item],
    desired: Mapping[_Item, float],
    size: Mapping[_Item, float],
    y: dict[_Item, float],
) -> None:
    """Set ``y`` for the items of ``row`` in order, each at least half their sizes
    apart, as close as possible (least squares) to ``desired``.

    With c_i the least offset of item i from the first, y_i = z_i + c_i where z
    must not decrease: isotonic regression of desired_i - c_i (pool adjacent
    violators).
    """
    offsets, offset = [], 0.0
    for i, item in enumerate(row):
        if i:
            offset += (size[row[i - 1]] + size[item]) / 2
        offsets.append(offset)
    blocks: list[list[float]] = []  # [mean, weight, count]
    for item, c in zip(row, offsets, strict=True):
        blocks.append([desired[item] - c, 1.0, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            mean, weight, count = blocks.pop()
            last = blocks[-1]
            total = last[1] + weight
            last[0] = (last[0] * last[1] + mean * weight) / total
            last[1], last[2] = total, last[2] + count
    i = 0
    for mean, _, count in blocks:
        for _ in range(int(count)):
            y[row[i]] = mean + offsets[i]
            i += 1
