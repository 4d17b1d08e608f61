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


# ----- the VECM kind through training, storage, the CLI, the service and the pages --------------------------------


@pytest.fixture(scope="module")
def gdp_vecm(macrodata):
    """The issue's VECM: log realgdp and log realcons, rank 1, constant in the relation, p by AIC on the levels."""
    from varlib import TrainSpec, train

    spec = TrainSpec.build(["realgdp", "realcons"], "log", kind="vecm", coint_rank=1, vecm_deterministic="ci",
                           max_lags=8, test_size=12)  # fmt: skip
    return train(macrodata, spec)


def test_a_vecm_forecasts_ahead_as_statsmodels_predicts(gdp_vecm, macrodata) -> None:
    from statsmodels.tsa.vector_ar.vecm import VECM

    result = gdp_vecm
    assert result.model.kind == "vecm" and result.model.vecm.rank == 1 and result.model.lag_order == 3
    logs = np.log(macrodata.frame[["realgdp", "realcons"]].to_numpy())
    theirs = VECM(logs, k_ar_diff=2, coint_rank=1, deterministic="ci").fit()
    point, lower, upper = theirs.predict(8, alpha=0.05)
    ours = result.production.forecast(8, 0.05)
    np.testing.assert_allclose(np.log(ours.point.to_numpy()), point, rtol=1e-10)
    np.testing.assert_allclose(np.log(ours.lower.to_numpy()), lower, rtol=1e-10)
    np.testing.assert_allclose(np.log(ours.upper.to_numpy()), upper, rtol=1e-10)
    assert result.stability.stable  # beside its one unit root
    assert result.stability.eigenvalue_moduli[0] == pytest.approx(1.0, abs=1e-9)


def test_a_vecm_round_trips_through_both_stores_and_refits(registry, gdp_vecm) -> None:
    from varlib.analysis import refit, version_estimation

    registry.publish(gdp_vecm, "gdpvecm", "1.0.0")
    loaded = registry.load("gdpvecm", "1.0.0")
    assert loaded.metadata["format_version"] == 3 and loaded.metadata["kind"] == "vecm"
    assert loaded.model.vecm == gdp_vecm.model.vecm and loaded.production.kind == "vecm"
    pd.testing.assert_frame_equal(loaded.forecast(8).point, gdp_vecm.production.forecast(8).point)
    assert loaded.spec.kind == "vecm" and loaded.spec.coint_rank == 1 and loaded.spec.vecm_deterministic == "ci"
    assert refit(loaded.model, loaded.train_levels).matches and refit(loaded.production, loaded.levels).matches
    assert loaded.summary.terms == "VECM, rank 1, 2 lagged differences, constant in the cointegration relation"
    stored = version_estimation(loaded)
    assert stored.stored and list(stored.fits["data"].table("realgdp").index[:2]) == ["ec1(t-1)", "d(realgdp)(t-1)"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["vecm"].__setitem__("k_ar_diff", 1), "field vecm.k_ar_diff does not match the lag order"),
        (lambda d: d["vecm"].__setitem__("rank", 2), "field vecm.rank"),
        (lambda d: d["vecm"].__setitem__("deterministic", "lo"), "field vecm.deterministic does not match the trend"),
        (lambda d: d["vecm"]["fits"]["data"]["beta"].pop(), "field vecm.fits.data.beta does not have shape (2, 1)"),
        (lambda d: d.__setitem__("kind", "garch"), "field kind is not a model kind"),
        (lambda d: d["transforms"].__setitem__("realgdp", "logdiff"), "field transforms must be none or log"),
    ],
)  # fmt: skip
def test_a_crafted_vecm_document_is_refused(gdp_vecm, change, message) -> None:
    import json
    import re

    from varlib.artifact import check_model_document, model_document
    from varlib.errors import IntegrityError
    from varlib.naming import Version

    document = json.loads(json.dumps(model_document(gdp_vecm, "gdpvecm", Version(1, 0, 0), "", "2026-12-06T00:00Z")))
    check_model_document(document, "gdpvecm/1_0_0/model.json")
    change(document)
    with pytest.raises(IntegrityError, match=re.escape(message)):
        check_model_document(document, "gdpvecm/1_0_0/model.json")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"transform": "logdiff"}, "A VECM models the (log) levels, so 'realgdp' takes the transform none or log, "
         "not logdiff (--transform)."),
        ({"exog": ["tbilrate"]}, "A VECM here takes seasonal dummies but not exogenous variables or date dummies "
         "(--exog); fit a VAR for those."),
        ({"coint_rank": 2}, "The cointegration rank (--coint-rank) must be below the 2 variables, got 2."),
        ({"coint_rank": None}, "statsmodels macrodata (US, quarterly): Johansen's trace test finds no cointegration "
         "(rank 0) at 5%, so a VECM does not apply: fit a VAR in differences, or give a rank (--coint-rank)."),
    ],
)  # fmt: skip
def test_a_vecm_the_data_or_the_flags_do_not_allow_is_refused_in_one_sentence(macrodata, options, message) -> None:
    from varlib import TrainSpec, train

    transform = options.pop("transform", "log")
    spec = TrainSpec.build(["realgdp", "realcons"], transform, kind="vecm", max_lags=8, **({"coint_rank": 1} | options))
    with pytest.raises(InvalidInput) as caught:
        train(macrodata, spec)
    assert caught.value.worded(CLI_INPUTS) == message


def test_the_cli_and_the_service_train_publish_and_forecast_a_vecm(tmp_path, capsys, gdp_vecm) -> None:
    import json

    from fastapi.testclient import TestClient

    from varlib import ModelRegistry, open_store
    from varlib.api import create_app
    from varlib.cli import main

    url = f"file://{tmp_path / 'store'}"
    assert (
        main(
            [
                "--store",
                url,
                "train",
                "--columns",
                "realgdp,realcons",
                "--transform",
                "log",
                "--kind",
                "vecm",
                "--coint-rank",
                "1",
                "--deterministic",
                "ci",
                "--max-lags",
                "8",
                "--publish",
                "gdp",
                "1.0.0",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "VECM, rank 1, 2 lagged differences, constant in the cointegration relation" in out
    assert "Johansen's tests on the training rows (188 observations): rank 0 by the trace test" in out
    assert main(["--store", url, "forecast", "gdp", "1.0.0", "--steps", "4", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["forecast"]
    expected = gdp_vecm.production.forecast(4).point
    assert [r["realgdp"]["point"] for r in rows] == pytest.approx(expected["realgdp"].tolist(), rel=1e-12)
    assert main(["--store", url, "show", "gdp", "1.0.0", "--estimation"]) == 0
    shown = capsys.readouterr().out
    assert "Cointegration relations (β, normalised) of the data fit:" in shown and "ec1(t-1)" in shown
    client = TestClient(create_app(ModelRegistry(open_store(url))))
    answer = client.get("/models/gdp/versions/1.0.0/forecast", params={"steps": 4})
    assert answer.status_code == 200
    assert [r["realgdp"]["point"] for r in answer.json()["forecast"]] == pytest.approx(expected["realgdp"].tolist(),
                                                                                       rel=1e-12)  # fmt: skip
    detail = client.get("/models/gdp/versions/1.0.0").json()
    assert detail["metadata"]["kind"] == "vecm" and detail["estimation"]["source"] == "stored"


def test_a_vecm_version_goes_through_every_page(tmp_path, monkeypatch, gdp_vecm) -> None:
    """The analyses that apply work; those that do not say why, in one sentence."""
    from streamlit.testing.v1 import AppTest

    from tests.test_app_analysis import open_panel
    from tests.test_app_pages import APP, TIMEOUT, assert_no_exception, button, clean_environment, page_text  # noqa: F401
    from varlib import ModelRegistry, open_store

    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    ModelRegistry(open_store(f"file://{tmp_path / 'store'}")).publish(gdp_vecm, "gdpvecm", "1.0.0")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for page in ("forecast", "registry", "compare", "refresh"):
        at.switch_page(f"pages/{page}.py").run()
        assert_no_exception(at)
    at.switch_page("pages/forecast.py").run()
    assert "VECM, rank 1, 2 lagged differences" in page_text(at)
    at.switch_page("pages/analyze.py").run()
    assert_no_exception(at)
    assert next(s.value for s in at.success).startswith("Analyzing gdpvecm 1.0.0, VECM(rank 1, 2 lagged differences) "
                                                        "on realgdp, realcons. The refit reproduces")  # fmt: skip
    assert "Cointegration relations (β, normalised)" in page_text(at) and "Johansen's rank tests" in page_text(at)
    open_panel(at, "Diagnostics")
    assert "The LM autocorrelation test is not computed for a VECM here" in page_text(at)
    open_panel(at, "Causality")
    assert "Granger causality in the VECM" in page_text(at)
    assert "Lag exclusion, block exogeneity and Toda-Yamamoto are tests of a VAR's coefficients" in page_text(at)
    open_panel(at, "Impulse responses")
    button(at, "Compute impulse responses and FEVD").click().run()
    assert_no_exception(at)
    assert "No bands: their asymptotic form for a VECM is not computed here." in page_text(at)
    open_panel(at, "Baselines")
    assert_no_exception(at)
    open_panel(at, "Backtest")
    next(b for b in at.form_submit_button if b.label == "Run backtest").click().run()
    assert_no_exception(at)
    assert [d.label for d in at.download_button] == ["Download backtest errors (CSV)"]  # refitted as a VECM each time


def test_the_train_page_fits_and_publishes_a_vecm(tmp_path, monkeypatch) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.test_app_pages import APP, TIMEOUT, assert_no_exception, button, page_text, publish

    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    for name in ("realgdp", "realcons"):
        at.selectbox(key=f"transform_{name}").set_value("log")
    next(s for s in at.selectbox if s.label == "Model kind").set_value("vecm")
    next(n for n in at.number_input if n.label == "Cointegration rank (VECM)").set_value(1)
    at.form_submit_button[0].click().run()
    assert_no_exception(at)
    button(at, "Fit VECM").click().run()
    assert_no_exception(at)
    assert "On the training rows, H0: rank ≤ r0. At 5% the trace test chooses rank 0" in page_text(at)
    relation = next(d.value for d in at.dataframe if "relation" in getattr(d.value, "columns", []))
    assert list(relation["term"]) == ["realgdp(t-1)", "realcons(t-1)", "const"]
    at = publish(at)
    assert "VECM, rank 1" in page_text(at)


def test_a_vecm_is_refreshed_with_new_quarters_as_a_vecm(tmp_path, macrodata) -> None:
    from varlib import Dataset, ModelRegistry, TrainSpec, open_store, train
    from varlib.refresh import refresh

    registry = ModelRegistry(open_store(f"file://{tmp_path / 'store'}"))
    earlier = Dataset(frame=macrodata.frame.iloc[:-4], freq=macrodata.freq, source="macrodata to 2008Q3")
    spec = TrainSpec.build(["realgdp", "realcons"], "log", kind="vecm", coint_rank=1, lags=3, test_size=12)
    registry.publish(train(earlier, spec), "gdpvecm", "1.0.0")
    refreshed = refresh(registry.load("gdpvecm", "1.0.0"), macrodata)
    assert refreshed.new_rows == 4 and refreshed.result.model.vecm == registry.load("gdpvecm", "1.0.0").model.vecm
    direct = train(macrodata, spec)
    np.testing.assert_allclose(refreshed.result.production.coefs, direct.production.coefs, rtol=1e-10)
    registry.publish(refreshed.result, "gdpvecm", "1.1.0")
    assert registry.load("gdpvecm", "1.1.0").metadata["lineage"]["parent"]["version"] == "1.0.0"
