# error: {path}:13: asset 'nul_out': path 'build/a\u0000b.txt' contains a NUL character. Remove it: file names and shell commands cannot hold one
# error: {path}:18: asset 'x/../../escaped': invalid asset name. Each part between '/' must start with a letter, a digit or '_'
# error: {path}:23: asset 'state_out': path '.doit-assets/values/state_out.pickle' is inside '.doit-assets/', doit-assets' own folder. Choose another folder
# error: {path}:28: asset 'nul_dep': 'depends_on' contains a NUL character (\u0000). Remove it: file names and shell commands cannot hold one
"""Strings that would reach a file name or a shell, checked when loaded:
no NUL, names that are plain keys, none of doit-assets' own paths."""

from pathlib import Path

from doit_assets import asset


@asset(path="build/a\0b.txt")
def nul_out(output: Path) -> None:
    output.write_text("x")


@asset(name="x/../../escaped")
def escaped() -> int:
    return 1


@asset(path=".doit-assets/values/state_out.pickle")
def state_out(output: Path) -> None:
    output.write_text("x")


@asset(path="build/nul_dep.txt", depends_on=["raw\0"])
def nul_dep(output: Path) -> None:
    output.write_text("x")
