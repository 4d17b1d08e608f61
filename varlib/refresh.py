"""Refresh a stored version with new data: the same specification on the extended data, and what it changed.

The round an analyst runs each quarter: new data arrive, the stored specification (variables, transforms, trend,
lag order, test size) is fitted again on the stored data extended by the new rows, and the result is compared
with the version it refreshes: the data revisions, the forecast revision over the same dates, the test metrics.
Published, the refresh records its parent (name, version, manifest sha256) and the comparison in its model.json.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from varlib.artifact import ModelVersion, sha256_hex, to_json
from varlib.data import Dataset, describe_frequency
from varlib.errors import InvalidInput
from varlib.model import ORIGIN_DATA, ORIGIN_TRAIN, Forecast, iso_timestamp
from varlib.training import TrainResult, train

DEFAULT_COMPARE_STEPS = 8
MAX_COMPARE_STEPS = 100  # the revision table is stored with the version: steps × variables rows
REVISION_RTOL = 1e-12  # values read back from CSV round-trip exactly; anything above this is a real revision


@dataclass(frozen=True)
class DataRevision:
    """Stored rows of one variable that the new data change: how many, and the largest change."""

    variable: str
    rows: int
    largest_change: float
    at: str  # the date of the largest change
    first: str  # the first and last revised dates
    last: str


@dataclass
class RefreshResult:
    parent: ModelVersion
    result: TrainResult
    new_rows: int
    revisions: list[DataRevision]
    forecast_revision: pd.DataFrame  # date, variable, parent, new, revision, revision_pct
    parent_origin: str  # which of the parent's fits the revision compares with (data; train for format 1)
    lag_order_kept: bool
    notes: list[str] = field(default_factory=list)

    @property
    def metrics(self) -> pd.DataFrame:
        """Test metrics of the parent and of the refresh, side by side, per variable."""
        rows = []
        for variable in self.result.model.variables:
            parent = self.parent.metadata["test"]["metrics"].get(variable, {})
            new = self.result.metrics[variable]
            rows.append({"variable": variable, "parent RMSE": parent.get("rmse"), "new RMSE": new.rmse,
                         "parent Theil's U": parent.get("theil_u"), "new Theil's U": new.theil_u})  # fmt: skip
        return pd.DataFrame(rows).set_index("variable")

    def lineage(self) -> dict[str, Any]:
        """What a published refresh stores about where it comes from (model.json `lineage`)."""
        parent = self.parent
        return {
            "parent": {
                "name": parent.name,
                "version": str(parent.version),
                "manifest_sha256": parent.manifest_sha256 or sha256_hex(to_json(parent.manifest)),
            },
            "new_rows": self.new_rows,
            "lag_order": "kept" if self.lag_order_kept else f"reselected by {self.result.chosen_by}",
            "data_revisions": [dataclasses.asdict(r) for r in self.revisions],
            "forecast_revision": {
                "parent_origin": self.parent_origin,
                "rows": [
                    {"date": row.date, "variable": row.variable, "parent": float(row.parent), "new": float(row.new)}
                    for row in self.forecast_revision.itertuples()
                ],
            },
            "parent_metrics": {
                v: {"rmse": m.get("rmse"), "theil_u": m.get("theil_u")}
                for v, m in parent.metadata["test"]["metrics"].items()
            },
        }


def refresh(
    parent: ModelVersion,
    dataset: Dataset,
    *,
    reselect: bool = False,
    test_size: int | None = None,
    compare_steps: int = DEFAULT_COMPARE_STEPS,
) -> RefreshResult:
    """Fit `parent`'s specification on its stored data extended (and revised) by `dataset`."""
    if parent.train_levels is None or parent.test_levels is None:
        raise ValueError("refresh needs the parent version loaded with its data")
    if (
        isinstance(compare_steps, bool)
        or not isinstance(compare_steps, int)
        or not 1 <= compare_steps <= MAX_COMPARE_STEPS
    ):
        raise InvalidInput(f"The forecast comparison horizon must be a whole number from 1 to {MAX_COMPARE_STEPS}, "
                           f"got {compare_steps!r}.")  # fmt: skip
    label = f"{parent.name} {parent.version}"
    missing = [v for v in parent.model.columns if v not in dataset.frame.columns]
    if missing:
        raise InvalidInput(
            f"{dataset.source}: no variable {missing[0]!r}, which {label} uses "
            f"(available: {', '.join(map(str, dataset.frame.columns)) or 'none'})."
        )
    stored_freq = pd.tseries.frequencies.to_offset(parent.model.freq)
    if pd.tseries.frequencies.to_offset(dataset.freq) != stored_freq:
        raise InvalidInput(
            f"{dataset.source}: the data are {describe_frequency(dataset.freq)}, but {label} was fitted on "
            f"{describe_frequency(parent.model.freq)} data; give data of that frequency, or choose {{input:aggregate}}."
        )
    stored = parent.levels
    new = dataset.frame[parent.model.columns]
    stored_end, new_end = stored.index[-1], new.index[-1]
    if new_end < stored_end:
        raise InvalidInput(
            f"{dataset.source}: the data end at {iso_timestamp(new_end)}, before the data of {label}, which end at "
            f"{iso_timestamp(stored_end)}; a refresh needs data that extend them."
        )
    if new_end == stored_end:
        raise InvalidInput(
            f"{dataset.source}: the data end at {iso_timestamp(new_end)}, like the data of {label}: there is no new "
            "row to refresh it with."
        )
    next_date = stored_end + stored_freq
    if new.index[0] > next_date:
        raise InvalidInput(
            f"{dataset.source}: the data start at {iso_timestamp(new.index[0])}, leaving a gap after the data of "
            f"{label}, which end at {iso_timestamp(stored_end)}; include the rows from {iso_timestamp(next_date)}."
        )
    revisions = _revisions(stored, new)
    combined = pd.concat([stored[stored.index < new.index[0]], new])
    combined.index.freq = stored_freq if len(combined) > 2 else None
    new_rows = int((new.index > stored_end).sum())

    spec = parent.spec
    stored_p = parent.model.lag_order
    changes: dict[str, Any] = {"test_size": spec.test_size if test_size is None else test_size}
    if reselect:
        if spec.criterion is None:
            raise InvalidInput(
                f"{label} has a fixed lag order (p = {stored_p}), so there is no criterion to reselect it by; "
                "refresh without reselecting."
            )
    else:
        changes |= {"lags": stored_p}
    refreshed_spec = dataclasses.replace(spec, **changes)
    refreshed_spec.validate()
    data = Dataset(combined, dataset.freq, f"{dataset.source} (refreshing {label})", list(dataset.notes),
                   f"{dataset.source_to_store} (refreshing {label})")  # fmt: skip
    result = train(data, refreshed_spec)
    result = dataclasses.replace(result, chosen_by=spec.criterion if not reselect and spec.criterion else
                                 result.chosen_by, statsmodels_results=None)  # fmt: skip
    parent_origin = ORIGIN_TRAIN if parent.evaluation_only else ORIGIN_DATA
    comparison = _forecast_revision(parent, result, compare_steps, parent_origin)
    notes = []
    if parent.evaluation_only:
        notes.append(f"{label} has the evaluation fit only, so the forecast revision compares with its forecast "
                     "from the end of its training rows")  # fmt: skip
    if result.model.exog_variables:
        notes.append("the forecast revision holds the exogenous variables (" + ", ".join(result.model.exog_variables)
                     + ") at their last value beyond the data")  # fmt: skip
    if reselect and result.model.lag_order != stored_p:
        notes.append(f"the lag order changed from {stored_p} to {result.model.lag_order} ({result.chosen_by})")
    refreshed = RefreshResult(parent, result, new_rows, revisions, comparison, parent_origin, not reselect, notes)
    # Published, the version carries where it comes from and what it changed.
    refreshed.result = dataclasses.replace(result, lineage=refreshed.lineage())
    return refreshed


def _revisions(stored: pd.DataFrame, new: pd.DataFrame) -> list[DataRevision]:
    overlap = stored.index.intersection(new.index)
    revisions = []
    for variable in stored.columns:
        before = stored.loc[overlap, variable].to_numpy(dtype=float)
        after = new.loc[overlap, variable].to_numpy(dtype=float)
        changed = ~np.isclose(after, before, rtol=REVISION_RTOL, atol=0.0)
        if not changed.any():
            continue
        change = np.where(changed, after - before, 0.0)
        largest = int(np.argmax(np.abs(change)))
        dates = overlap[changed]
        revisions.append(DataRevision(variable, int(changed.sum()), float(change[largest]),
                                      iso_timestamp(overlap[largest]), iso_timestamp(dates[0]),
                                      iso_timestamp(dates[-1])))  # fmt: skip
    return revisions


def _held_path(result: TrainResult) -> pd.DataFrame | None:
    """The exogenous variables over the data and far ahead: their values, then their last value held."""
    names = result.production.exog_variables
    if not names:
        return None
    known = result.levels[names]
    ahead = result.production.forecast_dates(MAX_COMPARE_STEPS)
    return pd.concat([known, pd.DataFrame([known.iloc[-1].to_numpy()] * len(ahead), index=ahead, columns=names)])


def _forecast_revision(parent: ModelVersion, result: TrainResult, steps: int, parent_origin: str) -> pd.DataFrame:
    """The new production forecast against the parent's forecast for the same dates, per variable.

    Exogenous variables take their values in the new data where the parent's forecast overlaps them, and are held at
    their last value beyond (an assumption of this comparison only, which the refresh's notes state)."""
    exog_path = _held_path(result)
    new = result.production.forecast(steps, parent.metadata["test"]["alpha"], exog_path=exog_path)
    parent_fit = parent.fit_for(parent_origin)
    first = new.point.index[0]
    ahead = parent_fit.forecast_dates(MAX_COMPARE_STEPS * 10)
    if first not in ahead:
        raise InvalidInput(
            f"The new data end {iso_timestamp(first)} too far after those of {parent.name} {parent.version} to compare "
            "their forecasts."
        )
    gap = int(ahead.get_loc(first))
    old: Forecast = parent_fit.forecast(gap + steps, new.alpha, parent.limits, exog_path=exog_path)
    rows = []
    for variable in new.variables:
        before = old.point[variable].iloc[gap:]
        after = new.point[variable]
        for date, was, now in zip(new.point.index, before.to_numpy(), after.to_numpy(), strict=True):
            change = now - was
            rows.append({"date": iso_timestamp(date), "variable": variable, "parent": was, "new": now,
                         "revision": change, "revision_pct": change / was * 100 if was else np.nan})  # fmt: skip
    return pd.DataFrame(rows)
