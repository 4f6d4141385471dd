"""The public API is one list: ``doit_assets.__all__``, each name documented.

Names come from ``_HOMES`` (imported on first use); the imports for type
checkers list the same names; docs/python-api.md documents every one of them;
and the package exports nothing else.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import doit_assets

ROOT = Path(__file__).parent.parent
DOCS = (ROOT / "docs" / "python-api.md").read_text(encoding="utf-8")


def type_checking_names() -> set[str]:
    tree = ast.parse((ROOT / "doit_assets" / "__init__.py").read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom)
                names |= {alias.name for alias in stmt.names}
    return names


def test_all_is_the_one_list_of_public_names() -> None:
    assert len(doit_assets.__all__) == len(set(doit_assets.__all__))
    assert set(doit_assets.__all__) == set(doit_assets._HOMES)
    assert set(doit_assets.__all__) == type_checking_names()


def test_every_public_name_comes_from_its_home() -> None:
    for name, home in doit_assets._HOMES.items():
        module = importlib.import_module(f"doit_assets.{home}")
        assert getattr(doit_assets, name) is getattr(module, name), name


def test_every_public_name_is_documented_in_the_python_api_page() -> None:
    undocumented = [
        name for name in doit_assets.__all__ if not re.search(rf"`{name}[`(]", DOCS)
    ]
    assert undocumented == []


def test_nothing_else_is_exported() -> None:
    assert dir(doit_assets) == sorted(doit_assets.__all__)
    namespace: dict[str, object] = {}
    exec("from doit_assets import *", namespace)  # what a star import gives
    assert set(namespace) - {"__builtins__"} == set(doit_assets.__all__)
