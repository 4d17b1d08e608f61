"""Issue 14: seasonal dummies and impulse/step dummies at given dates.

References: JMulTi's VAR(4) of macrodata with seasonal dummies (constant + S1..S3, and with a trend), shipped with
statsmodels' test suite; statsmodels' VAR(exog=...) for the fit, the lag selection and the forecast; R `vars`'
construction of centred seasonal dummies (`VAR(season = s)`).
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.datasets.macrodata.data as macro
from statsmodels.tsa.api import VAR
from statsmodels.tsa.vector_ar.tests.JMulTi_results.parse_jmulti_var_output import load_results_jmulti

from tests.test_app_pages import clean_environment  # noqa: F401  (AppTest's caches and environment, per test)
from varlib import TrainSpec, train
from varlib.artifact import check_model_document, model_document
from varlib.cli import main
from varlib.data import Dataset
from varlib.deterministic import DateDummy, Deterministic, season_index
from varlib.errors import IntegrityError, InvalidInput
from varlib.estimation import lag_term
from varlib.naming import Version

VARIABLES = ["realcons", "realgdp", "realinv"]  # JMulTi's order
PRINTED = 0.0005 + 1e-9  # JMulTi prints three decimals
FORECAST_PARSED = 0.001 + 1e-9  # its forecasts print four, which statsmodels' parser cuts to three


def r_vars_seasonal(seasons: int, rows: int) -> np.ndarray:
    """R vars' VAR(season = s): dum <- (diag(s) - 1/s)[, -s], stacked from the first row of the estimation sample."""
    block = (np.eye(seasons) - 1.0 / seasons)[:, :-1]
    return np.vstack([block] * (rows // seasons + 1))[:rows]


def monthly_seasonal_data(rows: int = 180, seed: int = 7) -> Dataset:
    """Two monthly series with a seasonal pattern and a VAR(1) around it (fixed seed)."""
    rng = np.random.default_rng(seed)
    pattern = np.array([3, 1, -2, 0, 2, 5, -1, -3, 0, 1, -4, -2.0])
    y = np.zeros((rows, 2))
    for t in range(1, rows):
        season = pattern[t % 12]
        y[t] = 0.5 * y[t - 1] + np.array([season, 0.5 * season]) + rng.normal(size=2)
    frame = pd.DataFrame(
        y + 100, index=pd.date_range("2005-01-01", periods=rows, freq="MS"), columns=["sales", "orders"]
    )
    frame.index.freq = "MS"
    return Dataset(frame=frame, freq="MS", source="sales.csv")


# ----- the convention: R vars' centred dummies, counted from the calendar ---------------------------------------


@pytest.mark.parametrize("seasons, freq", [(4, "QS-JAN"), (12, "MS")])
def test_centred_seasonal_dummies_are_r_vars_when_the_sample_starts_in_the_first_season(seasons, freq) -> None:
    dates = pd.date_range("1960-01-01", periods=3 * seasons + 5, freq=freq)
    ours = Deterministic(seasons=seasons).columns(dates)
    np.testing.assert_allclose(ours, r_vars_seasonal(seasons, len(dates)), atol=1e-15)
    np.testing.assert_allclose(ours[: seasons * 3].sum(axis=0), 0.0, atol=1e-12)  # centred: zero over whole years


def test_seasons_are_counted_from_the_calendar_not_from_the_sample_start() -> None:
    """R counts from the first row of the estimation sample; varlib gives a quarter the same column in every fit
    and forecast. Starting in Q3, varlib's columns are R's rotated by two quarters."""
    dates = pd.date_range("1960-07-01", periods=12, freq="QS-JAN")
    ours = Deterministic(seasons=4).columns(dates)
    assert list(season_index(dates, 4)[:4]) == [2, 3, 0, 1]
    full = np.eye(4) - 0.25  # every season's column, the last (Q4) included
    expected = np.vstack([full[q, :3] for q in season_index(dates, 4)])
    np.testing.assert_allclose(ours, expected, atol=1e-15)
    assert not np.allclose(ours, r_vars_seasonal(4, 12))


def test_impulse_and_step_dummies() -> None:
    dates = pd.date_range("2008-01-01", periods=6, freq="QS-JAN")
    terms = Deterministic(dummies=(DateDummy("impulse", dates[2]), DateDummy("step", dates[3])))
    np.testing.assert_array_equal(terms.columns(dates), [[0, 0], [0, 0], [1, 0], [0, 1], [0, 1], [0, 1]])
    assert terms.names("QS-JAN") == ["impulse 2008Q3", "step 2008Q4"]


# ----- against JMulTi: VAR(4) of macrodata, constant + seasonal (and + trend) -----------------------------------


@pytest.fixture(scope="module")
def jmulti():
    return load_results_jmulti(macro, [("c", 4), ("ct", 4)])


@pytest.fixture(scope="module", params=["c", "ct"])
def seasonal_fit(request, macrodata):
    """The production fit of a VAR(4) in levels with seasonal dummies on all 203 rows, as JMulTi's (T = 199)."""
    spec = TrainSpec.build(VARIABLES, "none", lags=4, test_size=1, trend=request.param, seasonal=True)
    return request.param, train(macrodata, spec)


def test_lags_seasonal_terms_and_their_standard_errors_agree_with_jmulti(seasonal_fit, jmulti) -> None:
    """Centring changes only the constant (by the mean of the seasonal coefficients): the lag and seasonal
    coefficients, their standard errors, t and p are JMulTi's, whose S1..S3 are 0/1 dummies of Q1..Q3."""
    trend, result = seasonal_fit
    ref = jmulti[trend, 4]
    output = result.estimation["data"]
    assert output.nobs == 199
    for what, column in (("est", "estimate"), ("se", "std_error"), ("t", "t_statistic"), ("p", "p_value")):
        lagged = np.asarray(ref[what]["Lagged endogenous term"])
        deterministic = np.asarray(ref[what]["Deterministic term"])  # JMulTi: CONST, S1, S2, S3[, TREND]
        for e, equation in enumerate(VARIABLES):
            table = output.table(equation)
            ours = [table.loc[lag_term(v, lag), column] for lag in range(1, 5) for v in VARIABLES]
            np.testing.assert_allclose(ours, lagged[e], atol=PRINTED, err_msg=f"{what} {equation}")
            seasonal = [table.loc[f"season Q{q}", column] for q in (1, 2, 3)]
            np.testing.assert_allclose(seasonal, deterministic[e, 1:4], atol=PRINTED, err_msg=f"{what} seasons")
            if trend == "ct":
                np.testing.assert_allclose(table.loc["trend", column], deterministic[e, 4], atol=PRINTED)
    estimates = np.asarray(ref["est"]["Deterministic term"])
    for e, equation in enumerate(VARIABLES):  # the centred constant: JMulTi's plus a quarter of S1 + S2 + S3
        table = output.table(equation)
        expected = estimates[e, 0] + estimates[e, 1:4].sum() / 4
        assert table.loc["const", "estimate"] == pytest.approx(expected, abs=4 * PRINTED)
    np.testing.assert_allclose(output.sigma_u.to_numpy(), ref["est"]["Sigma_u"], rtol=1e-3, atol=PRINTED)


def test_forecasts_and_intervals_agree_with_jmulti(seasonal_fit, jmulti) -> None:
    """Five quarters ahead of 2009Q3 with 95% intervals, the seasonal dummies extending themselves."""
    trend, result = seasonal_fit
    reference = jmulti[trend, 4]["fc"]
    forecast = result.production.forecast(5, alpha=0.05)
    assert list(forecast.point.index.strftime("%Y-%m")) == ["2009-10", "2010-01", "2010-04", "2010-07", "2010-10"]
    for ours, theirs in ((forecast.point, "fc"), (forecast.lower, "lower"), (forecast.upper, "upper")):
        np.testing.assert_allclose(ours[VARIABLES].to_numpy(), reference[theirs], atol=FORECAST_PARSED, rtol=0,
                                   err_msg=theirs)  # fmt: skip


# ----- against statsmodels' VAR(exog=...): fit, lag selection, forecast -----------------------------------------


@pytest.fixture(scope="module")
def monthly_result():
    spec = TrainSpec.build(["sales", "orders"], "none", seasonal=True, impulse_dummies=["2010-06"],
                           step_dummies=["2012-01"], test_size=12, max_lags=6, criterion="bic")  # fmt: skip
    return train(monthly_seasonal_data(), spec)


def statsmodels_exog(frame: pd.DataFrame) -> np.ndarray:
    """The same regressors built by hand: 11 centred month dummies, an impulse in 2010-06, a step from 2012-01."""
    months = frame.index.month.to_numpy() - 1
    seasonal = (months[:, None] == np.arange(11)[None, :]) - 1 / 12
    impulse = (frame.index == "2010-06-01").astype(float)
    step = (frame.index >= "2012-01-01").astype(float)
    return np.column_stack([seasonal, impulse, step])


def test_the_fits_and_the_lag_table_are_statsmodels_with_the_dummies_as_exog(monthly_result) -> None:
    result = monthly_result
    train_levels, levels = result.train_levels, result.levels
    model = VAR(train_levels.to_numpy(), exog=statsmodels_exog(train_levels))
    selected = model.select_order(6, trend="c")
    for criterion in ("aic", "bic", "hqic", "fpe"):
        ours = result.selection.table[criterion].to_numpy()
        theirs = np.array([selected.ics[criterion][p] for p in range(7)])
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, err_msg=criterion)
    assert result.selection.selected == selected.selected_orders
    p = result.model.lag_order
    assert p == selected.selected_orders["bic"]
    for fit, frame in ((result.model, train_levels), (result.production, levels)):
        theirs = VAR(frame.to_numpy(), exog=statsmodels_exog(frame)).fit(p, trend="c")
        np.testing.assert_allclose(fit.coefs, theirs.coefs, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(np.vstack([fit.trend_coefs, fit.dummy_coefs]), theirs.coefs_exog.T, rtol=1e-9)
        np.testing.assert_allclose(fit.sigma_u, theirs.sigma_u, rtol=1e-10)
        steps = 18
        dates = pd.date_range(frame.index[-1] + frame.index.freq, periods=steps, freq="MS")
        future = statsmodels_exog(pd.DataFrame(index=dates))
        point, lower, upper = theirs.forecast_interval(frame.to_numpy()[-p:], steps, 0.05, exog_future=future)
        ours = fit.forecast(steps, 0.05)
        np.testing.assert_allclose(ours.point.to_numpy(), point, rtol=1e-10)
        np.testing.assert_allclose(ours.lower.to_numpy(), lower, rtol=1e-10)
        np.testing.assert_allclose(ours.upper.to_numpy(), upper, rtol=1e-10)
    terms = list(result.estimation["data"].table("sales").index)
    assert terms[:14] == ["const"] + [f"season {m}" for m in ("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov".split())] + [
        "impulse 2010-06", "step 2012-01"]  # fmt: skip


def test_seasonal_dummies_improve_the_forecast_of_a_seasonal_series(monthly_result) -> None:
    plain = train(monthly_seasonal_data(), TrainSpec.build(["sales", "orders"], "none", test_size=12, max_lags=6,
                                                            criterion="bic"))  # fmt: skip
    assert monthly_result.metrics["sales"].rmse < 0.5 * plain.metrics["sales"].rmse


# ----- stored, loaded, refitted, backtested -----------------------------------------------------------------------


def test_a_version_with_dummies_round_trips_through_both_stores(registry, monthly_result) -> None:
    registry.publish(monthly_result, "sales", "1.0.0", note="seasonal")
    loaded = registry.load("sales", "1.0.0")
    assert loaded.metadata["format_version"] == 3
    assert loaded.model.deterministic == monthly_result.model.deterministic
    pd.testing.assert_frame_equal(loaded.forecast(24).point, monthly_result.production.forecast(24).point)
    pd.testing.assert_frame_equal(loaded.forecast(12, origin="train").point, monthly_result.test_forecast.point)
    assert loaded.spec.seasonal and loaded.spec.impulse_dummies == ["2010-06"]
    assert loaded.spec.step_dummies == ["2012-01"]
    pd.testing.assert_frame_equal(loaded.estimation["data"].coefficients,
                                  monthly_result.estimation["data"].coefficients)  # fmt: skip


def test_a_version_without_dummies_is_still_written_in_format_2(registry, gdp_cons_result) -> None:
    """Replicas of the service not yet upgraded read every version that has no dummies."""
    registry.publish(gdp_cons_result, "gdp", "1.0.0")
    loaded = registry.load("gdp", "1.0.0")
    assert loaded.metadata["format_version"] == 2 and "deterministic" not in loaded.metadata["model"]


def test_the_refit_reproduces_a_stored_version_with_dummies(tmp_path, monthly_result) -> None:
    from varlib import ModelRegistry, open_store
    from varlib.analysis import refit, version_estimation

    registry = ModelRegistry(open_store(f"file://{tmp_path / 'store'}"))
    registry.publish(monthly_result, "sales", "1.0.0")
    version = registry.load("sales", "1.0.0")
    assert refit(version.model, version.train_levels).matches
    assert refit(version.production, version.levels).matches
    recomputed = version_estimation(version.__class__(**{**version.__dict__, "metadata": {
        k: v for k, v in version.metadata.items() if k != "estimation"}}))  # fmt: skip
    assert not recomputed.stored and recomputed.reproduces
    pd.testing.assert_frame_equal(recomputed.fits["data"].coefficients,
                                  monthly_result.estimation["data"].coefficients, rtol=1e-8)  # fmt: skip


def test_a_backtest_leaves_out_dummies_after_a_window(monthly_result) -> None:
    """A step dummy of 2017-06 is a column of zeros in the windows that end before it: left out there, not refused."""
    from varlib.analysis import backtest

    data = monthly_seasonal_data()
    spec = TrainSpec.build(["sales", "orders"], "none", seasonal=True, step_dummies=["2017-06"], test_size=12,
                           max_lags=6, criterion="bic")  # fmt: skip
    result = train(data, spec)
    run = backtest(result.levels, "MS", spec, result.model.lag_order, origins=30, horizon=3)
    assert run.errors["origin"].iloc[0] == "2017-04-01"  # its window's training rows end before the dummy
    assert run.origins == 30 and len(run.errors) == 30 * 3 * 2 and np.isfinite(run.errors["error"]).all()


def test_lag_order_zero_with_dummies_says_what_it_forecasts() -> None:
    spec = TrainSpec.build(["sales", "orders"], "none", seasonal=True, lags=0, test_size=12)
    result = train(monthly_seasonal_data(), spec)
    assert ("lag order 0: the model has no dynamics; it forecasts what its constant and seasonal dummies give for "
            "the transformed data") in result.notes  # fmt: skip
    forecast = result.production.forecast(12).point["sales"].to_numpy()
    assert np.ptp(forecast) > 1  # the seasonal pattern, not a flat mean


# ----- crafted documents ----------------------------------------------------------------------------------------


def stored_document(result) -> dict:
    document = model_document(result, "sales", Version(1, 0, 0), "", "2026-12-06T00:00:00Z")
    return json.loads(json.dumps(document))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["model"]["deterministic"].__setitem__("seasons", 5), "field model.deterministic.seasons is not "
         "0, 4 or 12"),
        (lambda d: d["model"]["deterministic"].__setitem__("seasons", 4), "field model.deterministic.seasons does "
         "not match the data's frequency"),
        (lambda d: d["model"]["deterministic"]["dummies"][0].__setitem__("kind", "pulse"), "field "
         "model.deterministic.dummies[].kind"),
        (lambda d: d["model"]["deterministic"]["dummies"][0].__setitem__("date", "2012-13-45"), "field "
         "model.deterministic.dummies[].date is not an ISO date"),
        (lambda d: d["model"]["deterministic"].__setitem__("dummies", [{"kind": "step", "date": "2012-01-01"}] * 51),
         "field model.deterministic.dummies"),
        (lambda d: d["model"]["dummy_coefs"].pop(), "field model.dummy_coefs does not have shape (13, 2)"),
        (lambda d: d["production"].pop("dummy_coefs"), "field production.dummy_coefs is missing"),
        (lambda d: d["model"].__setitem__("deterministic", {"seasons": 0, "dummies": []}), "holds neither dummies nor exogenous variables"),
        (lambda d: d["estimation"]["fits"]["data"]["terms"].__setitem__(1, "season X"), "field "
         "estimation.fits.data.terms does not list the 16 terms"),
    ],
)  # fmt: skip
def test_a_crafted_document_with_dummies_is_refused_naming_the_field(monthly_result, change, message) -> None:
    document = stored_document(monthly_result)
    check_model_document(document, "sales/1_0_0/model.json")  # as stored: accepted
    change(document)
    with pytest.raises(IntegrityError, match=re.escape(message)):
        check_model_document(document, "sales/1_0_0/model.json")


# ----- bad input: one sentence naming the flag (CLI) or the field (dashboard) ------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"seasonal": True}, "annual.csv: seasonal dummies (--seasonal) need monthly or quarterly data; these data "
         "are yearly."),
        ({"impulse_dummies": ["2030Q1"]}, "--dummy 2030Q1: no row of the training data (1990 to 2016) is dated in "
         "it; the dummy must fall in the training data."),
        ({"impulse_dummies": ["last year"]}, "--dummy 'last year': not a date; write it as the data are dated, e.g. "
         "2016."),
        ({"step_dummies": ["1990"]}, "--step-dummy 1990: the date must fall after the start of the estimation "
         "sample, which starts at 1992 (after the lags); choose a later date or fewer lags."),
        ({"impulse_dummies": ["2000", "2000"]}, "--dummy 2000: the date is given twice."),
    ],
)  # fmt: skip
def test_bad_dummies_are_refused_in_the_words_of_the_cli(options, message) -> None:
    from varlib.errors import CLI_INPUTS

    rows = 30
    frame = pd.DataFrame({"a": np.sin(np.arange(rows)) + np.arange(rows) * 0.1,
                          "b": np.cos(np.arange(rows) * 0.7) + 5},
                         index=pd.date_range("1990-01-01", periods=rows, freq="YS"))  # fmt: skip
    dataset = Dataset(frame=frame, freq="YS-JAN", source="annual.csv")
    spec = TrainSpec.build(["a", "b"], "none", lags=2, max_lags=2, test_size=3, **options)
    with pytest.raises(InvalidInput) as caught:
        train(dataset, spec)
    assert caught.value.worded(CLI_INPUTS) == message


def test_the_cli_trains_publishes_and_shows_a_seasonal_var_with_dummies(tmp_path, capsys) -> None:
    csv = tmp_path / "sales.csv"
    monthly_seasonal_data().frame.rename_axis("month").to_csv(csv)
    store = ["--store", f"file://{tmp_path / 'store'}"]
    assert main([*store, "train", "--csv", str(csv), "--seasonal", "--dummy", "2010-06", "--step-dummy", "2012-01",
                 "--ic", "bic", "--max-lags", "6", "--publish", "sales", "1.0.0"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert ("deterministic terms: constant, seasonal dummies (monthly, centred), impulse dummy 2010-06, step dummy "
            "2012-01.") in out  # fmt: skip
    assert main([*store, "show", "sales", "1.0.0", "--estimation"]) == 0
    shown = capsys.readouterr().out
    assert "deterministic terms: constant, seasonal dummies (monthly, centred)" in shown
    assert "season Nov" in shown and "step 2012-01" in shown
    assert main([*store, "forecast", "sales", "1.0.0", "--steps", "14", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["forecast"]
    assert [r["date"] for r in rows][:2] == ["2020-01-01", "2020-02-01"] and len(rows) == 14
    assert main([*store, "train", "--csv", str(csv), "--dummy", "2030-01"]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: --dummy 2030-01: no row of the training data (2005-01 to "
        "2018-12) is dated in it; the dummy must fall in the training data."
    )


def test_the_rest_service_forecasts_a_version_with_dummies(tmp_path, monthly_result) -> None:
    from fastapi.testclient import TestClient

    from varlib import ModelRegistry, open_store
    from varlib.api import create_app

    url = f"file://{tmp_path / 'store'}"
    ModelRegistry(open_store(url)).publish(monthly_result, "sales", "1.0.0")
    client = TestClient(create_app(ModelRegistry(open_store(url))))
    response = client.get("/models/sales/versions/1.0.0/forecast", params={"steps": 12})
    assert response.status_code == 200, response.text
    body = response.json()
    expected = monthly_result.production.forecast(12).point
    assert [row["sales"]["point"] for row in body["forecast"]] == pytest.approx(expected["sales"].tolist(), rel=1e-12)


# ----- the dashboard: the Train page's fields, and the terms in words wherever a version is described -------------


def test_the_train_page_fits_publishes_and_describes_a_seasonal_var_with_a_dummy(tmp_path, monkeypatch) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.test_app_pages import APP, TIMEOUT, assert_no_exception, button, page_text, publish, shown

    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    next(box for box in at.checkbox if box.label == "Seasonal dummies").check()
    next(field for field in at.text_input if field.label == "Impulse dummies").input("2008Q4")
    at.form_submit_button[0].click().run()
    assert [shown(e.value) for e in at.error] == ["Impulse dummy 2008Q4: no row of the training data (1959Q2 to 2006Q3) is "
                                           "dated in it; the dummy must fall in the training data."]  # fmt: skip
    next(field for field in at.text_input if field.label == "Impulse dummies").input("2001Q3, 2001Q4")
    at.form_submit_button[0].click().run()
    assert_no_exception(at)
    assert not at.error
    button(at, "Fit VAR").click().run()
    assert_no_exception(at)
    at.session_state["train_estimation_open"] = True  # the estimation output's box, opened
    at.run()
    terms = next(d.value for d in at.dataframe if "t-statistic" in d.value.columns).index
    assert ["season Q1", "season Q2", "season Q3", "impulse 2001Q3", "impulse 2001Q4"] == list(terms[1:6])
    at = publish(at)
    assert ("deterministic terms: constant, seasonal dummies (quarterly, centred), impulse dummy 2001Q3, impulse "
            "dummy 2001Q4") in page_text(at)  # fmt: skip
    at.switch_page("pages/registry.py").run()
    assert_no_exception(at)
    listing = at.dataframe[0].value
    assert listing["deterministic terms"].iloc[0] == ("constant, seasonal dummies (quarterly, centred), impulse "
                                                      "dummy 2001Q3, impulse dummy 2001Q4")  # fmt: skip
    at.switch_page("pages/forecast.py").run()
    assert_no_exception(at)
    assert "deterministic terms: constant, seasonal dummies (quarterly, centred)" in page_text(at)
    at.switch_page("pages/analyze.py").run()
    assert_no_exception(at)


def test_the_ar_baseline_has_the_same_deterministic_terms_as_the_var(monthly_result) -> None:
    """A seasonal VAR against an AR without the seasons would flatter the VAR."""
    from statsmodels.tsa.ar_model import AutoReg

    from varlib.analysis import baseline_forecasts

    result = monthly_result
    p = result.model.lag_order
    plain = baseline_forecasts(result.train_levels, result.spec.transforms, "c", 12, p)
    seasonal = baseline_forecasts(result.train_levels, result.spec.transforms, "c", 12, p,
                                  result.model.deterministic, "MS")  # fmt: skip
    name = f"AR({p}) per series"
    sales = result.train_levels["sales"]
    future = pd.DataFrame(index=result.test_levels.index)
    theirs = AutoReg(sales.to_numpy(), lags=p, trend="c", exog=statsmodels_exog(result.train_levels)).fit()
    expected = theirs.predict(start=len(sales), end=len(sales) + 11, exog_oos=statsmodels_exog(future))
    np.testing.assert_allclose(seasonal[name]["sales"].to_numpy(), expected, rtol=1e-10)
    actual = result.test_levels["sales"].to_numpy()
    rmse = {k: np.sqrt(np.mean((v[name]["sales"].to_numpy() - actual) ** 2)) for k, v in (("plain", plain),
                                                                                         ("seasonal", seasonal))}  # fmt: skip
    assert rmse["seasonal"] < 0.6 * rmse["plain"]


def test_a_refresh_keeps_the_seasonal_and_date_dummies(tmp_path) -> None:
    from varlib import ModelRegistry, open_store
    from varlib.refresh import refresh

    data = monthly_seasonal_data()
    earlier = Dataset(frame=data.frame.iloc[:-6], freq="MS", source="sales.csv")
    spec = TrainSpec.build(["sales", "orders"], "none", seasonal=True, impulse_dummies=["2010-06"], test_size=12,
                           lags=1)  # fmt: skip
    registry = ModelRegistry(open_store(f"file://{tmp_path / 'store'}"))
    registry.publish(train(earlier, spec), "sales", "1.0.0")
    refreshed = refresh(registry.load("sales", "1.0.0"), data)
    assert refreshed.new_rows == 6
    assert refreshed.result.model.deterministic == registry.load("sales", "1.0.0").model.deterministic
    direct = train(data, spec)
    np.testing.assert_allclose(refreshed.result.production.dummy_coefs, direct.production.dummy_coefs, rtol=1e-12)


def test_a_monthly_seasonal_version_forecasts_and_is_analysed_on_the_pages(
    tmp_path, monkeypatch, monthly_result
) -> None:
    """The issue's done-when: a seasonal VAR of a monthly series on the Forecast and Analyze pages."""
    from streamlit.testing.v1 import AppTest

    from tests.test_app_analysis import open_panel
    from tests.test_app_pages import APP, TIMEOUT, assert_no_exception, button, page_text
    from varlib import ModelRegistry, open_store

    url = f"file://{tmp_path / 'store'}"
    monkeypatch.setenv("VARLIB_STORE", url)
    ModelRegistry(open_store(url)).publish(monthly_result, "sales", "1.0.0")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).switch_page("pages/forecast.py").run()
    assert_no_exception(at)
    table = next(d.value for d in at.dataframe if ("sales", "forecast") in d.value.columns)
    assert list(table.index[:2]) == ["2020-01-01", "2020-02-01"]
    assert table[("sales", "forecast")].tolist() == monthly_result.production.forecast(12).point["sales"].tolist()
    assert "seasonal dummies (monthly, centred), impulse dummy 2010-06, step dummy 2012-01" in page_text(at)
    at.switch_page("pages/analyze.py").run()
    assert_no_exception(at)
    assert next(s.value for s in at.success).startswith("Analyzing sales 1.0.0")  # the refit reproduces it
    coefficients = at.dataframe[0].value
    assert "season Nov" in coefficients.index and "step 2012-01" in coefficients.index
    for panel in ("Diagnostics", "Causality", "Backtest", "Baselines"):
        open_panel(at, panel)
    open_panel(at, "Impulse responses")
    button(at, "Compute impulse responses and FEVD").click().run()
    assert_no_exception(at)
