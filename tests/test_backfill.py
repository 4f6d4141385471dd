"""``doit assets backfill`` end to end: a range of partitions in dependency order,
``--dry-run``, a failing partition then ``--only-failed``, ``--only-missing`` and
``--only-stale``, an interrupted backfill resumed, parallel runs, the errors, and
what the history records; all through the real ``doit``.

The partitions of ``sales`` are made by ``step.sh``, which control files steer:
``broken/DAY`` makes that day fail, ``kill/DAY`` (holding a signal name) makes it
signal doit itself, as a crash or a Ctrl-C would, while it runs.
"""

from __future__ import annotations

import pytest
from conftest import DoitRun, Project, copy_of
from history_support import query, wait_for

DAYS = '{ daily = { start = "2024-02-01", end = "2024-02-08" } }'
FEBRUARY = [f"2024-02-0{n}" for n in range(1, 9)]

# raw (a partitioned source) -> sales (step.sh) -> report; total reads all reports
PROJECT = f"""\
[assets.raw]
path = "data/raw/{{partition}}.txt"
partitions = {DAYS}

[assets.sales]
path = "out/sales/{{partition}}.txt"
transform = "sh step.sh {{partition}} {{raw.path}} {{self.path}} $PPID"
partitions = {DAYS}

[assets.report]
path = "out/report/{{partition}}.txt"
transform = "cat {{sales.path}} > {{self.path}}"
partitions = {DAYS}

[assets.total]
path = "out/total.txt"
transform = "cat {{report.paths}} > {{self.path}}"
"""
# $4 is the pid of doit: the parent of the shell that runs the transform.
STEP = """\
if [ -e "kill/$1" ]; then kill -"$(cat "kill/$1")" "$4"; sleep 1; exit 1; fi
if [ -e "broken/$1" ]; then exit 1; fi
tr a-z A-Z < "$2" > "$3"
"""


# -- helpers -------------------------------------------------------------------


def write_project(project: Project) -> None:
    for day in FEBRUARY:
        project.write(f"data/raw/{day}.txt", f"raw {day}\n")
    project.write("step.sh", STEP)
    project.assets(PROJECT)


def build_project(project: Project) -> None:
    """The project, every partition made by a plain ``doit``."""
    write_project(project)
    result = project.doit()
    assert result.code == 0 and len(result.ran) == 8 + 8 + 1, result


@pytest.fixture
def fresh(project: Project) -> Project:
    """The project, nothing made yet."""
    write_project(project)
    return project


built = copy_of(build_project)


def backfill(project: Project, *args: str) -> DoitRun:
    result = project.doit("assets", "backfill", *args)
    assert "Traceback" not in result.out + result.err, result
    return result


def ours(result: DoitRun) -> list[str]:
    """The lines of the backfill itself (not doit's), in order."""
    return [
        line
        for line in result.out.splitlines()
        if line.startswith(("backfill #", "would backfill", "  ", "Nothing"))
        and not line.startswith("   [")
    ]


def made(project: Project, asset: str) -> list[str]:
    """The partitions of ``asset`` that have a file, by key (not a staging folder)."""
    folder = project.path(f"out/{asset}")
    if not folder.exists():
        return []
    return sorted(p.stem for p in folder.iterdir() if not p.name.startswith("."))


def days(asset: str, *numbers: int) -> list[str]:
    return [f"{asset}:2024-02-0{n}" for n in numbers]


def listed(*names: str) -> list[str]:
    """How a dry run lists partitions of PROJECT: each with its command."""
    lines = []
    for name in names:
        asset, _, day = name.partition(":")
        command = {
            "sales": f"sh step.sh {day} data/raw/{day}.txt out/sales/{day}.txt $PPID",
            "report": f"cat out/sales/{day}.txt > out/report/{day}.txt",
            "total": "cat "
            + " ".join(f"out/report/{d}.txt" for d in FEBRUARY)
            + " > out/total.txt",
        }[asset]
        lines += [f"  {name}", f"    {command}"]
    return lines


def history(project: Project) -> list[tuple[int, str, str | None, str]]:
    """(run, asset, partition, status) of every materialization, oldest first."""
    return [
        (m["run_id"], m["asset"], m["partition"], m["status"])
        for m in query(project, "select * from materializations order by id")
    ]


def backfill_ids(project: Project) -> list[tuple[int, int | None]]:
    """(run, backfill id) of every run."""
    return [
        (r["id"], r["backfill_id"])
        for r in query(project, "select * from runs order by id")
    ]


# -- a range -------------------------------------------------------------------


def test_backfill_makes_exactly_the_partitions_of_the_range_upstream_first(
    fresh: Project,
) -> None:
    result = backfill(
        fresh, "report", "sales", "--from", "2024-02-03", "--to", "2024-02-05"
    )
    assert (result.code, result.err) == (0, ""), result
    assert ours(result) == [
        "backfill #1: 6 to make: sales (3), report (3)",
        "backfill #1: 6 of 6 succeeded",
    ]
    assert result.ran == days("sales", 3, 4, 5) + days("report", 3, 4, 5)
    assert made(fresh, "sales") == ["2024-02-03", "2024-02-04", "2024-02-05"]
    assert made(fresh, "report") == ["2024-02-03", "2024-02-04", "2024-02-05"]
    assert fresh.read("out/report/2024-02-04.txt") == "RAW 2024-02-04\n"
    assert not fresh.exists("out/total.txt")
    # each partition with its key, in a run of backfill #1
    assert history(fresh) == [
        (1, "sales", "2024-02-03", "success"),
        (1, "sales", "2024-02-04", "success"),
        (1, "sales", "2024-02-05", "success"),
        (1, "report", "2024-02-03", "success"),
        (1, "report", "2024-02-04", "success"),
        (1, "report", "2024-02-05", "success"),
    ]
    assert backfill_ids(fresh) == [(1, 1)]
    [recorded] = query(fresh, "select * from backfills")
    assert (
        recorded["id"],
        recorded["selection"],
        recorded["range_from"],
        recorded["range_to"],
        recorded["filter"],
        recorded["targets"],
    ) == (
        1,
        "report sales",
        "2024-02-03",
        "2024-02-05",
        None,
        '["sales:2024-02-03", "sales:2024-02-04", "sales:2024-02-05", '
        '"report:2024-02-03", "report:2024-02-04", "report:2024-02-05"]',
    )


def test_a_range_by_month_prefix_and_an_open_end(fresh: Project) -> None:
    result = backfill(fresh, "sales", "--from", "2024-02-07", "--dry-run")
    assert result.out.splitlines() == [
        "would backfill 2:",
        *listed("sales:2024-02-07", "sales:2024-02-08"),
    ]
    result = backfill(fresh, "sales", "--to", "2024-02", "--dry-run")
    assert result.out.splitlines() == [
        "would backfill 8:",
        *listed(*days("sales", 1, 2, 3, 4, 5, 6, 7, 8)),
    ]


def test_dry_run_lists_the_partitions_and_runs_nothing(fresh: Project) -> None:
    result = backfill(
        fresh, "sales+", "--from", "2024-02-02", "--to", "2024-02-03", "--dry-run"
    )
    assert (result.code, result.err) == (0, ""), result
    assert result.out.splitlines() == [
        "would backfill 5:",
        *listed(*days("sales", 2, 3), *days("report", 2, 3)),
        *listed("total"),  # an unpartitioned asset: made once, whatever the range
        # ... from every partition of report, and this project has none yet
        "but it would fail: asset 'total': upstream 'report:2024-02-01' has not "
        "been made ('out/report/2024-02-01.txt' does not exist). Backfill it too "
        "(select '+total'), or make it first",
    ]
    assert not fresh.exists("out")
    # nothing recorded: the next backfill is the first
    assert ours(backfill(fresh, "sales", "--from", "2024-02-08")) == [
        "backfill #1: 1 to make: sales (1)",
        "backfill #1: 1 of 1 succeeded",
    ]


def test_a_range_that_matches_no_partition_makes_nothing(fresh: Project) -> None:
    result = backfill(fresh, "sales", "--from", "2024-03-01")
    assert (result.code, result.out, result.err) == (
        0,
        "Nothing to backfill: no partition matches.\n",
        "",
    )
    assert not fresh.exists("out")


def test_a_backfill_makes_fresh_partitions_again(built: Project) -> None:
    result = backfill(built, "report", "--from", "2024-02-08")
    assert result.code == 0, result
    assert result.ran == ["report:2024-02-08"]
    assert ours(result)[-1] == "backfill #1: 1 of 1 succeeded"


# -- failures and filters ------------------------------------------------------


def test_a_failing_partition_then_only_failed_runs_it_and_what_it_blocked(
    fresh: Project,
) -> None:
    fresh.write("broken/2024-02-04", "")
    args = ("sales", "report", "--from", "2024-02-03", "--to", "2024-02-05")
    first = backfill(fresh, *args)
    # keep-going: the other days go on; the report of the failed day cannot
    assert first.code == 1, first
    assert first.ran == days("sales", 3, 4, 5) + days("report", 3, 5)
    assert ours(first) == [
        "backfill #1: 6 to make: sales (3), report (3)",
        "backfill #1: 4 of 6 succeeded, 2 did not. "
        "Resume with: doit assets backfill --resume 1",
    ]
    assert "x  report:2024-02-04 (blocked by sales:2024-02-04)\n" in first.out
    assert made(fresh, "sales") == ["2024-02-03", "2024-02-05"]

    fresh.path("broken/2024-02-04").unlink()
    # the failed partition, and the one its failure blocked
    failed = backfill(fresh, *args, "--only-failed")
    assert failed.code == 0, failed
    assert failed.ran == ["sales:2024-02-04", "report:2024-02-04"]
    assert ours(failed) == [
        "backfill #2: 2 to make: sales (1), report (1)",
        "backfill #2: 2 of 2 succeeded",
    ]
    assert backfill(fresh, *args, "--only-missing").out == (
        "Nothing to backfill: no partition matches.\n"
    )
    assert history(fresh) == [
        (1, "sales", "2024-02-03", "success"),
        (1, "sales", "2024-02-04", "failed"),
        (1, "sales", "2024-02-05", "success"),
        (1, "report", "2024-02-03", "success"),
        (1, "report", "2024-02-04", "blocked"),
        (1, "report", "2024-02-05", "success"),
        (2, "sales", "2024-02-04", "success"),
        (2, "report", "2024-02-04", "success"),
    ]
    assert backfill_ids(fresh) == [(1, 1), (2, 2)]


def test_a_backfill_follows_keep_going_as_any_run(fresh: Project) -> None:
    fresh.write("broken/2024-02-03", "")
    args = ("sales", "--from", "2024-02-03", "--to", "2024-02-04")
    fresh.write(
        "assets.toml", fresh.read("assets.toml") + "\n[settings]\nkeep_going = false\n"
    )
    stopped = backfill(fresh, *args)
    assert (stopped.code, stopped.ran) == (1, ["sales:2024-02-03"]), stopped
    went_on = backfill(fresh, *args, "--continue")
    assert went_on.ran == ["sales:2024-02-03", "sales:2024-02-04"], went_on
    assert backfill(fresh, *args, "--", "-c").ran == went_on.ran


def test_only_missing_takes_a_partition_that_a_failure_blocked_before_it_was_made(
    fresh: Project,
) -> None:
    fresh.write("broken/2024-02-04", "")
    args = ("sales", "report", "--from", "2024-02-04", "--to", "2024-02-04")
    backfill(fresh, *args)
    missing = backfill(fresh, *args, "--only-missing", "--dry-run")
    assert missing.out.splitlines() == [
        "would backfill 1:",
        *listed("report:2024-02-04"),
        "but it would fail: asset 'report:2024-02-04': upstream "
        "'sales:2024-02-04' has not been made ('out/sales/2024-02-04.txt' does "
        "not exist). Backfill it too (select '+report'), or make it first",
    ]


def test_only_stale_chooses_the_partitions_that_would_run(built: Project) -> None:
    built.write("data/raw/2024-02-06.txt", "raw 2024-02-06 corrected\n")
    built.path("out/report/2024-02-02.txt").unlink()
    stale = backfill(built, "sales", "report", "--only-stale", "--dry-run")
    assert stale.out.splitlines() == [
        "would backfill 3:",
        *listed("sales:2024-02-06", "report:2024-02-02", "report:2024-02-06"),
    ]
    missing = backfill(built, "sales", "report", "--only-missing", "--dry-run")
    assert missing.out.splitlines() == [
        "would backfill 1:",
        *listed("report:2024-02-02"),
    ]
    assert backfill(built, "sales", "report", "--only-failed", "--dry-run").out == (
        "Nothing to backfill: no partition matches.\n"
    )
    result = backfill(built, "sales", "report", "--only-stale")
    assert result.code == 0, result
    assert result.ran == ["sales:2024-02-06", "report:2024-02-02", "report:2024-02-06"]
    assert built.read("out/report/2024-02-06.txt") == "RAW 2024-02-06 CORRECTED\n"
    # what is left to run is what reads every report
    assert built.doit().ran == ["total"]


# -- interrupted, then resumed -------------------------------------------------


@pytest.mark.parametrize(
    ("signal", "code", "err"),
    [
        ("KILL", -9, ""),
        (
            "INT",
            -2,  # killed by SIGINT, after its message, as a shell expects
            "\nbackfill #1 interrupted. Resume with: doit assets backfill --resume 1\n"
            "\ninterrupted: finished assets are saved; the one that was running "
            "keeps its previous output and runs again next time\n",
        ),
    ],
    ids=["killed", "ctrl-c"],
)
def test_an_interrupted_backfill_resumes_with_what_did_not_succeed(
    fresh: Project, signal: str, code: int, err: str
) -> None:
    fresh.write("kill/2024-02-04", signal)
    args = ("sales", "report", "--from", "2024-02-02", "--to", "2024-02-06")
    stopped = backfill(fresh, *args)
    assert (stopped.code, stopped.err) == (code, err), stopped
    assert stopped.ran == days("sales", 2, 3, 4)
    assert ours(stopped) == ["backfill #1: 10 to make: sales (5), report (5)"]
    assert made(fresh, "sales") == ["2024-02-02", "2024-02-03"]
    # a killed run's staging folder goes with its watchdog, at once
    wait_for(lambda: fresh.staging_dirs() == [], "the staging folders to go", 5)

    fresh.path("kill/2024-02-04").unlink()
    resumed = backfill(fresh, "--resume", "1")
    assert (resumed.code, resumed.err) == (0, ""), resumed
    assert resumed.ran == days("sales", 4, 5, 6) + days("report", 2, 3, 4, 5, 6)
    assert ours(resumed) == [
        "backfill #1: resuming 8 of 10 (2 already made)",
        "backfill #1: 8 of 8 succeeded",
    ]
    again = backfill(fresh, "--resume", "1")
    assert (again.code, again.out, again.err) == (
        0,
        "backfill #1: nothing left to do, all 10 succeeded\n",
        "",
    )
    assert made(fresh, "report") == [f"2024-02-0{n}" for n in range(2, 7)]
    # both runs are runs of backfill #1; each partition succeeded once
    assert backfill_ids(fresh) == [(1, 1), (2, 1)]
    successes = [(a, p) for _, a, p, s in history(fresh) if s == "success"]
    assert sorted(successes) == sorted(
        [("sales", f"2024-02-0{n}") for n in range(2, 7)]
        + [("report", f"2024-02-0{n}") for n in range(2, 7)]
    )


def test_resume_skips_what_succeeded_and_retries_what_failed(fresh: Project) -> None:
    fresh.write("broken/2024-02-07", "")
    first = backfill(fresh, "sales", "report", "--from", "2024-02-07")
    assert ours(first)[-1] == (
        "backfill #1: 2 of 4 succeeded, 2 did not. "
        "Resume with: doit assets backfill --resume 1"
    )
    still = backfill(fresh, "--resume", "1")  # not fixed yet
    assert still.code == 1, still
    assert still.ran == ["sales:2024-02-07"]
    assert ours(still) == [
        "backfill #1: resuming 2 of 4 (2 already made)",
        "backfill #1: 0 of 2 succeeded, 2 did not. "
        "Resume with: doit assets backfill --resume 1",
    ]
    fresh.path("broken/2024-02-07").unlink()
    done = backfill(fresh, "--resume", "1")
    assert done.ran == ["sales:2024-02-07", "report:2024-02-07"]
    assert ours(done)[-1] == "backfill #1: 2 of 2 succeeded"


# -- parallel ------------------------------------------------------------------

# Each partition waits (up to 5 s) until both have started, then writes how
# many had started: 2 only if they ran at the same time.
PAIR = """\
[assets.pair]
path = "out/{partition}.txt"
transform = "mkdir -p started && touch started/{partition} && n=0 && while [ $(ls started | wc -l) -lt 2 ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n+1)); done; ls started | wc -l > {self.path}"
partitions = { static = ["left", "right"] }
"""


@pytest.mark.parametrize(
    "options", [["--", "-n", "2"], ["-n", "2"]], ids=["after --", "-n"]
)
def test_partitions_run_in_parallel_with_doits_n(
    project: Project, options: list[str]
) -> None:
    project.assets(PAIR)
    result = backfill(project, "pair", *options)
    assert result.code == 0, result
    assert sorted(result.ran) == ["pair:left", "pair:right"]
    assert ours(result) == [
        "backfill #1: 2 to make: pair (2)",
        "backfill #1: 2 of 2 succeeded",
    ]
    assert project.read("out/left.txt").strip() == "2"
    assert project.read("out/right.txt").strip() == "2"
    # the reporter records the workers' partitions, in the backfill's run
    assert sorted(str(p) for _, _, p, _ in history(project)) == ["left", "right"]
    assert backfill_ids(project) == [(1, 1)]


# -- errors --------------------------------------------------------------------


def usage_error(result: DoitRun) -> str:
    """The last line of an argparse error: exit code 2, nothing on stdout."""
    assert (result.code, result.out) == (2, ""), result
    return result.err.splitlines()[-1]


def test_resume_of_an_unknown_backfill_is_an_error(fresh: Project) -> None:
    result = backfill(fresh, "--resume", "7")
    assert (result.code, result.out, result.err) == (
        3,
        "",
        "ERROR: no backfill #7. A backfill prints its id when it starts\n",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["sales", "--resume", "1"],
            "doit assets backfill: error: --resume takes no SELECTION: "
            "it runs what backfill ID asked for",
        ),
        ([], "doit assets backfill: error: name a SELECTION, or --resume ID"),
        (
            ["sales", "--only-missing", "--only-failed"],
            "doit assets backfill: error: argument --only-failed: "
            "not allowed with argument --only-missing",
        ),
        (
            ["--resume", "0"],
            "doit assets backfill: error: argument --resume: "
            "expected a whole number from 1 to 1000000000, got '0'",
        ),
    ],
    ids=["resume with a selection", "nothing", "two filters", "resume 0"],
)
def test_misused_options_are_usage_errors(
    fresh: Project, args: list[str], message: str
) -> None:
    assert usage_error(backfill(fresh, *args)) == message
    assert not fresh.exists("out")


def test_a_range_of_unpartitioned_assets_is_an_error(fresh: Project) -> None:
    result = backfill(fresh, "total", "--from", "2024-02-01")
    assert (result.code, result.out, result.err) == (
        3,
        "",
        "ERROR: --from and --to choose partitions, but no selected asset has any. "
        "Select a partitioned asset, or use 'doit assets materialize'\n",
    )


def test_an_unknown_asset_in_the_selection_is_an_error(fresh: Project) -> None:
    result = backfill(fresh, "sale", "--from", "2024-02-01")
    assert (result.code, result.err) == (
        3,
        "ERROR: unknown asset 'sale' in selection 'sale'. Did you mean 'sales'?\n",
    ), result


def test_resume_with_dry_run_runs_nothing(fresh: Project) -> None:
    fresh.write("broken/2024-02-08", "")
    backfill(fresh, "sales", "--from", "2024-02-08")
    fresh.path("broken/2024-02-08").unlink()
    result = backfill(fresh, "--resume", "1", "--dry-run")
    assert result.out.splitlines() == [
        "backfill #1 would resume 1:",
        *listed("sales:2024-02-08"),
    ]
    assert result.ran == []
    assert not fresh.exists("out/sales/2024-02-08.txt")


# -- ranges, sources and what a backfill reads ------------------------------------------

MONTHS = """\
[assets.days]
path = "out/days/{partition}.txt"
transform = "echo {partition} > {self.path}"
partitions = { daily = { start = "2024-02-26", end = "2024-03-03" } }

[assets.months]
path = "out/months/{partition}.txt"
transform = "cat {days.paths} > {self.path}"
partitions = { monthly = { start = "2024-02-01", end = "2024-03-31" } }
"""


def test_a_range_chooses_every_partition_whose_window_overlaps_it(
    project: Project,
) -> None:
    project.assets(MONTHS)
    result = backfill(
        project, "days+", "--from", "2024-02-29", "--to", "2024-03-01", "--dry-run"
    )
    assert (result.code, result.out.splitlines()) == (
        0,
        [
            "would backfill 4:",
            "  days:2024-02-29",
            "    echo 2024-02-29 > out/days/2024-02-29.txt",
            "  days:2024-03-01",
            "    echo 2024-03-01 > out/days/2024-03-01.txt",
            "  months:2024-02-01",
            "    cat out/days/2024-02-26.txt out/days/2024-02-27.txt "
            "out/days/2024-02-28.txt out/days/2024-02-29.txt > out/months/2024-02-01.txt",
            "  months:2024-03-01",
            "    cat out/days/2024-03-01.txt out/days/2024-03-02.txt "
            "out/days/2024-03-03.txt > out/months/2024-03-01.txt",
            # a month reads all its days, and the range has only two of them
            "but it would fail: asset 'months:2024-02-01': upstream "
            "'days:2024-02-26' has not been made ('out/days/2024-02-26.txt' does "
            "not exist). Backfill it too (select '+months'), or make it first",
        ],
    )
    whole_month = backfill(project, "days", "--from", "2024-03", "--dry-run")
    assert whole_month.out.splitlines()[1::2] == [
        "  days:2024-03-01",
        "  days:2024-03-02",
        "  days:2024-03-03",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--from", "yesterday"],
            "ERROR: --from 'yesterday' is not a date. "
            "Write 2024-03-05, 2024-03 or 2024-03-05T11:00\n",
        ),
        (
            ["--to", "2024-02-30"],
            "ERROR: --to '2024-02-30' is not a date. "
            "Write 2024-03-05, 2024-03 or 2024-03-05T11:00\n",
        ),
        (
            ["--from", "2024-03-02", "--to", "2024-02-27"],
            "ERROR: --from 2024-03-02 is after --to 2024-02-27. "
            "The range includes both ends: --from is the first partition\n",
        ),
        (
            ["--from", "2024-03-02", "--to", "9999-12-31"],
            "ERROR: --to '9999-12-31' is out of range. "
            "Partitions lie between 1000-01-01 and 9998-12-31\n",
        ),
        (
            ["--from", "0001"],
            "ERROR: --from '0001' is out of range. "
            "Partitions lie between 1000-01-01 and 9998-12-31\n",
        ),
    ],
)
def test_a_range_that_is_not_one_is_an_error(
    project: Project, args: list[str], message: str
) -> None:
    project.assets(MONTHS)
    result = backfill(project, "days", *args)
    assert (result.code, result.out, result.err) == (3, "", message)


def test_a_backfill_refuses_to_start_when_what_it_reads_was_never_made(
    project: Project,
) -> None:
    project.assets(MONTHS)
    result = backfill(project, "months", "--from", "2024-03-01")
    assert (result.code, result.err) == (
        3,
        "ERROR: asset 'months:2024-03-01': upstream 'days:2024-03-01' has not been "
        "made ('out/days/2024-03-01.txt' does not exist). Backfill it too (select "
        "'+months'), or make it first\n",
    )
    assert not project.exists("out/months")
    made = backfill(project, "+months", "--from", "2024-03-01")
    assert made.code == 0, made
    assert made.out.splitlines()[-1] == "backfill #1: 4 of 4 succeeded"


def test_a_backfill_leaves_sources_out(built: Project) -> None:
    result = backfill(built, "raw", "--from", "2024-02-02", "--to", "2024-02-02")
    assert (result.code, result.out) == (
        0,
        "Nothing to backfill: no partition matches.\n",
    )
    result = backfill(
        built, "raw+", "--from", "2024-02-02", "--to", "2024-02-02", "--dry-run"
    )
    assert result.out.splitlines() == [
        "would backfill 3:",
        *listed("sales:2024-02-02", "report:2024-02-02", "total"),
    ]


def test_a_resume_leaves_out_partitions_no_longer_declared(fresh: Project) -> None:
    fresh.write("broken/2024-02-03", "")
    first = backfill(fresh, "sales", "--from", "2024-02-02", "--to", "2024-02-03")
    assert ours(first)[-1] == (
        "backfill #1: 1 of 2 succeeded, 1 did not. Resume with: "
        "doit assets backfill --resume 1"
    )
    # the project now ends on the 2nd: the failed partition is gone
    fresh.assets(PROJECT.replace("2024-02-08", "2024-02-02"))
    resumed = backfill(fresh, "--resume", "1")
    assert (resumed.code, resumed.out, resumed.err) == (
        0,
        "backfill #1: left out 1 no longer declared: sales:2024-02-03\n"
        "backfill #1: nothing left to do\n",
        "",
    )
