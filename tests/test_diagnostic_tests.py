"""Issue 14: the residual and coefficient tests analysts read in JMulTi, EViews and R vars.

References: JMulTi's diagnostics of the VAR(4) of macrodata (realcons, realgdp, realinv) shipped with statsmodels
(`macrodata_jmulti_{c,ct,nc,cs,cst}_diag.txt`): LM and LMF autocorrelation tests at 5 lags, Jarque-Bera per
equation, ARCH-LM per equation at 16 lags, multivariate ARCH-LM at 5 lags; statsmodels' own Wald machinery for the
lag-exclusion, block-exogeneity and Toda-Yamamoto tests; a seeded simulation for Toda-Yamamoto's size.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import statsmodels.tsa.vector_ar.tests.JMulTi_results as jmulti_results
from scipy import stats
from statsmodels.tsa.api import VAR

from varlib import TrainSpec, analysis, train
from varlib.diagnostic_tests import arch_lm, granger_wald, lag_exclusion, multivariate_arch
from varlib.errors import InvalidInput

VARIABLES = ["realcons", "realgdp", "realinv"]
PRINTED = 0.0001 + 1e-9  # JMulTi prints four decimals, cut rather than rounded (50.805665 prints as 50.8056)
DIAG = Path(jmulti_results.__file__).parent


def jmulti_diagnostics(name: str) -> dict:
    text = (DIAG / f"macrodata_jmulti_{name}_diag.txt").read_text(encoding="latin-1")

    def number(label: str, after: str = "") -> float:
        start = text.index(after) if after else 0
        return float(re.search(re.escape(label) + r"\s*([-\d.]+)", text[start:]).group(1))

    def table(title: str) -> np.ndarray:
        block = text[text.index(title) :].split("***")[0]
        return np.array([[float(v) for v in line.split()[1:]] for line in block.splitlines() if line.startswith("u")])

    return {
        "lm": (number("LM statistic:"), number("p-value:", "LM statistic:"), number("df:", "LM statistic:")),
        "lmf": (number("LMF statistic:"), number("p-value:", "LMF statistic:")),
        "jarque_bera": table("JARQUE-BERA TEST"),
        "arch": table("ARCH-LM TEST with 16 lags"),
        "varchlm": (number("VARCHLM test statistic:"), number("degrees of freedom:", "VARCHLM")),
    }


CASES = {"c": ("c", False), "ct": ("ct", False), "nc": ("n", False), "cs": ("c", True), "cst": ("ct", True)}


@pytest.fixture(scope="module", params=list(CASES))
def refitted(request, macrodata):
    """JMulTi's VAR(4) in levels on all 203 rows (our production fit), refitted as the Analyze page does.
    Centred seasonal dummies span what JMulTi's 0/1 dummies and constant span: the residuals are the same."""
    trend, seasonal = CASES[request.param]
    spec = TrainSpec.build(VARIABLES, "none", lags=4, test_size=1, trend=trend, seasonal=seasonal)
    result = train(macrodata, spec)
    return request.param, result, analysis.refit(result.production, result.levels)


def test_lm_autocorrelation_tests_agree_with_jmulti(refitted) -> None:
    name, _, fit = refitted
    reference = jmulti_diagnostics(name)
    found = analysis.residual_tests(fit, lm_lags=5, arch_lags=5)
    lm, lmf, varch = found.system
    assert lm.statistic == pytest.approx(reference["lm"][0], abs=PRINTED)
    assert lm.pvalue == pytest.approx(reference["lm"][1], abs=PRINTED) and lm.df == "45"
    assert lmf.statistic == pytest.approx(reference["lmf"][0], abs=PRINTED)
    assert lmf.pvalue == pytest.approx(reference["lmf"][1], abs=PRINTED)
    assert varch.statistic == pytest.approx(reference["varchlm"][0], abs=PRINTED)
    assert varch.df == "180" == f"{reference['varchlm'][1]:.0f}"
    assert found.not_computed == []


def test_jarque_bera_per_equation_agrees_with_jmulti(refitted) -> None:
    name, _, fit = refitted
    reference = jmulti_diagnostics(name)["jarque_bera"]  # statistic, p, skewness, kurtosis
    found = analysis.residual_tests(fit).normality
    assert list(found.index) == VARIABLES
    np.testing.assert_allclose(found[["statistic", "p-value", "skewness", "kurtosis"]].to_numpy(), reference,
                               atol=PRINTED)  # fmt: skip


def test_arch_lm_per_equation_agrees_with_jmulti(refitted) -> None:
    """The χ² form to JMulTi's four decimals. The F form is the auxiliary regression's F (statsmodels OLS): JMulTi
    prints an F that divides by T − q, not the T − 2q − 1 residual degrees of freedom (0.6350 against 0.5760 for
    realcons), so its F is left out of the comparison."""
    import statsmodels.api as sm

    name, _, fit = refitted
    reference = jmulti_diagnostics(name)["arch"]  # statistic, p, F, p(F)
    found = arch_lm(fit.results, 16, VARIABLES)
    np.testing.assert_allclose(found[["statistic", "p-value"]].to_numpy(), reference[:, :2], atol=PRINTED)
    resid = np.asarray(fit.results.resid)[:, 0]
    squares = (resid - resid.mean()) ** 2  # centred, as JMulTi (it matters without a constant)
    design = np.column_stack([np.ones(len(squares) - 16)] + [squares[16 - j : -j] for j in range(1, 17)])
    ols = sm.OLS(squares[16:], design).fit()
    assert found["F"].iloc[0] == pytest.approx(ols.fvalue, rel=1e-10)
    assert found["F p-value"].iloc[0] == pytest.approx(ols.f_pvalue, rel=1e-8)


# ----- Wald tests on the coefficients ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def levels_var(macrodata):
    spec = TrainSpec.build(["realgdp", "realcons", "realinv"], "log", lags=3, test_size=12)
    result = train(macrodata, spec)
    return result, analysis.refit(result.model, result.train_levels)


def test_lag_exclusion_is_the_wald_test_on_statsmodels_covariance(levels_var) -> None:
    """Each lag's coefficients zero, per equation (χ²(K)) and jointly (χ²(K²)), against a Wald test built from
    statsmodels' own cov_params."""
    _, fit = levels_var
    results = fit.results
    found = lag_exclusion(results, fit.variables)
    assert list(found.index) == [1, 2, 3]
    params = np.asarray(results.params)
    covariance = np.asarray(results.cov_params())  # vec(params') order: per regressor, equations inner
    k = 3
    for lag in (1, 2, 3):
        rows = range(results.k_exog + (lag - 1) * k, results.k_exog + lag * k)
        positions = [r * k + e for r in rows for e in range(k)]
        b = params[list(rows)].ravel()
        joint = b @ np.linalg.solve(covariance[np.ix_(positions, positions)], b)
        assert found.loc[lag, "joint statistic"] == pytest.approx(joint, rel=1e-8)
        assert found.loc[lag, "joint p-value"] == pytest.approx(stats.chi2.sf(joint, 9), rel=1e-6, abs=1e-300)
        equation = [r * k + 1 for r in rows]  # realcons's equation
        one = params[list(rows), 1] @ np.linalg.solve(covariance[np.ix_(equation, equation)], params[list(rows), 1])
        assert found.loc[lag, "realcons statistic"] == pytest.approx(one, rel=1e-8)


def test_block_exogeneity_and_granger_wald_are_statsmodels_wald_tests(levels_var) -> None:
    result, fit = levels_var
    tests = analysis.coefficient_tests(fit, result.model, result.train_levels)
    block = tests.block_exogeneity
    theirs = fit.results.test_causality(caused=0, causing=[1, 2], kind="wald")
    assert block.loc["realgdp", "statistic"] == pytest.approx(theirs.test_statistic, rel=1e-12)
    assert block.loc["realgdp", "df"] == 6 and block.loc["realgdp", "excluded"] == "realcons, realinv"
    statistic, pvalue = granger_wald(fit.results, 0, 2, 3)  # all p lags: statsmodels' Wald test
    single = fit.results.test_causality(caused=0, causing=[2], kind="wald")
    assert statistic == pytest.approx(single.test_statistic, rel=1e-10)
    assert pvalue == pytest.approx(single.pvalue, rel=1e-8)


def test_a_levels_var_of_integrated_series_gets_toda_yamamoto(levels_var) -> None:
    result, fit = levels_var
    tests = analysis.coefficient_tests(fit, result.model, result.train_levels)
    assert tests.integrated == ["realgdp", "realcons", "realinv"]  # log levels: ADF does not reject a unit root
    assert tests.toda_yamamoto is not None and tests.extra_lags == 1
    assert np.isnan(np.diag(tests.toda_yamamoto.to_numpy())).all()
    # The statistic is a Wald test on the first p = 3 lags of a VAR(4) on the same data
    transformed = np.log(result.train_levels.to_numpy())
    augmented = VAR(transformed).fit(4, trend="c")
    statistic, _ = granger_wald(augmented, 1, 0, 3)
    assert tests.toda_yamamoto_statistics.loc["realcons", "realgdp"] == pytest.approx(statistic, rel=1e-10)


def test_a_differenced_var_needs_no_toda_yamamoto(macrodata) -> None:
    result = train(macrodata, TrainSpec.build(["realgdp", "realcons"], "logdiff", lags=2, test_size=12))
    tests = analysis.coefficient_tests(analysis.refit(result.model, result.train_levels), result.model,
                                       result.train_levels)  # fmt: skip
    assert tests.integrated == [] and tests.toda_yamamoto is None and tests.lag_exclusion is not None


def test_toda_yamamoto_keeps_its_size_on_independent_random_walks() -> None:
    """Two independent random walks, 300 draws (seed 14): Toda-Yamamoto's rejection rate at 5% stays within the
    binomial 99% band around 5%, where the plain Wald test in the levels VAR is not χ²."""
    rng = np.random.default_rng(14)
    draws, rejected = 300, 0
    for _ in range(draws):
        walks = np.cumsum(rng.normal(size=(200, 2)), axis=0)
        augmented = VAR(walks).fit(3, trend="c")  # p = 2, one extra lag
        rejected += granger_wald(augmented, 0, 1, 2)[1] < 0.05
    low, high = stats.binom.ppf([0.005, 0.995], draws, 0.05)
    assert low <= rejected <= high, rejected


def test_lags_the_sample_cannot_support_are_said_not_computed(macrodata) -> None:
    eight = ["realgdp", "realcons", "realinv", "realgovt", "realdpi", "cpi", "m1", "tbilrate"]
    result = train(macrodata, TrainSpec.build(eight, "logdiff", lags=2, test_size=12))
    fit = analysis.refit(result.model, result.train_levels)
    found = analysis.residual_tests(fit, lm_lags=5, arch_lags=5)
    assert [t.test for t in found.system] == ["LM (Breusch-Godfrey), 5 lags", "LM, F form (Edgerton-Shukur), 5 lags"]
    assert found.not_computed == [
        "The multivariate ARCH-LM test at 5 lags regresses 36 squares and cross-products on 181 regressors, which "
        "needs more than 217 observations; there are 183: choose fewer lags."
    ]
    with pytest.raises(InvalidInput, match=re.escape("The LM test's lags must be a whole number from 1 to 48, got 0.")):
        analysis.residual_tests(fit, lm_lags=0)


def test_the_multivariate_arch_statistic_is_invariant_to_the_order_of_the_variables(levels_var) -> None:
    _, fit = levels_var
    resid = np.asarray(fit.results.resid)
    reordered = VAR(np.log(levels_var[0].train_levels.to_numpy())[:, ::-1]).fit(3, trend="c")
    assert np.allclose(np.asarray(reordered.resid)[:, ::-1], resid)
    assert multivariate_arch(reordered, 4).statistic == pytest.approx(multivariate_arch(fit.results, 4).statistic,
                                                                       rel=1e-9)  # fmt: skip


# ----- the Analyze page -------------------------------------------------------------------------------------------


def test_the_analyze_page_shows_the_tests_and_toda_yamamoto_for_a_levels_var(tmp_path, monkeypatch, macrodata) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.test_app_analysis import open_panel
    from tests.test_app_pages import APP, TIMEOUT, assert_no_exception
    from varlib import ModelRegistry, open_store

    url = f"file://{tmp_path / 'store'}"
    monkeypatch.setenv("VARLIB_STORE", url)
    spec = TrainSpec.build(["realgdp", "realcons"], "log", lags=2, test_size=12)
    ModelRegistry(open_store(url)).publish(train(macrodata, spec), "levels", "1.0.0")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).switch_page("pages/analyze.py").run()
    assert_no_exception(at)
    open_panel(at, "Diagnostics")
    system = next(d.value for d in at.dataframe if "H0" in getattr(d.value, "columns", []) and
                  any(str(t).startswith("LM (") for t in d.value["test"]))  # fmt: skip
    assert list(system["test"]) == ["LM (Breusch-Godfrey), 5 lags", "LM, F form (Edgerton-Shukur), 5 lags",
                                    "Multivariate ARCH-LM, 5 lags"]  # fmt: skip
    assert list(system.columns) == ["test", "statistic", "df", "p-value", "H0", "at 5%"]
    assert system["df"].iloc[0] == "20"
    at.number_input(key=next(n.key for n in at.number_input if n.label == "LM test lags")).set_value(8).run()
    assert_no_exception(at)
    tests = [t for d in at.dataframe if "test" in getattr(d.value, "columns", []) for t in d.value["test"]]
    assert "LM (Breusch-Godfrey), 8 lags" in tests
    normality = next(d.value for d in at.dataframe if "kurtosis" in getattr(d.value, "columns", []))
    assert list(normality["equation"]) == ["realgdp", "realcons"]
    open_panel(at, "Causality")
    warning = next(w.value for w in at.warning)
    assert warning.startswith("realgdp, realcons are modelled in levels and look integrated")
    assert len(at.get("plotly_chart")) == 2  # Granger, Toda-Yamamoto
    block = next(d.value for d in at.dataframe if "excluded" in getattr(d.value, "columns", []))
    assert list(block["equation"]) == ["realgdp", "realcons"] and list(block["df"]) == [2, 2]
    exclusion = next(d.value for d in at.dataframe if "joint statistic" in getattr(d.value, "columns", []))
    assert list(exclusion.index) == [1, 2]
    open_panel(at, "Impulse responses")
    assert any("asymptotic bands are not reliable here" in w.value for w in at.warning)
