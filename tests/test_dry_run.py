"""``doit assets materialize --dry-run`` and the commands of ``backfill --dry-run``:
the commands a run would execute, in its order, with final paths, checked
against what the real ``doit`` then runs."""

from __future__ import annotations

import pytest
from conftest import PYTHON, DoitRun, Project, copy_of

# raw -> upper -> count ----> joined -> total (a Python asset)
#    \-> head -------------/
PIPELINE = """\
[vars]
python = "{python}"

[assets.raw]
path = "data/raw.txt"

[assets.upper]
path = "out/upper.txt"
transform = "{vars.python} tx.py upper {self.path} {raw.path}"

[assets.count]
path = "out/count.txt"
transform = "{vars.python} tx.py count {self.path} {upper.path}"

[assets.head]
path = "out/head.txt"
transform = "{vars.python} tx.py head {self.path} {raw.path}"

[assets.joined]
path = "out/joined.txt"
transform = "{vars.python} tx.py cat {self.path} {head.path} {count.path}"

[assets.total]
path = "out/total.txt"
python = "steps:total"
"""

STEPS = """\
from pathlib import Path


def total(joined: Path, output: Path) -> None:
    output.write_text(joined.read_text().upper())
"""

UPPER = f"{PYTHON} tx.py upper out/upper.txt data/raw.txt"
COUNT = f"{PYTHON} tx.py count out/count.txt out/upper.txt"
HEAD = f"{PYTHON} tx.py head out/head.txt data/raw.txt"
JOINED = f"{PYTHON} tx.py cat out/joined.txt out/head.txt out/count.txt"
TOTAL = "python steps:total"


def write(project: Project) -> Project:
    project.assets(PIPELINE)
    project.write("steps.py", STEPS)
    project.write("data/raw.txt", "a\nb\n")
    return project


def build(project: Project) -> None:
    """The pipeline, built."""
    write(project)
    assert project.doit_ok().ran == ["upper", "head", "count", "joined", "total"]


built = copy_of(build)


def dry(project: Project, *args: str) -> DoitRun:
    result = project.doit("assets", "materialize", "--dry-run", *args)
    assert (result.code, result.err) == (0, ""), result
    return result


def steps(result: DoitRun) -> list[str]:
    """``VERDICT TASK`` of each step, in order."""
    return [
        line.split(": ")[0]
        for line in result.out.splitlines()
        if line.startswith(("would run ", "may run ", "would observe "))
    ]


def test_a_new_project_would_run_every_command_in_doits_order(
    project: Project,
) -> None:
    write(project)
    result = dry(project, "+total")
    assert result.out == (
        "would run upper: never materialized\n"
        f"  {UPPER}\n"
        "would run head: never materialized\n"
        f"  {HEAD}\n"
        "would run count: never materialized\n"
        f"  {COUNT}\n"
        "would run joined: never materialized\n"
        f"  {JOINED}\n"
        "would run total: never materialized\n"
        f"  {TOTAL}\n"
        "\n"
        "dry run, nothing ran: 5 would run\n"
    )
    assert not project.exists("out")
    assert not project.exists(".doit-assets/history.sqlite")
    real = project.doit("assets", "materialize", "+total")
    assert real.ran == ["upper", "head", "count", "joined", "total"], real


def test_the_order_is_the_one_doit_runs(project: Project) -> None:
    write(project)
    # doit runs the selected assets in the order of the graph, each after the
    # upstream assets it needs, depth first
    assert steps(dry(project, "joined")) == [
        "would run upper",
        "would run head",
        "would run count",
        "would run joined",
    ]
    assert steps(dry(project, "count", "head")) == [
        "would run head",
        "would run upper",
        "would run count",
    ]
    real = project.doit("assets", "materialize", "count", "head")
    assert real.ran == ["head", "upper", "count"], real
    real = project.doit("assets", "materialize", "joined", "--", "-a")
    assert real.ran == ["upper", "head", "count", "joined"], real


def test_what_only_reruns_if_its_upstream_changes_may_run(built: Project) -> None:
    built.write("data/raw.txt", "a\nc\n")  # the first line and the count stay
    result = dry(built, "+total")
    assert result.out == (
        "would run upper: input 'data/raw.txt' changed\n"
        f"  {UPPER}\n"
        "would run head: input 'data/raw.txt' changed\n"
        f"  {HEAD}\n"
        "may run count: only if what 'upper' makes comes out different\n"
        f"  {COUNT}\n"
        "may run joined: only if what 'count' or 'head' makes comes out different\n"
        f"  {JOINED}\n"
        "may run total: only if what 'joined' makes comes out different\n"
        f"  {TOTAL}\n"
        "\n"
        "dry run, nothing ran: 2 would run, 3 may run\n"
    )
    # upper's new output differs, so count runs; it counts the same two lines,
    # and head's first line is the same: joined and total do not run
    real = built.doit("assets", "materialize", "+total")
    assert real.ran == ["upper", "head", "count"], real


def test_nothing_to_run(built: Project) -> None:
    assert dry(built, "+total").out == "dry run, nothing ran: 5 up to date\n"
    assert dry(built, "raw").out == "dry run, nothing ran: no asset to run\n"


def test_only_runs_from_the_upstream_outputs_on_disk(built: Project) -> None:
    built.write("data/raw.txt", "a\nb\nc\n")
    assert dry(built, "count", "--only").out == ("dry run, nothing ran: 1 up to date\n")
    assert built.doit("assets", "materialize", "count", "--only").ran == []
    assert dry(built, "upper", "count", "--only").out == (
        "would run upper: input 'data/raw.txt' changed\n"
        f"  {UPPER}\n"
        "may run count: only if what 'upper' makes comes out different\n"
        f"  {COUNT}\n"
        "\n"
        "dry run, nothing ran: 1 would run, 1 may run\n"
    )


def test_always_execute_after_the_separator_runs_everything(built: Project) -> None:
    result = dry(built, "joined", "--", "-a")
    assert steps(result) == [
        "would run upper",
        "would run head",
        "would run count",
        "would run joined",
    ]
    assert result.out.splitlines()[:2] == [
        "would run upper: --always-execute runs it whatever its state",
        f"  {UPPER}",
    ]


def test_an_ignored_asset_and_its_readers_are_counted_not_shown(
    built: Project,
) -> None:
    built.write("data/raw.txt", "x\ny\n")
    assert built.doit("ignore", "upper").code == 0
    result = dry(built, "+total")
    assert result.out == (
        "would run head: input 'data/raw.txt' changed\n"
        f"  {HEAD}\n"
        "\n"
        "dry run, nothing ran: 1 would run, 4 ignored\n"
    )


def test_an_observed_source_is_observed_and_its_readers_may_run(
    project: Project,
) -> None:
    project.assets(
        """\
        [assets.stock]
        observe = "cat version.txt"

        [assets.report]
        path = "out/report.txt"
        transform = "cp {stock.path} {self.path}"

        [assets.summary]
        path = "out/summary.txt"
        transform = "cp {report.path} {self.path}"
        """
    )
    project.write("version.txt", "1\n")
    assert project.doit_ok().ran == ["stock", "report", "summary"]
    result = dry(project, "summary")
    assert result.out == (
        "would observe stock\n"
        "  cat version.txt\n"
        "may run report: only if the observation of 'stock' changes\n"
        "  cp .doit-assets/observed/stock.txt out/report.txt\n"
        "may run summary: only if what 'report' makes comes out different\n"
        "  cp out/report.txt out/summary.txt\n"
        "\n"
        "dry run, nothing ran: 2 may run, 1 to observe\n"
    )


PARTITIONED = """\
[assets.raw]
path = "data/raw/{partition}.txt"
partitions = { daily = { start = "2024-02-01", end = "2024-02-03" } }

[assets.sales]
path = "out/sales/{partition}.txt"
transform = "cp {raw.path} {self.path}"
partitions = { daily = { start = "2024-02-01", end = "2024-02-03" } }

[assets.report]
path = "out/report/{partition}.txt"
transform = "cat {sales.path} > {self.path}"
partitions = { daily = { start = "2024-02-01", end = "2024-02-03" } }

[assets.total]
path = "out/total.txt"
transform = "cat {report.paths} > {self.path}"
"""


@pytest.mark.parametrize(
    "selection", [["total"], ["report"], ["sales+"], ["total", "sales"]], ids=" ".join
)
def test_partitions_come_in_the_order_doit_runs_them(
    project: Project, selection: list[str]
) -> None:
    project.assets(PARTITIONED)
    for day in ("01", "02", "03"):
        project.write(f"data/raw/2024-02-{day}.txt", f"{day}\n")
    planned = [
        line.removeprefix("would run ") for line in steps(dry(project, *selection))
    ]
    real = project.doit("assets", "materialize", *selection)
    assert real.code == 0, real
    assert real.ran == planned
    assert dry(project, *selection).out.startswith("dry run, nothing ran: ")


def test_the_commands_of_partitions_have_their_final_paths(project: Project) -> None:
    project.assets(PARTITIONED)
    for day in ("01", "02", "03"):
        project.write(f"data/raw/2024-02-{day}.txt", f"{day}\n")
    result = dry(project, "report")
    assert result.out == (
        "would run sales:2024-02-01: never materialized\n"
        "  cp data/raw/2024-02-01.txt out/sales/2024-02-01.txt\n"
        "would run sales:2024-02-02: never materialized\n"
        "  cp data/raw/2024-02-02.txt out/sales/2024-02-02.txt\n"
        "would run sales:2024-02-03: never materialized\n"
        "  cp data/raw/2024-02-03.txt out/sales/2024-02-03.txt\n"
        "would run report:2024-02-01: never materialized\n"
        "  cat out/sales/2024-02-01.txt > out/report/2024-02-01.txt\n"
        "would run report:2024-02-02: never materialized\n"
        "  cat out/sales/2024-02-02.txt > out/report/2024-02-02.txt\n"
        "would run report:2024-02-03: never materialized\n"
        "  cat out/sales/2024-02-03.txt > out/report/2024-02-03.txt\n"
        "\n"
        "dry run, nothing ran: 6 would run\n"
    )
