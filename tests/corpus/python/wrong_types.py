# error: {path}:11: asset 'typed_out': 'description' must be a string, got int
# error: {path}:11: asset 'typed_out': 'code_version' must be a string, got float
# error: {path}:11: asset 'typed_out': 'metadata' must be a dict, got list
"""Each option has one type; every wrong one is reported, in order."""

from pathlib import Path

from doit_assets import asset


@asset(path="build/typed.txt", description=3, metadata=["owner"], code_version=1.5)
def typed_out(output: Path) -> None:
    output.write_text("x")
