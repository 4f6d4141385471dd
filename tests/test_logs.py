"""Logs and run-time metadata: each attempt's output in a file of its own, the
last lines of a failure's stderr in the history, ``doit assets logs``, the
metadata a transform reports, and retention (``keep_logs``, ``keep_history``,
``history --prune``). End to end, with the real doit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import PYTHON, Project
from history_support import (
    assert_lines,
    assets_cmd,
    doit_json,
    integrity,
    md5,
    query,
    wait_for,
)

from doit_assets.run.logs import HEAD, LOG_LIMIT, TAIL

HISTORY = ".doit-assets/history.sqlite"

# A transform that fails, saying why on stderr, one line more than a history
# row keeps.
FAILING = """\
import sys

for n in range(1, 12):
    print(f"problem {n}", file=sys.stderr)
sys.exit(2)
"""

# A transform that reports metadata about what it made.
REPORTING = """\
import json, os, sys

rows = open(sys.argv[1]).read().splitlines()
with open(sys.argv[2], "w") as f:
    f.write("\\n".join(rows[1:]) + "\\n")
print(f"kept {len(rows) - 1} rows")
with open(os.environ["DOIT_ASSETS_METADATA"], "w") as f:
    json.dump({"rows": len(rows) - 1, "columns": ["id", "amount"]}, f)
"""

PIPELINE = """\
[assets.orders]
path = "data/orders.csv"

[assets.tidy]
path = "build/tidy.csv"
transform = "{python} tidy.py {orders.path} {self.path}"
inputs = ["tidy.py"]

[assets.report]
path = "build/report.md"
transform = "{python} report.py {tidy.path} {self.path}"
inputs = ["report.py"]
"""

PROBLEMS = [f"problem {n}" for n in range(1, 12)]
ORDERS = "id,amount\n1,10\n2,20\n"
CLEAN = "1,10\n2,20\n"


def pipeline(project: Project, report: str = FAILING) -> Project:
    project.assets(PIPELINE)
    project.write("data/orders.csv", ORDERS)
    project.write("tidy.py", REPORTING)
    project.write("report.py", report)
    return project


def log_of(project: Project, run: int, task: str, attempt: int = 1) -> str:
    return project.read(f".doit-assets/logs/{run}/{task}.{attempt}.log")


# -- a failed attempt ------------------------------------------------------------


def test_a_failed_attempt_keeps_its_log_and_the_last_lines_of_its_stderr(
    project: Project,
) -> None:
    pipeline(project)
    result = project.doit()
    assert result.code == 1, result
    error = f"transform exited with code 2: {PYTHON} report.py build/tidy.csv build/report.md"
    # the log: what the transform printed, as it printed it
    assert log_of(project, 1, "report") == "".join(p + "\n" for p in PROBLEMS)
    assert log_of(project, 1, "tidy") == "kept 2 rows\n"
    # the history row keeps the last ten lines, which outlive the file
    row = query(project, "select * from materializations where asset = 'report'")[0]
    assert row["log"] == ".doit-assets/logs/1/report.1.log"
    assert row["stderr_tail"] == "\n".join(PROBLEMS[1:])
    assert row["error"] == error
    history = assets_cmd(project, "history")
    assert (history.code, history.err) == (0, ""), history
    assert_lines(
        history.out,
        [
            "ID  RUN  ASSET   STATUS    FINISHED              TOOK  OUTPUT",
            f" 3    1  report  failed    <time>  <took>  {error}",
            "         log: .doit-assets/logs/1/report.1.log",
            "         > problem 9",
            "         > problem 10",
            "         > problem 11",
            " 2    1  tidy    success   <time>  <took>  build/tidy.csv "
            f"{md5(CLEAN)[:12]} 10 B",
            '         metadata: {"columns": ["id", "amount"], "rows": 2}',
            " 1    1  orders  observed  <time>  <took>  data/orders.csv "
            f"{md5(ORDERS)[:12]} 20 B",
        ],
    )
    show = assets_cmd(project, "show", "report")
    assert show.out.splitlines()[-11:] == [
        "log           .doit-assets/logs/1/report.1.log",
        *(f"{'stderr' if i == 0 else '':<12}  {p}" for i, p in enumerate(PROBLEMS[1:])),
    ]
    logs = project.doit("assets", "logs", "report")
    assert (logs.code, logs.out) == (0, log_of(project, 1, "report")), logs
    assert logs.err == (
        "log of report #3 (run 1, failed): .doit-assets/logs/1/report.1.log\n"
    )
    data = doit_json(project, "history", "report")["materializations"][0]
    assert (data["log"], data["stderr_tail"], data["reported_metadata"]) == (
        ".doit-assets/logs/1/report.1.log",
        "\n".join(PROBLEMS[1:]),
        {},
    )


def test_logs_of_an_earlier_run(project: Project) -> None:
    pipeline(project, report="print('first')\nraise SystemExit(1)\n")
    assert project.doit().code == 1
    project.write("report.py", "import sys\nprint('second')\nopen(sys.argv[2], 'w')\n")
    project.doit_ok()
    latest = assets_cmd(project, "logs", "report")
    assert (latest.code, latest.out) == (0, "second\n"), latest
    assert latest.err == (
        "log of report #4 (run 2, success): .doit-assets/logs/2/report.1.log\n"
    )
    first = assets_cmd(project, "logs", "report", "--run", "1")
    assert (first.code, first.out) == (0, "first\n"), first
    assert first.err == (
        "log of report #3 (run 1, failed): .doit-assets/logs/1/report.1.log\n"
    )
    # tidy ran only in run 1
    none = assets_cmd(project, "logs", "tidy", "--run", "2")
    assert (none.code, none.out) == (3, ""), none
    assert none.err == (
        "ERROR: no attempt of 'tidy' is recorded in run 2. 'doit assets history "
        "tidy' lists its materializations\n"
    )
    source = assets_cmd(project, "logs", "orders")
    assert source.err == (
        "ERROR: no attempt of 'orders' is recorded. 'doit assets history orders' "
        "lists its materializations\n"
    )
    unknown = assets_cmd(project, "logs", "reprot")
    assert (unknown.code, unknown.err) == (
        3,
        "ERROR: unknown asset 'reprot'. Did you mean 'report'?\n",
    )
    # blocked in run 3 (tidy fails): it never started, its latest attempt stays
    project.write("tidy.py", "raise SystemExit(5)\n")
    assert project.doit().code == 1
    blocked = assets_cmd(project, "logs", "report")
    assert (blocked.code, blocked.out) == (0, "second\n"), blocked


def test_logs_without_a_history(project: Project) -> None:
    pipeline(project)
    result = assets_cmd(project, "logs", "report")
    assert (result.code, result.out) == (
        0,
        "No history yet: .doit-assets/history.sqlite does not exist. Run 'doit' "
        "to materialize assets.\n",
    )


FOLLOWED = """\
import os, sys, time

print("started", flush=True)
deadline = time.monotonic() + 60
while not os.path.exists("gate") and time.monotonic() < deadline:
    time.sleep(0.01)
print("through the gate", flush=True)
open(sys.argv[1], "w").write("done\\n")
"""


def test_follow_prints_a_running_attempt_until_it_ends(project: Project) -> None:
    project.assets(
        """\
        [assets.slow]
        path = "build/slow.txt"
        transform = "{python} slow.py {self.path}"
        """
    )
    project.write("slow.py", FOLLOWED)
    run = subprocess.Popen(
        [PYTHON, "-m", "doit"], cwd=project.root, stdout=subprocess.PIPE, text=True
    )
    try:
        log = project.path(".doit-assets/logs/1/slow.1.log")
        wait_for(lambda: log.read_text() == "started\n", "the attempt to start")
        follow = subprocess.Popen(
            [PYTHON, "-m", "doit", "assets", "logs", "slow", "--follow"],
            cwd=project.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert follow.stdout is not None
        assert follow.stdout.readline() == "started\n"  # it follows, still running
        assert follow.poll() is None
        project.write("gate", "")
        out, err = follow.communicate(timeout=60)
        assert follow.returncode == 0, err
        assert out == "through the gate\n"
        assert err == "log of slow (run 1, running): .doit-assets/logs/1/slow.1.log\n"
        # the attempt ended: the history has recorded it by now
        assert [r["status"] for r in query(project, "select * from materializations")]
    finally:
        project.write("gate", "")
        run.communicate(timeout=60)
    assert run.returncode == 0
    again = assets_cmd(project, "logs", "slow", "--follow")  # ended: no waiting
    assert again.out == "started\nthrough the gate\n"


def test_an_interrupted_attempt_keeps_its_log(project: Project) -> None:
    project.assets(
        """\
        [assets.slow]
        path = "build/slow.txt"
        transform = "{python} slow.py {self.path}"
        """
    )
    project.write("slow.py", FOLLOWED)
    run = subprocess.Popen(
        [PYTHON, "-m", "doit"],
        cwd=project.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    log = project.path(".doit-assets/logs/1/slow.1.log")
    try:
        wait_for(lambda: log.read_text() == "started\n", "the attempt to start")
    finally:
        run.send_signal(signal.SIGTERM)
        run.communicate(timeout=60)
    row = query(project, "select status, log from materializations")
    assert row == [{"status": "interrupted", "log": ".doit-assets/logs/1/slow.1.log"}]
    result = assets_cmd(project, "logs", "slow")
    assert (result.out, result.err) == (
        "started\n",
        "log of slow #1 (run 1, interrupted): .doit-assets/logs/1/slow.1.log\n",
    )


# -- size -------------------------------------------------------------------------

LOUD = """\
import sys

out = sys.stdout
for n in range(int(sys.argv[2])):
    out.write(f"line {n:07d}\\n")  # 13 bytes a line
open(sys.argv[1], "w").write("done\\n")
"""


def test_a_long_log_keeps_its_head_and_its_tail(project: Project) -> None:
    lines = 2 * LOG_LIMIT // 13
    project.assets(
        f"""\
        [assets.loud]
        path = "build/loud.txt"
        transform = "{{python}} loud.py {{self.path}} {lines}"
        """
    )
    project.write("loud.py", LOUD)
    project.doit_ok()
    log = project.path(".doit-assets/logs/1/loud.1.log").read_bytes()
    printed = b"".join(b"line %07d\n" % n for n in range(lines))
    cut = len(printed) - HEAD - TAIL
    marker = (
        f"\n[doit-assets: {cut} bytes cut here; this log keeps the first {HEAD} "
        f"and the last {TAIL} of {len(printed)} bytes]\n"
    ).encode()
    assert log == printed[:HEAD] + marker + printed[-TAIL:]
    assert len(log) <= LOG_LIMIT


# -- retention of logs ------------------------------------------------------------


def _age(path: Path, days: float) -> None:
    then = time.time() - days * 86400
    os.utime(path, (then, then))


def test_keep_logs_removes_older_logs_once_a_day(project: Project) -> None:
    pipeline(project, report="import sys\nopen(sys.argv[2], 'w')\n")
    project.write(
        "assets.toml", '[settings]\nkeep_logs = "2d"\n\n' + project.read("assets.toml")
    )
    project.doit_ok()
    first = project.path(".doit-assets/logs/1/tidy.1.log")
    _age(first, 3)
    project.write("data/orders.csv", "id,amount\n1,10\n")
    project.doit_ok()
    assert first.exists()  # the first run tidied: not again on the same day
    tidied = project.path(".doit-assets/tidied")
    tidied.write_text(f"{time.time() - 86400}\n")
    project.write("data/orders.csv", "id,amount\n1,12\n")
    project.doit_ok()
    assert not first.exists()
    assert sorted(
        str(p.relative_to(project.path(".doit-assets/logs")))
        for p in project.path(".doit-assets/logs").rglob("*")
    ) == [
        "1",
        "1/report.1.log",
        "2",
        "2/report.1.log",
        "2/tidy.1.log",
        "3",
        "3/report.1.log",
        "3/tidy.1.log",
    ]
    gone = assets_cmd(project, "logs", "tidy", "--run", "1")
    assert (gone.code, gone.err) == (
        3,
        "log of tidy #2 (run 1, success): .doit-assets/logs/1/tidy.1.log\n"
        "ERROR: .doit-assets/logs/1/tidy.1.log was removed: logs are kept for 2d "
        "([settings] keep_logs)\n",
    ), gone


def test_a_removed_log_still_has_its_stderr_in_the_history(project: Project) -> None:
    pipeline(project)
    assert project.doit().code == 1
    project.path(".doit-assets/logs/1/report.1.log").unlink()
    result = assets_cmd(project, "logs", "report")
    assert (result.code, result.out) == (
        0,
        "\n".join(PROBLEMS[1:]) + "\n",
    )
    assert result.err == (
        "log of report #3 (run 1, failed): .doit-assets/logs/1/report.1.log\n"
        ".doit-assets/logs/1/report.1.log was removed: logs are kept for 30d "
        "([settings] keep_logs); the last lines of its stderr, from the history:\n"
    )
    assert "log           .doit-assets/logs/1/report.1.log (removed)" in (
        assets_cmd(project, "show", "report").out.splitlines()
    )


# -- metadata ---------------------------------------------------------------------


def test_a_shell_transform_reports_metadata(project: Project) -> None:
    pipeline(project, report="import sys\nopen(sys.argv[2], 'w')\n")
    project.doit_ok()
    data = doit_json(project, "history", "tidy")["materializations"][0]
    assert data["reported_metadata"] == {"rows": 2, "columns": ["id", "amount"]}
    assert data["metadata"] == {}  # the declared metadata, apart
    show = assets_cmd(project, "show", "tidy").out.splitlines()
    assert (
        show[-1]
        == 'metadata      {"columns": ["id", "amount"], "rows": 2} (reported by #2)'
    )
    last = doit_json(project, "show", "tidy")["last_materialization"]
    assert last["reported_metadata"] == {"rows": 2, "columns": ["id", "amount"]}
    # the file the reporter read is gone; only the log stays
    assert sorted(os.listdir(project.path(".doit-assets/logs/1"))) == [
        "report.1.log",
        "tidy.1.log",
    ]
    # nothing reported: an empty object
    report = doit_json(project, "history", "report")["materializations"][0]
    assert report["reported_metadata"] == {}


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        (
            "rows: 3",
            "$DOIT_ASSETS_METADATA is not JSON: Expecting value: line 1 column 1 "
            "(char 0)",
        ),
        ("[1, 2]", "$DOIT_ASSETS_METADATA must hold a JSON object, got a list"),
        (
            '{"score": NaN}',  # Python's json reads it; no JSON reader would
            "$DOIT_ASSETS_METADATA is not JSON: NaN is not a JSON value",
        ),
    ],
)
def test_bad_metadata_fails_the_attempt_and_keeps_the_output(
    project: Project, written: str, problem: str
) -> None:
    pipeline(project, report="import sys\nopen(sys.argv[2], 'w')\n")
    project.doit_ok()
    project.write(
        "tidy.py",
        "import os, sys\nopen(sys.argv[2], 'w').write('new')\n"
        f"open(os.environ['DOIT_ASSETS_METADATA'], 'w').write({written!r})\n",
    )
    result = project.doit()
    assert result.code == 1, result
    message = f"asset 'tidy': {problem}. Write one JSON object to it, such as {{\"rows\": 12}}"
    assert message in result.out.splitlines(), result
    assert project.read("build/tidy.csv") == CLEAN  # the previous one
    row = query(project, "select * from materializations where id = 4")[0]
    assert (row["status"], row["error"]) == ("failed", message)


def test_an_empty_metadata_file_reports_nothing(project: Project) -> None:
    pipeline(project, report="import sys\nopen(sys.argv[2], 'w')\n")
    project.write(
        "tidy.py",
        "import os, sys\nopen(sys.argv[2], 'w').write('new')\n"
        "open(os.environ['DOIT_ASSETS_METADATA'], 'w').close()\n",
    )
    project.doit_ok()
    tidy = doit_json(project, "history", "tidy")["materializations"][0]
    assert (tidy["status"], tidy["reported_metadata"]) == ("success", {})


PYTHON_ASSETS = """\
import sys
from pathlib import Path

from doit_assets import MaterializeResult, asset
from doit_assets.dodo import *


@asset(io="json")
def numbers() -> MaterializeResult:
    print("making numbers")
    print("careful: made up", file=sys.stderr)
    return MaterializeResult(value=[1, 2, 3], metadata={"count": 3})


@asset(path="build/total.txt")
def total(numbers: list[int], output: Path) -> MaterializeResult:
    print("adding", numbers)
    output.write_text(f"{sum(numbers)}\\n")
    return MaterializeResult(metadata={"total": sum(numbers)})


@asset(io="json")
def bad() -> MaterializeResult:
    return MaterializeResult(value=1, metadata={"tags": {"a"}})
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "n2"])
def test_python_assets_report_metadata_and_print_into_their_logs(
    project: Project, workers: list[str]
) -> None:
    project.write("dodo.py", PYTHON_ASSETS)
    result = project.doit("--continue", *workers)
    assert result.code == 1, result
    assert (
        "asset 'bad': MaterializeResult(metadata=...) cannot be kept as JSON: Object "
        "of type set is not JSON serializable. Use strings, numbers, booleans, None, "
        "lists and dicts"
    ) in result.out.splitlines(), result
    assert log_of(project, 1, "numbers") in (
        "making numbers\ncareful: made up\n",
        "careful: made up\nmaking numbers\n",
    )
    assert log_of(project, 1, "total") == "adding [1, 2, 3]\n"
    assert json.loads(project.read(".doit-assets/values/numbers.json")) == [1, 2, 3]
    assert project.read("build/total.txt") == "6\n"
    reported = {
        row["asset"]: (row["status"], row["reported_metadata"])
        for row in query(project, "select * from materializations")
    }
    assert reported == {
        "numbers": ("success", '{"count": 3}'),
        "total": ("success", '{"total": 6}'),
        "bad": ("failed", None),
    }


# -- pruning the history ----------------------------------------------------------


def _days_later(monkeypatch: pytest.MonkeyPatch, days: float) -> None:
    monkeypatch.setenv("DOIT_ASSETS_NOW", str(time.time() + days * 86400))


def built_three_times(project: Project) -> Project:
    """Run 1 makes everything; run 2 makes tidy alone (report keeps reading
    the first version of tidy); run 3 fails report."""
    pipeline(project, report="import sys\nopen(sys.argv[2], 'w')\n")
    project.doit_ok()  # 1 orders, 2 tidy, 3 report
    project.write("data/orders.csv", "id,amount\n1,10\n")
    project.doit_ok("tidy")  # 4 orders, 5 tidy
    project.write("report.py", "raise SystemExit(1)\n")
    assert project.doit().code == 1  # 6 report fails
    return project


def ids(project: Project) -> list[int]:
    return [
        r["id"] for r in query(project, "select id from materializations order by id")
    ]


def test_prune_keeps_the_latest_of_each_asset_and_its_lineage(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    built_three_times(project)
    assert ids(project) == [1, 2, 3, 4, 5, 6]
    _days_later(monkeypatch, 10)
    result = project.doit("assets", "history", "--prune", "--older-than", "1d")
    assert (result.code, result.err) == (0, ""), result
    assert result.out == (
        "removed 0 materializations, 0 runs and 0 log files older than 1d\n"
        "kept 6 older materializations: the latest of each asset, and what the "
        "kept ones were made from\n"
    )
    # report #3 (its latest success) read tidy #2, which read orders #1
    assert ids(project) == [1, 2, 3, 4, 5, 6]
    # a newer report that reads tidy #5 lets #1, #2 and #3 go, and the
    # failure #6 (no longer the latest attempt)
    project.write("report.py", "import sys\nopen(sys.argv[2], 'w')\n")
    monkeypatch.delenv("DOIT_ASSETS_NOW")
    project.doit_ok()  # 7 report
    _days_later(monkeypatch, 10)
    result = project.doit(
        "assets", "history", "--prune", "--older-than", "1d", "--json"
    )
    assert (result.code, result.err) == (0, ""), result
    assert json.loads(result.out) == {
        "version": 1,
        "older_than": "1d",
        "pruned": {
            "materializations": 4,
            "runs": 2,
            "backfills": 0,
            "logs": 3,
            "kept": 3,
            "observations": 0,
        },
    }
    assert ids(project) == [4, 5, 7]
    assert not project.exists(".doit-assets/logs/1/tidy.1.log")
    assert not project.exists(".doit-assets/logs/3/report.1.log")  # of #6
    assert project.exists(".doit-assets/logs/2/tidy.1.log")  # of #5, kept
    assert integrity(project, HISTORY) == "ok"
    dangling = query(
        project,
        "select count(*) as n from inputs where upstream_id is not null and "
        "upstream_id not in (select id from materializations)",
    )
    assert dangling == [{"n": 0}]
    assert [r["id"] for r in query(project, "select id from runs")] == [2, 4]
    lineage = assets_cmd(project, "lineage", "report", "--upstream")
    assert lineage.code == 0 and "tidy #5 (run 2)" in lineage.out, lineage


def test_prune_removes_the_check_results_of_what_it_removes(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.assets(
        """
        [assets.s]
        path = "s.txt"

        [assets.a]
        path = "a.txt"
        transform = "cp {s.path} {self.path}"

        [[assets.a.checks]]
        max_rows = 1
        """
    )
    for text in ("1\n", "1\n2\n", "3\n"):  # a passes (#2), fails (#4), passes (#6)
        project.write("s.txt", text)
        project.doit()
    assert [
        (r["materialization_id"], r["passed"])
        for r in query(project, "select * from check_results order by id")
    ] == [(2, 1), (4, 0), (6, 1)]
    _days_later(monkeypatch, 10)
    assets_cmd(project, "history", "--prune", "--older-than", "1d")
    assert ids(project) == [5, 6]
    assert [
        r["materialization_id"] for r in query(project, "select * from check_results")
    ] == [6]
    checks = assets_cmd(project, "checks", "--json")
    rows = json.loads(checks.out)["checks"]
    assert [(r["result"], r["last"]["materialization_id"]) for r in rows] == [
        ("passed", 6)
    ]


def test_keep_history_prunes_at_the_end_of_a_run_once_a_day(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    built_three_times(project)
    project.write("report.py", "import sys\nopen(sys.argv[2], 'w')\n")
    project.write(
        "assets.toml",
        '[settings]\nkeep_history = "1d"\n\n' + project.read("assets.toml"),
    )
    _days_later(monkeypatch, 3)
    project.doit_ok()  # 7 report; then retention, once a day
    assert ids(project) == [4, 5, 7]
    assert integrity(project, HISTORY) == "ok"
    project.write("data/orders.csv", "id,amount\n1,11\n")
    _days_later(monkeypatch, 6)
    project.doit_ok()  # 8 orders, 9 tidy, 10 report, and retention: a day passed
    assert ids(project) == [8, 9, 10]
    project.write("data/orders.csv", "id,amount\n1,13\n")
    project.doit_ok()  # the same (fake) day: no retention
    assert ids(project) == [8, 9, 10, 11, 12, 13]


def test_history_prune_needs_an_age(project: Project) -> None:
    pipeline(project)
    result = assets_cmd(project, "history", "--prune")
    assert (result.code, result.err) == (
        3,
        "ERROR: history --prune needs an age: set [settings] keep_history, or give "
        '--older-than. For example keep_history = "90d" in assets.toml\'s [settings]\n',
    )
    result = assets_cmd(project, "history", "--prune", "--older-than", "3 months")
    assert (result.code, result.err) == (
        3,
        "ERROR: --older-than must be a duration like \"90d\", got '3 months'. Write "
        'a number and a unit: s, m, h, d or w (for example "90d")\n',
    )
    result = assets_cmd(project, "history", "--older-than", "3d")
    assert (result.code, result.err) == (
        3,
        "ERROR: --older-than goes with --prune. 'doit assets history --prune "
        "--older-than 90d'\n",
    )


# -- the log itself, in this process ----------------------------------------------


def test_a_log_cut_from_small_writes_keeps_exactly_its_head_and_tail(
    tmp_path: Path,
) -> None:
    from doit_assets.run.logs import AttemptLog

    path = tmp_path / "logs" / "1" / "a.1.log"
    log = AttemptLog(str(path))
    written = b"".join(b"%06d\n" % n for n in range(LOG_LIMIT // 7 * 2))
    for start in range(0, len(written), 997):  # chunks across every boundary
        log.write(written[start : start + 997], stderr=False)
    log.close()
    cut = len(written) - HEAD - TAIL
    assert path.read_bytes() == (
        written[:HEAD]
        + f"\n[doit-assets: {cut} bytes cut here; this log keeps the first {HEAD} "
        f"and the last {TAIL} of {len(written)} bytes]\n".encode()
        + written[-TAIL:]
    )


def test_a_log_within_the_limit_is_kept_whole(tmp_path: Path) -> None:
    from doit_assets.run.logs import AttemptLog

    path = tmp_path / "a.1.log"
    log = AttemptLog(str(path))
    written = b"x" * (LOG_LIMIT - 1) + b"\n"
    log.write(written[:HEAD], stderr=False)
    log.write(written[HEAD:], stderr=True)
    log.close()
    assert path.read_bytes() == written


def test_the_stderr_tail_is_the_last_ten_lines_of_stderr_alone() -> None:
    from doit_assets.run.logs import AttemptLog, stderr_text

    log = AttemptLog(None)
    assert log.stderr_tail() == ()
    assert stderr_text(log.stderr_tail()) is None
    log.write(b"out 1\n", stderr=False)
    for n in range(1, 13):
        log.write(f"err {n}\n".encode(), stderr=True)
    log.write(b"\n\n", stderr=True)  # blank lines say nothing
    log.write(b"out 2\n", stderr=False)
    assert log.stderr_tail() == tuple(f"err {n}" for n in range(3, 13))
    assert stderr_text(log.stderr_tail()) == "\n".join(f"err {n}" for n in range(3, 13))
    log.write(b"x" * 5000 + b"\n", stderr=True)  # a line is cut at 300 characters
    assert log.stderr_tail()[-1] == "x" * 300 + "..."
    for _ in range(10):
        log.write(b"y" * 290 + b"\n", stderr=True)
    text = stderr_text(log.stderr_tail())
    assert text is not None and len(text) == 2000  # the history keeps 2000 at most
    assert text.endswith("y" * 290)


def test_a_log_that_cannot_be_written_fails_nothing(tmp_path: Path) -> None:
    from doit_assets.run.logs import AttemptLog

    (tmp_path / "logs").write_text("a file where the folder goes")
    log = AttemptLog(str(tmp_path / "logs" / "1" / "a.1.log"))
    assert log.path is None
    log.write(b"oops\n", stderr=True)
    log.close()
    assert log.stderr_tail() == ("oops",)


def test_a_log_path_names_the_run_the_task_and_the_attempt() -> None:
    from doit_assets.paths import log_path

    assert log_path(12, "report") == ".doit-assets/logs/12/report.1.log"
    assert log_path(3, "raw/orders:2024-03-05", 2) == (
        ".doit-assets/logs/3/raw~orders:2024-03-05.2.log"
    )


def test_a_long_report_is_cut_in_the_history_table_only(project: Project) -> None:
    project.assets(
        """\
        [assets.wide]
        path = "build/wide.txt"
        transform = "{python} wide.py {self.path}"
        """
    )
    project.write(
        "wide.py",
        "import json, os, sys\nopen(sys.argv[1], 'w').write('x')\n"
        "json.dump({'preview': 'y' * 300}, open(os.environ['DOIT_ASSETS_METADATA'], 'w'))\n",
    )
    project.doit_ok()
    shown = assets_cmd(project, "history").out.splitlines()[-1]
    whole = json.dumps({"preview": "y" * 300})
    assert shown == "         metadata: " + whole[:199] + "…"
    data = doit_json(project, "history")["materializations"][0]
    assert data["reported_metadata"] == {"preview": "y" * 300}
    assert assets_cmd(project, "show", "wide").out.splitlines()[-1] == (
        f"metadata      {whole} (reported by #1)"
    )
