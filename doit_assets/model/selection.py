"""Asset selections: ``raw/*``, ``+report``, ``'group:marts and not tag:slow'``.

Each command-line argument is one selection and ``select`` returns their union.
A selection is read in two steps: ``_Parser`` turns the text into a small tree
of terms joined by ``not``, ``and`` and ``or`` (``,``), then ``_Evaluator``
resolves each term against the graph and widens it with ``+`` to its upstream
or downstream assets. Parsing comes first, so a syntax error is reported before
an unknown name.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from ..errors import AssetError, did_you_mean
from .spec import AssetKey

# Words split at whitespace, parentheses and commas; a word that is not an operator
# is a term: an optional 'N+' (upstream), a name, an optional '+N' (downstream).
# Names cannot hold '+', so '2+raw' and '2024+' read one way only.
_TOKEN = re.compile(r"[(),]|[^\s(),]+")
_TERM = re.compile(r"(?:(\d*)\+)?([^+]+)(?:\+(\d*))?")
_NOT_A_NAME_CHAR = re.compile(r"[^A-Za-z0-9_./*?\[\]!-]")
_OPERATORS = ("and", "or", "not")

# What a term names: one asset, the assets a glob matches, or those of a group
# or with a tag ('group:NAME', 'tag:NAME').
TermKind = Literal["key", "glob", "group", "tag"]
_PREFIXES: dict[str, TermKind] = {"group": "group", "tag": "tag"}

Walk = Callable[[str, int | None], Sequence[str]]


class Graph(Protocol):
    """What a selection needs of a graph: an ``AssetGraph``, or a ``Plan``."""

    @property
    def keys(self) -> Sequence[str]: ...

    def __contains__(self, key: object) -> bool: ...

    def labels(self, key: str) -> tuple[str, tuple[str, ...]]: ...

    def upstream_of(self, key: str, depth: int | None = None) -> Sequence[str]: ...

    def downstream_of(self, key: str, depth: int | None = None) -> Sequence[str]: ...


class SelectionError(AssetError):
    """A selection that does not parse or names nothing; ``.selection`` is its text."""

    def __init__(
        self, problem: str, *, selection: str, hint: str | None = None
    ) -> None:
        self.selection = selection
        super().__init__(problem, hint=hint)


def select(expressions: Sequence[str], graph: Graph) -> list[AssetKey]:
    """The assets the selections name, in the graph's order; every asset when none.

    Each expression is one command-line argument; the result is their union,
    without duplicates. Raise SelectionError for the first expression that does
    not parse, or that names an asset, group or tag the graph does not have.
    """
    if not expressions:
        return [AssetKey(k) for k in graph.keys]
    chosen: set[AssetKey] = set()
    for text in expressions:
        chosen |= _Evaluator(text, graph).evaluate(_Parser(text).parse())
    return [AssetKey(k) for k in graph.keys if k in chosen]


@dataclass(frozen=True, slots=True)
class _Term:
    text: str  # as written, for messages
    kind: TermKind
    name: str
    # Levels to walk: 0 none, None all of them.
    up: int | None = 0
    down: int | None = 0


@dataclass(frozen=True, slots=True)
class _Not:
    operand: _Node


@dataclass(frozen=True, slots=True)
class _And:
    left: _Node
    right: _Node


@dataclass(frozen=True, slots=True)
class _Or:
    left: _Node
    right: _Node


_Node = _Term | _Not | _And | _Or


class _Parser:
    """Recursive descent; ``not`` binds tighter than ``and``, ``and`` than ``or``."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[str] = _TOKEN.findall(text)
        self.pos = 0

    def parse(self) -> _Node:
        if not self.tokens:
            raise SelectionError(
                f"empty selection '{self.text}'",
                selection=self.text,
                hint="Name an asset, a glob, 'group:NAME' or 'tag:NAME'",
            )
        node = self._or()
        token = self._peek()
        if token == ")":
            raise self._error("unmatched ')'")
        if token is not None:
            raise self._error(f"expected ',', 'and' or 'or' before '{token}'")
        return node

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _or(self) -> _Node:
        node = self._and()
        while self._peek() in (",", "or"):
            self.pos += 1
            node = _Or(node, self._and())
        return node

    def _and(self) -> _Node:
        node = self._not()
        while self._peek() == "and":
            self.pos += 1
            node = _And(node, self._not())
        return node

    def _not(self) -> _Node:
        if self._peek() == "not":
            self.pos += 1
            return _Not(self._not())
        return self._primary()

    def _primary(self) -> _Node:
        token = self._peek()
        if token == "(":
            self.pos += 1
            node = self._or()
            after = self._peek()
            if after is None:
                raise self._error("unclosed '('")
            if after != ")":
                raise self._error(f"expected ',', 'and' or 'or' before '{after}'")
            self.pos += 1
            return node
        if token is None or token in (")", ",", *_OPERATORS):
            if self.pos == 0:
                raise self._error(f"expected an asset before '{token}'")
            raise self._error(f"expected an asset after '{self.tokens[self.pos - 1]}'")
        self.pos += 1
        return self._term(token)

    def _term(self, word: str) -> _Term:
        match = _TERM.fullmatch(word)
        if match is None:
            raise self._error(
                f"misplaced '+' in '{word}'",
                "Write '+KEY', 'KEY+', 'N+KEY' or 'KEY+N', without spaces",
            )
        up_text, name, down_text = match.groups()
        up = self._levels(up_text, word, f"'+{name}'")
        down = self._levels(down_text, word, f"'{name}+'")
        prefix, colon, label = name.partition(":")
        if colon:
            labelled = _PREFIXES.get(prefix)
            if labelled is None:
                raise self._error(
                    f"unknown prefix '{prefix}:'",
                    did_you_mean(prefix + ":", [p + ":" for p in _PREFIXES])
                    or "Use 'group:NAME' or 'tag:NAME'; a selection names whole "
                    "assets (for one partition: 'doit assets why KEY:PARTITION')",
                )
            if not label:
                raise self._error(f"expected a {prefix} name after '{prefix}:'")
            return _Term(word, labelled, label, up, down)
        bad = _NOT_A_NAME_CHAR.search(name)
        if bad:
            raise self._error(
                f"invalid character '{bad.group()}' in '{word}'",
                "Asset names use letters, digits, '_', '-', '.' and '/'; "
                "globs add '*', '?' and '[...]'",
            )
        kind: TermKind = "glob" if any(c in name for c in "*?[") else "key"
        return _Term(word, kind, name, up, down)

    def _levels(self, digits: str | None, word: str, every: str) -> int | None:
        if digits is None:
            return 0
        if not digits:
            return None
        if int(digits) == 0:
            raise self._error(
                f"levels must be 1 or more in '{word}'",
                f"Write {every} for every level",
            )
        return int(digits)

    def _error(self, problem: str, hint: str | None = None) -> SelectionError:
        return SelectionError(
            f"selection '{self.text}': {problem}", selection=self.text, hint=hint
        )


class _Evaluator:
    """Each node to the set of keys it selects; terms are checked against the graph."""

    def __init__(self, text: str, graph: Graph) -> None:
        self.text = text
        self.graph = graph

    def evaluate(self, node: _Node) -> set[AssetKey]:
        # Left before right, so that the first wrong term is the one reported.
        if isinstance(node, _Not):
            return {AssetKey(k) for k in self.graph.keys} - self.evaluate(node.operand)
        if isinstance(node, _And):
            return self.evaluate(node.left) & self.evaluate(node.right)
        if isinstance(node, _Or):
            return self.evaluate(node.left) | self.evaluate(node.right)
        keys = self._match(node)
        found = set(keys)
        if node.up != 0:
            # Downstream-most first: their walks take in the others' (below).
            found |= _widen(reversed(keys), node.up, self.graph.upstream_of)
        if node.down != 0:
            found |= _widen(keys, node.down, self.graph.downstream_of)
        return found

    def _match(self, term: _Term) -> list[AssetKey]:
        """The keys a term names, in graph order; an error when there are none."""
        graph = self.graph
        where = f"in selection '{self.text}'"
        if term.kind == "key":
            if term.name not in graph:
                raise SelectionError(
                    f"unknown asset '{term.name}' {where}",
                    selection=self.text,
                    hint=did_you_mean(term.name, graph.keys)
                    or "'doit assets status' lists the assets",
                )
            return [AssetKey(term.name)]
        if term.kind == "glob":
            keys = [
                AssetKey(k) for k in graph.keys if fnmatch.fnmatchcase(k, term.name)
            ]
            if not keys:
                raise SelectionError(
                    f"glob '{term.name}' matches no asset {where}",
                    selection=self.text,
                    hint="'doit assets status' lists the assets",
                )
            return keys
        labels: Callable[[str], Iterable[str]] = (
            (lambda k: (graph.labels(k)[0],))
            if term.kind == "group"
            else (lambda k: graph.labels(k)[1])
        )
        keys = [AssetKey(k) for k in graph.keys if term.name in labels(k)]
        if not keys:
            in_use = sorted({label for k in graph.keys for label in labels(k)})
            listed = ", ".join(f"'{label}'" for label in in_use)
            raise SelectionError(
                f"unknown {term.kind} '{term.name}' {where}",
                selection=self.text,
                hint=did_you_mean(term.name, in_use)
                or (
                    f"{term.kind.capitalize()}s in use: {listed}"
                    if in_use
                    else f"No asset has a {term.kind}"
                ),
            )
        return keys


def _widen(keys: Iterable[AssetKey], levels: int | None, walk: Walk) -> set[AssetKey]:
    found: set[AssetKey] = set()
    for key in keys:
        # A complete walk from a key already found is inside the walk that found it.
        if levels is None and key in found:
            continue
        found.update(AssetKey(k) for k in walk(key, levels))
    return found
