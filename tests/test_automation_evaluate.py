"""The evaluation of a tick (automate/evaluate.py), in this process: which tasks
it asks for, why, which it forces, and when it is next due. No doit runs."""

from __future__ import annotations

import contextlib
import datetime
import time

import pytest
from conftest import Project

from doit_assets.automate.evaluate import Decision, Wake, evaluate
from doit_assets.automate.files import watched_files
from doit_assets.inspect.causes import AssetStatus
from doit_assets.plan.plan import Plan, plan_project

CHAIN = """\
[assets.raw]
path = "data/raw.txt"

[assets.a]
path = "out/a.txt"
transform = "cp {raw.path} {self.path}"
inputs = ["script.sh"]

[assets.b]
path = "out/b.txt"
transform = "cp {a.path} {self.path}"
automation = "manual"

[assets.c]
path = "out/c.txt"
transform = "cp {b.path} {self.path}"

[assets.d]
path = "out/d.txt"
transform = "cp {a.path} {self.path}"
automation = "on_missing"

[assets.e]
path = "out/e.txt"
transform = "cp {a.path} {self.path}"
"""

NOON = datetime.datetime(2024, 3, 5, 12, tzinfo=datetime.timezone.utc).timestamp()


@pytest.fixture
def chain(folder: Project) -> Plan:
    folder.write("assets.toml", CHAIN)
    for path in ("data/raw.txt", "script.sh", "out/a.txt", "out/b.txt", "out/d.txt"):
        folder.write(path, "x\n")
    return plan_project("assets.toml", write_cache=False)


def decide(plan: Plan, wake: Wake, **more: object) -> Decision:
    chosen = set(more.pop("chosen", plan.keys))  # type: ignore[call-overload]
    return evaluate(
        plan,
        chosen,
        wake,
        more.pop("now", NOON),  # type: ignore[arg-type]
        moments=more.pop("moments", {}),  # type: ignore[arg-type]
        statuses=more.pop("statuses", {}),  # type: ignore[arg-type]
        fired=more.pop("fired", {}),  # type: ignore[arg-type]
    )


def test_a_changed_source_asks_its_eager_cone_and_stops_at_manual(chain: Plan) -> None:
    decision = decide(chain, Wake(changed=("data/raw.txt",)))
    # d exists (on_missing), b is manual: c is behind b
    assert decision.requests == {
        "a": "file data/raw.txt",
        "e": "file data/raw.txt",
        "raw": "file data/raw.txt",
    }
    assert decision.force == set()


def test_an_inputs_file_is_a_change_of_what_reads_it(chain: Plan) -> None:
    decision = decide(chain, Wake(changed=("script.sh",)))
    assert set(decision.requests) == {"a", "e", "raw"}
    assert decision.trigger == "file script.sh"


def test_an_unrelated_file_asks_nothing(chain: Plan) -> None:
    assert decide(chain, Wake(changed=("notes.txt",))).requests == {}


def test_a_file_changed_during_a_cycle_forces_its_readers(chain: Plan) -> None:
    wake = Wake(changed=("data/raw.txt",), during=("data/raw.txt",))
    assert decide(chain, wake).force == {"a"}


def test_a_full_tick_asks_every_eager_asset_that_can_run(chain: Plan) -> None:
    decision = decide(chain, Wake(full=True, label="watch started"))
    assert set(decision.requests) == {"a", "c", "e", "raw"}
    assert set(decision.requests.values()) == {"watch started"}


def test_a_full_tick_leaves_out_what_reads_an_unmade_file(folder: Project) -> None:
    folder.write("assets.toml", CHAIN)
    folder.write("data/raw.txt", "x\n")
    folder.write("script.sh", "x\n")
    plan = plan_project("assets.toml", write_cache=False)
    decision = decide(plan, Wake(full=True))
    # c reads b, manual and never made; d is missing (on_missing)
    assert decision.requests == {
        "d": "missing",
        "a": "tick",
        "e": "tick",
        "raw": "tick",
    }


def test_a_selection_limits_what_is_asked(chain: Plan) -> None:
    decision = decide(chain, Wake(changed=("data/raw.txt",)), chosen={"raw", "a"})
    assert set(decision.requests) == {"a", "raw"}


def test_a_schedule_is_due_after_its_moment_once(folder: Project) -> None:
    folder.write(
        "assets.toml",
        '[assets.s]\npath = "out/s.txt"\ntransform = "date > {self.path}"\n'
        'automation = "cron:0 6 * * *"\n',
    )
    plan = plan_project("assets.toml", write_cache=False)
    six = NOON - 6 * 3600
    first = decide(plan, Wake())
    assert (first.requests, first.force) == ({"s": "schedule 0 6 * * *"}, {"s"})
    assert first.moments == {"cron:s": (six, ("s",))}  # kept once s is made
    assert first.next_due == six + 86400
    acted = decide(plan, Wake(), moments={"cron:s": six})
    assert acted.requests == {}
    made = AssetStatus("s", "transform", "fresh", made_at=six + 60)
    assert decide(plan, Wake(), statuses={"s": made}).requests == {}


def test_max_age_asks_once_expired_and_is_due_at_expiry(folder: Project) -> None:
    folder.write(
        "assets.toml",
        '[assets.s]\npath = "out/s.txt"\ntransform = "date > {self.path}"\n'
        'max_age = "1h"\n',
    )
    folder.write("out/s.txt", "x\n")
    plan = plan_project("assets.toml", write_cache=False)
    fresh = AssetStatus("s", "transform", "fresh", made_at=NOON - 1800)
    decision = decide(plan, Wake(), statuses={"s": fresh})
    assert (decision.requests, decision.next_due) == ({}, NOON + 1800)
    old = AssetStatus("s", "transform", "stale", made_at=NOON - 3601)
    assert decide(plan, Wake(), statuses={"s": old}).requests == {"s": "max_age 1h"}


def test_a_fired_sensor_forces_its_targets(chain: Plan) -> None:
    decision = decide(chain, Wake(), fired={"upload": ("b",)})
    assert decision.force == {"b"}
    assert decision.requests["b"] == "sensor upload"
    assert decision.requests["c"] == "sensor upload"  # eager, downstream


def test_the_trigger_names_three_reasons_and_counts_the_rest() -> None:
    decision = Decision()
    for n in range(5):
        decision.request(f"t{n}", f"file f{n}")
    assert decision.trigger == "file f0; file f1; file f2; +2 more"


def test_what_a_watcher_watches(chain: Plan) -> None:
    assert watched_files(chain) == ["data/raw.txt", "script.sh"]


def utc(text: str) -> float:
    return datetime.datetime.fromisoformat(text + "+00:00").timestamp()


@pytest.mark.parametrize(
    ("expression", "now", "last", "following"),
    [
        # 02:30 in Paris: CEST (00:30Z) on the night clocks go back; not again at CET
        (
            "30 2 * * *",
            "2026-10-25T01:31:00",
            "2026-10-25T00:30:00",
            "2026-10-26T01:30:00",
        ),
        # every hour: both 02:30s, as the system's cron does
        (
            "30 * * * *",
            "2026-10-25T01:31:00",
            "2026-10-25T01:30:00",
            "2026-10-25T02:30:00",
        ),
        # spring forward: 02:30 does not exist on 29 March 2026; it runs when the
        # clocks jump (03:00 CEST), as the system's cron does
        (
            "30 2 * * *",
            "2026-03-29T12:00:00",
            "2026-03-29T01:00:00",
            "2026-03-30T00:30:00",
        ),
    ],
)
def test_schedules_across_daylight_saving_time(
    expression: str, now: str, last: str, following: str
) -> None:
    from doit_assets.model.cron import last_tick, next_tick

    assert last_tick(expression, "Europe/Paris", utc(now)) == utc(last)
    assert next_tick(expression, "Europe/Paris", utc(now)) == utc(following)


def test_a_python_sensor_that_hangs_is_stopped() -> None:
    from doit_assets.run.observe import ObservationFailed, ObserveJob

    def hangs() -> str:
        with contextlib.suppress(Exception):  # its own handler cannot keep it
            time.sleep(30)
        return "late"

    began = time.monotonic()
    with pytest.raises(ObservationFailed) as failed:
        ObserveJob("rates", hangs, ".", "").value(timeout=0.2)
    assert time.monotonic() - began < 5
    assert str(failed.value) == (
        "observation of 'rates' failed: the function ran longer than 0.2s"
    )
