"""One day's sales, per region: orders, units and revenue.

Usage: daily_report.py DATE OUTPUT SALES_CSV...  (one sales file per region,
named after its region: data/sales/2024-03-28/eu.csv)
"""

import csv
import sys
from pathlib import Path

day, target, sources = sys.argv[1], sys.argv[2], sys.argv[3:]

with open(target, "w", newline="") as out:
    writer = csv.writer(out)
    writer.writerow(["date", "region", "orders", "units", "revenue"])
    for source in sources:
        orders = units = 0
        revenue = 0.0
        with open(source, newline="") as f:
            for line, row in enumerate(csv.DictReader(f), start=2):
                if not row["quantity"].isdigit():
                    sys.exit(
                        f"{source}:{line}: quantity {row['quantity']!r} is not a number"
                    )
                orders += 1
                units += int(row["quantity"])
                revenue += int(row["quantity"]) * float(row["unit_price"])
        writer.writerow([day, Path(source).stem, orders, units, f"{revenue:.2f}"])
