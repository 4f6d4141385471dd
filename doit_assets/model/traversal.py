"""Walking the asset graph: by levels (``walk``), all that is reachable
(``closure``), and as trees in which each node is expanded once (``walk_once``,
the walk behind ``why``, ``status --json`` and ``lineage``).

A DAG has shared ancestors: a tree that expands every path repeats them, and on
a graph where each asset reads two of the layer before there are 2^L paths. So
a node is expanded the first time it is met; every later meeting is one step
that refers to it. Trees nest at most ``MAX_NESTING`` levels: a node met deeper
(that has children of its own) is referred to there and expanded as a tree of
its own after the others, so that indentation, and with it the size of the
answer, stays linear in nodes and edges. The walk keeps its own stack: a chain
of 10 000 assets is not 10 000 Python frames.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from itertools import repeat
from typing import Generic, Literal, TypeVar

N = TypeVar("N")

MAX_NESTING = 20
K = TypeVar("K", bound=Hashable)


def walk(
    start: K, edges: Callable[[K], Iterable[K]], depth: int | None = None
) -> list[K]:
    """Every node reachable from ``start``, nearest first, up to ``depth`` levels
    (``start`` itself left out)."""
    seen: dict[K, None] = {}
    frontier = [start]
    level = 0
    while frontier and (depth is None or level < depth):
        level += 1
        nxt = []
        for node in frontier:
            for other in edges(node):
                if other not in seen and other != start:
                    seen[other] = None
                    nxt.append(other)
        frontier = nxt
    return list(seen)


def closure(starts: Iterable[K], edges: Callable[[K], Iterable[K]]) -> list[K]:
    """``starts`` and every node reachable from them, each once."""
    seen: dict[K, None] = {}
    stack = list(starts)
    while stack:
        node = stack.pop()
        if node not in seen:
            seen[node] = None
            stack.extend(edges(node))
    return list(seen)


# Where a node is expanded: at this step, in an earlier one, or in a later one.
Shown = Literal["here", "above", "below"]


class Step(Generic[N]):
    """One node as a tree shows it. (Not a dataclass: the fast path imports
    this module, and ``dataclasses`` would cost it about 10 ms.)"""

    __slots__ = ("level", "node", "shown")

    def __init__(self, node: N, level: int, shown: Shown) -> None:
        self.node = node
        # 0: the root of a tree (one given, or one continued); 1: its children
        self.level = level
        self.shown = shown


def walk_once(
    roots: Sequence[N],
    key: Callable[[N], Hashable | None],
    children: Callable[[N], Sequence[N]],
    max_nesting: int = MAX_NESTING,
) -> Iterator[Step[N]]:
    """The trees under ``roots`` in pre-order, each keyed node expanded once.

    ``key(node)`` names a node that may be met more than once (None: it is
    always new, e.g. a leaf). The roots are trees of their own, in order; a root
    met under another root before its turn is a step shown "below". The trees
    continued from deep nodes follow the roots, in the order they were met.
    """
    expanded: set[Hashable] = set()
    waiting = {k for k in map(key, roots) if k is not None}
    trees = deque(roots)
    while trees:
        stack = [(trees.popleft(), 0)]
        while stack:
            node, level = stack.pop()
            name = key(node)
            if level and name is not None:
                if name in expanded:
                    yield Step(node, level, "above")
                    continue
                if name in waiting:
                    yield Step(node, level, "below")
                    continue
            below = children(node)
            if level >= max_nesting and below and name is not None:
                waiting.add(name)
                trees.append(node)
                yield Step(node, level, "below")
                continue
            if name is not None:
                expanded.add(name)
                waiting.discard(name)
            yield Step(node, level, "here")
            stack.extend(zip(reversed(below), repeat(level + 1)))
