"""Reading a large CSV: varlib's reader (detection, date checks, calendar) against pandas' plain read_csv of the same
bytes, measured in one run.

    python bench/read_bench.py [--rows 1000000] [--repeats 3]

A million minutes with the date column last (34 MB): 11.6 s before the date checks were vectorised, about 3 to 4 s
after, on this project's 2-core machines. Prints the median of each and the ratio; asserts only that the reading is
right (every row, minute frequency).
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.timing import median_seconds
from varlib.data import read_csv


def large_csv(rows: int, columns: int = 3) -> bytes:
    rng = np.random.default_rng(1)
    values = rng.normal(size=(rows, columns)).round(6)
    dates = pd.date_range("1990-01-01", periods=rows, freq="min").strftime("%Y-%m-%d %H:%M")
    header = ",".join(f"x{i}" for i in range(columns)) + ",date\n"
    return (
        header + "\n".join(",".join(map(str, row)) + f",{d}" for row, d in zip(values, dates, strict=True))
    ).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    data = large_csv(args.rows)
    dataset = read_csv(data)
    assert dataset.freq == "min" and len(dataset.frame) == args.rows
    ours = median_seconds(lambda: read_csv(data), args.repeats)
    baseline = median_seconds(lambda: pd.read_csv(io.BytesIO(data), parse_dates=["date"]), args.repeats)
    print(f"{args.rows:,} rows, {len(data) / 1e6:.0f} MB, date column last")
    print(f"varlib read_csv   {ours:6.2f} s")
    print(f"pandas read_csv   {baseline:6.2f} s   (no detection or checks)")
    print(f"ratio             {ours / baseline:6.1f}x")


if __name__ == "__main__":
    main()
