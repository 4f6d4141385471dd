"""Orders and revenue per customer, as a Markdown table, largest revenue first."""

import csv
import sys
from collections import defaultdict

source, target = sys.argv[1], sys.argv[2]

orders = defaultdict(int)
revenue = defaultdict(float)
with open(source, newline="") as f:
    for row in csv.DictReader(f):
        orders[row["customer"]] += 1
        revenue[row["customer"]] += float(row["amount"])

with open(target, "w") as f:
    f.write("# Revenue per customer\n\n")
    f.write("| customer | orders | revenue |\n")
    f.write("|---|---:|---:|\n")
    for customer in sorted(revenue, key=lambda c: (-revenue[c], c)):
        f.write(f"| {customer} | {orders[customer]} | {revenue[customer]:.2f} |\n")
    f.write(f"| **total** | {sum(orders.values())} | {sum(revenue.values()):.2f} |\n")
