"""The Python half of the pipeline: each function is an asset.

A parameter names an upstream asset: a file asset arrives as a Path, a value
asset as its value. Without a path, the return value is the asset.
"""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

from doit_assets import asset

# Readings outside this range are sensor faults, not weather.
PLAUSIBLE_C = (-60.0, 60.0)


def plausible(text: str) -> bool:
    try:
        value = float(text)
    except ValueError:
        return False
    return PLAUSIBLE_C[0] <= value <= PLAUSIBLE_C[1]


@asset(path="build/valid_readings.csv", description="Readings with a plausible value")
def valid_readings(readings: Path, output: Path) -> None:
    with readings.open(newline="") as src, output.open("w", newline="") as dst:
        rows = csv.DictReader(src)
        writer = csv.DictWriter(dst, fieldnames=["station", "day", "temp_c"])
        writer.writeheader()
        for row in rows:
            if plausible(row["temp_c"]):
                writer.writerow(row)


@asset(description="Temperatures per station (a value asset, kept with pickle)")
def station_temps(valid_readings: Path) -> dict[str, list[float]]:
    temps: dict[str, list[float]] = {}
    with valid_readings.open(newline="") as f:
        for row in csv.DictReader(f):
            temps.setdefault(row["station"], []).append(float(row["temp_c"]))
    return temps


@asset(io="json", description="Mean, min and max per station (kept as JSON)")
def summary(station_temps: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {
        station: {
            "mean": round(statistics.mean(values), 2),
            "min": min(values),
            "max": max(values),
        }
        for station, values in sorted(station_temps.items())
    }
