# error: {path}:15: asset 'late_step': 'depends_on' must be a list of strings, got str. Write depends_on=["early_step"]
# error: {path}:20: asset 'tuned_step': 'inputs' must be a list of strings, got str. Write inputs=["params.txt"]
"""depends_on and inputs are lists, even of one."""

from pathlib import Path

from doit_assets import asset


@asset(path="build/early.txt")
def early_step(output: Path) -> None:
    output.write_text("early")


@asset(path="build/late.txt", depends_on="early_step")
def late_step(output: Path) -> None:
    output.write_text("late")


@asset(path="build/tuned.txt", inputs="params.txt")
def tuned_step(output: Path) -> None:
    output.write_text("tuned")
