"""The fields of a Python asset: its function (``python = "module:function"``
in ``assets.toml``, or the decorated function of an ``@asset``), the value
store of a value asset (``io``), and each parameter bound to an upstream
asset, to where the output goes, or to the partition key (``ins``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ..errors import did_you_mean
from ..model.spec import AssetKey
from ..model.values import STORES
from .fields import Checker
from .imports import MissingFunction, ModuleImportError, resolve_function

OUTPUT_PARAMS = ("output", "outputs")


def function(
    checker: Checker, name: str, table: dict[str, Any]
) -> Callable[..., Any] | None:
    value = table.get("python")
    if value is None or callable(value):
        return value
    if not isinstance(value, str) or ":" not in value:
        checker.fail(
            name,
            "python",
            f"'python' must be 'module:function', got {value!r}",
            'For example python = "pipeline:clean"',
        )
        return None
    module_name, _, attr = value.partition(":")
    if module_name in checker.failed_imports:
        checker.skipped = True  # its error is reported once, at the module
        return None
    try:
        return resolve_function(value, checker.root)
    except ModuleImportError as err:
        checker.failed_imports.add(module_name)
        if err.location is None:  # not in the project: point at 'python'
            err = ModuleImportError(
                err.problem, location=checker.locate(name, "python")
            )
        checker.problems.append(err)
        checker.skipped = True
        return None
    except MissingFunction as err:
        names = [n for n, v in vars(err.module).items() if callable(v)]
        checker.fail(
            name,
            "python",
            f"module '{module_name}' has no function '{attr}'",
            did_you_mean(attr, names),
        )
        return None
    except Exception as err:  # the module itself is missing
        checker.fail(
            name,
            "python",
            f"cannot import '{module_name}': {type(err).__name__}: {err}",
            "The project directory is on the import path; check the module name",
        )
        return None


def io(
    checker: Checker,
    name: str,
    table: dict[str, Any],
    function: Callable[..., Any] | None,
) -> str | None:
    """The value store of a value asset (a Python asset with no path), else None."""
    value = table.get("io")
    if "python" not in table or "path" in table:
        if value is not None:
            checker.fail(
                name,
                "io",
                "'io' is for value assets (Python assets without a 'path')",
                "Remove 'io', or remove 'path' to keep the return value",
            )
        return None
    if value is None or function is None:
        return "pickle"  # (a function that failed to import is reported)
    if not isinstance(value, str):
        checker.fail(
            name,
            "io",
            f"'io' must be a store name or a value store, got {checker.type_of(value)}",
            "A store has name, extension, dump(value, path) and load(path)",
        )
        return None
    if value not in STORES:
        checker.fail(
            name,
            "io",
            f"unknown value store '{value}'",
            did_you_mean(value, STORES) or "Known: " + ", ".join(sorted(STORES)),
        )
        return None
    return value


def params(
    checker: Checker,
    name: str,
    table: dict[str, Any],
    function: Callable[..., Any],
    *,
    value: bool,
) -> list[tuple[str, AssetKey | None]]:
    """Bind each parameter to an upstream asset, or to where the output goes.

    A parameter with a default keeps it, unless ``ins`` maps it to an asset.
    """
    ins = table.get("ins") or {}
    if not isinstance(ins, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and "\0" not in v
        for k, v in ins.items()
    ):
        example = (
            "ins={'orders': 'raw/orders'}"
            if checker.decorator
            else 'ins = { orders = "raw/orders" }'
        )
        checker.fail(
            name,
            "ins",
            "'ins' must map parameter names to asset keys",
            f"For example {example}",
        )
        return []  # the parameters cannot be bound without it
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return []
    unknown = [k for k in ins if k not in signature.parameters]
    for key in unknown:
        checker.fail(
            name,
            "ins",
            f"'ins' names '{key}', which is not a parameter of the function",
            did_you_mean(key, signature.parameters),
        )
    writes = [p for p in OUTPUT_PARAMS if p in signature.parameters and p not in ins]
    if not value and not writes and "io" not in table:
        checker.fail(
            name,
            "python",
            "a file asset's function has no 'output' parameter",
            "Add one and write the file there, or remove 'path' to keep the "
            "return value",
        )
    bound: list[tuple[str, AssetKey | None]] = []
    for param in signature.parameters.values():
        if param.default is not param.empty and param.name not in ins:
            continue  # a setting with its default, not an upstream asset
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            checker.fail(
                name,
                "python",
                f"parameter '{param.name}' cannot be *args or **kwargs",
                "Name each upstream asset as a parameter",
            )
        elif param.name == "partition" and "partition" not in ins:
            if "partitions" not in table:
                checker.fail(
                    name,
                    "python",
                    "parameter 'partition', but the asset has no 'partitions'",
                    "Declare them, e.g. partitions={'daily': {'start': '2024-01-01'}}",
                )
            bound.append((param.name, None))
        elif param.name in OUTPUT_PARAMS and param.name not in ins:
            if value:
                checker.fail(
                    name,
                    "python",
                    f"a value asset has no '{param.name}' parameter",
                    "Return the value, or give the asset a 'path' to write",
                )
            bound.append((param.name, None))
        else:
            bound.append((param.name, AssetKey(ins.get(param.name, param.name))))
    return bound
