# error: {path}:16: asset 'harvest': 'automation' must be "eager", "on_missing", "manual" or "cron:EXPR", got 'hourly'. For example automation="cron:0 6 * * *" (every day at 06:00, in [settings] timezone or UTC)
# error: {path}:21: asset 'threshing': 'timezone' applies to a cron automation only. Remove it, or give a schedule: automation="cron:0 6 * * *"
# error: {path}:26: asset 'milling': 'interval' is for observable sources only. It says how often watch observes a source that has 'observe'; to run an asset on a schedule, use automation="cron:..."
# error: {path}:31: asset 'weather': 'interval' must be longer than nothing, got 0 seconds. For example interval=timedelta(minutes=5) or interval="5m"
# error: {path}:36: sensor 'rain': 'triggers' must be a non-empty list of asset keys, got str. Write triggers=["harvest"]
# error: {path}:41: sensor 'hail': a sensor function takes no parameters, but it has 'field'. Return the answer from nothing but what it observes
# error: {path}:46: sensor 'frost': unknown asset 'harvset' in 'triggers'. Did you mean 'harvest'?
# error: {path}:51: sensor 'milling': an asset is named 'milling' too. Rename the sensor: sensors and assets share one set of names
"""automation, timezone and interval of @asset and @observable_source; @sensor."""

import datetime

from doit_assets import asset, observable_source, sensor


@asset(automation="hourly")
def harvest() -> list[str]:
    return []


@asset(timezone="Europe/Paris", depends_on=["harvest"])
def threshing() -> list[str]:
    return []


@asset(interval="5m")
def milling() -> list[str]:
    return []


@observable_source(interval=datetime.timedelta(0))
def weather() -> str:
    return "sunny"


@sensor(triggers="harvest")
def rain() -> str:
    return "dry"


@sensor(triggers=["harvest"])
def hail(field: str) -> str:
    return field


@sensor(triggers=["harvset"], interval=60)
def frost() -> str:
    return "none"


@sensor(triggers=["harvest"], name="milling")
def mill_sensor() -> str:
    return "idle"
