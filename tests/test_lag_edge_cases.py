"""Issue 14, robustness: a fixed p is trained whatever max_lags is; "too few rows" and "exact combinations" are
said only when true; the note on a VAR(0) is true for each deterministic term."""

from __future__ import annotations

import numpy as np
import pytest

from varlib import Dataset, TrainSpec, train
from varlib.errors import InvalidInput
from varlib.training import estimable_lags, select_lag_order


@pytest.fixture(scope="module")
def forty_quarters(macrodata) -> Dataset:
    return Dataset(macrodata.frame.iloc[:40], macrodata.freq, "40 quarters")


def test_a_fixed_p_on_short_data_is_trained_whatever_max_lags_is(forty_quarters) -> None:
    """It was refused: "Lag selection failed at p = 12: the residual covariance is singular (are some variables
    exact combinations of others?)", which they are not."""
    spec = TrainSpec.build(["realgdp", "realcons"], "logdiff", lags=1, test_size=1)  # max_lags 12 by default
    result = train(forty_quarters, spec)
    assert result.model.lag_order == 1
    rows = len(result.train_levels) - 1  # after logdiff
    assert result.selection.max_lags == estimable_lags(rows, 2, "c") == 11  # 38 rows: 11 lags of 2 at most
    assert np.isfinite(result.selection.table.to_numpy()).all()
    spec = TrainSpec.build(["realgdp", "realcons", "realinv"], "logdiff", lags=1, test_size=4)
    result = train(forty_quarters, spec)
    assert result.selection.max_lags == 7 < spec.max_lags
    assert ("the lag table goes up to p = 7, not 12: 35 training rows (after transforms) cannot estimate more lags "
            "of 3 variables") in result.notes  # fmt: skip
    assert np.isfinite(result.selection.table.to_numpy()).all()


def test_a_lag_table_beyond_the_data_never_selects_the_impossible(forty_quarters) -> None:
    """With too few rows for the largest p, the criteria were -inf there, and AIC 'selected' it."""
    y = np.diff(np.log(forty_quarters.frame[["realgdp", "realcons"]].to_numpy()), axis=0)[:27]
    selection = select_lag_order(y, 12, "c")
    table = selection.table
    assert not np.isneginf(table.to_numpy()).any()
    assert np.isposinf(table.loc[12, "aic"])  # 15 rows, 25 regressors: not estimable
    estimable = estimable_lags(27, 2, "c")
    assert all(p <= estimable for p in selection.selected.values())


def test_exact_combinations_are_still_named(macrodata) -> None:
    data = macrodata.frame[["realgdp", "realcons"]].assign(double=lambda f: 2 * f["realgdp"])
    dataset = Dataset(data, macrodata.freq, "collinear")
    with pytest.raises(InvalidInput, match="exact combinations of others"):
        train(dataset, TrainSpec.build(["realgdp", "realcons", "double"], "logdiff", lags=1))


@pytest.mark.parametrize(
    ("trend", "says"),
    [("c", "it forecasts the mean of the transformed data"),
     ("ct", "it forecasts the fitted linear trend of the transformed data"),
     ("n", "with no constant either, it forecasts zero for the transformed data")],
)  # fmt: skip
def test_the_var0_note_is_true_for_each_trend(macrodata, trend, says) -> None:
    """It said the model "forecasts the mean", false with trend ct or n."""
    result = train(macrodata, TrainSpec.build(["realgdp", "realcons"], "logdiff", lags=0, trend=trend))
    assert f"lag order 0: the model has no dynamics; {says}" in result.notes
    point = result.model.forecast(3).point
    if trend == "c":  # the mean growth, compounded: equal steps in log levels
        steps = np.diff(np.log(point["realgdp"].to_numpy()))
        np.testing.assert_allclose(steps, steps[0])
