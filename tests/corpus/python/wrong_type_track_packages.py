# error: {path}:9: asset 'counted': 'track_packages' must be True or False, got str
"""track_packages is a bool."""

from pathlib import Path

from doit_assets import asset


@asset(path="build/counted.txt", track_packages="no")  # type: ignore[call-overload]
def counted(output: Path) -> None:
    output.write_text("x")
