# error: {path}:8: asset 'cities': unknown key 'dependson'. Did you mean 'depends_on'?
# error: {path}:13: asset 'towns': unknown key 'colour'. Allowed: path, transform, python, depends_on, inputs, description, metadata, code_version, io, ins, group, tags, max_age, observe, partitions, partition_mapping, retries, retry_delay, timeout, pool, on_failure, checks, automation, timezone, interval, env, requires, track_packages, name
"""The decorator takes the keys of assets.toml, plus 'name'."""

from doit_assets import asset


@asset(dependson=["villages"])
def cities() -> list[str]:
    return []


@asset(colour="red")
def towns() -> list[str]:
    return []


@asset
def villages() -> list[str]:
    return []
