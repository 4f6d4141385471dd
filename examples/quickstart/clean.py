"""Copy the orders that have a customer and a positive amount; drop the rest."""

import csv
import sys


def problem(row):
    """Why an order is bad, or None if it is good."""
    if not row["customer"]:
        return "no customer"
    try:
        amount = float(row["amount"])
    except ValueError:
        return f"amount {row['amount']!r} is not a number"
    if amount <= 0:
        return f"amount {row['amount']} is not positive"
    return None


source, target = sys.argv[1], sys.argv[2]
with open(source, newline="") as f:
    reader = csv.DictReader(f)
    rows = list(reader)

with open(target, "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=reader.fieldnames)
    writer.writeheader()
    for row in rows:
        why = problem(row)
        if why is None:
            writer.writerow(row)
        else:
            # stderr: doit shows it; a transform's stdout shows only with -v 2
            print(f"dropped order {row['order_id']}: {why}", file=sys.stderr)
