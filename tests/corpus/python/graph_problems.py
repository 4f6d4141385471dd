# error: {path}:11: dependency cycle: hen -> egg -> hen
# error: {path}:26: asset 'second_copy': path 'build/copy.txt' is also the path of asset 'first_copy'. Each file has exactly one asset that makes it
# error: {path}:31: asset 'waiting': unknown dependency 'nothing_yet'
"""Problems of the graph: cycles, shared paths, unknown depends_on."""

from pathlib import Path

from doit_assets import asset


@asset
def hen(egg: str) -> str:
    return egg


@asset
def egg(hen: str) -> str:
    return hen


@asset(path="build/copy.txt")
def first_copy(output: Path) -> None:
    output.write_text("1")


@asset(path="build/copy.txt")
def second_copy(output: Path) -> None:
    output.write_text("2")


@asset(depends_on=["nothing_yet"])
def waiting() -> int:
    return 0
