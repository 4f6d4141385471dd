"""Partitions end to end: each kind as doit sub-tasks ``KEY:PARTITION``, each
mapping between partitioned assets, open time windows against a fixed clock,
Python assets with a ``partition`` parameter, the history, status, why and
graph of partitioned assets, and a project of thousands of partitions.

The clock is fixed with ``DOIT_ASSETS_NOW`` (the subprocesses inherit the
environment): LATER unless a test sets another moment. Windows with an ``end``
do not depend on it; open windows (no ``end``) and ages do.
"""

from __future__ import annotations

import datetime
import json
import pickle
import time
from collections.abc import Callable

import pytest
from conftest import DoitRun, Project, copy_of

from doit_assets.model.mappings import UpstreamPartitions, parse_mapping
from doit_assets.model.partitions import PartitionsError, parse_partitions

NOW = "DOIT_ASSETS_NOW"
BUILT = 1_700_000_000.0  # 2023-11-14T22:13:20Z
LATER = BUILT + 5400  # 1h30m after the build


# -- helpers -------------------------------------------------------------------


def ok(result: DoitRun) -> DoitRun:
    assert result.code == 0, result
    assert "Traceback" not in result.out + result.err, result
    return result


def listed(project: Project, *args: str) -> list[str]:
    """``doit list --all`` in the order of definition, trailing blanks dropped."""
    result = ok(project.doit("list", "--all", "--sort", "definition", *args))
    return [line.rstrip() for line in result.out.splitlines()]


def files(project: Project, folder: str = "out") -> dict[str, str]:
    """Every file under ``folder`` with its content."""
    root = project.path(folder)
    return {
        str(p.relative_to(project.root)): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def local(moment: float) -> str:
    """A moment as the text commands print it (local time)."""
    return datetime.datetime.fromtimestamp(moment).strftime("%Y-%m-%d %H:%M:%S")


def error(result: DoitRun) -> str:
    """The one line of a command that failed as doit fails on a bad project."""
    assert result.code == 3, result
    assert result.out == "", result
    assert "Traceback" not in result.err, result
    return result.err.rstrip("\n")


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[float | str], None]:
    """``clock(moment)`` sets what doit and the commands take for now."""

    def set_clock(moment: float | str) -> None:
        monkeypatch.setenv(NOW, str(moment))

    set_clock(LATER)
    return set_clock


# -- each kind of partitions ---------------------------------------------------

# Each kind writes its key into its file. Windows are inclusive of their 'end'
# (the window that starts there); a window starts at or after 'start': weeks
# on a Monday (2024-03-01 is a Friday), months on the first.
KINDS = """\
[assets.regions]
path = "out/regions/{partition}.txt"
transform = "echo {partition} > {self.path}"
partitions = { static = ["eu", "us", "apac"] }

[assets.hours]
path = "out/hours/{partition}.txt"
transform = "echo {partition} > {self.path}"
partitions = { hourly = { start = "2024-03-05T22:00", end = "2024-03-06T01:00" } }

[assets.days]
path = "out/days/{partition}.txt"
transform = "echo {partition} > {self.path}"
partitions = { daily = { start = "2024-02-27", end = "2024-03-02" } }

[assets.weeks]
path = "out/weeks/{partition}.txt"
transform = "echo {partition} > {self.path}"
partitions = { weekly = { start = "2024-03-01", end = "2024-03-18" } }

[assets.months]
path = "out/months/{partition}.txt"
transform = "echo {partition} > {self.path}"
partitions = { monthly = { start = "2023-11-15", end = "2024-02-01" } }

[assets.grid]
path = "out/grid/{partition.date}/{partition.region}.txt"
transform = "echo {partition.date} {partition.region} {partition} > {self.path}"
partitions = { date = { daily = { start = "2024-03-01", end = "2024-03-02" } }, region = { static = ["eu", "us"] } }
"""


def test_each_kind_lists_its_partitions_as_sub_tasks_weeks_from_monday_months_from_the_first(
    project: Project,
) -> None:
    project.assets(KINDS)
    assert listed(project) == [
        "regions                  3 partitions",
        "regions:eu",
        "regions:us",
        "regions:apac",
        "hours                    4 partitions",
        "hours:2024-03-05-22:00",
        "hours:2024-03-05-23:00",
        "hours:2024-03-06-00:00",
        "hours:2024-03-06-01:00",
        "days                     5 partitions",
        "days:2024-02-27",
        "days:2024-02-28",
        "days:2024-02-29",
        "days:2024-03-01",
        "days:2024-03-02",
        "weeks                    3 partitions",
        "weeks:2024-03-04",
        "weeks:2024-03-11",
        "weeks:2024-03-18",
        "months                   3 partitions",
        "months:2023-12-01",
        "months:2024-01-01",
        "months:2024-02-01",
        "grid                     4 partitions",
        "grid:2024-03-01|eu",
        "grid:2024-03-01|us",
        "grid:2024-03-02|eu",
        "grid:2024-03-02|us",
    ]
    # without --all, one line per asset
    assert ok(project.doit("list", "--sort", "definition")).out.splitlines() == [
        "regions   3 partitions",
        "hours     4 partitions",
        "days      5 partitions",
        "weeks     3 partitions",
        "months    3 partitions",
        "grid      4 partitions",
    ]


@pytest.mark.parametrize(
    ("asset", "made"),
    [
        ("regions", {"eu": "eu", "us": "us", "apac": "apac"}),
        ("weeks", {k: k for k in ("2024-03-04", "2024-03-11", "2024-03-18")}),
        ("months", {k: k for k in ("2023-12-01", "2024-01-01", "2024-02-01")}),
    ],
)
def test_doit_key_builds_every_partition_of_the_asset_and_nothing_else(
    project: Project, asset: str, made: dict[str, str]
) -> None:
    project.assets(KINDS)
    result = ok(project.doit(asset))
    assert result.ran == [f"{asset}:{key}" for key in made]
    assert files(project) == {
        f"out/{asset}/{key}.txt": f"{text}\n" for key, text in made.items()
    }
    again = ok(project.doit(asset))
    assert (again.ran, again.up_to_date) == ([], result.ran)


def test_doit_key_colon_partition_builds_that_partition_alone(
    project: Project,
) -> None:
    project.assets(KINDS)
    one = ok(project.doit("hours:2024-03-05-23:00"))
    assert one.ran == ["hours:2024-03-05-23:00"]
    assert files(project) == {"out/hours/2024-03-05-23:00.txt": "2024-03-05-23:00\n"}
    rest = ok(project.doit("hours"))
    assert rest.ran == [
        "hours:2024-03-05-22:00",
        "hours:2024-03-06-00:00",
        "hours:2024-03-06-01:00",
    ]
    assert rest.up_to_date == ["hours:2024-03-05-23:00"]


def test_an_unknown_partition_is_not_a_task(project: Project) -> None:
    project.assets(KINDS)
    result = project.doit("days:2024-03-03")
    assert result.code == 3, result
    assert result.err.splitlines()[0] == (
        'ERROR: Invalid parameter: "days:2024-03-03". '
        "Must be a command, task, or a target."
    )


def test_two_dimensions_fill_each_dimension_and_quote_the_whole_key(
    project: Project,
) -> None:
    project.assets(KINDS)
    assert ok(project.doit("grid")).ran == [
        "grid:2024-03-01|eu",
        "grid:2024-03-01|us",
        "grid:2024-03-02|eu",
        "grid:2024-03-02|us",
    ]
    # unquoted, 'echo ... 2024-03-01|eu > FILE' would pipe into a command 'eu'
    assert files(project) == {
        "out/grid/2024-03-01/eu.txt": "2024-03-01 eu 2024-03-01|eu\n",
        "out/grid/2024-03-01/us.txt": "2024-03-01 us 2024-03-01|us\n",
        "out/grid/2024-03-02/eu.txt": "2024-03-02 eu 2024-03-02|eu\n",
        "out/grid/2024-03-02/us.txt": "2024-03-02 us 2024-03-02|us\n",
    }


def test_a_two_dimensional_key_in_a_path_is_quoted_in_the_command(
    project: Project,
) -> None:
    project.assets(
        """\
        [assets.grid]
        path = "out/{partition}.txt"
        transform = "echo {partition.region} > {self.path}"
        partitions = { date = { daily = { start = "2024-03-01", end = "2024-03-01" } }, region = { static = ["eu", "us"] } }
        """
    )
    assert ok(project.doit()).ran == ["grid:2024-03-01|eu", "grid:2024-03-01|us"]
    assert files(project) == {
        "out/2024-03-01|eu.txt": "eu\n",
        "out/2024-03-01|us.txt": "us\n",
    }


# -- mappings ------------------------------------------------------------------

# Two partitioned sources, and a reader for each mapping:
#   report     daily, identity (same partitions: the default)
#   total      unpartitioned: every partition (the default)
#   monthly    monthly: the days within each month (overlapping windows)
#   change     daily, offset -1: the day before (none for the first day)
#   grid       date x region: sales by its date, regions by its region
#   day_total  daily: every region of its date in grid (1-D reader of 2-D)
DAYS = '{ daily = { start = "2024-01-30", end = "2024-02-02" } }'
MAPPINGS = f"""\
[assets.sales]
path = "data/sales/{{partition}}.txt"
partitions = {DAYS}

[assets.regions]
path = "data/regions/{{partition}}.txt"
partitions = {{ static = ["eu", "us"] }}

[assets.report]
path = "out/report/{{partition}}.txt"
transform = "{{python}} tx.py upper {{self.path}} {{sales.path}}"
partitions = {DAYS}

[assets.total]
path = "out/total.txt"
transform = "{{python}} tx.py cat {{self.path}} {{sales.paths}}"

[assets.monthly]
path = "out/monthly/{{partition}}.txt"
transform = "{{python}} tx.py cat {{self.path}} {{sales.paths}}"
partitions = {{ monthly = {{ start = "2024-01-01", end = "2024-02-01" }} }}

[assets.change]
path = "out/change/{{partition}}.txt"
transform = "{{python}} tx.py cat {{self.path}} {{sales.paths}}"
partitions = {DAYS}
partition_mapping = {{ sales = {{ offset = -1 }} }}

[assets.grid]
path = "out/grid/{{partition.date}}-{{partition.region}}.txt"
transform = "{{python}} tx.py cat {{self.path}} {{sales.path}} {{regions.path}}"
partitions = {{ date = {DAYS}, region = {{ static = ["eu", "us"] }} }}

[assets.day_total]
path = "out/day_total/{{partition}}.txt"
transform = "{{python}} tx.py cat {{self.path}} {{grid.paths}}"
partitions = {DAYS}
"""
SALES_DAYS = ("2024-01-30", "2024-01-31", "2024-02-01", "2024-02-02")


def sales(day: str) -> str:
    return f"sales {day}\n"


def write_mappings(project: Project) -> None:
    for day in SALES_DAYS:
        project.write(f"data/sales/{day}.txt", sales(day))
    for region in ("eu", "us"):
        project.write(f"data/regions/{region}.txt", f"region {region}\n")
    project.assets(MAPPINGS)


def build_mappings(project: Project) -> None:
    """The mappings project, built."""
    write_mappings(project)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(NOW, str(BUILT))
        ok(project.doit("-n", "2"))


mapped = copy_of(build_mappings)


def test_each_mapping_reads_the_upstream_partitions_it_names(mapped: Project) -> None:
    s = {day: sales(day) for day in SALES_DAYS}
    eu, us = "region eu\n", "region us\n"
    grid = {
        f"out/grid/{day}-{region}.txt": s[day] + text
        for day in SALES_DAYS
        for region, text in (("eu", eu), ("us", us))
    }
    assert files(mapped) == {
        # offset -1: the first day has no day before it, and reads nothing
        "out/change/2024-01-30.txt": "",
        "out/change/2024-01-31.txt": s["2024-01-30"],
        "out/change/2024-02-01.txt": s["2024-01-31"],
        "out/change/2024-02-02.txt": s["2024-02-01"],
        **{f"out/day_total/{day}.txt": s[day] + eu + s[day] + us for day in SALES_DAYS},
        **grid,
        "out/monthly/2024-01-01.txt": s["2024-01-30"] + s["2024-01-31"],
        "out/monthly/2024-02-01.txt": s["2024-02-01"] + s["2024-02-02"],
        **{f"out/report/{day}.txt": s[day].upper() for day in SALES_DAYS},
        "out/total.txt": "".join(s.values()),
    }


def test_a_build_is_up_to_date_partition_by_partition(mapped: Project) -> None:
    result = ok(mapped.doit())
    assert result.ran == []
    assert len(result.up_to_date) == 4 + 2 + 4 + 1 + 2 + 4 + 8 + 4


def test_editing_one_day_reruns_exactly_the_partitions_that_read_it(
    mapped: Project,
) -> None:
    mapped.write("data/sales/2024-01-31.txt", "sales 2024-01-31 corrected\n")
    result = ok(mapped.doit())
    assert result.ran == [
        "report:2024-01-31",  # identity
        "total",  # all
        "monthly:2024-01-01",  # the month around it
        "change:2024-02-01",  # the day after reads it (offset -1)
        "grid:2024-01-31|eu",  # its date, in every region
        "grid:2024-01-31|us",
        "day_total:2024-01-31",
    ]
    assert mapped.read("out/change/2024-02-01.txt") == "sales 2024-01-31 corrected\n"
    assert ok(mapped.doit()).ran == []


def test_editing_one_region_reruns_that_region_of_every_date(
    mapped: Project,
) -> None:
    mapped.write("data/regions/eu.txt", "region EU\n")
    assert ok(mapped.doit()).ran == [
        "grid:2024-01-30|eu",
        "grid:2024-01-31|eu",
        "grid:2024-02-01|eu",
        "grid:2024-02-02|eu",
        "day_total:2024-01-30",
        "day_total:2024-01-31",
        "day_total:2024-02-01",
        "day_total:2024-02-02",
    ]
    assert mapped.read("out/grid/2024-02-01-eu.txt") == "sales 2024-02-01\nregion EU\n"


def test_status_counts_the_partitions_a_changed_day_makes_stale(
    mapped: Project,
) -> None:
    mapped.write("data/sales/2024-02-02.txt", "sales 2024-02-02 corrected\n")
    lines = ok(mapped.doit("assets", "status")).out.splitlines()
    # (the sources' lines: see test_a_partitioned_source_is_summed_up_as_a_source)
    assert lines[0] == "ASSET      STATUS  AGE    REASON"
    assert lines[3:] == [
        "report     stale   1h30m  3/4 fresh, 1 stale",
        "total      stale   1h30m  input 'data/sales/2024-02-02.txt' changed",
        "monthly    stale   1h30m  1/2 fresh, 1 stale",
        "change     fresh   1h30m  4/4 fresh",  # no day after the last one
        "grid       stale   1h30m  6/8 fresh, 2 stale",
        "day_total  stale   1h30m  3/4 fresh, 1 stale",
        "",
        "8 assets: 1 fresh, 5 stale, 2 source",
    ]


# -- open windows and the clock ------------------------------------------------

OPEN_DAYS = """\
[assets.days]
path = "out/days/{partition}.txt"
transform = "echo {partition} > {self.path}"
partitions = { daily = { start = "2024-03-01" } }
"""


def test_an_open_window_gains_a_partition_when_a_day_ends(
    project: Project, clock: Callable[[str], None]
) -> None:
    project.assets(OPEN_DAYS)
    clock("2024-03-03T23:59:59Z")  # days that have ended: the 1st and the 2nd
    assert listed(project) == [
        "days              2 partitions",
        "days:2024-03-01",
        "days:2024-03-02",
    ]
    assert ok(project.doit()).ran == ["days:2024-03-01", "days:2024-03-02"]
    assert project.exists(".doit-assets/project.cache")
    clock("2024-03-04T00:00:00Z")  # the 3rd has ended: the cached project renews
    result = ok(project.doit())
    assert result.ran == ["days:2024-03-03"]
    assert result.up_to_date == ["days:2024-03-01", "days:2024-03-02"]
    assert project.read("out/days/2024-03-03.txt") == "2024-03-03\n"


def test_an_open_window_before_its_first_day_ends_has_no_partitions(
    project: Project, clock: Callable[[str], None]
) -> None:
    project.assets(OPEN_DAYS)
    clock("2024-03-01T12:00:00Z")
    assert listed(project) == ["days   0 partitions"]
    result = ok(project.doit())
    assert result.ran == []
    assert ok(project.doit("assets", "status")).out.splitlines() == [
        "ASSET  STATUS  AGE  REASON",
        "days   fresh   -    no partitions yet",
        "",
        "1 asset: 1 fresh",
    ]


def test_an_earlier_clock_does_not_see_the_partitions_of_a_later_one(
    project: Project, clock: Callable[[str], None]
) -> None:
    project.assets(OPEN_DAYS)
    clock("2024-03-04T00:00:00Z")
    assert len(listed(project)) == 1 + 3
    clock("2024-03-02T00:00:00Z")  # without a cache: only the 1st has ended
    assert listed(project) == ["days              1 partition", "days:2024-03-01"]


def test_an_open_hourly_window_counts_the_hours_that_have_ended(
    project: Project, clock: Callable[[str], None]
) -> None:
    project.assets(
        """\
        [assets.hours]
        path = "out/{partition}.txt"
        transform = "echo {partition} > {self.path}"
        partitions = { hourly = { start = "2024-03-05T10:00" } }
        """
    )
    clock("2024-03-05T12:59:59Z")
    assert listed(project)[1:] == ["hours:2024-03-05-10:00", "hours:2024-03-05-11:00"]
    clock("2024-03-05T13:00:00Z")
    assert listed(project)[1:] == [
        "hours:2024-03-05-10:00",
        "hours:2024-03-05-11:00",
        "hours:2024-03-05-12:00",
    ]


@pytest.mark.parametrize(
    ("settings", "dimension", "midnight"),
    [
        ("", "", "2024-03-04T00:00:00Z"),
        ('[settings]\ntimezone = "America/New_York"\n', "", "2024-03-04T05:00:00Z"),
        ('[settings]\ntimezone = "Asia/Tokyo"\n', "", "2024-03-03T15:00:00Z"),
        # a window's own timezone wins over the setting
        (
            '[settings]\ntimezone = "Asia/Tokyo"\n',
            ', timezone = "America/New_York"',
            "2024-03-04T05:00:00Z",
        ),
    ],
    ids=["UTC by default", "New York", "Tokyo", "the window's own"],
)
def test_the_timezone_moves_the_moment_a_day_ends(
    project: Project,
    clock: Callable[[float], None],
    settings: str,
    dimension: str,
    midnight: str,
) -> None:
    project.assets(
        settings
        + "[assets.days]\n"
        + 'path = "out/days/{partition}.txt"\n'
        + 'transform = "echo {partition} > {self.path}"\n'
        + f'partitions = {{ daily = {{ start = "2024-03-01"{dimension} }} }}\n'
    )
    end_of_the_3rd = datetime.datetime.fromisoformat(midnight).timestamp()
    clock(end_of_the_3rd - 1)
    assert listed(project)[1:] == ["days:2024-03-01", "days:2024-03-02"]
    clock(end_of_the_3rd)
    assert listed(project)[1:] == [
        "days:2024-03-01",
        "days:2024-03-02",
        "days:2024-03-03",
    ]


# -- Python assets -------------------------------------------------------------

PIPE = """\
from pathlib import Path

from doit_assets import asset

DAYS = {"daily": {"start": "2024-03-01", "end": "2024-03-03"}}
GRID = {
    "date": {"daily": {"start": "2024-03-01", "end": "2024-03-02"}},
    "region": {"static": ["eu", "us"]},
}


@asset(path="out/day/{partition}.txt", partitions=DAYS)
def day(partition, output: Path) -> None:
    output.write_text(f"{partition!r} {type(partition).__name__}\\n")


@asset(partitions=DAYS)
def size(partition, day: Path) -> int:
    return len(day.read_text()) * 100 + int(partition[-2:])


@asset(path="out/sizes.txt")
def sizes(size, output: Path) -> None:
    output.write_text(f"{size!r}\\n")


@asset(path="out/grid/{partition.date}/{partition.region}.txt", partitions=GRID)
def grid(partition, output: Path) -> None:
    output.write_text(f"{partition} date={partition.date} region={partition.region}\\n")
"""
PIPE_FILES = {
    "out/day/2024-03-01.txt": "'2024-03-01' PartitionKey\n",
    "out/day/2024-03-02.txt": "'2024-03-02' PartitionKey\n",
    "out/day/2024-03-03.txt": "'2024-03-03' PartitionKey\n",
    # a partitioned value asset, read whole: a dict by partition key
    "out/sizes.txt": "{'2024-03-01': 2601, '2024-03-02': 2602, '2024-03-03': 2603}\n",
    "out/grid/2024-03-01/eu.txt": "2024-03-01|eu date=2024-03-01 region=eu\n",
    "out/grid/2024-03-01/us.txt": "2024-03-01|us date=2024-03-01 region=us\n",
    "out/grid/2024-03-02/eu.txt": "2024-03-02|eu date=2024-03-02 region=eu\n",
    "out/grid/2024-03-02/us.txt": "2024-03-02|us date=2024-03-02 region=us\n",
}


def write_pipe(project: Project) -> None:
    project.write("pipe.py", PIPE)
    project.assets('[settings]\nmodules = ["pipe"]\n')


@pytest.mark.parametrize("jobs", [[], ["-n", "2"]], ids=["serial", "workers"])
def test_python_assets_receive_their_partition_key(
    project: Project, jobs: list[str]
) -> None:
    write_pipe(project)
    result = ok(project.doit(*jobs))
    assert sorted(result.ran) == sorted(
        [f"day:2024-03-0{n}" for n in (1, 2, 3)]
        + [f"size:2024-03-0{n}" for n in (1, 2, 3)]
        + ["sizes"]
        + [f"grid:2024-03-0{d}|{r}" for d in (1, 2) for r in ("eu", "us")]
    )
    assert files(project) == dict(sorted(PIPE_FILES.items()))
    values = project.path(".doit-assets/values")
    assert {
        str(p.relative_to(values)): pickle.loads(p.read_bytes())
        for p in sorted(values.rglob("*.pickle"))
    } == {
        "size/2024-03-01.pickle": 2601,
        "size/2024-03-02.pickle": 2602,
        "size/2024-03-03.pickle": 2603,
    }


def test_a_deleted_python_partition_is_made_again_alone(project: Project) -> None:
    write_pipe(project)
    ok(project.doit())
    project.path("out/day/2024-03-02.txt").unlink()
    result = ok(project.doit())
    # the file is made again with the same bytes: its value and the dict hold
    assert result.ran == ["day:2024-03-02"]
    assert files(project) == dict(sorted(PIPE_FILES.items()))


def test_history_records_the_partition_of_each_materialization(
    project: Project,
) -> None:
    write_pipe(project)
    ok(project.doit("day", "sizes"))
    history = json.loads(ok(project.doit("assets", "history", "--json")).out)
    made = [(m["asset"], m["partition"]) for m in history["materializations"]]
    assert made == [
        ("sizes", None),
        ("size", "2024-03-03"),
        ("size", "2024-03-02"),
        ("size", "2024-03-01"),
        ("day", "2024-03-03"),
        ("day", "2024-03-02"),
        ("day", "2024-03-01"),
    ]
    one = json.loads(
        ok(project.doit("assets", "history", "day:2024-03-02", "--json")).out
    )
    [entry] = one["materializations"]
    assert (entry["asset"], entry["partition"]) == ("day", "2024-03-02")
    assert entry["transform"] == "python pipe:day [2024-03-02]"
    assert [o["path"] for o in entry["outputs"]] == ["out/day/2024-03-02.txt"]


# -- status, why and graph -----------------------------------------------------

# Five days of sales, made by hand at BUILT: three fresh, one failed (a file in
# broken/ makes its day fail), one never made; 'total' reads them all.
STATUS = """\
[assets.sales]
path = "out/sales/{partition}.txt"
transform = "test ! -e broken/{partition} && echo {partition} > {self.path}"
partitions = { daily = { start = "2024-03-01", end = "2024-03-05" } }

[assets.total]
path = "out/total.txt"
transform = "cat {sales.paths} > {self.path}"
"""
FAILED_TRANSFORM = (
    "test ! -e broken/2024-03-03 && echo 2024-03-03 > out/sales/2024-03-03.txt"
)


def build_status(project: Project) -> None:
    project.assets(STATUS)
    project.write("broken/2024-03-03", "")
    days = [f"sales:2024-03-0{n}" for n in (1, 2, 3, 4)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(NOW, str(BUILT))
        result = project.doit("--continue", *days)
    assert result.code == 1 and result.ran == days, result


partly = copy_of(build_status)


def test_status_sums_up_a_partitioned_asset_on_one_line(partly: Project) -> None:
    assert ok(partly.doit("assets", "status")).out.splitlines() == [
        "ASSET  STATUS   AGE    REASON",
        "sales  failed   1h30m  3/5 fresh, 1 missing, 1 failed",
        "total  blocked  -      upstream 'sales:2024-03-03' failed: its last attempt "
        f"failed (#3, run 1): transform exited with code 1: {FAILED_TRANSFORM} "
        "(and 1 more)",
        "",
        "2 assets: 1 failed, 1 blocked",
    ]


def test_status_partitions_lists_each_partition(partly: Project) -> None:
    lines = ok(partly.doit("assets", "status", "--partitions")).out.splitlines()
    assert lines == [
        "ASSET             STATUS   AGE    REASON",
        "sales:2024-03-01  fresh    1h30m",
        "sales:2024-03-02  fresh    1h30m",
        "sales:2024-03-03  failed   -      its last attempt failed (#3, run 1): "
        f"transform exited with code 1: {FAILED_TRANSFORM}",
        "sales:2024-03-04  fresh    1h30m",
        "sales:2024-03-05  missing  -      never materialized",
        "total             blocked  -      upstream 'sales:2024-03-03' failed: its "
        "last attempt failed (#3, run 1): transform exited with code 1: "
        f"{FAILED_TRANSFORM} (and 1 more)",
        "",
        "6 assets: 3 fresh, 1 missing, 1 failed, 1 blocked",
    ]


def test_status_check_counts_the_partitions_that_would_run(partly: Project) -> None:
    result = partly.doit("assets", "status", "--check")
    assert result.code == 1, result
    assert result.err == (
        "status --check: 3 of 6 selected partitions and assets would run\n"
    )


def test_status_json_gives_the_counts_of_a_partitioned_asset(
    partly: Project,
) -> None:
    data = json.loads(ok(partly.doit("assets", "status", "--json")).out)
    sales = data["assets"][0]
    assert (sales["asset"], sales["state"], sales["reason"]) == (
        "sales",
        "failed",
        "3/5 fresh, 1 missing, 1 failed",
    )
    assert sales["partitions"] == {"total": 5, "fresh": 3, "missing": 1, "failed": 1}
    assert data["summary"] == {"failed": 1, "blocked": 1}


def test_why_a_partitioned_asset_explains_each_partition_that_would_run(
    partly: Project,
) -> None:
    assert ok(partly.doit("assets", "why", "sales")).out.splitlines() == [
        "sales: 3/5 fresh, 1 missing, 1 failed",
        "",
        "sales:2024-03-03 failed last time and would run again, because:",
        f"  its last attempt failed (#3, run 1): transform exited with code 1: "
        f"{FAILED_TRANSFORM}",
        "",
        "sales:2024-03-05 is missing and would run, because:",
        "  never materialized",
    ]


def test_why_one_partition_gives_its_own_state(partly: Project) -> None:
    assert ok(partly.doit("assets", "why", "sales:2024-03-02")).out.splitlines() == [
        f"sales:2024-03-02 is fresh: made {local(BUILT)} (1h30m ago); "
        "nothing it depends on has changed since"
    ]
    assert ok(partly.doit("assets", "why", "sales:2024-03-05")).out.splitlines() == [
        "sales:2024-03-05 is missing and would run, because:",
        "  never materialized",
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "sales:2024-03-07",
            "ERROR: asset 'sales' has no partition '2024-03-07'. "
            "Did you mean '2024-03-05'?",
        ),
        (
            "sales:eu",
            "ERROR: asset 'sales' has no partition 'eu'. "
            "'doit assets status sales --partitions' lists them",
        ),
        ("total:x", "ERROR: asset 'total' has no partitions. Name it as 'total'"),
    ],
)
def test_why_an_unknown_partition_is_an_error_with_a_hint(
    partly: Project, name: str, message: str
) -> None:
    assert error(partly.doit("assets", "why", name)) == message


def test_graph_json_node_of_a_partitioned_asset_sums_up_its_partitions(
    partly: Project,
) -> None:
    data = json.loads(ok(partly.doit("assets", "graph", "--format", "json")).out)
    node = {k: v for k, v in data["nodes"][0].items() if k not in ("history",)}
    last = node.pop("last_materialization")
    assert node == {
        "asset": "sales",
        "kind": "transform",
        "state": "failed",
        "reason": "3/5 fresh, 1 missing, 1 failed",
        "group": "default",
        "tags": [],
        "description": "5 partitions",
        "paths": ["out/sales/{partition}.txt"],
        "transform": "test ! -e broken/{partition} && echo {partition} > {self.path}",
        "deps": [],
        "max_age": None,
        "age": "1h30m",
    }
    assert (last["asset"], last["partition"], last["status"]) == (
        "sales",
        "2024-03-04",
        "success",
    )
    assert data["edges"] == [{"from": "sales", "to": "total"}]


def test_a_partitioned_source_is_summed_up_as_a_source(mapped: Project) -> None:
    lines = ok(mapped.doit("assets", "status")).out.splitlines()
    assert lines[1].split()[:3] == ["sales", "source", "-"]
    assert lines[-1] == "8 assets: 6 fresh, 2 source"


# -- thousands of partitions ---------------------------------------------------

THOUSANDS = """\
[assets.sales]
path = "data/sales/{partition}.txt"
partitions = { daily = { start = "2000-01-01", end = "2005-06-22" } }

[assets.report]
path = "out/report/{partition}.txt"
transform = "cp {sales.path} {self.path}"
partitions = { daily = { start = "2000-01-01", end = "2005-06-22" } }
"""


def test_thousands_of_partitions_load_build_and_stay_up_to_date(
    project: Project,
) -> None:
    day = datetime.date(2000, 1, 1)
    days = [str(day + datetime.timedelta(days=n)) for n in range(2000)]
    assert days[-1] == "2005-06-22"
    folder = project.path("data/sales")
    folder.mkdir(parents=True)
    for key in days:
        (folder / f"{key}.txt").write_text(key + "\n")
    project.assets(THOUSANDS)
    assert ok(project.doit("list")).out.splitlines() == [
        "report   2000 partitions",
        "sales    2000 partitions",
    ]
    first = ok(project.doit("-n", "2"))
    assert sorted(first.ran) == [f"report:{key}" for key in days]
    assert project.read("out/report/2005-06-22.txt") == "2005-06-22\n"
    again = ok(project.doit())
    assert again.ran == []
    assert len(again.up_to_date) == 4000
    project.write("data/sales/2003-03-03.txt", "edited\n")
    edited = ok(project.doit())
    assert edited.ran == ["report:2003-03-03"]
    status = ok(project.doit("assets", "status")).out.splitlines()
    assert status[2] == "report  fresh   0s   2000/2000 fresh"


def test_a_python_reader_of_several_partitions_gets_a_dict_of_paths(
    project: Project,
) -> None:
    project.write(
        "dodo.py",
        "from pathlib import Path\n"
        "from doit_assets import asset\n"
        "from doit_assets.dodo import *\n\n"
        "DAYS = {'daily': {'start': '2024-03-01', 'end': '2024-03-03'}}\n\n\n"
        "@asset(path='out/days/{partition}.txt', partitions=DAYS)\n"
        "def days(partition, output: Path) -> None:\n"
        "    output.write_text(partition)\n\n\n"
        "@asset(path='out/all.txt')\n"
        "def every_day(days: dict, output: Path) -> None:\n"
        "    output.write_text(repr(sorted((k, str(p)) for k, p in days.items())))\n\n\n"
        "@asset(path='out/before/{partition}.txt', partitions=DAYS,\n"
        "       partition_mapping={'days': {'offset': -1}})\n"
        "def day_before(days: dict, output: Path) -> None:\n"
        "    output.write_text(repr(sorted(days)))\n",
    )
    ok(project.doit())
    assert project.read("out/all.txt") == repr(
        [(d, f"out/days/{d}.txt") for d in ("2024-03-01", "2024-03-02", "2024-03-03")]
    )
    assert project.read("out/before/2024-03-01.txt") == "[]"
    assert project.read("out/before/2024-03-02.txt") == "['2024-03-01']"


OPEN_MONTHS = """\
[assets.months]
path = "out/months/{partition}.txt"
transform = "echo {partition} > {self.path}"
partitions = { monthly = { start = "2024-01-01" } }
"""


@pytest.mark.parametrize("now", ["2024-03-31T12:00:00Z", "2024-03-01T00:00:00Z"])
def test_open_months_end_with_the_last_month_that_has_ended(
    project: Project, clock: Callable[[float | str], None], now: str
) -> None:
    project.assets(OPEN_MONTHS)
    clock(now)
    assert ok(project.doit("list", "--all")).out.split() == [
        "months",
        "2",
        "partitions",
        "months:2024-01-01",
        "months:2024-02-01",
    ]


def test_a_clock_that_is_not_a_time_is_an_error(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.assets(OPEN_MONTHS)
    monkeypatch.setenv("DOIT_ASSETS_NOW", "tomorrow")
    result = project.doit("list")
    assert (result.code, result.err) == (
        3,
        "ERROR: DOIT_ASSETS_NOW='tomorrow' is not a time. Write an ISO 8601 time "
        "(2024-03-05T11:00:00Z) or seconds since 1970\n",
    )


# -- limits --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["hourly", "daily", "weekly", "monthly"])
@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2024-01-01", "2024-01-01"),
        ("2024-01-31T05:30", "2024-03-01"),
        ("2023-12-31T23:00", "2025-02-28T22:59"),
        ("2024-03-05T13:00", "2024-03-04"),
        ("1000-01-01", "1000-03-07"),
        ("9998-10-01", "9998-12-31T23:59:59"),
    ],
)
def test_a_time_dimension_counts_its_keys_without_making_them(
    kind: str, start: str, end: str
) -> None:
    if end < start:
        return  # refused when parsed; counted as none
    definition = parse_partitions(
        {kind: {"start": start, "end": end}}, "UTC", decorator=False
    )
    (dimension,) = definition.dimensions
    assert dimension.count() == len(dimension.keys())


def test_an_open_window_counts_the_windows_that_have_ended(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(NOW, "2024-03-05T13:30:00+00:00")
    for kind in ("hourly", "daily", "weekly", "monthly"):
        (dimension,) = parse_partitions(
            {kind: {"start": "2023-01-01"}}, "Europe/Paris", decorator=False
        ).dimensions
        assert dimension.count() == len(dimension.keys()), kind


def test_an_open_hourly_window_from_1900_is_refused_before_any_key_is_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(NOW, "2024-03-05T00:00:00+00:00")
    with pytest.raises(PartitionsError) as exc:
        parse_partitions({"hourly": {"start": "1900-01-01"}}, "UTC", decorator=False)
    assert exc.value.problem == (
        "'partitions' declare 1,088,496 partitions, more than the limit of 1,000,000"
    )


def test_exactly_a_million_partitions_are_allowed() -> None:
    keys = [f"k{i}" for i in range(1000)]
    definition = parse_partitions(
        {"a": {"static": keys}, "b": {"static": keys}}, "UTC", decorator=False
    )
    assert [d.count() for d in definition.dimensions] == [1000, 1000]


def test_duplicate_static_keys_are_found_in_linear_time() -> None:
    keys = [f"k{i}" for i in range(200_000)] + ["k7"]
    started = time.perf_counter()
    with pytest.raises(PartitionsError) as exc:
        parse_partitions({"static": keys}, "UTC", decorator=False)
    assert exc.value.problem == "partition key 'k7' is listed twice"
    assert time.perf_counter() - started < 2  # quadratic: hours


def test_an_offset_before_the_calendar_reads_no_partition() -> None:
    days = parse_partitions(
        {"daily": {"start": "1000-01-01", "end": "1000-01-03"}}, "UTC", decorator=False
    )
    upstream = UpstreamPartitions(
        days, days, parse_mapping({"offset": -1_000_000}), days.keys()
    )
    assert upstream.of("1000-01-02") == []
