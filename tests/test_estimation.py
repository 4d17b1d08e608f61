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
    assert not any("t-statistic" in d.value.columns for d in at.dataframe)  # collapsed: nothing runs until opened
    at.session_state["train_estimation_open"] = True  # the click that opens the box
    at.run()
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


# ----- the estimation output of stored versions: Analyze, Registry, `show`, the REST version detail ------------


def assert_same_output(ours, theirs) -> None:
    pd.testing.assert_frame_equal(ours.coefficients, theirs.coefficients, rtol=1e-10)
    pd.testing.assert_frame_equal(ours.equations, theirs.equations, rtol=1e-10)
    assert ours.log_likelihood == pytest.approx(theirs.log_likelihood, rel=1e-12) and ours.nobs == theirs.nobs


def test_a_version_stored_without_it_has_its_output_recomputed_from_its_data(registry, gdp_result) -> None:
    from dataclasses import replace

    from varlib.analysis import version_estimation

    registry.publish(replace(gdp_result, estimation={}), "gdp", "1.0.0")  # as varlib stored versions before it
    loaded = registry.load("gdp", "1.0.0")
    assert "estimation" not in loaded.metadata and loaded.estimation == {}
    found = version_estimation(loaded)
    assert not found.stored and found.reproduces and found.source == "recomputed"
    assert found.describe().startswith("Recomputed from the version's stored data")
    for origin in ("train", "data"):
        assert_same_output(found.fits[origin], gdp_result.estimation[origin])
    registry.publish(gdp_result, "gdp", "1.1.0")
    stored = version_estimation(registry.load("gdp", "1.1.0"))
    assert stored.stored and stored.describe() == "Stored with the version when it was published."


@pytest.fixture
def legacy_store(tmp_path):
    """A version written before production fits and estimation output (model.json format 1)."""
    import shutil
    from pathlib import Path

    shutil.copytree(Path(__file__).resolve().parent / "fixtures" / "format1-store", tmp_path / "store")
    return f"file://{tmp_path / 'store'}"


def test_show_prints_the_estimation_output_and_gives_it_in_json(tmp_path, gdp_result, legacy_store, capsys) -> None:
    from varlib import ModelRegistry, open_store
    from varlib.cli import main

    store = f"file://{tmp_path / 'cli-store'}"
    ModelRegistry(open_store(store)).publish(gdp_result, "gdp", "1.0.0")
    assert main(["--store", store, "show", "gdp", "1.0.0", "--estimation"]) == 0
    out = capsys.readouterr().out
    assert "Estimation output of the production fit (all rows): 200 observations per equation" in out
    assert "Equation realcons: R² " in out and "realgdp(t-2)" in out and "Residual correlation:" in out
    assert main(["--store", store, "show", "gdp", "1.0.0", "--estimation", "--fit", "train"]) == 0
    assert "Estimation output of the evaluation fit (training rows): 188 observations" in capsys.readouterr().out
    assert main(["--store", store, "show", "gdp", "1.0.0", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["estimation"]["source"] == "stored" and body["estimation"]["equations"] == ["realgdp", "realcons"]
    assert body["estimation"]["fits"]["data"] == body["metadata"]["estimation"]["fits"]["data"]
    # A version stored before: recomputed, and only the fit it has
    assert main(["--store", legacy_store, "show", "legacy", "1.0.0", "--json"]) == 0
    legacy = json.loads(capsys.readouterr().out)["estimation"]
    assert legacy["source"] == "recomputed" and legacy["reproduces"] and list(legacy["fits"]) == ["train"]
    assert main(["--store", legacy_store, "show", "legacy", "1.0.0", "--estimation"]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: --fit data: legacy 1.0.0 was stored before versions had a production fit; use --fit train."
    )


def test_the_rest_version_detail_holds_the_estimation_output(registry, gdp_result, legacy_store) -> None:
    from fastapi.testclient import TestClient

    from varlib import ModelRegistry, open_store
    from varlib.api import create_app

    registry.publish(gdp_result, "gdp", "1.0.0")
    body = TestClient(create_app(registry)).get("/models/gdp/versions/latest").json()
    fits = body["estimation"]["fits"]
    assert body["estimation"]["source"] == "stored" and set(fits) == {"train", "data"}
    assert fits["data"]["terms"][:2] == ["const", "trend"] and len(fits["data"]["std_error"]) == 6
    legacy = TestClient(create_app(ModelRegistry(open_store(legacy_store)))).get("/models/legacy/versions/1.0.0")
    assert legacy.status_code == 200 and legacy.json()["estimation"]["source"] == "recomputed"


def test_analyze_and_the_registry_show_a_stored_versions_estimation_output(tmp_path, monkeypatch, legacy_store):
    from streamlit.testing.v1 import AppTest

    from tests.test_app_analysis import open_panel
    from tests.test_app_pages import APP, TIMEOUT, assert_no_exception

    monkeypatch.setenv("VARLIB_STORE", legacy_store)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page("pages/registry.py").run()
    assert_no_exception(at)
    assert any(c.value.startswith("Recomputed from the version's stored data") for c in at.caption)
    table = next(d.value for d in at.dataframe if "t-statistic" in d.value.columns)
    assert table.index[0] == "const" and at.radio(key="registry_estimation_legacy_1.0.0_fit").options == [
        "evaluation fit (training rows)"
    ]
    at.switch_page("pages/analyze.py").run()
    open_panel(at, "Estimation")
    assert any(c.value.startswith("Recomputed from the version's stored data") for c in at.caption)
    assert [d.label for d in at.download_button] == ["Download the coefficients (CSV)"]
