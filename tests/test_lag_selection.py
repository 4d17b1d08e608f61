"""Fast lag selection (one QR) equals statsmodels' VAR.select_order on random sizes and trends."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from statsmodels.tsa.api import VAR

from varlib.errors import InvalidInput
from varlib.training import CRITERIA, select_lag_order


def simulated(k: int, rows: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.uniform(-0.4, 0.4, size=(k, k)) / max(k, 1)  # small coefficients: a stable process
    y = np.zeros((rows, k))
    for t in range(1, rows):
        y[t] = a @ y[t - 1] + rng.normal(size=k)
    return y + rng.normal(size=k) * 3  # nonzero means


def reference_table(y: np.ndarray, max_lags: int, trend: str) -> dict[str, list[float]]:
    """statsmodels' conventions written out (one lstsq per p), for K = 1 where its VAR refuses to run."""
    rows, k = y.shape
    n_trend = {"n": 0, "c": 1, "ct": 2}[trend]
    sample = rows - max_lags
    out: dict[str, list[float]] = {c: [] for c in CRITERIA}
    for p in range(0 if trend != "n" else 1, max_lags + 1):
        columns = [np.ones(sample)] if n_trend else []
        if n_trend == 2:
            columns.append(np.arange(1, sample + 1) + p)
        columns += [y[max_lags - lag : rows - lag, j] for lag in range(1, p + 1) for j in range(k)]
        z = np.column_stack(columns)
        target = y[max_lags:]
        resid = target - z @ np.linalg.lstsq(z, target, rcond=None)[0]
        df_model = k * p + n_trend
        log_det = np.linalg.slogdet(resid.T @ resid / sample)[1]
        free = p * k * k + k * n_trend
        out["aic"].append(log_det + 2 / sample * free)
        out["bic"].append(log_det + np.log(sample) / sample * free)
        out["hqic"].append(log_det + 2 * np.log(np.log(sample)) / sample * free)
        out["fpe"].append(((sample + df_model) / (sample - df_model)) ** k * np.exp(log_det))
    return out


@st.composite
def problems(draw):
    k = draw(st.integers(1, 8))
    rows = draw(st.integers(30, 300))
    trend = draw(st.sampled_from(["n", "c", "ct"]))
    n_trend = {"n": 0, "c": 1, "ct": 2}[trend]
    max_estimable = (rows - k - n_trend) // (1 + k)
    max_lags = draw(st.integers(1, max(1, min(8, max_estimable - 1))))
    return k, rows, trend, max_lags, draw(st.integers(0, 2**32 - 1))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_fast_lag_selection_equals_statsmodels(problem) -> None:
    k, rows, trend, max_lags, seed = problem
    y = simulated(k, rows, seed)
    ours = select_lag_order(y, max_lags, trend)
    if k >= 2:
        theirs = VAR(y).select_order(maxlags=max_lags, trend=trend)
        expected, selected = theirs.ics, theirs.selected_orders
    else:
        expected = reference_table(y, max_lags, trend)
        selected = {c: int(np.argmin(v)) + (0 if trend != "n" else 1) for c, v in expected.items()}
    for criterion in CRITERIA:
        np.testing.assert_allclose(ours.table[criterion].to_numpy(), expected[criterion], rtol=1e-8, atol=0)
        assert ours.selected[criterion] == selected[criterion]


def test_collinear_variables_are_reported() -> None:
    y = simulated(2, 100, 0)
    y = np.column_stack([y, y[:, 0] + y[:, 1]])
    with pytest.raises(InvalidInput, match=r"Lag selection failed at p = \d+: the residual covariance is singular"):
        select_lag_order(y, 4, "c")
