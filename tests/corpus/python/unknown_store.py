# error: {path}:8: asset 'tallies': unknown value store 'jsn'. Did you mean 'json'?
# error: {path}:13: asset 'ledger': unknown value store 'parquet'. Known: json, pickle
"""A value store is named by 'io': "pickle" (the default), "json", or one registered."""

from doit_assets import asset


@asset(io="jsn")
def tallies() -> dict[str, int]:
    return {}


@asset(io="parquet")
def ledger() -> list[int]:
    return []
