"""Issue 14: the VECM kind's numbers against references nobody on the team wrote.

- JMulTi's VECM of Lütkepohl's E6 data (statsmodels' `interest_inflation`: Dp and R, 1972Q2-1998Q4), rank 1, three
  lagged differences, shipped with statsmodels (`vecm_e6_jmulti_*`): α, β, Γ, the deterministic terms, their
  standard errors, Σu and the 5-step forecasts with 95% intervals, for no deterministic term, a constant outside
  or inside the relation, and with a linear trend outside or inside.
- Johansen's trace and maximum-eigenvalue statistics against jplv's (Spatial Econometrics Toolbox) output that
  statsmodels tests coint_johansen with.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
import statsmodels.datasets.interest_inflation.data as e6
from statsmodels.tsa.vector_ar.tests.JMulTi_results.parse_jmulti_vecm_output import load_results_jmulti

from varlib.errors import CLI_INPUTS, InvalidInput
from varlib.vecm import cointegration_table, fit_vecm, johansen_tests, loadings_table

PRINTED = 0.0005 + 1e-9  # JMulTi prints parameters to three decimals
FORECAST_PRINTED = 0.00005 + 1e-9  # and forecasts to four


class E6:
    """What the statsmodels parser needs to find the files: the data's name and the cases."""

    variable_names: ClassVar[list[str]] = ["Dp", "R"]
    dt_s_list: ClassVar[list[tuple]] = [(det, 0, 0) for det in ("nc", "co", "colo", "ci", "cili")]

    def __str__(self) -> str:
        return "e6"


@pytest.fixture(scope="module")
def jmulti():
    return load_results_jmulti(E6())


@pytest.fixture(scope="module")
def e6_levels() -> pd.DataFrame:
    data = e6.load_pandas().data
    index = pd.date_range("1972-04-01", periods=len(data), freq="QS-JAN", name="date")
    return pd.DataFrame(data[["Dp", "R"]].to_numpy(dtype=float), index=index, columns=["Dp", "R"])


CASES = {"nc": "n", "co": "co", "colo": "colo", "ci": "ci", "cili": "cili"}


@pytest.fixture(scope="module", params=list(CASES))
def fitted(request, e6_levels):
    jmulti_name = request.param
    fit = fit_vecm(e6_levels, ["none", "none"], k_ar_diff=3, rank=1, deterministic=CASES[jmulti_name],
                   freq="QS-JAN")  # fmt: skip
    return jmulti_name, fit


def test_loadings_cointegration_vector_and_short_run_agree_with_jmulti(fitted, jmulti) -> None:
    name, fit = fitted
    reference = jmulti[(name, 0, 0)]
    p = fit.parameters
    np.testing.assert_allclose(p.alpha, reference["est"]["alpha"], atol=PRINTED)
    np.testing.assert_allclose(p.stderr_alpha, reference["se"]["alpha"], atol=PRINTED)
    np.testing.assert_allclose(p.beta, reference["est"]["beta"], atol=PRINTED)
    np.testing.assert_allclose(p.stderr_beta, reference["se"]["beta"], atol=PRINTED)
    np.testing.assert_allclose(p.gamma, reference["est"]["Gamma"], atol=PRINTED)
    np.testing.assert_allclose(p.stderr_gamma, reference["se"]["Gamma"], atol=PRINTED)
    if "det_coint" in reference["est"]:  # a constant or trend inside the relation
        np.testing.assert_allclose(p.det_coint, reference["est"]["det_coint"], atol=PRINTED)
        np.testing.assert_allclose(p.stderr_det_coint, reference["se"]["det_coint"], atol=PRINTED)
    if "C" in reference["est"]:  # outside it
        np.testing.assert_allclose(p.det, reference["est"]["C"], atol=PRINTED)
        np.testing.assert_allclose(p.stderr_det, reference["se"]["C"], atol=PRINTED)
    np.testing.assert_allclose(p.sigma_u, reference["est"]["Sigma_u"], rtol=1e-3, atol=1e-9)


def test_the_var_representation_forecasts_with_jmulti_intervals(fitted, jmulti) -> None:
    """Five quarters after 1998Q4 with 95% intervals, forecast by the VECM's VAR in levels."""
    name, fit = fitted
    reference = jmulti[(name, 0, 0)]["fc"]
    forecast = fit.var.forecast(5, 0.05)
    assert list(forecast.point.index.strftime("%Y-%m")) == ["1999-01", "1999-04", "1999-07", "1999-10", "2000-01"]
    for ours, theirs in ((forecast.point, "fc"), (forecast.lower, "lower"), (forecast.upper, "upper")):
        np.testing.assert_allclose(ours.to_numpy(), reference[theirs], atol=FORECAST_PRINTED, err_msg=theirs)


def test_the_estimation_tables_name_every_term(fitted) -> None:
    _, fit = fitted
    loadings = loadings_table(fit)
    equations = list(dict.fromkeys(loadings["equation"]))
    assert equations == ["d(Dp)", "d(R)"]
    terms = list(loadings[loadings["equation"] == "d(Dp)"]["term"])
    assert terms[:3] == ["ec1(t-1)", "d(Dp)(t-1)", "d(R)(t-1)"] and len(terms) == 1 + 6 + len(fit.det_terms)
    relation = cointegration_table(fit)
    assert list(relation["term"])[:2] == ["Dp(t-1)", "R(t-1)"]
    assert relation["estimate"].iloc[0] == pytest.approx(1.0) and np.isnan(relation["std_error"].iloc[0])  # normalised
    row = loadings.iloc[0]
    assert row["t_statistic"] == pytest.approx(row["estimate"] / row["std_error"])


# ----- Johansen ---------------------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::pytest.PytestUnknownMarkWarning")  # statsmodels marks its own test
def test_johansen_statistics_agree_with_jplv() -> None:
    """statsmodels' coint_johansen test data and jplv's trace and maximum-eigenvalue statistics (det_order 1,
    k_ar_diff 2: our linear trend, `lo`)."""
    from statsmodels.tsa.vector_ar.tests import test_coint

    reference = test_coint.TestCointJoh12
    reference.setup_class()
    levels = pd.DataFrame(test_coint.dta)
    found = johansen_tests(levels, "lo", 2)
    k = levels.shape[1]
    trace = reference.res1_m.reshape((k, 4), order="F")
    maximum = reference.res2_m.reshape((k, 4), order="F")
    np.testing.assert_allclose(found.table["trace"].to_numpy(), trace[:, 0], rtol=1e-7)
    np.testing.assert_allclose(found.table[["trace 90%", "trace 95%", "trace 99%"]].to_numpy(), trace[:, 1:])
    np.testing.assert_allclose(found.table["max-eigenvalue"].to_numpy(), maximum[:, 0], rtol=1e-7)
    np.testing.assert_allclose(found.table[["max 90%", "max 95%", "max 99%"]].to_numpy(), maximum[:, 1:])
    rejected = trace[:, 0] > trace[:, 2]
    assert found.rank_by_trace == int(np.argmin(rejected))


def test_johansen_chooses_rank_one_for_e6_and_for_log_gdp_and_consumption(e6_levels, macrodata) -> None:
    e6_tests = johansen_tests(e6_levels, "co", 3)
    assert e6_tests.rank_by_trace == 1 and list(e6_tests.table.index) == [0, 1]
    logs = np.log(macrodata.frame[["realgdp", "realcons"]])
    assert johansen_tests(logs, "ci", 2).rank_by_trace in (0, 1)


def test_a_rank_outside_one_to_k_minus_one_is_refused(e6_levels) -> None:
    with pytest.raises(InvalidInput) as caught:
        fit_vecm(e6_levels, ["none", "none"], k_ar_diff=3, rank=2, deterministic="co", freq="QS-JAN")
    assert caught.value.worded(CLI_INPUTS) == ("The cointegration rank (--coint-rank) must be from 1 to 1 for 2 "
                                               "variables, got 2.")  # fmt: skip
    with pytest.raises(InvalidInput, match="Unknown deterministic terms 'cx' for a VECM"):
        johansen_tests(e6_levels, "cx", 3)
