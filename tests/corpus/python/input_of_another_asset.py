# error: {path}:14: asset 'summary_of_rows': input 'build/rows.txt' is the output of asset 'rows'. Depend on it instead: depends_on=["rows"] (or a parameter named 'rows')
"""An input that another asset makes: the reader must depend on it."""

from pathlib import Path

from doit_assets import asset


@asset(path="build/rows.txt")
def rows(output: Path) -> None:
    output.write_text("1\n2\n")


@asset(path="build/summary.txt", inputs=["build/rows.txt"])
def summary_of_rows(output: Path) -> None:
    output.write_text(Path("build/rows.txt").read_text())
