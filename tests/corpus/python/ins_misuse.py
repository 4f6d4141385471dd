# error: {path}:12: asset 'order_count': unknown dependency 'raw/ordrs'. Did you mean 'raw/orders'?
"""ins maps a parameter to an asset key that is not a Python name."""

from doit_assets import asset


@asset(name="raw/orders")
def orders() -> list[int]:
    return [3, 4]


@asset(ins={"orders": "raw/ordrs"})
def order_count(orders: list[int]) -> int:
    return len(orders)
