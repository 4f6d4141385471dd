# error: {path}:21: asset 'chart': 'io' is for value assets (Python assets without a 'path'). Remove 'io', or remove 'path' to keep the return value
# error: {path}:26: asset 'histogram': 'io' must be a store name or a value store, got object. A store has name, extension, dump(value, path) and load(path)
# error: {path}:31: asset 'sketch': 'io' must be a store name or a value store, got HalfStore. A store has name, extension, dump(value, path) and load(path)
"""'io' chooses how a value asset is kept: a store name or a store object."""

from pathlib import Path

from doit_assets import asset


class HalfStore:
    """Can write but not read: no load()."""

    name = "half"
    extension = ".half"

    def dump(self, value: object, path: Path) -> None:
        path.write_text(repr(value))


@asset(path="build/chart.txt", io="json")
def chart(output: Path) -> None:
    output.write_text("chart")


@asset(io=object())
def histogram() -> list[int]:
    return []


@asset(io=HalfStore())
def sketch() -> str:
    return "sketch"
