# error: {path}:10: asset 'mean_humidity': a value asset has no 'output' parameter. Return the value, or give the asset a 'path' to write
# error: {path}:15: asset 'peak_humidity': a value asset has no 'outputs' parameter. Return the value, or give the asset a 'path' to write
"""A value asset (no path) returns its value; it has nowhere to write."""

from pathlib import Path

from doit_assets import asset


@asset
def mean_humidity(output: Path) -> float:
    return 1.0


@asset(io="json")
def peak_humidity(outputs: tuple[Path, ...]) -> float:
    return 2.0
