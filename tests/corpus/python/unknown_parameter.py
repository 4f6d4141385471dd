# error: {path}:15: asset 'forecast': unknown dependency 'rainfall'. A parameter names an upstream asset: rename 'rainfall', or map it with ins={'rainfall': 'KEY'}
# error: {path}:20: asset 'sales_report': unknown dependency 'sales_totl'. Did you mean 'sales_total'?
"""Every parameter (but 'output') names an upstream asset."""

from pathlib import Path

from doit_assets import asset


@asset
def sales_total() -> int:
    return 3


@asset
def forecast(rainfall: float) -> float:
    return rainfall


@asset(path="build/sales_report.txt")
def sales_report(sales_totl: int, output: Path) -> None:
    output.write_text(str(sales_totl))
