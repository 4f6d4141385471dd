"""The asset graph drawn for a terminal: one line per asset, edges in lanes.

Like ``git log --graph`` upside down: assets come upstream first, one a line,
and the output of each runs down a lane (a column of ``│``) to the assets that
read it. An asset sits on the lane of an upstream it is the last reader of (so
``●`` right under ``●`` is an edge), or on a free lane; the lanes of its other
upstream assets turn into its line (``┘``, ``└``) or branch off to it (``┤``,
``├``, ``┴``, ``┼``) when they go on to later readers. A lane that the line
crosses without meeting it stays ``│``.

Rows are ordered to keep lanes short: next comes the asset whose upstream were
drawn last, and a source comes when the asset that reads it needs it.
Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

NODE = "●"


@dataclass(frozen=True, slots=True)
class Row:
    asset: str
    lanes: str  # the drawing left of the asset's name


def draw(deps: Mapping[str, Sequence[str]]) -> list[Row]:
    """One row per asset of ``{asset: its upstream assets}`` (given upstream
    first); upstream assets that are not keys are left out."""
    deps = {k: [d for d in dict.fromkeys(v) if d in deps] for k, v in deps.items()}
    readers: dict[str, int] = {k: 0 for k in deps}
    for upstream in deps.values():
        for dep in upstream:
            readers[dep] += 1
    lanes: list[str | None] = []  # the asset whose output runs down each lane
    above = ""  # the row drawn last
    rows = []
    for asset in _order(deps):
        for dep in deps[asset]:
            readers[dep] -= 1
        mine = [i for i, owner in enumerate(lanes) if owner in deps[asset]]
        ending = [
            i
            for i, owner in enumerate(lanes)
            if owner is not None and owner in deps[asset] and not readers[owner]
        ]
        column = ending[0] if ending else _free(lanes, above)
        lanes += [None] * (column + 1 - len(lanes))
        text = _row(lanes, column, mine, ending)
        for i in ending:
            lanes[i] = None
        lanes[column] = asset if readers[asset] else None
        while lanes and lanes[-1] is None:
            lanes.pop()
        rows.append(Row(asset, text))
        above = text
    return rows


def _free(lanes: list[str | None], above: str) -> int:
    """The leftmost lane free now and on the row above: a new asset right under
    another one would read as its reader."""
    column = 0
    while _taken(lanes, column) or _drawn(above, column):
        column += 1
    return column


def _taken(lanes: list[str | None], column: int) -> bool:
    return column < len(lanes) and lanes[column] is not None


def _drawn(row: str, column: int) -> bool:
    return 2 * column < len(row) and row[2 * column] != " "


def _row(
    lanes: list[str | None], column: int, mine: list[int], ending: list[int]
) -> str:
    chars = [" "] * (2 * len(lanes) - 1)
    for i, owner in enumerate(lanes):
        if owner is not None:
            chars[2 * i] = "│"  # passes by, or over the line: it does not meet it
    low, high = min([*mine, column]), max([*mine, column])
    for x in range(2 * low, 2 * high + 1):
        if chars[x] != "│":
            chars[x] = "─"
    for i in mine:
        if i == low:
            chars[2 * i] = "└" if i in ending else "├"
        elif i == high:
            chars[2 * i] = "┘" if i in ending else "┤"
        else:
            chars[2 * i] = "┴" if i in ending else "┼"
    chars[2 * column] = NODE
    return "".join(chars).rstrip()


def _order(deps: Mapping[str, Sequence[str]]) -> list[str]:
    """Upstream first; next the ready asset whose upstream came last, a source
    when a reader needs it (ties: the given order)."""
    position = {k: i for i, k in enumerate(deps)}
    readers: dict[str, list[str]] = {k: [] for k in deps}
    for key, upstream in deps.items():
        for dep in upstream:
            readers[dep].append(key)
    drawn: dict[str, int] = {}
    left = dict(deps)

    def pull(key: str) -> int:
        """How recently something it goes with was drawn: its upstream, or
        (a source) the other upstream of its readers."""
        near = list(deps[key])
        if not near:
            near = [d for r in readers[key] for d in deps[r]]
        return max((drawn[d] for d in near if d in drawn), default=-1)

    while left:
        ready = [k for k in left if all(d in drawn for d in deps[k])]
        best = max(ready, key=lambda k: (pull(k), -position[k]))
        drawn[best] = len(drawn)
        del left[best]
    return list(drawn)
