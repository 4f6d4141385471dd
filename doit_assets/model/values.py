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
from typing import Any, Protocol, runtime_checkable

from ..paths import OBSERVED_DIR, VALUES_DIR


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
        # Protocol pinned, and sets in sorted order, so that equal values give
        # equal bytes in every process (string hashes, hence set order, differ).
        import cloudpickle

        with open(path, "wb") as f:
            cloudpickle.dump(_sets_in_order(value), f, protocol=5)

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


class _SetInOrder(set):  # type: ignore[type-arg]
    """Pickles as a plain set whose items are written in sorted order."""

    def __reduce__(self) -> Any:
        return (set, (sorted(self),))


class _FrozenSetInOrder(frozenset):  # type: ignore[type-arg]
    def __reduce__(self) -> Any:
        return (frozenset, (sorted(self),))


def _sets_in_order(value: Any) -> Any:
    """The value with every set (in dicts, lists and tuples) in sorted order.

    A set's order follows string hashes, which differ between processes; the
    pickle of an equal value must not. Sets inside other objects, and sets of
    items that cannot be sorted, keep their order.
    """
    kind = type(value)
    if kind in (set, frozenset):
        try:
            sorted(value)
        except TypeError:
            return value
        return (_SetInOrder if kind is set else _FrozenSetInOrder)(value)
    if kind is dict:
        return {k: _sets_in_order(v) for k, v in value.items()}
    if kind is list:
        return [_sets_in_order(v) for v in value]
    if kind is tuple:
        return tuple(_sets_in_order(v) for v in value)
    return value


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


def observation_path(key: str) -> str:
    """Where an observable source keeps what its last observation printed."""
    return f"{OBSERVED_DIR}/{key}.txt"


def value_path(key: str, store_name: str) -> str:
    """Where a value asset lives, relative to the project directory."""
    return f"{VALUES_DIR}/{key}{STORES[store_name].extension}"
