# error: {path}:16: check 'positive': unknown asset 'ratio'. Did you mean 'ratios'?
# error: {path}:21: asset 'ratios': check 'compared' must take one parameter, the output, but it takes 2: 'value', 'other'. The function receives the staged output: its Path, or a value asset's value
# error: {path}:31: asset 'ratio_table': check 'min_rows': 'min_rows' checks a file, and a value asset has none. Check the value with an @asset_check function, which receives it
# error: {path}:36: asset 'ratios': two checks named 'in_range'. Give one a name of its own: @asset_check(name=...)
"""@asset_check of an unknown asset, with two parameters, twice the same name;
a built-in kind on a value asset."""

from doit_assets import asset, asset_check


@asset
def ratios() -> list[float]:
    return [0.5, 0.25]


@asset_check(asset="ratio")
def positive(value: list[float]) -> bool:
    return all(v > 0 for v in value)


@asset_check(asset="ratios")
def compared(value: list[float], other: list[float]) -> bool:
    return value == other


@asset_check(asset="ratios", name="in_range")
def in_range(value: list[float]) -> bool:
    return all(0 <= v <= 1 for v in value)


@asset(checks=[{"min_rows": 1}])
def ratio_table() -> list[float]:
    return [0.5]


@asset_check(asset=ratios, name="in_range", blocking=False)
def in_range_again(value: list[float]) -> bool:
    return True
