"""Training numbers against statsmodels: lag tables, fits, forecasts, intervals, stability."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.tsa.api import VAR
from statsmodels.tsa.vector_ar.var_model import VARProcess

from varlib import Dataset, TrainSpec, train
from varlib.errors import InvalidInput
from varlib.training import prepare, score_forecast, select_lag_order
from varlib.transforms import apply_transforms


def random_dataset(rows: int = 150, k: int = 3, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    a = np.array([[0.5, 0.1, 0.0], [0.2, 0.3, 0.1], [0.0, 0.2, 0.4]])[:k, :k]
    y = np.zeros((rows, k))
    for t in range(1, rows):
        y[t] = a @ y[t - 1] + rng.normal(size=k)
    dates = pd.date_range("1990-01-01", periods=rows, freq="MS")
    frame = pd.DataFrame(100 + np.cumsum(y, axis=0) * 0.1 + y, index=pd.DatetimeIndex(dates, name="date"))
    frame.columns = [f"x{i}" for i in range(k)]
    return Dataset(frame=frame, freq="MS", source="random")


@pytest.mark.parametrize("trend", ["n", "c", "ct"])
@pytest.mark.parametrize("transform", ["none", "logdiff"])
def test_lag_table_equals_statsmodels_select_order(macrodata, trend, transform) -> None:
    spec = TrainSpec.build(["realgdp", "realcons", "realinv"], transform, test_size=10, max_lags=8, trend=trend)
    data = prepare(macrodata, spec)
    ours = select_lag_order(data.train_transformed, 8, trend)
    theirs = VAR(data.train_transformed.to_numpy()).select_order(maxlags=8, trend=trend)
    for criterion in ("aic", "bic", "hqic", "fpe"):
        np.testing.assert_allclose(ours.table[criterion].to_numpy(), theirs.ics[criterion], rtol=1e-8, atol=0)
        assert ours.selected[criterion] == theirs.selected_orders[criterion]
    assert ours.table.index[0] == (1 if trend == "n" else 0)
    assert ours.table.index[-1] == 8


@pytest.mark.parametrize("criterion", ["aic", "bic", "hqic", "fpe"])
def test_fit_by_criterion_equals_statsmodels_fit_with_ic(macrodata, criterion) -> None:
    spec = TrainSpec.build(["realgdp", "realcons"], "logdiff", test_size=12, max_lags=12, criterion=criterion)
    result = train(macrodata, spec)
    transformed = apply_transforms(macrodata.frame[["realgdp", "realcons"]].iloc[:-12], spec.transforms)
    theirs = VAR(transformed.to_numpy()).fit(maxlags=12, ic=criterion, trend="c")
    assert result.model.lag_order == theirs.k_ar
    np.testing.assert_allclose(result.model.coefs, theirs.coefs, rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.model.sigma_u, theirs.sigma_u, rtol=0, atol=1e-14)


@pytest.mark.parametrize("trend", ["n", "c", "ct"])
def test_level_forecast_and_intervals_equal_statsmodels_without_transform(trend) -> None:
    dataset = random_dataset()
    spec = TrainSpec.build(dataset.variables, "none", test_size=10, lags=2, trend=trend)
    result = train(dataset, spec)
    sm = result.statsmodels_results
    point, lower, upper = sm.forecast_interval(sm.endog[-2:], 15, alpha=0.1)
    ours = result.model.forecast(15, alpha=0.1)
    np.testing.assert_allclose(ours.point.to_numpy(), point, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.lower.to_numpy(), lower, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.upper.to_numpy(), upper, rtol=0, atol=1e-10)
    assert list(ours.point.index) == list(pd.date_range("2001-09-01", periods=15, freq="MS"))


def levels_var_mse(coefs: np.ndarray, sigma_u: np.ndarray, differenced: np.ndarray, steps: int) -> np.ndarray:
    """Independent check: (I - ΣA_i L^i)(I - S L) y = u is a VAR(p+1) in levels; use its own MSE."""
    p, k = coefs.shape[0], coefs.shape[1]
    s = np.diag(differenced.astype(float))
    level_coefs = np.zeros((p + 1, k, k))
    level_coefs[0] = s + (coefs[0] if p else 0)
    for i in range(1, p):
        level_coefs[i] = coefs[i] - coefs[i - 1] @ s
    if p:
        level_coefs[p] = -coefs[p - 1] @ s
    return VARProcess(level_coefs, None, sigma_u).mse(steps)


@pytest.mark.parametrize(
    "transforms",
    [
        {"x0": "diff", "x1": "diff", "x2": "diff"},
        {"x0": "diff", "x1": "none", "x2": "diff"},
        {"x0": "none", "x1": "diff", "x2": "none"},
    ],
)
def test_differenced_level_intervals_match_the_levels_var(transforms) -> None:
    dataset = random_dataset(seed=3)
    result = train(dataset, TrainSpec.build(dataset.variables, transforms, test_size=10, lags=2))
    model = result.model
    expected_mse = levels_var_mse(model.coefs, model.sigma_u, np.array([t == "diff" for t in model.transforms]), 12)
    np.testing.assert_allclose(model.working_scale_mse(12), expected_mse, rtol=1e-10, atol=1e-12)
    forecast = model.forecast(12, alpha=0.05)
    half_width = stats.norm.ppf(0.975) * np.sqrt(np.diagonal(expected_mse, axis1=1, axis2=2))
    np.testing.assert_allclose(forecast.upper.to_numpy() - forecast.point.to_numpy(), half_width, rtol=1e-9)
    # Accumulated uncertainty: a differenced variable's band keeps widening faster than a stationary one's.
    widths = forecast.upper - forecast.lower
    assert widths["x1" if transforms["x1"] == "diff" else "x0"].is_monotonic_increasing


def test_differenced_point_forecast_is_the_cumulated_statsmodels_forecast(gdp_cons_result) -> None:
    sm = gdp_cons_result.statsmodels_results
    transformed = sm.forecast(sm.endog[-sm.k_ar :], 12)
    last = gdp_cons_result.train_levels.iloc[-1].to_numpy()
    levels = np.exp(np.log(last) + np.cumsum(transformed, axis=0))
    np.testing.assert_allclose(gdp_cons_result.test_forecast.point.to_numpy(), levels, rtol=1e-13)


def test_log_transform_bounds_are_exponentiated_log_bounds(macrodata) -> None:
    spec = TrainSpec.build(["realgdp", "realcons"], "log", test_size=8, lags=2, trend="ct")
    result = train(macrodata, spec)
    sm = result.statsmodels_results
    point, lower, upper = sm.forecast_interval(sm.endog[-2:], 8, alpha=0.05)
    forecast = result.model.forecast(8)
    np.testing.assert_allclose(forecast.point.to_numpy(), np.exp(point), rtol=1e-12)
    np.testing.assert_allclose(forecast.lower.to_numpy(), np.exp(lower), rtol=1e-12)
    np.testing.assert_allclose(forecast.upper.to_numpy(), np.exp(upper), rtol=1e-12)


def test_metrics_by_hand(gdp_cons_result) -> None:
    actual = gdp_cons_result.test_levels["realgdp"].to_numpy()
    predicted = gdp_cons_result.test_forecast.point["realgdp"].to_numpy()
    last = gdp_cons_result.train_levels["realgdp"].iloc[-1]
    m = gdp_cons_result.metrics["realgdp"]
    assert m.rmse == pytest.approx(np.sqrt(np.mean((predicted - actual) ** 2)), rel=1e-12)
    assert m.mae == pytest.approx(np.mean(np.abs(predicted - actual)), rel=1e-12)
    assert m.mape == pytest.approx(100 * np.mean(np.abs((predicted - actual) / actual)), rel=1e-12)
    assert m.theil_u == pytest.approx(m.rmse / np.sqrt(np.mean((last - actual) ** 2)), rel=1e-12)
    assert m.mape_skipped_zeros == 0


def test_mape_skips_zero_actuals_and_says_so() -> None:
    index = pd.date_range("2000-01-01", periods=3, freq="MS")
    from varlib.model import Forecast

    point = pd.DataFrame({"a": [1.0, 2.0, 3.0]}, index=index)
    forecast = Forecast(point=point, lower=point, upper=point, alpha=0.05)
    actual = pd.DataFrame({"a": [0.0, 2.5, 2.0]}, index=index)
    metrics = score_forecast(forecast, actual, pd.Series({"a": 1.0}))["a"]
    assert metrics.mape_skipped_zeros == 1
    assert metrics.mape == pytest.approx(100 * np.mean([0.5 / 2.5, 1.0 / 2.0]))


def test_stability_matches_statsmodels(gdp_cons_result, macrodata) -> None:
    sm = gdp_cons_result.statsmodels_results
    assert gdp_cons_result.stability.stable == sm.is_stable()
    np.testing.assert_allclose(
        sorted(gdp_cons_result.stability.eigenvalue_moduli), sorted(1 / np.abs(sm.roots)), rtol=1e-10
    )


def test_an_unstable_fit_is_flagged() -> None:
    rows = 120
    rng = np.random.default_rng(1)
    y = np.zeros((rows, 2))
    y[0] = 1.0
    for t in range(1, rows):
        y[t] = 1.03 * y[t - 1] + rng.normal(scale=0.01, size=2)  # explosive
    frame = pd.DataFrame(y, columns=["a", "b"], index=pd.date_range("2000-01-01", periods=rows, freq="MS"))
    result = train(Dataset(frame=frame, freq="MS", source="explosive"), TrainSpec.build(["a", "b"], lags=1))
    assert not result.stability.stable
    assert result.stability.max_modulus > 1
    assert any("not stable" in note for note in result.notes)


def test_lag_zero_model_forecasts_the_mean() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        rng.normal(size=(100, 2)), columns=["a", "b"], index=pd.date_range("2000-01-01", periods=100, freq="MS")
    )
    result = train(Dataset(frame=frame, freq="MS", source="noise"), TrainSpec.build(["a", "b"], lags=0, test_size=5))
    forecast = result.model.forecast(4)
    np.testing.assert_allclose(forecast.point.to_numpy(), np.tile(frame.iloc[:-5].mean().to_numpy(), (4, 1)))
    assert any("lag order 0" in note for note in result.notes)


@pytest.mark.parametrize(
    ("spec_options", "message"),
    [
        ({"variables": ["realgdp"]}, r"A VAR needs at least 2 variables, got 1\."),
        ({"transform": "sqrt"}, r"Unknown transform 'sqrt' for 'realgdp': use one of none, diff, log, logdiff\."),
        ({"test_size": 0}, r"The test size must be a whole number of at least 1, got 0\."),
        ({"max_lags": 0}, r"The max lags must be a whole number of at least 1, got 0\."),
        ({"criterion": "r2"}, r"Unknown criterion 'r2': use one of aic, bic, hqic, fpe, or a lag order\."),
        ({"trend": "ctt"}, r"Unknown trend 'ctt': use n \(none\), c \(constant\) or ct \(constant and trend\)\."),
        ({"variables": ["realgdp", "gdp"]}, r"no variable 'gdp' \(available: realgdp, realcons"),
        ({"test_size": 203}, r"test size 203 leaves no training rows out of 203\."),
        (
            {"max_lags": 70},
            r"190 training rows \(after transforms\) are too few for 70 lags of 2 variables; use at most 62",
        ),
        (
            {"alpha": 1.5},
            r"Interval alpha must be at least 1e-06 and below 1 \(0\.05 gives 95% intervals\), got 1\.5\.",
        ),
    ],
)
def test_spec_validation_messages(macrodata, spec_options, message) -> None:
    options = {"variables": ["realgdp", "realcons"], "transform": "logdiff", "test_size": 12, **spec_options}
    spec = TrainSpec.build(options.pop("variables"), options.pop("transform"), **options)
    with pytest.raises(InvalidInput, match=message):
        train(macrodata, spec)


def test_too_few_rows_for_lags_names_the_numbers(macrodata) -> None:
    spec = TrainSpec.build(["realgdp", "realcons", "realinv"], "logdiff", test_size=150, max_lags=24)
    with pytest.raises(InvalidInput) as info:
        train(macrodata, spec)
    assert str(info.value) == (
        "statsmodels macrodata (US, quarterly): 52 training rows (after transforms) are too few for 24 lags "
        "of 3 variables; use at most 12 lags, a smaller test size, or data with at least 100 training rows."
    )


def test_log_of_non_positive_values_is_refused(macrodata) -> None:
    spec = TrainSpec.build(["realgdp", "realint"], {"realgdp": "logdiff", "realint": "log"}, test_size=12)
    with pytest.raises(InvalidInput) as info:
        train(macrodata, spec)
    assert str(info.value).startswith(
        "statsmodels macrodata (US, quarterly): variable 'realint' has a non-positive value"
    )
    assert str(info.value).endswith("so the log transform cannot be used.")


def test_constant_column_is_refused() -> None:
    dataset = random_dataset()
    dataset.frame["x2"] = 5.0
    with pytest.raises(InvalidInput, match=r"random: variable 'x2' is constant in the training data\."):
        train(dataset, TrainSpec.build(dataset.variables, "none", test_size=10, lags=1))
    with pytest.raises(
        InvalidInput, match=r"variable 'x2' is constant in the training data after the diff transform\."
    ):
        train(dataset, TrainSpec.build(dataset.variables, "diff", test_size=10, lags=1))


def test_transforms_apply_to_training_only_and_split_is_on_levels(macrodata) -> None:
    spec = TrainSpec.build(["realgdp", "realcons"], {"realgdp": "logdiff", "realcons": "diff"}, test_size=12)
    data = prepare(macrodata, spec)
    assert len(data.test_levels) == 12 and data.test_levels.index[0] == pd.Timestamp("2006-10-01")
    assert data.train_levels.index[-1] == pd.Timestamp("2006-07-01")
    assert len(data.train_transformed) == len(data.train_levels) - 1
    expected = np.diff(np.log(data.train_levels["realgdp"].to_numpy()))
    np.testing.assert_allclose(data.train_transformed["realgdp"].to_numpy(), expected)


def test_a_forecast_that_overflows_names_the_step() -> None:
    rows = 120
    rng = np.random.default_rng(1)
    logs = np.ones((rows, 2))
    for t in range(1, rows):
        logs[t] = 1.02 * logs[t - 1] + rng.normal(scale=0.05, size=2)  # explosive in logs: exp() overflows far ahead
    frame = pd.DataFrame(np.exp(logs), columns=["a", "b"], index=pd.date_range("2000-01-01", periods=rows, freq="MS"))
    result = train(Dataset(frame=frame, freq="MS", source="explosive"), TrainSpec.build(["a", "b"], "log", lags=1))
    with pytest.raises(
        InvalidInput, match=r"The forecast overflows at step \d+ of 1000 \(\d{4}-\d\d-01\): the model explodes"
    ):
        result.model.forecast(1000)


def test_tiny_alpha_is_refused_before_it_rounds_to_infinite_bounds(gdp_cons_result) -> None:
    with pytest.raises(InvalidInput, match=r"Interval alpha must be at least 1e-06 and below 1"):
        gdp_cons_result.model.forecast(3, alpha=5e-324)
    assert np.isfinite(gdp_cons_result.model.forecast(3, alpha=1e-6).upper.to_numpy()).all()
