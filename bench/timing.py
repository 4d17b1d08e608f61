"""What the benches share: the median time of an action."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_seconds(action: Callable[[], object], repeats: int, warm_up: bool = False) -> float:
    """The median wall time of `repeats` runs of `action`, after one unmeasured run if `warm_up`."""
    if warm_up:
        action()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)
