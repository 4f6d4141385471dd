# error: {path}:13: asset 'reading_sum': 'ins' must map parameter names to asset keys. For example ins={'orders': 'raw/orders'}
# error: {path}:18: asset 'reading_max': 'ins' must map parameter names to asset keys. For example ins={'orders': 'raw/orders'}
"""A wrong 'ins' is one problem: its parameters are not reported again."""

from doit_assets import asset


@asset(name="raw/readings")
def readings() -> list[int]:
    return [3, 4]


@asset(ins=["raw/readings"])
def reading_sum(readings: list[int]) -> int:
    return sum(readings)


@asset(ins={"readings": 1})
def reading_max(readings: list[int]) -> int:
    return max(readings)
