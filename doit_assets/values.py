"""Value stores: how a Python asset's return value becomes a file, and back.

A value asset is stored as one file under ``.doit-assets/values/``, so doit
fingerprints it like any other file: an upstream that returns an equal value
writes identical bytes, and its downstream does not re-run (early cutoff).
A store is any object with ``name``, ``extension``, ``dump`` and ``load``.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Protocol, runtime_checkable

VALUES_DIR = ".doit-assets/values"


@runtime_checkable
class ValueStore(Protocol):
    """The interface a custom store implements (see docs/python-api.md)."""

    name: str  # what ``io = "NAME"`` selects
    extension: str  # file suffix, with the dot

    def dump(self, value: object, path: Path) -> None: ...

    def load(self, path: Path) -> object: ...


class PickleStore:
    """The default: cloudpickle, so lambdas, local classes and closures work too."""

    name = "pickle"
    extension = ".pickle"

    def dump(self, value: object, path: Path) -> None:
        import cloudpickle

        # Protocol pinned so that equal values give equal bytes across runs.
        with open(path, "wb") as f:
            cloudpickle.dump(value, f, protocol=5)

    def load(self, path: Path) -> object:
        with open(path, "rb") as f:
            return pickle.load(f)


class JsonStore:
    """Readable by anything; keys sorted so that equal values give equal bytes."""

    name = "json"
    extension = ".json"

    def dump(self, value: object, path: Path) -> None:
        text = json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False)
        path.write_text(text + "\n", encoding="utf-8")

    def load(self, path: Path) -> object:
        return json.loads(path.read_text(encoding="utf-8"))


STORES: dict[str, ValueStore] = {"pickle": PickleStore(), "json": JsonStore()}


def register_store(store: ValueStore) -> str:
    """Make a store selectable by its name; returns the name."""
    if not isinstance(store, ValueStore):
        raise TypeError(
            "a value store needs 'name', 'extension', 'dump(value, path)' and "
            f"'load(path)', got {type(store).__name__}"
        )
    STORES[store.name] = store
    return store.name


def value_path(key: str, store_name: str) -> str:
    """Where a value asset lives, relative to the project directory."""
    return f"{VALUES_DIR}/{key}{STORES[store_name].extension}"
