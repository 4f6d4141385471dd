"""Automatic code versions for Python assets.

A code version is a digest of the function's syntax tree, so reformatting,
comments and docstrings do not count while a changed literal or default does.
It also covers what the function uses from its own project: helper functions
and classes (followed recursively, also as ``module.helper``), the values its
closures hold, and module-level constants made of plain values (numbers,
strings, and lists, tuples, sets and dicts of them). Code from installed
packages is left out; instead, Python's ``major.minor`` and the versions of the
installed distributions the code imports count (packages.py), unless the
asset says ``track_packages = false``. An explicit ``code_version`` replaces
all of this: the asset then re-runs only when that string changes.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import os
import sys
import textwrap
import types
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from .packages import Pairs, distributions_of, is_project_file, python_version

_SIMPLE = (int, float, complex, str, bytes, bool, type(None))


class CodeParts(NamedTuple):
    """A Python asset's automatic code version and what it covers besides code."""

    digest: str  # the automatic code version
    python: str | None  # "3.11"; None where packages are not tracked
    packages: Pairs  # (distribution, version), sorted by name
    code: str = ""  # the digest of the code alone (why tells a code change apart)


def code_version(fn: Callable[..., Any], project_root: str) -> str:
    """A digest of ``fn``, of the project code it reaches, of Python's
    ``major.minor`` and of the installed distributions that code imports."""
    return code_parts(fn, project_root).digest


def code_parts(
    fn: Callable[..., Any], project_root: str, packages: bool = True
) -> CodeParts:
    """The automatic code version of ``fn`` and its parts; without
    ``packages``, of its code alone (Python and distributions left out)."""
    walk = _Walk(os.path.realpath(project_root))
    walk.collect(fn, top=True)
    parts = walk.parts
    python: str | None = None
    pairs: Pairs = ()
    code = hashlib.sha256("\n".join(parts).encode(), usedforsecurity=False)
    if packages:
        python = python_version()
        pairs = distributions_of(walk.modules, walk.root)
        # after the code: without packages the digest is the code's alone
        parts = [*parts, f"python {python}", *(f"{n}=={v}" for n, v in pairs)]
    digest = hashlib.sha256("\n".join(parts).encode(), usedforsecurity=False)
    return CodeParts(digest.hexdigest()[:16], python, pairs, code.hexdigest()[:16])


def reached_modules(fn: Callable[..., Any], project_root: str) -> tuple[str, ...]:
    """The modules of ``fn`` and of the project code it reaches."""
    walk = _Walk(os.path.realpath(project_root))
    walk.collect(fn, top=True)
    return tuple(walk.modules)


class _Walk:
    """What a function reaches: the normalized source of each project
    function and class, plain values, and the modules they are in."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.parts: list[str] = []
        self.seen: set[int] = set()
        self.modules: dict[str, None] = {}  # in the order they are reached

    def collect(self, obj: Any, *, top: bool = False) -> None:
        if id(obj) in self.seen:
            return
        self.seen.add(id(obj))
        self.parts.append(_normalized_source(obj, strip_decorators=top))
        module = getattr(obj, "__module__", None)
        if module:
            self.modules[module] = None
        if isinstance(obj, type):
            # A class: what its methods use counts too.
            for member in vars(obj).values():
                member = getattr(member, "__func__", member)  # static/class methods
                if isinstance(member, types.FunctionType):
                    self.follow(member)
        else:
            self.follow(obj)

    def follow(self, fn: Any) -> None:
        """What a function reaches: globals, module attributes, closure values."""
        code = getattr(fn, "__code__", None)
        if code is None:
            return
        namespace = getattr(fn, "__globals__", {})
        names = sorted(set(_names(code)))
        for name in names:
            if name in namespace:
                self.use(name, namespace[name])
                if isinstance(namespace[name], types.ModuleType) and _in_project(
                    namespace[name], self.root
                ):
                    # `helpers.suffix()`: the attribute names are among the code's
                    # names too; follow those the module has.
                    module = namespace[name]
                    self.modules[module.__name__] = None
                    for attribute in names:
                        if attribute in vars(module):
                            member = vars(module)[attribute]
                            self.use(f"{name}.{attribute}", member)
        for index, cell in enumerate(fn.__closure__ or ()):
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            self.use(f"<closure {index}>", value)

    def use(self, name: str, value: Any) -> None:
        value = getattr(value, "fn", value)  # an @asset used as a helper
        if _is_simple_tuple(value):
            self.parts.append(f"{name}={_stable_repr(value)}")
        elif isinstance(value, (types.FunctionType, type)) and _in_project(
            value, self.root
        ):
            self.collect(value)


def _stable_repr(value: Any) -> str:
    """repr, with sets sorted: their order changes between processes."""
    if isinstance(value, (set, frozenset)):
        try:
            return f"{type(value).__name__}({sorted(value)!r})"
        except TypeError:
            return repr(sorted(map(repr, value)))
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{k!r}: {_stable_repr(v)}" for k, v in value.items()) + "}"
        )
    if isinstance(value, (list, tuple)):
        return type(value).__name__ + "(" + ", ".join(map(_stable_repr, value)) + ")"
    return repr(value)


def _names(code: types.CodeType) -> Iterator[str]:
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _names(const)


def _is_simple_tuple(value: object, depth: int = 0) -> bool:
    """Plain data: numbers and strings, in lists, tuples, sets and dicts."""
    if isinstance(value, _SIMPLE):
        return True
    if depth > 4:
        return False
    if isinstance(value, (tuple, list, set, frozenset)):
        return len(value) <= 1000 and all(_is_simple_tuple(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return len(value) <= 1000 and all(
            _is_simple_tuple(k, depth + 1) and _is_simple_tuple(v, depth + 1)
            for k, v in value.items()
        )
    return False


def _in_project(obj: Any, root: str) -> bool:
    if isinstance(obj, types.ModuleType):
        module: Any = obj
    else:
        module = sys.modules.get(getattr(obj, "__module__", "") or "")
    path = getattr(module, "__file__", None)
    return isinstance(path, str) and is_project_file(path, root)


def _normalized_source(obj: Any, *, strip_decorators: bool) -> str:
    try:
        source = textwrap.dedent(inspect.getsource(obj))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        # No source (built in a REPL, or compiled): fall back to the bytecode.
        code = getattr(obj, "__code__", None)
        return repr(code.co_code) + repr(code.co_consts) if code else repr(obj)
    for node in ast.walk(tree):
        if isinstance(
            node,
            (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module),
        ):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                node.body = body[1:] or [ast.Pass()]
    if strip_decorators and tree.body:
        first = tree.body[0]
        if isinstance(first, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            # The decorator's arguments (path, description, ...) are covered by
            # the fingerprint where they matter; a new description must not re-run.
            first.decorator_list = []
    return ast.dump(tree, annotate_fields=False, include_attributes=False)
