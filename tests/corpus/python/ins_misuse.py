# error: {path}:16: asset 'order_count': unknown dependency 'raw/ordrs'. Did you mean 'raw/orders'?
# error: {path}:21: asset 'order_sum': 'ins' must map parameter names to asset keys
# error: {path}:26: asset 'order_max': 'ins' must map parameter names to asset keys
"""ins maps a parameter to an asset key that is not a Python name."""

from doit_assets import asset


@asset(name="raw/orders")
def orders() -> list[int]:
    return [3, 4]


@asset(ins={"orders": "raw/ordrs"})
def order_count(orders: list[int]) -> int:
    return len(orders)


@asset(ins=["raw/orders"])
def order_sum(orders: list[int]) -> int:
    return sum(orders)


@asset(ins={"orders": 1})
def order_max(orders: list[int]) -> int:
    return max(orders)
