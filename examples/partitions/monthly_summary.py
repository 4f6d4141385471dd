"""A month's sales per region, from its daily reports, as a Markdown table.

Usage: monthly_summary.py MONTH OUTPUT DAILY_REPORT_CSV...
"""

import csv
import sys
from collections import defaultdict

month, target, reports = sys.argv[1], sys.argv[2], sys.argv[3:]

orders = defaultdict(int)
revenue = defaultdict(float)
for report in reports:
    with open(report, newline="") as f:
        for row in csv.DictReader(f):
            orders[row["region"]] += int(row["orders"])
            revenue[row["region"]] += float(row["revenue"])

with open(target, "w") as f:
    f.write(f"# Sales in {month[:7]} ({len(reports)} days)\n\n")
    f.write("| region | orders | revenue |\n")
    f.write("|---|---:|---:|\n")
    for region in sorted(revenue):
        f.write(f"| {region} | {orders[region]} | {revenue[region]:.2f} |\n")
    total = sum(revenue.values())
    f.write(f"| **total** | {sum(orders.values())} | {total:.2f} |\n")
