# error: {path}:11: asset 'mean_rainfall': a value asset has no 'output' parameter. Return the value, or give the asset a 'path' to write
# error: {path}:16: asset 'max_rainfall': a value asset has no 'outputs' parameter. Return the value, or give the asset a 'path' to write
"""A value asset (no path) returns its value; it has nowhere to write."""

from pathlib import Path

from doit_assets import asset


@asset
def mean_rainfall(output: Path) -> float:
    return 1.0


@asset(io="json")
def max_rainfall(outputs: tuple[Path, ...]) -> float:
    return 2.0
