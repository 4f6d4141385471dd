"""Declarations for automation (issue 15): an asset's ``automation``,
``timezone`` and ``interval``, ``[sensors.NAME]`` and ``@sensor``, each error
an exact one-line message, and what the plan (and its cache) holds of them."""

from __future__ import annotations

import sys

import pytest
from conftest import Project

import doit_assets
from doit_assets import AssetError
from doit_assets.errors import AssetValidationError, SensorError
from doit_assets.load.project import load_graph
from doit_assets.plan import plan as plan_module
from doit_assets.plan.plan import Plan, plan_of, plan_project
from doit_assets.plan.records import (
    PlannedAsset,
    PlannedGroup,
    PlannedSensor,
    fingerprint,
)

RAW = '[assets.raw]\npath = "data/raw.csv"\n\n'
FORMS = '"eager", "on_missing", "manual" or "cron:EXPR"'
CRON_HINT = (
    "Write 5 fields: minute hour day-of-month month day-of-week, "
    'e.g. "cron:0 6 * * *" (every day at 06:00)'
)
AUTOMATION_HINT = (
    'For example automation = "cron:0 6 * * *" (every day at 06:00, '
    "in [settings] timezone or UTC)"
)
TIMEZONE_HINT = "Use an IANA name such as 'Europe/Paris' or 'UTC'"
DURATION_HINT = 'Write a number and a unit: s, m, h, d or w (for example "1h30m")'
TRIGGERS_HINT = (
    'Name the assets to materialize when its answer changes, e.g. triggers = ["orders"]'
)


def error_of(folder: Project, toml: str) -> str:
    folder.write("assets.toml", toml)
    with pytest.raises(AssetError) as exc:
        load_graph("assets.toml")
    return str(exc.value)


def made(extra: str, name: str = "report") -> str:
    """RAW and one transform made from it, with ``extra`` lines."""
    return (
        f'{RAW}[assets.{name}]\npath = "out/{name}.txt"\n'
        f'transform = "cp {{raw.path}} {{self.path}}"\n{extra}'
    )


# -- automation ------------------------------------------------------------------


def test_an_unknown_automation_lists_the_four_forms(folder: Project) -> None:
    assert error_of(folder, made('automation = "sometimes"\n')) == (
        f"assets.toml:7: asset 'report': 'automation' must be {FORMS}, "
        f"got 'sometimes'. {AUTOMATION_HINT}"
    )


def test_an_automation_that_is_no_string_names_its_type(folder: Project) -> None:
    assert error_of(folder, made("automation = 3\n")) == (
        f"assets.toml:7: asset 'report': 'automation' must be {FORMS}, "
        f"got integer. {AUTOMATION_HINT}"
    )


def test_an_invalid_cron_expression_says_how_to_write_one(folder: Project) -> None:
    assert error_of(folder, made('automation = "cron:0 25 * * *"\n')) == (
        "assets.toml:7: asset 'report': invalid cron expression '0 25 * * *'. "
        + CRON_HINT
    )


def test_a_cron_expression_needs_five_fields(folder: Project) -> None:
    assert error_of(folder, made('automation = "cron:0 6 * * * *"\n')) == (
        "assets.toml:7: asset 'report': cron expression '0 6 * * * *' has 6 "
        f"fields, not 5. {CRON_HINT}"
    )
    assert error_of(folder, made('automation = "cron:"\n')) == (
        "assets.toml:7: asset 'report': cron expression '' has 0 fields, not 5. "
        + CRON_HINT
    )


def test_without_croniter_a_cron_says_how_to_install_it(
    folder: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "croniter", None)  # import fails
    assert error_of(folder, made('automation = "cron:0 6 * * *"\n')) == (
        "assets.toml:7: asset 'report': a cron automation needs the croniter "
        "package, which is not installed. "
        "Install it: pip install 'doit-assets[automation]'"
    )


def test_a_source_asset_cannot_have_an_automation(folder: Project) -> None:
    toml = '[assets.raw]\npath = "data/raw.csv"\nautomation = "manual"\n'
    assert error_of(folder, toml) == (
        "assets.toml:3: asset 'raw': a source asset cannot have 'automation'. "
        "Nothing runs to make a source; give it 'observe' to have it observed, "
        "or a 'transform' that makes it"
    )


# -- timezone --------------------------------------------------------------------


def test_a_timezone_without_a_cron_is_refused(folder: Project) -> None:
    expected = (
        "assets.toml:{line}: asset 'report': 'timezone' applies to a cron "
        'automation only. Remove it, or give a schedule: automation = "cron:0 6 * * *"'
    )
    assert error_of(folder, made('timezone = "UTC"\n')) == expected.format(line=7)
    toml = made('automation = "eager"\ntimezone = "UTC"\n')
    assert error_of(folder, toml) == expected.format(line=8)


def test_an_unknown_timezone_is_refused(folder: Project) -> None:
    toml = made('automation = "cron:0 6 * * *"\ntimezone = "Mars/Olympus"\n')
    assert error_of(folder, toml) == (
        f"assets.toml:8: asset 'report': unknown timezone 'Mars/Olympus'. {TIMEZONE_HINT}"
    )
    toml = made('automation = "cron:0 6 * * *"\ntimezone = 2\n')
    assert error_of(folder, toml) == (
        "assets.toml:8: asset 'report': 'timezone' must be a string, got integer. "
        + TIMEZONE_HINT
    )


def test_a_bad_automation_is_not_also_told_its_timezone_needs_a_cron(
    folder: Project,
) -> None:
    toml = made('automation = "cron:0 99 * * *"\ntimezone = "UTC"\n')
    assert error_of(folder, toml) == (
        "assets.toml:7: asset 'report': invalid cron expression '0 99 * * *'. "
        + CRON_HINT
    )


# -- interval --------------------------------------------------------------------


def test_interval_is_for_observable_sources_only(folder: Project) -> None:
    expected = (
        "assets.toml:{line}: asset '{name}': 'interval' is for observable sources "
        "only. It says how often watch observes a source that has 'observe'; to run "
        'an asset on a schedule, use automation = "cron:..."'
    )
    assert error_of(folder, made('interval = "5m"\n')) == expected.format(
        line=7, name="report"
    )
    toml = '[assets.raw]\npath = "data/raw.csv"\ninterval = "5m"\n'
    assert error_of(folder, toml) == expected.format(line=3, name="raw")


def test_an_interval_must_be_a_duration(folder: Project) -> None:
    toml = '[assets.feed]\nobserve = "echo 1"\ninterval = "often"\n'
    assert error_of(folder, toml) == (
        "assets.toml:3: asset 'feed': 'interval' must be a duration like \"5m\", "
        f"got 'often'. {DURATION_HINT}"
    )


# -- the plan --------------------------------------------------------------------

VALID = """\
[settings]
timezone = "Europe/Paris"

[assets.raw]
path = "data/raw.csv"

[assets.feed]
observe = "echo 1"
interval = "5m"
automation = "cron:0  6 * * *"

[assets.eager]
path = "out/eager.txt"
transform = "cp {raw.path} {self.path}"

[assets.missing]
path = "out/missing.txt"
transform = "cp {raw.path} {self.path}"
automation = "on_missing"

[assets.by_hand]
path = "out/by_hand.txt"
transform = "cp {raw.path} {self.path}"
automation = "manual"

[assets.nightly]
path = "out/nightly.txt"
transform = "cp {raw.path} {self.path}"
automation = "cron:0 2 * * *"

[assets.tokyo]
path = "out/tokyo.txt"
transform = "cp {raw.path} {self.path}"
automation = "cron:*/15 * * * MON-FRI"
timezone = "Asia/Tokyo"

[assets.daily]
path = "out/daily/{partition}.txt"
transform = "cp {raw.path} {self.path}"
partitions = { daily = { start = "2024-03-01", end = "2024-03-02" } }
automation = "cron:5 0 * * *"

[sensors.orders_export]
observe = "curl -sI https://example.com/orders.csv"
interval = "10m"
triggers = ["eager", "nightly"]
description = "the orders export"

[sensors.quiet]
observe = "date +%F"
triggers = ["by_hand"]
"""

EXPECTED_SENSORS = (
    PlannedSensor(
        "orders_export",
        "curl -sI https://example.com/orders.csv",
        600.0,
        ("eager", "nightly"),
        "assets.toml:43",
        "the orders export",
    ),
    PlannedSensor("quiet", "date +%F", 30.0, ("by_hand",), "assets.toml:49", None),
)


def automation_of(plan: Plan) -> dict[str, tuple[object, ...]]:
    found: dict[str, tuple[object, ...]] = {}
    for item in plan.items:
        name = item.task if isinstance(item, PlannedAsset) else f"[{item.key}]"
        interval = item.interval if isinstance(item, PlannedAsset) else "group"
        found[name] = (item.automation, item.timezone, interval)
    return found


EXPECTED_AUTOMATION = {
    "raw": ("eager", None, None),
    "feed": ("cron:0 6 * * *", "Europe/Paris", 300.0),
    "eager": ("eager", None, None),
    "missing": ("on_missing", None, None),
    "by_hand": ("manual", None, None),
    "nightly": ("cron:0 2 * * *", "Europe/Paris", None),
    "tokyo": ("cron:*/15 * * * MON-FRI", "Asia/Tokyo", None),
    "[daily]": ("cron:5 0 * * *", "Europe/Paris", "group"),
    "daily:2024-03-01": ("cron:5 0 * * *", "Europe/Paris", None),
    "daily:2024-03-02": ("cron:5 0 * * *", "Europe/Paris", None),
}


def test_the_plan_holds_each_automation_with_its_final_timezone(
    folder: Project,
) -> None:
    folder.write("assets.toml", VALID)
    plan = plan_of(*load_graph("assets.toml"))
    assert automation_of(plan) == EXPECTED_AUTOMATION
    assert plan.sensors == EXPECTED_SENSORS


def test_a_cron_without_settings_timezone_runs_in_utc(folder: Project) -> None:
    folder.write("assets.toml", made('automation = "cron:0 6 * * *"\n'))
    plan = plan_of(*load_graph("assets.toml"))
    report = plan.by_task["report"]
    assert (report.automation, report.timezone) == ("cron:0 6 * * *", "UTC")


def test_the_cache_keeps_automation_and_sensors(
    folder: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder.write("assets.toml", VALID)
    first = plan_project("assets.toml")
    assert folder.exists(".doit-assets/project.cache")

    def not_again(*args: object, **kwargs: object) -> None:
        raise AssertionError("loaded again instead of from the cache")

    monkeypatch.setattr(plan_module, "load_graph", not_again)
    second = plan_project("assets.toml")
    assert second.sensors == first.sensors == EXPECTED_SENSORS
    assert automation_of(second) == automation_of(first) == EXPECTED_AUTOMATION
    assert second.items == first.items


def test_only_keeps_the_sensors(folder: Project) -> None:
    folder.write("assets.toml", VALID)
    plan = plan_of(*load_graph("assets.toml"))
    assert plan.only(["eager"]).sensors == EXPECTED_SENSORS


def test_automation_is_not_in_the_fingerprint(folder: Project) -> None:
    folder.write("assets.toml", made(""))
    before = plan_of(*load_graph("assets.toml")).by_task["report"].fingerprint
    folder.write("assets.toml", made('automation = "cron:0 6 * * *"\n'))
    after = plan_of(*load_graph("assets.toml")).by_task["report"].fingerprint
    assert (
        before
        == after
        == fingerprint("cp data/raw.csv out/report.txt", None, ("out/report.txt",))
    )


def test_the_cache_tells_groups_from_assets_by_their_length() -> None:
    assert len(PlannedAsset._fields) != len(PlannedGroup._fields)


def test_old_positional_plans_still_work() -> None:
    plan = Plan([], {}, plan_module.OnDisk(), None)
    assert plan.sensors == ()


# -- [sensors] -------------------------------------------------------------------


def sensors(body: str) -> str:
    return made("") + "\n" + body


def test_a_sensor_needs_observe_and_triggers(folder: Project) -> None:
    message = error_of(folder, sensors("[sensors.s]\n"))
    assert message == (
        "assets.toml:8: sensor 's': missing required key 'observe'. Give a "
        'command that prints its answer, e.g. observe = "curl -sI '
        'https://example.com/data.csv"\n'
        f"assets.toml:8: sensor 's': missing required key 'triggers'. {TRIGGERS_HINT}"
    )


def test_a_sensor_observe_must_be_a_command(folder: Project) -> None:
    body = '[sensors.s]\nobserve = " "\ntriggers = ["report"]\n'
    assert error_of(folder, sensors(body)) == (
        "assets.toml:9: sensor 's': 'observe' is empty. Give a command, e.g. "
        'observe = "curl -sI https://example.com/data.csv"'
    )
    body = '[sensors.s]\nobserve = ["echo"]\ntriggers = ["report"]\n'
    assert error_of(folder, sensors(body)) == (
        "assets.toml:9: sensor 's': 'observe' must be a shell command, got array. "
        'For example observe = "curl -sI https://example.com/data.csv"'
    )
    body = '[sensors.s]\nobserve = "echo \\u0000"\ntriggers = ["report"]\n'
    assert error_of(folder, sensors(body)) == (
        "assets.toml:9: sensor 's': 'observe' contains a NUL character (\\u0000). "
        + doit_assets.load.pathnames.NUL_HINT  # type: ignore[attr-defined]
    )


def test_sensor_triggers_must_be_a_non_empty_list(folder: Project) -> None:
    body = '[sensors.s]\nobserve = "echo"\ntriggers = "report"\n'
    assert error_of(folder, sensors(body)) == (
        "assets.toml:10: sensor 's': 'triggers' must be a non-empty list of asset "
        'keys, got string. Write triggers = ["report"]'
    )
    body = '[sensors.s]\nobserve = "echo"\ntriggers = []\n'
    assert error_of(folder, sensors(body)) == (
        "assets.toml:10: sensor 's': 'triggers' must be a non-empty list of asset "
        f"keys, got an empty array. {TRIGGERS_HINT}"
    )


def test_an_unknown_trigger_suggests_an_asset_as_depends_on_does(
    folder: Project,
) -> None:
    body = '[sensors.s]\nobserve = "echo"\ntriggers = ["reprot", "nothing"]\n'
    assert error_of(folder, sensors(body)) == (
        "assets.toml:10: sensor 's': unknown asset 'reprot' in 'triggers'. "
        "Did you mean 'report'?\n"
        "assets.toml:10: sensor 's': unknown asset 'nothing' in 'triggers'"
    )


def test_a_sensor_interval_must_be_a_duration(folder: Project) -> None:
    body = '[sensors.s]\nobserve = "echo"\ninterval = 30\ntriggers = ["report"]\n'
    assert error_of(folder, sensors(body)) == (
        "assets.toml:10: sensor 's': 'interval' must be a duration like \"5m\", "
        f"got integer. {DURATION_HINT}"
    )


def test_a_sensor_table_lists_its_allowed_keys(folder: Project) -> None:
    body = (
        '[sensors.s]\nobserve = "echo"\ntriggers = ["report"]\n'
        'trigger = ["raw"]\ncolour = "red"\ndescription = 3\n'
    )
    assert error_of(folder, sensors(body)) == (
        "assets.toml:11: sensor 's': unknown key 'trigger'. Did you mean "
        "'triggers'? Allowed: observe, interval, triggers, description\n"
        "assets.toml:12: sensor 's': unknown key 'colour'. "
        "Allowed: observe, interval, triggers, description\n"
        "assets.toml:13: sensor 's': 'description' must be a string, got integer"
    )


def test_a_sensor_name_is_a_key_and_not_an_asset(folder: Project) -> None:
    body = (
        '[sensors."bad:name"]\nobserve = "echo"\ntriggers = ["report"]\n\n'
        '[sensors.report]\nobserve = "echo"\ntriggers = ["report"]\n'
    )
    assert error_of(folder, sensors(body)) == (
        "assets.toml:8: sensor 'bad:name': invalid sensor name. "
        "':' is reserved for partitions (KEY:PARTITION)\n"
        "assets.toml:12: sensor 'report': an asset is named 'report' too. "
        "Rename the sensor: sensors and assets share one set of names"
    )


def test_sensors_must_be_tables(folder: Project) -> None:
    assert error_of(folder, made("") + '\n[sensors]\ns = "echo"\n') == (
        "assets.toml:9: sensor 's': must be a table, got string"
    )
    assert error_of(folder, "sensors = 3\n" + made("")) == (
        "assets.toml:1: 'sensors' must be a table, got integer"
    )


def test_sensor_problems_are_reported_with_the_assets_problems(
    folder: Project,
) -> None:
    toml = made('automation = "often"\n') + (
        '\n[sensors.s]\nobserve = "echo"\ntriggers = ["raw", "nope"]\n'
    )
    folder.write("assets.toml", toml)
    with pytest.raises(AssetValidationError) as exc:
        load_graph("assets.toml")
    kinds = [type(p).__name__ for p in exc.value.problems]
    assert kinds == ["AssetDefinitionError", "SensorError"]
    assert isinstance(exc.value.problems[1], SensorError)
    assert exc.value.problems[1].key == "s"


# -- Python ----------------------------------------------------------------------

PIPE = """\
import datetime

from doit_assets import asset, observable_source, sensor


@observable_source(interval=datetime.timedelta(minutes=2), automation="manual")
def prices() -> str:
    return "1"


@asset(automation="cron:30 7 * * 1", depends_on=["prices"])
def weekly() -> int:
    return 1


@asset(automation="cron:0 * * * *", timezone="America/New_York")
def hourly() -> int:
    return 2


@sensor(interval=90, triggers=("weekly", "hourly"), description="the feed")
def feed() -> str:
    return "v1"


@sensor(triggers=["weekly"], name="named")
def other() -> str:
    return "v2"
"""


def test_python_declarations_reach_the_plan(folder: Project) -> None:
    folder.write("weekly_pipe.py", PIPE)
    folder.write(
        "assets.toml",
        '[settings]\nmodules = ["weekly_pipe"]\ntimezone = "Europe/Oslo"\n\n'
        '[sensors.toml_one]\nobserve = "echo"\ntriggers = ["hourly"]\n',
    )
    plan = plan_project("assets.toml")
    assert automation_of(plan) == {
        "prices": ("manual", None, 120.0),
        "weekly": ("cron:30 7 * * 1", "Europe/Oslo", None),
        "hourly": ("cron:0 * * * *", "America/New_York", None),
    }
    toml_one, feed, named = plan.sensors
    assert toml_one == PlannedSensor(
        "toml_one", "echo", 30.0, ("hourly",), "assets.toml:5", None
    )
    assert feed[2:] == (90.0, ("weekly", "hourly"), "weekly_pipe.py:21", "the feed")
    assert (named.name, named.location) == ("named", "weekly_pipe.py:26")
    assert callable(feed.observe) and feed.observe() == "v1"
    # its code is not in assets.toml: never cached
    assert not folder.exists(".doit-assets/project.cache")


def test_a_sensor_def_calls_its_function_and_knows_where_it_is(
    folder: Project,
) -> None:
    @doit_assets.sensor(triggers=["a"])
    def answer() -> str:
        return "42"

    assert answer() == "42"
    assert answer.key == "answer"
    assert str(answer.location).endswith(f":{answer.fn.__code__.co_firstlineno}")


def test_the_same_sensor_name_twice_is_refused(folder: Project) -> None:
    folder.write(
        "twice_pipe.py",
        "from doit_assets import asset, sensor\n\n\n"
        "@asset\ndef a() -> int:\n    return 1\n\n\n"
        "@sensor(triggers=['a'], name='s')\ndef one() -> str:\n    return '1'\n",
    )
    folder.write(
        "assets.toml",
        '[settings]\nmodules = ["twice_pipe"]\n\n'
        '[sensors.s]\nobserve = "echo"\ntriggers = ["a"]\n',
    )
    assert error_of(folder, folder.read("assets.toml")) == (
        "twice_pipe.py:9: sensor 's': declared twice (first at assets.toml:4). "
        "Rename one of them"
    )


# -- through doit ----------------------------------------------------------------


@pytest.mark.e2e
def test_doit_refuses_a_bad_automation_in_one_line(project: Project) -> None:
    project.write("data/raw.csv", "x\n")
    project.assets(made('automation = "nightly"\n'))
    result = project.doit()
    assert result.code == 3, result
    assert result.err == (
        f"ERROR: assets.toml:7: asset 'report': 'automation' must be {FORMS}, "
        "got 'nightly'. For example automation = \"cron:0 6 * * *\" (every day at "
        "06:00, in [settings] timezone or UTC)\n"
    ), result
    assert "Traceback" not in result.out + result.err
    assert not project.exists("out/report.txt")
