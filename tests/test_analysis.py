"""Analyst tools against statsmodels' own functions on the same data, for fresh fits and stored versions."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.api import VAR
from statsmodels.tsa.ar_model import AutoReg
from statsmodels.tsa.stattools import acf, adfuller, kpss

from varlib import TrainSpec, train
from varlib import analysis as an
from varlib.artifact import manifest_document, sha256_hex, to_json
from varlib.errors import InvalidInput
from varlib.naming import Version

VARIABLES = ["realgdp", "realcons", "realinv"]


@pytest.fixture(scope="module")
def result(macrodata):
    return train(macrodata, TrainSpec.build(VARIABLES, "logdiff", test_size=12, lags=2))


@pytest.fixture(scope="module")
def fit(result):
    return an.refit(result.model, result.train_levels)


def sm_results(result):
    transformed = np.diff(np.log(result.train_levels[VARIABLES].to_numpy()), axis=0)
    return VAR(transformed).fit(2, trend="c")


def test_stationarity_table_matches_adfuller_and_kpss(result, macrodata) -> None:
    table = an.stationarity_tests(macrodata.frame[["realgdp", "realint"]].iloc[:-12])
    row = table[(table["variable"] == "realgdp") & (table["transform"] == "logdiff")].iloc[0]
    values = np.diff(np.log(result.train_levels["realgdp"].to_numpy()))
    adf = adfuller(values, regression="c", autolag="AIC", result_object=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kp = kpss(values, regression="c", nlags="auto", result_object=False)
    assert row.adf_statistic == pytest.approx(adf[0], rel=1e-12) and row.adf_pvalue == pytest.approx(adf[1], rel=1e-12)
    assert row.adf_lags == adf[2]
    assert row.kpss_statistic == pytest.approx(kp[0], rel=1e-12) and row.kpss_pvalue == pytest.approx(kp[1])
    # realint takes negative values: no log transforms are offered for it
    assert set(table[table["variable"] == "realint"]["transform"]) == {"none", "diff"}


def test_verdicts_and_suggestions(result) -> None:
    assert an.stationarity_verdict(0.01, 0.1) == "stationary"
    assert an.stationarity_verdict(0.5, 0.01) == "non-stationary"
    assert an.stationarity_verdict(0.01, 0.01) == "inconclusive"
    table = an.stationarity_tests(result.train_levels[["realgdp"]])
    levels = table[(table["transform"] == "none")].iloc[0]
    assert levels.verdict == "non-stationary"  # trending GDP in levels
    assert an.suggest_transforms(table) == {"realgdp": "logdiff"}


def test_refit_of_a_fresh_fit_matches(fit) -> None:
    assert fit.matches and fit.max_difference < 1e-10
    assert fit.message().startswith("The refit reproduces the stored parameters")


def test_refit_of_a_stored_version_matches(registry, result) -> None:
    registry.publish(result, "var", "0.0.1")
    version = registry.load("var", "0.0.1")
    assert an.refit(version.model, version.train_levels).matches


def test_refit_mismatch_is_reported(registry, result) -> None:
    """A version whose checksums are valid but whose parameters do not come from its data."""
    registry.publish(result, "var", "0.0.1")
    prefix = "var/0_0_1/"
    document = json.loads(registry.store.read(prefix + "model.json").data)
    document["model"]["coefs"][0][0][0] += 0.01
    objects = {f: registry.store.read(prefix + f).data for f in ("train.csv", "test.csv")}
    objects["model.json"] = to_json(document)
    registry.store.write(prefix + "model.json", objects["model.json"])
    manifest = manifest_document(objects, "var", Version(0, 0, 1), document["created"])
    registry.store.write(prefix + "manifest.json", to_json(manifest))
    version = registry.load("var", "0.0.1")  # checksums agree with the (rewritten) manifest
    check = an.refit(version.model, version.train_levels)
    assert not check.matches and check.max_difference == pytest.approx(0.01, rel=1e-6)
    assert "does NOT reproduce the stored parameters" in check.message()
    assert sha256_hex(objects["model.json"]) == version.manifest["objects"]["model.json"]["sha256"]


def test_diagnostics_match_statsmodels(result, fit) -> None:
    sm = sm_results(result)
    d = an.diagnostics(fit)
    h, _ = an.whiteness_lag_choice(2, sm.nobs)
    assert d.whiteness_lags == h == 10
    assert d.whiteness_pvalue == pytest.approx(sm.test_whiteness(nlags=10).pvalue, rel=1e-10)
    assert d.normality_pvalue == pytest.approx(sm.test_normality().pvalue, rel=1e-10)
    np.testing.assert_allclose(sorted(d.roots["modulus"]), sorted(1 / np.abs(sm.roots)), rtol=1e-10)
    assert d.stable == sm.is_stable()
    np.testing.assert_allclose(d.residuals.to_numpy(), sm.resid, atol=1e-12)
    np.testing.assert_allclose(d.residual_acf["realinv"], acf(sm.resid[:, 2], nlags=20, fft=False), atol=1e-12)
    assert d.acf_band == pytest.approx(1.96 / np.sqrt(sm.nobs))


def test_whiteness_lags_exceed_p_even_in_short_samples() -> None:
    assert an.whiteness_lag_choice(12, 40)[0] == 13
    assert an.whiteness_lag_choice(1, 400)[0] == 10
    assert an.whiteness_lag_choice(8, 400)[0] == 13


def test_causality_matches_statsmodels(result, fit) -> None:
    sm = sm_results(result)
    c = an.causality(fit)
    assert c.granger_pvalues.loc["realcons", "realinv"] == pytest.approx(
        sm.test_causality(caused=1, causing=[2], kind="f").pvalue, rel=1e-12
    )
    assert np.isnan(c.granger_pvalues.loc["realgdp", "realgdp"])
    assert c.instantaneous_pvalues["realinv"] == pytest.approx(sm.test_inst_causality(causing=[2]).pvalue, rel=1e-12)
    assert "F test" in c.test


def test_impulse_responses_match_statsmodels(result, fit) -> None:
    sm = sm_results(result)
    steps = []
    irf = an.impulse_responses(fit, periods=8, progress=lambda share, text: steps.append(share))
    theirs = sm.irf(8)
    # every response is differenced (logdiff), so responses are cumulative: effects on log levels
    np.testing.assert_allclose(irf.responses, theirs.orth_cum_effects, atol=1e-12)
    half_width = 1.96 * theirs.cum_effect_stderr(orth=True)
    np.testing.assert_allclose(irf.upper - irf.responses, half_width, atol=1e-12)
    np.testing.assert_allclose(irf.fevd, sm.fevd(8).decomp, atol=1e-12)
    assert irf.cumulative == [True, True, True] and steps[-1] == 1.0


def test_impulse_responses_of_level_variables_are_not_cumulated(macrodata) -> None:
    spec = TrainSpec.build(["realgdp", "infl"], {"realgdp": "logdiff", "infl": "none"}, lags=2)
    fitted = train(macrodata, spec)
    check = an.refit(fitted.model, fitted.train_levels)
    irf = an.impulse_responses(check, periods=6)
    theirs = check.results.irf(6)
    np.testing.assert_allclose(irf.responses[:, 1, :], theirs.orth_irfs[:, 1, :], atol=1e-12)
    np.testing.assert_allclose(irf.responses[:, 0, :], theirs.orth_cum_effects[:, 0, :], atol=1e-12)


def test_backtest_refits_at_each_origin(macrodata, result) -> None:
    spec = TrainSpec.build(VARIABLES, "logdiff", lags=2)
    levels = macrodata.frame[VARIABLES]
    bt = an.backtest(levels, macrodata.freq, spec, lag_order=2, origins=5, horizon=4)
    assert bt.lag_orders == [2] * 5 and len(bt.errors) == 5 * 4 * 3
    first_origin = levels.iloc[: len(levels) - 4 - 4]  # the first of 5 origins, 4 steps each, ends 8 rows early
    direct = train(type(macrodata)(frame=levels.iloc[: len(first_origin) + 4], freq=macrodata.freq, source="x"),
                   TrainSpec.build(VARIABLES, "logdiff", lags=2, test_size=4))  # fmt: skip
    first = bt.errors[bt.errors.origin == first_origin.index[-1].strftime("%Y-%m-%d")]
    np.testing.assert_allclose(first[first.variable == "realgdp"].forecast, direct.test_forecast.point["realgdp"])
    h1 = bt.errors[(bt.errors.horizon == 1) & (bt.errors.variable == "realcons")].error
    row = bt.by_horizon[(bt.by_horizon.horizon == 1) & (bt.by_horizon.variable == "realcons")].iloc[0]
    assert row.rmse == pytest.approx(np.sqrt(np.mean(h1**2))) and row.mae == pytest.approx(np.mean(np.abs(h1)))
    assert bt.to_csv().splitlines()[0] == "origin,horizon,variable,forecast,actual,error"


def test_backtest_can_reselect_the_lag(macrodata) -> None:
    spec = TrainSpec.build(["realgdp", "realcons"], "logdiff", max_lags=8, criterion="bic")
    bt = an.backtest(macrodata.frame[["realgdp", "realcons"]], macrodata.freq, spec, 2, origins=3, horizon=2,
                     reselect=True)  # fmt: skip
    assert bt.reselect and all(p == 1 for p in bt.lag_orders)  # BIC picks p=1 on this data


def test_backtest_validates_its_sizes(macrodata) -> None:
    with pytest.raises(InvalidInput, match="A backtest needs at least 1 origin"):
        an.backtest(macrodata.frame[VARIABLES], macrodata.freq, TrainSpec.build(VARIABLES, "logdiff"), 2, 0, 4)


def test_baselines(result) -> None:
    baselines = an.baseline_forecasts(result.train_levels, result.spec.transforms, "c", 12, 2)
    walk = baselines["random walk"]
    assert (walk["realgdp"] == result.train_levels["realgdp"].iloc[-1]).all()
    logged = np.diff(np.log(result.train_levels["realinv"].to_numpy()))
    path = AutoReg(logged, lags=2, trend="c").fit().predict(start=len(logged), end=len(logged) + 11)
    expected = np.exp(np.log(result.train_levels["realinv"].iloc[-1]) + np.cumsum(path))
    np.testing.assert_allclose(baselines["AR(2) per series"]["realinv"], expected, rtol=1e-12)
    table = an.compare_with_baselines(result.test_forecast.point, result.test_levels, baselines)
    walk_rows = table[table.model == "random walk"]
    assert (walk_rows.theil_u == 1).all()
    var_row = table[(table.model == "VAR") & (table["variable"] == "realgdp")].iloc[0]
    assert var_row.rmse == pytest.approx(result.metrics["realgdp"].rmse)
    assert var_row.theil_u == pytest.approx(result.metrics["realgdp"].theil_u)
    ar_row = table[(table.model == "AR(2) per series") & (table["variable"] == "realgdp")].iloc[0]
    assert ar_row.var_skill == pytest.approx(1 - var_row.rmse / ar_row.rmse)
    assert isinstance(table, pd.DataFrame)


def test_a_var0_has_impact_responses_and_no_granger_test(macrodata) -> None:
    """Issue 13: a VAR(0) raised on the Causality and Impulse responses panels (statsmodels needs lags)."""
    result = train(macrodata, TrainSpec.build(["realgdp", "realcons", "tbilrate"], {"realgdp": "logdiff",
                   "realcons": "logdiff", "tbilrate": "none"}, lags=0))  # fmt: skip
    fit = an.refit(result.model, result.train_levels)
    causality = an.causality(fit)
    assert causality.granger_pvalues.isna().all().all() and "not defined for a VAR(0)" in causality.test
    assert causality.instantaneous_pvalues.notna().all()
    irf = an.impulse_responses(fit, periods=4)
    impact = np.linalg.cholesky(np.asarray(fit.results.sigma_u))
    np.testing.assert_allclose(irf.responses[0], impact, atol=1e-15)
    np.testing.assert_allclose(irf.responses[1:, 2, :], 0)  # tbilrate, not differenced: no effect after impact
    np.testing.assert_allclose(irf.responses[4, :2, :], impact[:2])  # cumulated: the level stays moved
    np.testing.assert_allclose(irf.fevd.sum(axis=2), 1)
    assert irf.fevd.shape == (3, 4, 3) and np.isnan(irf.lower).all()
