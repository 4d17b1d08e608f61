"""Lag selection: one QR factorisation (varlib) against statsmodels' VAR.select_order, measured in one run.

    python bench/lag_bench.py [--repeats 5]

Prints the median time of each and the ratio for a few sizes; the issue's target is >= 5x at K=20, T=2000,
max_lags=24. Run by hand; it asserts nothing but that both give the same table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from statsmodels.tsa.api import VAR

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.timing import median_seconds
from varlib.training import CRITERIA, select_lag_order

SIZES = [(3, 200, 8), (5, 500, 12), (10, 1000, 16), (20, 2000, 24)]


def simulated(k: int, rows: int) -> np.ndarray:
    rng = np.random.default_rng(k * rows)
    a = rng.uniform(-0.3, 0.3, size=(k, k)) / k
    y = np.zeros((rows, k))
    for t in range(1, rows):
        y[t] = a @ y[t - 1] + rng.normal(size=k)
    return y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--trend", default="c", choices=["n", "c", "ct"])
    args = parser.parse_args()
    print(f"{'K':>3} {'T':>5} {'max_lags':>8} {'statsmodels s':>14} {'varlib s':>10} {'ratio':>7}")
    for k, rows, max_lags in SIZES:
        y = simulated(k, rows)
        ours = select_lag_order(y, max_lags, args.trend)
        theirs = VAR(y).select_order(maxlags=max_lags, trend=args.trend)
        for criterion in CRITERIA:
            np.testing.assert_allclose(ours.table[criterion].to_numpy(), theirs.ics[criterion], rtol=1e-8)
        slow = median_seconds(
            lambda y=y, m=max_lags: VAR(y).select_order(maxlags=m, trend=args.trend), args.repeats, warm_up=True
        )
        fast = median_seconds(lambda y=y, m=max_lags: select_lag_order(y, m, args.trend), args.repeats, warm_up=True)
        print(f"{k:>3} {rows:>5} {max_lags:>8} {slow:>14.4f} {fast:>10.4f} {slow / fast:>6.1f}x")


if __name__ == "__main__":
    main()
