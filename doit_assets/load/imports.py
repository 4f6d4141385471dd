"""The project's own Python modules: importing them, resolving a
``module:function`` reference, and finding what was not.

This is the one place that imports the project's code. An error while
importing a module is the user's: it is reported at the file and line where it
happened (a syntax error at its column), not as a traceback. When a
dependency names no asset, ``project_functions`` reads the project's Python
files (without running them) for a function of that name, so that the message
can say which module to load.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

from ..errors import AssetDefinitionError, AssetError, Location
from .python_code import watching

DECORATORS = ("asset", "observable_source")
# Folders that hold no module of the project.
SKIPPED_FOLDERS = frozenset({"__pycache__", "node_modules", "site-packages"})
MAX_FILES = 500
MAX_FILE_SIZE = 1_000_000


class ModuleImportError(AssetDefinitionError):
    """A module of the project raised while it was imported."""


class MissingFunction(AttributeError):
    """A module has nothing callable by the name a reference gives."""

    def __init__(self, module: ModuleType, name: str) -> None:
        super().__init__(f"module '{module.__name__}' has no function '{name}'")
        self.module = module
        self.function = name


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # doit_assets/


def import_module(name: str, root: str, file: str | None = None) -> ModuleType:
    """Import ``name`` with ``root`` on the import path (the one place that puts
    a project's folder there); with ``file``, that very file as ``name``, even
    when a module of that name from another project was imported before (two
    projects' ``dodo`` in one process).

    Raises ModuleImportError, located in the project's file where the import
    failed, or ModuleNotFoundError when ``name`` itself does not exist.
    """
    if root not in sys.path:
        sys.path.insert(0, root)
    try:
        with watching(root):  # what it reads while imported: python_code.py
            if file is not None:
                return _exec_file(name, file)
            return importlib.import_module(name)
    except AssetError:  # ours, raised by what the module called: already located
        raise
    except ModuleNotFoundError as err:
        if err.name == name or name.startswith(f"{err.name}."):
            raise  # the module named is missing: the caller says where it is named
        raise _located(err, name, root) from None
    except Exception as err:  # the user's module: any error is theirs
        raise _located(err, name, root) from None


def resolve_function(reference: str, root: str | None = None) -> Callable[..., Any]:
    """The function ``module:function`` names; for an ``@asset``, the function
    it wraps. ``function`` may be dotted (a qualname).

    The one resolver of such references: ``python = "module:function"`` in
    ``assets.toml`` (with ``root``: the module is imported as
    ``import_module`` does), and a Python transform sent to a ``doit -n``
    worker by reference (without: the worker has the import path of the
    process that started it).

    Raises what ``import_module`` raises, and MissingFunction when the module
    has no such function.
    """
    module_name, _, name = reference.partition(":")
    if root is None:
        module = importlib.import_module(module_name)
    else:
        module = import_module(module_name, root)
    target: Any = module
    for part in name.split("."):
        target = getattr(target, part, None)
    if target is None or not callable(target):
        raise MissingFunction(module, name)
    function: Callable[..., Any] = getattr(target, "fn", target)  # an @asset
    return function


def _exec_file(name: str, file: str) -> ModuleType:
    full = os.path.abspath(file)
    module = sys.modules.get(name)
    if module is not None and getattr(module, "__file__", None) == full:
        return module  # imported already (by doit, or a command before)
    spec = importlib.util.spec_from_file_location(name, full)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # As doit does: its @assets are found, and pickled, by the module's name.
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _located(err: Exception, name: str, root: str) -> ModuleImportError:
    where: Location | None
    if isinstance(err, SyntaxError) and err.filename:
        where = Location(_shown(err.filename), err.lineno, err.offset)
        problem = f"SyntaxError: {err.msg}"
    else:
        frame = _last_frame_in(err.__traceback__, root)
        where = Location(_shown(frame[0]), frame[1]) if frame else None
        problem = f"{type(err).__name__}: {err}"
    return ModuleImportError(
        f"cannot import module '{name}': {problem}",
        location=where,
    )


def _last_frame_in(
    tb: TracebackType | None, root: str
) -> tuple[str, int | None] | None:
    """The innermost frame of the traceback that runs a file of the project
    (not of a library, even one installed in a virtual environment there)."""
    found = None
    prefix = os.path.join(os.path.realpath(root), "")
    libraries = tuple(
        os.path.join(os.path.realpath(p), "")
        for p in {sys.prefix, sys.exec_prefix, _PACKAGE}
    )
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        real = os.path.realpath(filename)
        if (
            os.path.isabs(filename)  # not '<frozen os>' nor '<string>'
            and real.startswith(prefix)
            and not real.startswith(libraries)
            and "site-packages" not in Path(real).parts
        ):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _shown(filename: str) -> str:
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # another drive on Windows
        return filename
    return filename if relative.startswith("..") else relative


@dataclass(frozen=True)
class Definition:
    """A top-level function in a module of the project, read from its source."""

    module: str
    location: Location
    is_asset: bool  # decorated with @asset (or @observable_source)


def project_functions(root: Path) -> dict[str, list[Definition]]:
    """The top-level functions of the project's Python files, by the asset key
    each would be (its ``name=`` or its own name), @assets first."""
    found: dict[str, list[Definition]] = {}
    for path, module in _python_files(root):
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except (SyntaxError, ValueError, OSError):
            continue
        for node in tree.body:
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            decorators = [d for d in node.decorator_list if _is_asset_decorator(d)]
            key = (_asset_name(decorators[0]) if decorators else None) or node.name
            line = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            where = Location(_shown(str(path)), line)
            found.setdefault(key, []).append(
                Definition(module, where, bool(decorators))
            )
    for definitions in found.values():
        definitions.sort(key=lambda d: not d.is_asset)
    return found


def _python_files(root: Path) -> Iterator[tuple[Path, str]]:
    """Each importable ``.py`` file below ``root`` and its module name."""
    count = 0
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        if (here / "pyvenv.cfg").exists():
            dirs[:] = []  # a virtual environment: not the project's code
            continue
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".") and d not in SKIPPED_FOLDERS and d.isidentifier()
        )
        for name in sorted(files):
            path = here / name
            stem = name.removesuffix(".py")
            if not name.endswith(".py") or not stem.isidentifier():
                continue
            if count >= MAX_FILES:
                return
            try:
                if path.stat().st_size > MAX_FILE_SIZE:
                    continue
            except OSError:
                continue
            count += 1
            parts = [*here.relative_to(root).parts, stem]
            if parts[-1] == "__init__":
                parts.pop()
            if parts:
                yield path, ".".join(parts)


def _is_asset_decorator(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    if isinstance(target, ast.Name):
        return target.id in DECORATORS
    return isinstance(target, ast.Attribute) and target.attr in DECORATORS


def _asset_name(node: ast.expr) -> str | None:
    """The ``name=`` given to the decorator, when it is written as a string."""
    if isinstance(node, ast.Call):
        for keyword in node.keywords:
            value = keyword.value
            if (
                keyword.arg == "name"
                and isinstance(value, ast.Constant)
                and isinstance(value.value, str)
            ):
                return value.value
    return None
