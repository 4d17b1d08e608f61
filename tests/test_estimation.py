"""Issue 14: estimation output (coefficients with standard errors, t and p; R²; log-likelihood; criteria; Σ_u)
against JMulTi's output that statsmodels ships in its test suite, and R² against statsmodels' OLS per equation."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.datasets.macrodata.data as macro
from statsmodels.tsa.api import VAR
from statsmodels.tsa.vector_ar.tests.JMulTi_results.parse_jmulti_var_output import load_results_jmulti

from tests.test_app_pages import clean_environment, downloads  # noqa: F401
from varlib import TrainSpec, train
from varlib.estimation import lag_term

VARIABLES = ["realcons", "realgdp", "realinv"]  # JMulTi's order
PRINTED = 0.0005 + 1e-9  # JMulTi prints three decimals


@pytest.fixture(scope="module")
def jmulti():
    return load_results_jmulti(macro, [("c", 0), ("nc", 0)])


@pytest.fixture(scope="module", params=["c", "n"])
def fitted(request, macrodata):
    """The production fit of a VAR(4) in levels on all 203 rows, as JMulTi's (T = 199)."""
    spec = TrainSpec.build(VARIABLES, "none", lags=4, test_size=1, trend=request.param)
    result = train(macrodata, spec)
    return request.param, result, result.estimation["data"]


def reference(jmulti, trend: str) -> dict:
    return jmulti["c" if trend == "c" else "nc", 0]


def test_coefficients_standard_errors_t_and_p_agree_with_jmulti(fitted, jmulti) -> None:
    trend, _, output = fitted
    ref = reference(jmulti, trend)
    for what, column in (("est", "estimate"), ("se", "std_error"), ("t", "t_statistic"), ("p", "p_value")):
        lagged = ref[what]["Lagged endogenous term"]  # equations x (lag, variable)
        for e, equation in enumerate(VARIABLES):
            table = output.table(equation)
            ours = [table.loc[lag_term(v, lag), column] for lag in range(1, 5) for v in VARIABLES]
            np.testing.assert_allclose(ours, np.asarray(lagged)[e], atol=PRINTED, err_msg=f"{what} {equation}")
        if trend == "c":
            constant = np.asarray(ref[what]["Deterministic term"]).ravel()
            ours = [output.table(eq).loc["const", column] for eq in VARIABLES]
            np.testing.assert_allclose(ours, constant, atol=PRINTED, err_msg=f"{what} const")


def test_system_statistics_agree_with_jmulti(fitted, jmulti) -> None:
    trend, result, output = fitted
    ref = reference(jmulti, trend)
    assert output.nobs == 199
    # The log-likelihood is statsmodels' (the full Gaussian one); JMulTi prints one that
    # is 14.05 lower for both trends, a convention of its own: statsmodels' test allows 1%, and so does this one.
    np.testing.assert_allclose(output.log_likelihood, ref["log_like"], rtol=0.01)
    np.testing.assert_allclose(output.sigma_u.to_numpy(), ref["est"]["Sigma_u"], rtol=1e-3, atol=PRINTED)
    results = VAR(result.levels.to_numpy()).fit(4, trend=trend)  # the same fit, by statsmodels directly
    assert (output.aic, output.bic, output.hqic, output.fpe) == (results.aic, results.bic, results.hqic, results.fpe)
    assert output.log_likelihood == results.llf and output.det_sigma_u == results.detomega
    correlation = output.correlation.to_numpy()
    np.testing.assert_allclose(np.diag(correlation), 1.0)
    assert list(output.coefficients["term"][:2]) == (["const", "realcons(t-1)"] if trend == "c"
                                                     else ["realcons(t-1)", "realgdp(t-1)"])  # fmt: skip


def test_r_squared_agrees_with_ols_per_equation(fitted) -> None:
    trend, result, output = fitted
    results = VAR(result.levels.to_numpy()).fit(4, trend=trend)
    for e, equation in enumerate(VARIABLES):
        ols = sm.OLS(results.endog[4:, e], results.endog_lagged).fit()
        assert output.equations.loc[equation, "r_squared"] == pytest.approx(ols.rsquared, rel=1e-10)
        assert output.equations.loc[equation, "adj_r_squared"] == pytest.approx(ols.rsquared_adj, rel=1e-10)
        assert output.equations.loc[equation, "residual_se"] == pytest.approx(np.sqrt(ols.scale), rel=1e-10)
    assert output.centered == (trend == "c")


def test_the_csv_has_every_coefficient(fitted) -> None:
    _, _, output = fitted
    table = pd.read_csv(__import__("io").StringIO(output.to_csv()))
    assert list(table.columns) == ["equation", "term", "estimate", "std_error", "t_statistic", "p_value"]
    assert len(table) == 3 * (3 * 4 + (1 if fitted[0] == "c" else 0))
    np.testing.assert_array_equal(table["estimate"].to_numpy(), output.coefficients["estimate"].to_numpy())


def test_the_train_page_shows_the_estimation_output_of_both_fits(tmp_path, monkeypatch, downloads) -> None:  # noqa: F811
    from streamlit.testing.v1 import AppTest

    from tests.test_app_pages import APP, TIMEOUT, train_and_fit

    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    at = train_and_fit(AppTest.from_file(APP, default_timeout=TIMEOUT))
    table = next(d.value for d in at.dataframe if "t-statistic" in d.value.columns)
    assert list(table.columns) == ["coefficient", "std. error", "t-statistic", "p-value"]
    assert list(table.index[:3]) == ["const", "realgdp(t-1)", "realcons(t-1)"]  # VAR(3), realgdp's equation
    assert any("R² " in c.value and "observations" in c.value for c in at.caption)
    at.radio(key="train_estimation_fit").set_value("data").run()
    at.selectbox(key="train_estimation_equation").set_value("realcons").run()
    assert not at.exception
    production = next(d.value for d in at.dataframe if "t-statistic" in d.value.columns)
    assert not production.equals(table)
    csv = [data for data, mime, name in downloads if name == "current-fit-data-coefficients.csv"]
    assert csv and csv[-1].decode().startswith("equation,term,estimate,std_error,t_statistic,p_value\n")


@pytest.fixture(scope="module")
def gdp_result(macrodata):
    return train(macrodata, TrainSpec.build(["realgdp", "realcons"], "logdiff", lags=2, trend="ct"))


def test_the_estimation_output_round_trips_through_both_stores(registry, gdp_result) -> None:
    registry.publish(gdp_result, "gdp", "1.0.0")
    loaded = registry.load("gdp", "1.0.0").estimation
    assert set(loaded) == {"train", "data"}
    for origin, output in gdp_result.estimation.items():
        stored = loaded[origin]
        pd.testing.assert_frame_equal(stored.coefficients, output.coefficients)
        pd.testing.assert_frame_equal(stored.equations, output.equations)
        pd.testing.assert_frame_equal(stored.sigma_u, output.sigma_u)
        assert (stored.log_likelihood, stored.nobs, stored.centered) == (output.log_likelihood, output.nobs, True)
    assert list(loaded["data"].coefficients["term"][:3]) == ["const", "trend", "realgdp(t-1)"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda fit: fit["terms"].__setitem__(0, "=HYPERLINK(1)"), "field estimation.fits.train.terms does not list "
         "the 6 terms of a VAR(2) with trend ct"),
        (lambda fit: fit["std_error"].pop(), "field estimation.fits.train.std_error does not have shape (6, 2)"),
        (lambda fit: fit["p_value"][0].__setitem__(1, "0.01"), "field estimation.fits.train.p_value does not have "
         "shape (6, 2) of numbers"),
        (lambda fit: fit["equations"].__setitem__("r_squared", [0.5]), "field estimation.fits.train.equations."
         "r_squared does not hold 2 numbers"),
        (lambda fit: fit.__setitem__("aic", "low"), "field estimation.fits.train.aic is not a number"),
    ],
)  # fmt: skip
def test_a_crafted_estimation_output_is_refused_naming_the_field(gdp_result, change, message) -> None:
    from varlib.artifact import check_model_document, model_document
    from varlib.errors import IntegrityError
    from varlib.naming import Version

    document = json.loads(json.dumps(model_document(gdp_result, "gdp", Version(1, 0, 0), "", "2026-12-04T00:00:00Z")))
    check_model_document(document, "gdp/1_0_0/model.json")  # as stored: accepted
    change(document["estimation"]["fits"]["train"])
    with pytest.raises(IntegrityError, match=re.escape(message)):
        check_model_document(document, "gdp/1_0_0/model.json")


def test_a_very_large_model_stores_no_estimation_output() -> None:
    from varlib.artifact import stores_estimation

    assert stores_estimation(20, 48) and stores_estimation(50, 10) and not stores_estimation(100, 3)
