#!/usr/bin/env python3
"""Plot the growth benchmark (booking-store/benches/growth.rs) as a PNG.

Usage: scripts/plot-growth.py [CSV] [PNG]
  CSV  default target/growth.csv (what the benchmark writes)
  PNG  default docs/growth.png

Needs matplotlib (pip install matplotlib); a benchmark tool, not a test.
"""
import csv
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main() -> None:
    src = sys.argv[1] if len(sys.argv) > 1 else "target/growth.csv"
    out = sys.argv[2] if len(sys.argv) > 2 else "docs/growth.png"
    series = defaultdict(list)
    with open(src, newline="") as f:
        for row in csv.DictReader(f):
            series[row["measure"]].append(
                (int(row["bookings"]), float(row["p50_ms"]), float(row["p99_ms"]))
            )
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    for measure, points in series.items():
        points.sort()
        xs = [p[0] for p in points]
        line = ax.plot(xs, [p[1] for p in points], marker="o", label=f"{measure}, p50")[0]
        ax.plot(xs, [p[2] for p in points], marker="x", linestyle="--",
                color=line.get_color(), label=f"{measure}, p99")
    ax.set_xscale("log")
    ax.set_xlabel("bookings in the database (rooms: one per 1,000, at least 10)")
    ax.set_ylabel("latency, ms (one client, SQLite)")
    ax.set_title("Cost per call as the database grows")
    ax.set_ylim(bottom=0)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
