"""Issue 14: exogenous variables (R vars' exogen=, statsmodels' VAR(exog=...)): chosen from the data, transformed like
the variables, in the lag table, both fits and the estimation output; forecasts conditioned on the analyst's path of
their future values (CLI --exog-path, the REST body, the Forecast page's table), the test data's values over the
test rows."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.api import VAR

from tests.test_app_pages import clean_environment  # noqa: F401  (AppTest's caches and environment, per test)
from varlib import ModelRegistry, TrainSpec, open_store, train
from varlib.artifact import check_model_document, model_document
from varlib.cli import main
from varlib.errors import CLI_INPUTS, DASHBOARD_INPUTS, IntegrityError, InvalidInput
from varlib.exog import path_from_rows, read_path_csv
from varlib.naming import Version
from varlib.transforms import apply_transforms

TRANSFORMS = {"realgdp": "logdiff", "realcons": "logdiff", "tbilrate": "diff"}


@pytest.fixture(scope="module")
def exog_result(macrodata):
    spec = TrainSpec.build(["realgdp", "realcons"], TRANSFORMS, exog=["tbilrate"], test_size=12, max_lags=8)
    return train(macrodata, spec)


def path_for(dates: pd.DatetimeIndex, values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"tbilrate": values}, index=dates)


def test_fits_lag_table_and_forecasts_are_statsmodels_with_the_transformed_exog(exog_result) -> None:
    result = exog_result
    transformed = apply_transforms(result.train_levels, TRANSFORMS)
    endog, exog = transformed[["realgdp", "realcons"]].to_numpy(), transformed[["tbilrate"]].to_numpy()
    selected = VAR(endog, exog=exog).select_order(8, trend="c")
    for criterion in ("aic", "bic", "hqic", "fpe"):
        theirs = [selected.ics[criterion][p] for p in range(9)]
        np.testing.assert_allclose(result.selection.table[criterion].to_numpy(), theirs, rtol=1e-9)
    p = result.model.lag_order
    assert p == selected.selected_orders["aic"]
    theirs = VAR(endog, exog=exog).fit(p, trend="c")
    np.testing.assert_allclose(result.model.coefs, theirs.coefs, rtol=1e-10)
    np.testing.assert_allclose(result.model.exog_coefs, theirs.coefs_exog.T[1:], rtol=1e-10)
    np.testing.assert_allclose(result.model.sigma_u, theirs.sigma_u, rtol=1e-10)
    output = result.estimation["train"].table("realgdp")
    assert list(output.index[:3]) == ["const", "tbilrate", "realgdp(t-1)"]
    np.testing.assert_allclose(output.loc["tbilrate", "std_error"], theirs.stderr[1, 0], rtol=1e-10)
    # Over the test rows, conditioned on the test data's tbilrate: statsmodels' forecast with that exog_future.
    future = apply_transforms(result.levels[["tbilrate"]], {"tbilrate": "diff"}).iloc[-12:].to_numpy()
    point = theirs.forecast(endog[-p:], 12, exog_future=future)
    working = np.log(result.train_levels[["realgdp", "realcons"]].iloc[-1].to_numpy()) + np.cumsum(point, axis=0)
    np.testing.assert_allclose(result.test_forecast.point.to_numpy(), np.exp(working), rtol=1e-10)


def test_a_forecast_ahead_needs_the_path_and_names_what_is_missing(exog_result) -> None:
    model = exog_result.production
    dates = model.forecast_dates(4)
    with pytest.raises(InvalidInput) as caught:
        model.forecast(4)
    assert caught.value.worded(CLI_INPUTS) == ("The model has exogenous variables (tbilrate): give their values for "
                                               "the forecast dates, 2009-10-01 to 2010-07-01 (--exog-path).")  # fmt: skip
    with pytest.raises(InvalidInput) as caught:
        model.forecast(4, exog_path=path_for(dates[:3], [0.1, 0.2, 0.3]))
    assert caught.value.worded(DASHBOARD_INPUTS) == (
        "the table of the exogenous variables' future values: no value of the exogenous variable 'tbilrate' for "
        "2010-07-01 (forecast step 4 of 4); give its values for 2009-10-01 to 2010-07-01.")  # fmt: skip
    with pytest.raises(InvalidInput, match=re.escape("--exog-path: no values of the exogenous variable 'tbilrate'")):
        try:
            model.forecast(4, exog_path=pd.DataFrame({"oil": [1.0] * 4}, index=dates))
        except InvalidInput as exc:
            raise InvalidInput(exc.worded(CLI_INPUTS)) from None


def test_the_path_is_matched_by_period_and_held_levels_give_the_held_forecast(exog_result) -> None:
    model = exog_result.production
    quarter_ends = pd.DatetimeIndex(["2009-12-31", "2010-03-31", "2010-06-30"])
    by_period = model.forecast(3, exog_path=path_for(quarter_ends, [0.1, 0.2, 0.3])).point
    exact = model.forecast(3, exog_path=path_for(model.forecast_dates(3), [0.1, 0.2, 0.3])).point
    pd.testing.assert_frame_equal(by_period, exact)
    unchanged = model.forecast(3, exog_path=path_for(model.forecast_dates(3), [model.last_exog_levels[0]] * 3))
    moved = model.forecast(3, exog_path=path_for(model.forecast_dates(3), [model.last_exog_levels[0] + 1] * 3))
    assert (moved.point["realgdp"] != unchanged.point["realgdp"]).all()


def test_a_version_with_exogenous_variables_round_trips_through_both_stores(registry, exog_result) -> None:
    registry.publish(exog_result, "gdp", "1.0.0")
    loaded = registry.load("gdp", "1.0.0")
    assert loaded.metadata["format_version"] == 3 and loaded.metadata["exog"]["variables"] == ["tbilrate"]
    assert list(loaded.train_levels.columns) == ["realgdp", "realcons", "tbilrate"]
    pd.testing.assert_frame_equal(loaded.forecast(12, origin="train").point, exog_result.test_forecast.point)
    path = path_for(loaded.production.forecast_dates(6), [0.1, 0.2, 0.4, 0.6, 0.8, 1.0])
    pd.testing.assert_frame_equal(loaded.forecast(6, exog_path=path).point,
                                  exog_result.production.forecast(6, exog_path=path).point)  # fmt: skip
    assert loaded.spec.exog == ["tbilrate"] and loaded.spec.transforms == TRANSFORMS
    assert loaded.summary.terms == "exogenous tbilrate (diff)"


def test_refits_backtests_and_refreshes_keep_the_exogenous_variables(tmp_path, macrodata, exog_result) -> None:
    from varlib.analysis import backtest, refit
    from varlib.data import Dataset
    from varlib.refresh import refresh

    registry = ModelRegistry(open_store(f"file://{tmp_path / 'store'}"))
    earlier = Dataset(frame=macrodata.frame.iloc[:-4], freq=macrodata.freq, source="macrodata to 2008Q3")
    spec = TrainSpec.build(["realgdp", "realcons"], TRANSFORMS, exog=["tbilrate"], test_size=12, lags=2)
    registry.publish(train(earlier, spec), "gdp", "1.0.0")
    parent = registry.load("gdp", "1.0.0")
    assert refit(parent.model, parent.train_levels).matches and refit(parent.production, parent.levels).matches
    run = backtest(parent.levels, parent.model.freq, parent.spec, 2, origins=4, horizon=2)
    assert len(run.errors) == 4 * 2 * 2 and np.isfinite(run.errors["error"]).all()
    refreshed = refresh(parent, macrodata)
    assert refreshed.result.model.exog_variables == ["tbilrate"] and refreshed.new_rows == 4
    assert "the forecast revision holds the exogenous variables (tbilrate) at their last value beyond the data" in (
        refreshed.notes)  # fmt: skip
    assert len(refreshed.forecast_revision) > 0


def test_the_ar_baselines_get_the_exogenous_variables_too(exog_result) -> None:
    from statsmodels.tsa.ar_model import AutoReg

    from varlib.analysis import baseline_forecasts

    result = exog_result
    p = result.model.lag_order
    exog_levels = result.levels[["tbilrate"]]
    baselines = baseline_forecasts(result.train_levels, TRANSFORMS, "c", 12, p, None, result.model.freq, exog_levels)
    transformed = apply_transforms(result.levels, TRANSFORMS)
    train_rows = transformed.iloc[:-12]
    theirs = AutoReg(train_rows["realgdp"].to_numpy(), lags=p, trend="c", exog=train_rows[["tbilrate"]].to_numpy())
    path = theirs.fit().predict(start=len(train_rows), end=len(train_rows) + 11,
                                exog_oos=transformed[["tbilrate"]].iloc[-12:].to_numpy())  # fmt: skip
    expected = np.exp(np.log(result.train_levels["realgdp"].iloc[-1]) + np.cumsum(path))
    np.testing.assert_allclose(baselines[f"AR({p}) per series"]["realgdp"].to_numpy(), expected, rtol=1e-10)
    assert "tbilrate" not in baselines["random walk"].columns


# ----- paths as the analyst gives them ----------------------------------------------------------------------------


def test_a_path_csv_is_read_with_period_labels_and_bad_cells_are_named(tmp_path) -> None:
    good = tmp_path / "path.csv"
    good.write_text("quarter,tbilrate\n2009Q4,0.1\n2010Q1,0.25\n")
    path = read_path_csv(good)
    assert list(path.index.strftime("%Y-%m-%d")) == ["2009-10-01", "2010-01-01"]
    assert path["tbilrate"].tolist() == [0.1, 0.25]
    bad = tmp_path / "bad.csv"
    bad.write_text("quarter,tbilrate\n2009Q4,0.1\n2010Q1,low\n")
    with pytest.raises(InvalidInput) as caught:
        read_path_csv(bad)
    assert caught.value.worded(CLI_INPUTS) == "--exog-path (bad.csv, line 3): 'low' for 'tbilrate' is not a number."
    with pytest.raises(InvalidInput, match=re.escape("2009Q4 is given twice")):
        from varlib.exog import align_path

        align_path(path_from_rows([{"date": "2009-10-01", "x": 1}, {"date": "2009-11-15", "x": 2}]),
                   pd.DatetimeIndex(["2009-10-01"]), "QS-OCT")  # fmt: skip


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], "exog_path: give a row per forecast date, each with its date and a value per exogenous variable."),
        ([{"tbilrate": 1}], "exog_path (the path, row 1): each row needs a date and a value per exogenous variable."),
        ([{"date": "2009-10-01", "tbilrate": [1]}], "exog_path (the path, row 1): '[1]' for 'tbilrate' is not a "
         "number."),
        ([{"date": "2009-10-01", "tbilrate": "inf"}], "exog_path (the path, row 1): 'inf' for 'tbilrate' is not a "
         "number."),
    ],
)  # fmt: skip
def test_path_rows_are_checked_cell_by_cell(rows, message) -> None:
    with pytest.raises(InvalidInput) as caught:
        path_from_rows(rows)
    assert str(caught.value) == message


# ----- bad specifications ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exog", "message"),
    [
        (["realgdp"], "'realgdp' is chosen as a variable and as an exogenous variable (--exog); a column is one or "
         "the other."),
        (["oil"], "statsmodels macrodata (US, quarterly): no exogenous variable (--exog) 'oil' (available: "),
        (["tbilrate", "tbilrate"], "Each exogenous variable (--exog) may be chosen only once."),
    ],
)  # fmt: skip
def test_bad_exogenous_variables_are_refused_naming_the_flag(macrodata, exog, message) -> None:
    spec = TrainSpec.build(["realgdp", "realcons"], "logdiff", exog=exog)
    with pytest.raises(InvalidInput) as caught:
        train(macrodata, spec)
    assert caught.value.worded(CLI_INPUTS).startswith(message)


def stored_document(result) -> dict:
    return json.loads(json.dumps(model_document(result, "gdp", Version(1, 0, 0), "", "2026-12-06T00:00:00Z")))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["exog"].__setitem__("variables", ["realgdp"]), "field exog.variables must name distinct columns "
         "that are not the model's variables"),
        (lambda d: d["exog"].__setitem__("transforms", {"tbilrate": "cube"}), "field exog.transforms must give one "
         "of none, diff, log, logdiff for each exogenous variable"),
        (lambda d: d["model"]["exog_coefs"].append([1.0, 2.0]), "field model.exog_coefs does not have shape (1, 2)"),
        (lambda d: d["production"].__setitem__("last_exog_levels", []), "field production.last_exog_levels does not "
         "have shape (1,)"),
        (lambda d: d["exog"].__setitem__("variables", []) or d["exog"].__setitem__("transforms", {}), "holds neither "
         "dummies nor exogenous variables"),
    ],
)  # fmt: skip
def test_a_crafted_document_with_exogenous_variables_is_refused(exog_result, change, message) -> None:
    document = stored_document(exog_result)
    check_model_document(document, "gdp/1_0_0/model.json")
    change(document)
    with pytest.raises(IntegrityError, match=re.escape(message)):
        check_model_document(document, "gdp/1_0_0/model.json")


# ----- the CLI and the REST service -------------------------------------------------------------------------------


def test_the_cli_trains_with_exog_and_forecasts_with_a_path(tmp_path, capsys) -> None:
    store = ["--store", f"file://{tmp_path / 'store'}"]
    assert main([*store, "train", "--columns", "realgdp,realcons", "--exog", "tbilrate", "--transform",
                 "realgdp=logdiff,realcons=logdiff,tbilrate=diff", "--publish", "gdp", "1.0.0"]) == 0  # fmt: skip
    assert "deterministic terms: constant" in capsys.readouterr().out
    assert main([*store, "forecast", "gdp", "1.0.0", "--steps", "2"]) == 2
    assert capsys.readouterr().err.strip() == ("error: The model has exogenous variables (tbilrate): give their "
                                               "values for the forecast dates, 2009-10-01 to 2010-01-01 "
                                               "(--exog-path).")  # fmt: skip
    path = tmp_path / "rates.csv"
    path.write_text("date,tbilrate\n2009Q4,0.1\n2010Q1,0.25\n")
    assert main([*store, "forecast", "gdp", "1.0.0", "--steps", "2", "--exog-path", str(path), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["forecast"]
    loaded = ModelRegistry(open_store(f"file://{tmp_path / 'store'}")).load("gdp", "1.0.0")
    expected = loaded.forecast(2, exog_path=read_path_csv(path)).point
    assert [r["realgdp"]["point"] for r in rows] == expected["realgdp"].tolist()
    assert main([*store, "forecast", "gdp", "1.0.0", "--steps", "3", "--exog-path", str(path)]) == 2
    assert capsys.readouterr().err.strip() == ("error: --exog-path: no value of the exogenous variable 'tbilrate' for "
                                               "2010-04-01 (forecast step 3 of 3); give its values for 2009-10-01 to "
                                               "2010-04-01.")  # fmt: skip
    assert main([*store, "forecast", "gdp", "1.0.0", "--steps", "12", "--origin", "train"]) == 0  # the test data's
    assert main([*store, "show", "gdp", "1.0.0"]) == 0
    assert "deterministic terms: constant, exogenous tbilrate (diff)" in capsys.readouterr().out


def test_the_rest_service_forecasts_with_the_path_in_the_body(tmp_path, exog_result) -> None:
    from fastapi.testclient import TestClient

    from varlib.api import create_app

    url = f"file://{tmp_path / 'store'}"
    ModelRegistry(open_store(url)).publish(exog_result, "gdp", "1.0.0")
    client = TestClient(create_app(ModelRegistry(open_store(url))))
    refused = client.get("/models/gdp/versions/1.0.0/forecast", params={"steps": 2})
    assert refused.status_code == 422
    assert refused.json()["message"] == ("The model has exogenous variables (tbilrate): give their values for the "
                                         "forecast dates, 2009-10-01 to 2010-01-01 (the body's exog rows "
                                         '([{"date": ..., VARIABLE: value}, ...])).')  # fmt: skip
    body = {"steps": 2, "exog": [{"date": "2009-10-01", "tbilrate": 0.1}, {"date": "2010Q1", "tbilrate": 0.25}]}
    answered = client.post("/models/gdp/versions/1.0.0/forecast", json=body)
    assert answered.status_code == 200, answered.text
    path = path_for(exog_result.production.forecast_dates(2), [0.1, 0.25])
    expected = exog_result.production.forecast(2, exog_path=path).point
    assert [r["realgdp"]["point"] for r in answered.json()["forecast"]] == expected["realgdp"].tolist()
    assert answered.json()["exog_variables"] == ["tbilrate"]
    short = client.post("/models/gdp/versions/1.0.0/forecast", json={**body, "steps": 3})
    assert short.status_code == 422 and "no value of the exogenous variable 'tbilrate' for 2010-04-01" in (
        short.json()["message"])  # fmt: skip
    train_origin = client.get("/models/gdp/versions/1.0.0/forecast", params={"steps": 12, "origin": "train"})
    assert train_origin.status_code == 200  # over the test rows: the test data's values


# ----- the dashboard ----------------------------------------------------------------------------------------------


def test_the_train_and_forecast_pages_take_exogenous_variables_and_their_path(tmp_path, monkeypatch) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.test_app_pages import APP, TIMEOUT, assert_no_exception, button, page_text, publish

    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    next(box for box in at.multiselect if box.label == "Exogenous variables").select("tbilrate").run()
    at.selectbox(key="transform_tbilrate").set_value("diff")
    at.form_submit_button[0].click().run()
    assert_no_exception(at)
    button(at, "Fit VAR").click().run()
    assert_no_exception(at)
    at.session_state["train_estimation_open"] = True  # the estimation output's box, opened
    at.run()
    terms = next(d.value for d in at.dataframe if "t-statistic" in d.value.columns).index
    assert list(terms[:2]) == ["const", "tbilrate"]
    at = publish(at)
    assert "deterministic terms: constant, exogenous tbilrate (diff)" in page_text(at)
    at.switch_page("pages/forecast.py").run()
    assert_no_exception(at)
    assert "The forecast is conditioned on these values (levels): the data where" in page_text(at)
    stored = ModelRegistry(open_store(f"file://{tmp_path / 'store'}")).load("var", "0.0.1")
    dates = stored.production.forecast_dates(12)
    held = stored.forecast(12, exog_path=path_for(dates, [stored.levels["tbilrate"].iloc[-1]] * 12))
    table = next(d.value for d in at.dataframe if ("realgdp", "forecast") in d.value.columns)
    assert table[("realgdp", "forecast")].tolist() == held.point["realgdp"].tolist()


def test_a_path_row_without_a_readable_date_is_named() -> None:
    with pytest.raises(InvalidInput) as caught:
        path_from_rows([{"date": "2009Q4", "oil": 1}, {"date": "", "oil": 2}], "the body's exog rows")
    assert str(caught.value) == ("exog_path (the body's exog rows, row 2): '' is not a date; write the dates as the data "
                                 "are dated, e.g. 2009-10-01 or 2009Q4.")  # fmt: skip


def test_a_forecast_body_that_is_not_json_is_invalid_input(tmp_path, exog_result) -> None:
    from fastapi.testclient import TestClient

    from varlib.api import create_app

    url = f"file://{tmp_path / 'store'}"
    ModelRegistry(open_store(url)).publish(exog_result, "gdp", "1.0.0")
    client = TestClient(create_app(ModelRegistry(open_store(url))))
    answer = client.post("/models/gdp/versions/1.0.0/forecast", content=b"\xff{", headers={
        "Content-Type": "application/json"})  # fmt: skip
    assert answer.status_code == 422
    assert answer.json() == {"error": "invalid_input", "message": 'The request body is not JSON; send e.g. {"steps": '
                             '4} with Content-Type: application/json.'}  # fmt: skip
