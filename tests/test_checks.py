"""Asset checks, end to end: each kind passing and failing on the staged
output, blocking checks that keep the previous version (and stop what is
downstream), warnings that stop nothing, the results in the history and in
``checks``, ``status``, ``why`` and ``show``, and what re-runs when a check
changes. The declarations' own problems are load errors (the corpus, and the
in-process tests at the end).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Project

from doit_assets import AssetError, load_graph

HISTORY = ".doit-assets/history.sqlite"

SHOP = """\
[vars]
python = "{python}"

[assets.orders]
path = "data/orders.csv"

[assets.valid]
path = "out/valid.csv"
transform = "{vars.python} tx.py cat {self.path} {orders.path}"

[[assets.valid.checks]]
min_rows = 3

[[assets.valid.checks]]
columns = ["id", "email"]
blocking = false

[assets.report]
path = "out/report.txt"
transform = "{vars.python} tx.py count {self.path} {valid.path}"

[assets.notes]
path = "out/notes.txt"
transform = "{vars.python} tx.py upper {self.path} {orders.path}"
"""

FOUR_ORDERS = "id,name\n1,ann\n2,bob\n3,cy\n4,dee\n"
ONE_ORDER = "id,name\n9,zed\n"
WARNING = "warning: asset 'valid': check 'columns' failed: missing column 'email'\n"
BLOCKED = "asset 'valid': check 'min_rows' failed: 1 row, at least 3 expected"


def checks_json(project: Project, *args: str) -> list[dict[str, Any]]:
    result = project.doit_ok("assets", "checks", "--json", *args)
    found: list[dict[str, Any]] = json.loads(result.out)["checks"]
    return found


def results(project: Project) -> dict[str, tuple[str, str]]:
    """Each check's latest result and message, by ``asset/check``."""
    return {
        f"{c['asset']}/{c['check']}": (
            c["result"],
            c["last"]["message"] if c["last"] else "",
        )
        for c in checks_json(project)
    }


def staging_left(project: Project) -> list[str]:
    return [
        str(p.relative_to(project.root))
        for p in project.root.rglob(".doit-assets-staging.*")
    ]


def query(project: Project, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(project.path(HISTORY))
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.fixture
def shop(project: Project) -> Project:
    project.assets(SHOP)
    project.write("data/orders.csv", FOUR_ORDERS)
    first = project.doit_ok()
    assert sorted(first.ran) == ["notes", "report", "valid"]
    assert WARNING in first.out
    return project


# -- blocking checks ------------------------------------------------------------


def test_a_failing_blocking_check_keeps_the_previous_output_and_blocks_downstream(
    shop: Project,
) -> None:
    good = shop.path("out/valid.csv").read_bytes()
    report = shop.path("out/report.txt").read_bytes()
    shop.write("data/orders.csv", ONE_ORDER)
    result = shop.doit("--continue")
    assert result.code != 0, result  # doit: 2, for the blocked 'report'
    assert f"TransformFailed - taskid:valid\n{BLOCKED}\n" in result.out
    assert WARNING in result.out  # the warning of the same attempt is printed too
    # the new version was discarded: the previous one, byte for byte
    assert shop.path("out/valid.csv").read_bytes() == good
    # nothing downstream ran on the bad data; the independent branch was made
    assert "report" not in result.ran
    assert shop.path("out/report.txt").read_bytes() == report
    assert "notes" in result.ran
    assert shop.read("out/notes.txt") == ONE_ORDER.upper()
    assert staging_left(shop) == []
    # recorded as a failed attempt, with the check's message
    (status, error), *_ = query(
        shop,
        "select status, error from materializations where asset = 'valid' "
        "order by id desc",
    )
    assert (status, error) == ("failed", BLOCKED)


def test_a_failed_blocking_check_shows_in_status_why_and_checks(shop: Project) -> None:
    shop.write("data/orders.csv", ONE_ORDER)
    shop.doit("--continue")
    status = shop.doit_ok("assets", "status", "valid").out
    mat = re.search(r"its last attempt failed \(#(\d+), run 2\)", status)
    assert mat is not None, status
    attempt = mat.group(1)
    assert (
        f"valid  failed  -    its last attempt failed (#{attempt}, run 2): {BLOCKED}\n"
        in status
    )
    why = shop.doit_ok("assets", "why", "valid").out
    assert why.endswith(
        f"\ncheck 'min_rows' failed (blocking, #{attempt}): 1 row, at least 3 expected\n"
        f"check 'columns' failed (warning, #{attempt}): missing column 'email'\n"
    ), why
    assert results(shop) == {
        "valid/min_rows": ("failed", "1 row, at least 3 expected"),
        "valid/columns": ("warning", "missing column 'email'"),
    }
    text = shop.doit_ok("assets", "checks").out
    # the times vary, and the columns widen with them: one space for a run
    text = re.sub(r" +", " ", re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "T", text))
    assert text == (
        "ASSET CHECK BLOCKING RESULT MAT CHECKED MESSAGE\n"
        f"valid min_rows yes failed #{attempt} T 1 row, at least 3 expected\n"
        f"valid columns no warning #{attempt} T missing column 'email'\n"
        "\n2 checks: 1 failed, 1 warning\n"
    )


def test_fixing_the_data_publishes_the_next_version(shop: Project) -> None:
    shop.write("data/orders.csv", ONE_ORDER)
    shop.doit("--continue")
    shop.write("data/orders.csv", FOUR_ORDERS + "5,eve\n")
    result = shop.doit_ok()
    assert sorted(result.ran) == ["notes", "report", "valid"]
    assert shop.read("out/valid.csv").endswith("5,eve\n")
    assert results(shop)["valid/min_rows"] == ("passed", "5 rows")


# -- warnings ---------------------------------------------------------------------


def test_a_failing_warning_publishes_and_stops_nothing(shop: Project) -> None:
    shop.write("data/orders.csv", FOUR_ORDERS + "5,eve\n")
    result = shop.doit_ok()
    assert sorted(result.ran) == ["notes", "report", "valid"]
    assert result.out.count(WARNING) == 1
    assert result.out.index(".  valid") < result.out.index(WARNING)
    assert shop.read("out/report.txt") == "6\n"
    status = shop.doit_ok("assets", "status").out
    mat = query(shop, "select max(id) from materializations where asset = 'valid'")
    note = f"check 'columns' failed (warning, #{mat[0][0]}): missing column 'email'"
    assert re.search(rf"valid\s+fresh\s+\S+\s+{re.escape(note)}\n", status), status
    show = shop.doit_ok("assets", "show", "valid").out
    assert (
        f"check         min_rows = 3 (blocking); passed #{mat[0][0]}: 5 rows\n" in show
    )
    assert (
        f'check         columns = ["id", "email"] (warning); failed #{mat[0][0]}: '
        "missing column 'email'\n" in show
    )


def test_a_check_message_of_many_lines_keeps_the_status_table_whole(
    project: Project,
) -> None:
    project.assets(
        """
        [assets.d]
        path = "out/d.txt"
        transform = "echo x > {self.path}"

        [[assets.d.checks]]
        name = "listing"
        command = "printf 'first line\\nsecond line\\n'; exit 1"
        blocking = false
        """
    )
    project.doit_ok()
    status = project.doit_ok("assets", "status").out
    assert status.splitlines() == [
        "ASSET  STATUS  AGE  REASON",
        status.splitlines()[1],
        "",
        "1 asset: 1 fresh",
    ], status
    assert status.splitlines()[1].endswith(
        "check 'listing' failed (warning, #1): first line"
    ), status


# -- what re-runs when a check changes -----------------------------------------------


def test_changing_a_warning_reruns_nothing(shop: Project) -> None:
    shop.assets(SHOP.replace('columns = ["id", "email"]', 'columns = ["id"]'))
    result = shop.doit_ok()
    assert result.ran == []


def test_changing_a_blocking_check_reruns_the_asset_and_why_says_so(
    shop: Project,
) -> None:
    shop.assets(SHOP.replace("min_rows = 3", "min_rows = 2"))
    why = shop.doit_ok("assets", "why", "valid").out
    assert why.startswith(
        "valid is stale and would run, because:\n  its definition changed\n"
    ), why
    result = shop.doit_ok()
    assert result.ran == ["valid"]  # the same bytes: early cutoff for report
    assert results(shop)["valid/min_rows"] == ("passed", "4 rows")


def test_a_blocking_check_made_a_warning_reruns_the_asset(shop: Project) -> None:
    shop.assets(SHOP.replace("min_rows = 3", "min_rows = 3\nblocking = false"))
    assert shop.doit_ok().ran == ["valid"]


def test_a_noop_run_runs_no_check(shop: Project) -> None:
    before = query(shop, "select count(*) from check_results")
    result = shop.doit_ok()
    assert result.ran == []
    assert "warning" not in result.out
    assert query(shop, "select count(*) from check_results") == before


def test_results_come_back_from_the_workers_of_doit_n(shop: Project) -> None:
    shop.write("data/orders.csv", ONE_ORDER)
    result = shop.doit("-n", "2", "--continue")
    assert result.code != 0, result
    assert f"TransformFailed - taskid:valid\n{BLOCKED}\n" in result.out
    assert WARNING in result.out
    assert results(shop) == {
        "valid/min_rows": ("failed", "1 row, at least 3 expected"),
        "valid/columns": ("warning", "missing column 'email'"),
    }


def test_a_failing_check_keeps_a_previous_directory_whole(project: Project) -> None:
    project.assets(
        """\
        [vars]
        python = "{python}"

        [assets.lines]
        path = "data/lines.txt"

        [assets.parts]
        path = "out/parts/"
        transform = "{vars.python} tx.py split {self.path} {lines.path}"

        [[assets.parts.checks]]
        non_empty = true
        """
    )
    project.write("data/lines.txt", "one\ntwo\n")
    project.doit_ok()
    project.write("data/lines.txt", "")
    result = project.doit()
    assert result.code == 1, result
    assert "asset 'parts': check 'non_empty' failed: 'out/parts/' has no files\n" in (
        result.out
    )
    assert sorted(os.listdir(project.path("out/parts"))) == ["part0.txt", "part1.txt"]
    assert project.read("out/parts/part1.txt") == "two\n"
    assert staging_left(project) == []


def test_the_graph_gives_each_check_with_its_latest_result(shop: Project) -> None:
    nodes = json.loads(shop.doit_ok("assets", "graph", "--format", "json").out)
    by_key = {n["asset"]: n for n in nodes["nodes"]}
    assert "checks" not in by_key["report"]
    checks = by_key["valid"]["checks"]
    assert [(c["check"], c["blocking"], c["last"]["passed"]) for c in checks] == [
        ("min_rows", True, True),
        ("columns", False, False),
    ]


# -- each built-in kind, passing and failing ---------------------------------------------

KINDS = """\
[vars]
python = "{python}"

[assets.src]
path = "data/src.txt"

[assets.csv]
path = "out/table.csv"
transform = "printf 'id,email\\\\n1,a@x\\\\n2,b@x\\\\n' > {self.path}"

[assets.tsv]
path = "out/table.tsv"
transform = "printf 'id\\\\tname\\\\n1\\\\tann\\\\n' > {self.path}"

[assets.lines]
path = "out/rows.jsonl"
transform = "printf '{{\\"id\\": 1}}\\\\n\\\\n{{\\"id\\": \\"two\\"}}\\\\n' > {self.path}"

[assets.doc]
path = "out/doc.json"
transform = "printf '{{\\"id\\": 7, \\"tags\\": [\\"a\\"]}}' > {self.path}"

[assets.bom]
path = "out/bom.csv"
transform = "printf '\\\\357\\\\273\\\\277id,email\\\\n1,a@x\\\\n' > {self.path}"

[assets.empty]
path = "out/empty.txt"
transform = ": > {self.path}"

[assets.folder]
path = "out/folder/"
transform = "true"

[assets.parts]
path = "out/parts/"
transform = "{vars.python} tx.py split {self.path} {src.path}"
"""

# asset, check table, expected result, expected message
CASES = [
    ("csv", "non_empty = true", "passed", "21 bytes"),
    ("empty", "non_empty = true", "warning", "'out/empty.txt' is empty"),
    ("parts", "non_empty = true", "passed", "2 files"),
    ("folder", "non_empty = true", "warning", "'out/folder/' has no files"),
    ("csv", "min_rows = 2", "passed", "2 rows"),
    ("csv", "min_rows = 3", "warning", "2 rows, at least 3 expected"),
    ("tsv", "max_rows = 1", "passed", "1 row"),
    ("lines", "max_rows = 1", "warning", "2 rows, at most 1 expected"),
    ("csv", 'columns = ["email", "id"]', "passed", "2 columns"),
    (
        "tsv",
        'columns = ["id", "email", "zip"]',
        "warning",
        "missing columns 'email', 'zip'",
    ),
    ("bom", 'columns = ["id", "email"]', "passed", "2 columns"),
    ("bom", "max_rows = 1", "passed", "1 row"),
    ("doc", 'json_schema = "schemas/doc.json"', "passed", "valid"),
    (
        "doc",
        'json_schema = "schemas/gone.json"',
        "warning",
        "schema 'schemas/gone.json' does not exist",
    ),
    (
        "lines",
        'json_schema = "schemas/row.json"',
        "warning",
        "line 3: at 'id': 'two' is not of type 'integer'",
    ),
    (
        "doc",
        'command = "grep -q tags {self.path} && echo has tags"',
        "passed",
        "has tags",
    ),
    (
        "csv",
        'command = "echo no zip column in $(basename {self.path}); exit 1"',
        "warning",
        "no zip column in table.csv",
    ),
    ("empty", 'command = "exit 3"', "warning", "exited with code 3"),
]


def kinds_project(project: Project) -> Project:
    text = KINDS
    for number, (asset, table, _, _) in enumerate(CASES):
        text += (
            f'\n[[assets.{asset}.checks]]\nname = "case{number}"\n{table}\n'
            "blocking = false\n"
        )
    project.assets(text)
    project.write("data/src.txt", "one\ntwo\n")
    project.write(
        "schemas/doc.json",
        json.dumps(
            {
                "type": "object",
                "required": ["id"],
                "properties": {"id": {"type": "integer"}},
            }
        ),
    )
    project.write(
        "schemas/row.json",
        json.dumps({"type": "object", "properties": {"id": {"type": "integer"}}}),
    )
    return project


def test_each_built_in_kind_passes_and_fails_with_its_message(project: Project) -> None:
    kinds_project(project)
    result = project.doit_ok()
    found = results(project)
    expected = {
        f"{asset}/case{number}": (state, message)
        for number, (asset, _, state, message) in enumerate(CASES)
    }
    assert found == expected
    for number, (asset, _, state, message) in enumerate(CASES):
        line = f"warning: asset '{asset}': check 'case{number}' failed: {message}\n"
        assert (line in result.out) == (state == "warning"), line


def test_a_blocking_command_check_fails_with_its_output(project: Project) -> None:
    project.assets(
        """\
        [assets.data]
        path = "out/data.csv"
        transform = "printf 'id\\\\n' > {self.path}"

        [[assets.data.checks]]
        name = "validate"
        command = "echo 'row count 0 is below 1' >&2; exit 1"
        """
    )
    result = project.doit()
    assert result.code == 1, result
    assert (
        "TransformFailed - taskid:data\n"
        "asset 'data': check 'validate' failed: row count 0 is below 1\n" in result.out
    )
    assert not project.exists("out/data.csv")  # never published


def test_a_check_sees_the_staged_output_never_the_final_path(project: Project) -> None:
    project.assets(
        """\
        [assets.data]
        path = "out/data.txt"
        transform = "echo new > {self.path}"

        [[assets.data.checks]]
        command = "cat out/data.txt; echo {self.path}"
        """
    )
    project.write("out/data.txt", "old\n")
    project.doit_ok()
    message = results(project)["data/command"][1]
    first, staged = message.splitlines()
    assert first == "old"  # the final path still held the previous version
    assert re.fullmatch(r"out/\.doit-assets-staging\.[0-9a-f]+/data\.txt", staged)


# -- Python checks ------------------------------------------------------------------

PIPELINE = """\
from pathlib import Path

from doit_assets import CheckResult, asset, asset_check


@asset
def totals() -> dict[str, int]:
    return {{"eu": {eu}, "us": 3}}


@asset_check(asset="totals", description="no region is negative")
def non_negative(value: dict[str, int]) -> CheckResult:
    bad = sorted(k for k, v in value.items() if v < 0)
    return CheckResult(
        passed=not bad,
        message=f"negative: {{', '.join(bad)}}" if bad else "",
        metadata={{"regions": len(value)}},
    )


@asset_check(asset=totals, name="has_us", blocking=False)
def has_us(value: dict[str, int]) -> bool:
    return "us" in value


@asset(path="out/summary.txt", checks=[{{"non_empty": True}}])
def summary(totals: dict[str, int], output: Path) -> None:
    output.write_text(f"{{sum(totals.values())}}\\n")


@asset_check(asset="summary")
def is_a_number(path: Path) -> CheckResult:
    text = path.read_text()
    return CheckResult(text.strip().isdigit(), f"read {{text.strip()}} from {{path.name}}")


@asset_check(asset="summary", blocking=False)
def broken(path: Path) -> bool:
    raise KeyError("eu")


@asset_check(asset="summary", blocking=False)
def vague(path: Path) -> int:
    return 1
"""


def test_asset_checks_of_python_assets(project: Project) -> None:
    project.write("dodo.py", "from doit_assets.dodo import *\n")
    project.write("assets.toml", '[settings]\nmodules = ["pipeline"]\n')
    project.write("pipeline.py", PIPELINE.format(eu=5))
    first = project.doit_ok()
    assert first.ran == ["totals", "summary"]
    assert results(project) == {
        "totals/non_negative": ("passed", ""),
        "totals/has_us": ("passed", ""),
        "summary/non_empty": ("passed", "2 bytes"),
        "summary/is_a_number": ("passed", "read 8 from summary.txt"),
        "summary/broken": ("warning", "raised KeyError: 'eu'"),
        "summary/vague": ("warning", "returned int, not a CheckResult or a bool"),
    }
    metadata = checks_json(project, "totals")[0]["last"]["metadata"]
    assert metadata == {"regions": 2}
    value = project.path(".doit-assets/values/totals.pickle").read_bytes()
    project.write("pipeline.py", PIPELINE.format(eu=-1))
    result = project.doit("--continue")
    assert result.code != 0, result
    assert "asset 'totals': check 'non_negative' failed: negative: eu\n" in result.out
    assert project.path(".doit-assets/values/totals.pickle").read_bytes() == value
    assert "summary" not in result.ran
    assert project.read("out/summary.txt") == "8\n"


# -- the history -----------------------------------------------------------------------


def test_every_result_is_recorded_with_its_materialization(shop: Project) -> None:
    rows = query(
        shop,
        "select c.asset, c.partition, c.name, c.passed, c.blocking, c.message, "
        "c.metadata, m.asset, m.status from check_results c "
        "join materializations m on m.id = c.materialization_id order by c.id",
    )
    assert rows == [
        ("valid", None, "min_rows", 1, 1, "4 rows", '{"rows": 4}', "valid", "success"),
        (
            "valid",
            None,
            "columns",
            0,
            0,
            "missing column 'email'",
            '{"columns": ["id", "name"]}',
            "valid",
            "success",
        ),
    ]


def test_checks_of_partitions_are_recorded_per_partition(project: Project) -> None:
    project.assets(
        """\
        [assets.daily]
        path = "out/{partition}.txt"
        transform = "echo {partition} > {self.path}"
        partitions = { static = ["a", "b"] }

        [[assets.daily.checks]]
        command = "grep -q a {self.path}"
        blocking = false
        """
    )
    result = project.doit_ok()
    assert "warning: asset 'daily:b': check 'command' failed: exited with code 1\n" in (
        result.out
    )
    found = {(c["partition"], c["result"]) for c in checks_json(project)}
    assert found == {("a", "passed"), ("b", "warning")}


# -- declarations: load errors, in this process -------------------------------------------


def load_error(folder: Project, toml: str) -> str:
    folder.write("assets.toml", toml)
    with pytest.raises(AssetError) as exc:
        load_graph("assets.toml")
    return str(exc.value)


def test_json_schema_without_the_package_is_a_load_error_naming_the_extra(
    folder: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "jsonschema", None)  # as if not installed
    error = load_error(
        folder,
        '[assets.a]\npath = "out/a.json"\ntransform = "echo {{}} > {self.path}"\n\n'
        '[[assets.a.checks]]\njson_schema = "a.schema.json"\n',
    )
    assert error == (
        "assets.toml:6: asset 'a': check 'json_schema': 'json_schema' needs the "
        "jsonschema package. Install it: pip install 'doit-assets[checks]'"
    )


def test_each_check_table_is_located_at_its_own_line(folder: Project) -> None:
    error = load_error(
        folder,
        '[assets.a]\npath = "out/a.csv"\ntransform = "touch {self.path}"\n\n'
        "[[assets.a.checks]]\nmin_rows = 1\n\n"
        "[[assets.a.checks]]\nmin_row = 2\n\n"
        "[[assets.a.checks]]\nmax_rows = -1\n",
    )
    assert error.splitlines() == [
        "assets.toml:9: asset 'a': check #2: unknown check kind 'min_row'. "
        "Did you mean 'min_rows'?",
        "assets.toml:12: asset 'a': check 'max_rows': 'max_rows' must be a whole "
        "number, 0 or more, got -1",
    ]


def test_a_blocking_schema_is_an_input_of_its_asset(folder: Project) -> None:
    folder.write(
        "assets.toml",
        '[assets.a]\npath = "out/a.json"\ntransform = "touch {self.path}"\n\n'
        '[[assets.a.checks]]\njson_schema = "a.schema.json"\n\n'
        '[assets.b]\npath = "out/b.json"\ntransform = "touch {self.path}"\n\n'
        '[[assets.b.checks]]\njson_schema = "a.schema.json"\nblocking = false\n',
    )
    _, graph = load_graph("assets.toml")
    assert graph["a"].inputs == ("a.schema.json",)
    assert graph["b"].inputs == ()


def test_checks_keep_the_plan_cache_valid(folder: Project) -> None:
    from doit_assets.plan.plan import plan_project

    folder.write(
        "assets.toml",
        '[assets.a]\npath = "out/a.csv"\ntransform = "touch {self.path}"\n\n'
        '[[assets.a.checks]]\ncolumns = ["x"]\n',
    )
    made = plan_project("assets.toml").by_task["a"]
    cached = plan_project("assets.toml").by_task["a"]  # from the cache this time
    assert os.path.exists(".doit-assets/project.cache")
    assert cached == made
    assert cached.checks[0].definition == 'columns = ["x"]'
    assert type(cached.checks[0]).__name__ == "PlannedCheck"


def test_check_results_survive_a_history_made_before_checks(tmp_path: Path) -> None:
    from doit_assets.store.history import History

    path = tmp_path / "history.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("create table t (x)")
    conn.execute("pragma user_version = 3")
    conn.close()
    with History.open(str(path), readonly=True) as history:
        assert history.latest_checks() == {}


def test_an_asset_check_of_no_asset_key_is_a_load_error(folder: Project) -> None:
    from doit_assets import asset_check
    from doit_assets.load.decorators import collect

    module = type(sys)("pipeline")

    @asset_check(asset=3)  # type: ignore[arg-type]
    def odd(path: Path) -> bool:
        return True

    @asset_check(asset="a")
    def nothing() -> bool:
        return True

    @asset_check(asset="a", name="")
    def unnamed(path: Path) -> bool:
        return True

    module.odd, module.nothing = odd, nothing  # type: ignore[attr-defined]
    module.unnamed = unnamed  # type: ignore[attr-defined]
    folder.write(
        "assets.toml",
        '[assets.a]\npath = "out/a.csv"\ntransform = "touch {self.path}"\n',
    )
    with pytest.raises(AssetError) as exc:
        load_graph("assets.toml", python_assets=collect([module]))
    lines = [line.split(": ", 1)[1] for line in str(exc.value).splitlines()]
    assert lines == [
        "check 'odd': 'asset' must be an asset key or an @asset, got int",
        "asset 'a': check 'nothing' must take one parameter, the output, but it "
        "takes none. The function receives the staged output: its Path, or a value "
        "asset's value",
        "asset 'a': invalid check name ''. Use letters, digits, '_', '-' and '.'",
    ]
