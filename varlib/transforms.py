"""Per-variable transforms and their exact inversion back to levels.

Every transform is "work on a scale, maybe difference it":
  none    -> level            log     -> log(level)
  diff    -> Δ level          logdiff -> Δ log(level)
The working scale (level or log level) is where forecast errors add up; exp maps back for logs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from varlib.errors import InvalidInput

TRANSFORMS = ("none", "diff", "log", "logdiff")


def validate_transform(name: str, variable: str) -> str:
    if name not in TRANSFORMS:
        raise InvalidInput(f"Unknown transform {name!r} for {variable!r}: use one of {', '.join(TRANSFORMS)}.")
    return name


def is_log(transform: str) -> bool:
    return transform in ("log", "logdiff")


def is_differenced(transform: str) -> bool:
    return transform in ("diff", "logdiff")


def apply_transforms(levels: pd.DataFrame, transforms: dict[str, str]) -> pd.DataFrame:
    """Transform each column; if any column is differenced, the first row is dropped for all."""
    columns = {}
    for name in levels.columns:
        transform = transforms[name]
        series = levels[name]
        if is_log(transform):
            series = np.log(series)
        if is_differenced(transform):
            series = series.diff()
        columns[name] = series
    out = pd.DataFrame(columns, index=levels.index)
    if any(is_differenced(transforms[c]) for c in levels.columns):
        out = out.iloc[1:]
    return out


def to_working_scale(values: np.ndarray, transforms: list[str], last_levels: np.ndarray) -> np.ndarray:
    """Transformed forecasts (steps x K) -> working scale (level or log level), steps x K."""
    out = np.array(values, dtype=float, copy=True)
    for k, transform in enumerate(transforms):
        if is_differenced(transform):
            start = np.log(last_levels[k]) if is_log(transform) else last_levels[k]
            out[:, k] = start + np.cumsum(out[:, k])
    return out


def working_to_levels(values: np.ndarray, transforms: list[str]) -> np.ndarray:
    out = np.array(values, dtype=float, copy=True)
    with np.errstate(over="ignore"):  # an overflow becomes inf, which forecasting reports as a clear error
        for k, transform in enumerate(transforms):
            if is_log(transform):
                out[:, k] = np.exp(out[:, k])
    return out
