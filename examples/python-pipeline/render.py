"""Render the JSON summary as a Markdown table: render.py SUMMARY.json REPORT.md"""

import json
import sys

summary_path, report_path = sys.argv[1:3]
with open(summary_path, encoding="utf-8") as f:
    summary = json.load(f)

lines = ["| station | mean °C | min °C | max °C |", "|---|---:|---:|---:|"]
for station, row in summary.items():
    lines.append(f"| {station} | {row['mean']} | {row['min']} | {row['max']} |")
with open(report_path, "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
