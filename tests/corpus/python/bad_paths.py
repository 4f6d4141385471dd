# error: {path}:11: asset 'absolute_out': path '/tmp/absolute.txt' is absolute. Use a path relative to the project directory
# error: {path}:16: asset 'escaping_out': path '../escaping.txt' is outside the project directory. Keep every file inside the project directory
# error: {path}:21: asset 'no_out': 'path' must be a non-empty string or list of strings, got list
"""Paths are relative to the project directory and stay inside it."""

from pathlib import Path

from doit_assets import asset


@asset(path="/tmp/absolute.txt")
def absolute_out(output: Path) -> None:
    output.write_text("x")


@asset(path="../escaping.txt")
def escaping_out(output: Path) -> None:
    output.write_text("x")


@asset(path=[])
def no_out(output: Path) -> None:
    output.write_text("x")
