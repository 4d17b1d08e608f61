"""AppTest flows of the analyst pages: stationarity on Train, every Analyze panel, Compare."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from tests.test_app_pages import (  # clean_environment: autouse, isolates environment and caches per test
    APP,
    TIMEOUT,
    assert_no_exception,
    button,
    clean_environment,  # noqa: F401
    page_text,
    publish,
    shown,
    train_and_fit,
)
from varlib import open_store
from varlib.artifact import manifest_document, to_json
from varlib.naming import Version


@pytest.fixture
def store_url(tmp_path, monkeypatch) -> str:
    url = f"file://{tmp_path / 'store'}"
    monkeypatch.setenv("VARLIB_STORE", url)
    return url


def charts(at: AppTest) -> int:
    return len(at.get("plotly_chart"))


def test_stationarity_panel_suggests_transforms(store_url) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert_no_exception(at)
    assert "Stationary: ADF rejects" not in page_text(at)  # a collapsed box runs nothing until opened
    at.session_state["train_stationarity_open"] = True  # the click that opens it
    at.run()
    assert "Stationary: ADF rejects a unit root and KPSS does not reject stationarity" in page_text(at)
    shown = next(d for d in at.dataframe if "suggested" in getattr(d.value, "columns", []))
    verdicts = shown.value
    assert list(verdicts.index) == ["realgdp", "realcons"]
    assert verdicts.loc["realgdp", "none"] == "non-stationary" and verdicts.loc["realgdp", "suggested"] == "logdiff"
    assert "#bf616a" in shown.proto.arrow_data.styler.styles  # a failing verdict in red
    at.selectbox(key="transform_realgdp").set_value("none").run()
    button(at, "Use the suggested transforms").click().run()
    assert at.selectbox(key="transform_realgdp").value == "logdiff"


def open_panel(at: AppTest, panel: str) -> AppTest:
    """A click on one of Analyze's tabs (AppTest has no tab clicks; the tabs' key holds the open one)."""
    at.session_state["analyze_panel"] = panel
    at.run()
    assert_no_exception(at)
    return at


def shown_panels(at: AppTest) -> list[str]:
    return [tab.label for tab in at.tabs if tab.children]


def run_every_panel(at: AppTest) -> AppTest:
    assert_no_exception(at)
    assert shown_panels(at) == ["Estimation"]  # issue 14: the estimation output first, as EViews shows it
    coefficients = at.dataframe[0].value
    assert list(coefficients.index) == ["const", "realgdp(t-1)", "realcons(t-1)", "realgdp(t-2)", "realcons(t-2)",
                                        "realgdp(t-3)", "realcons(t-3)"]  # fmt: skip
    assert list(coefficients.columns) == ["coefficient", "std. error", "t-statistic", "p-value"]
    assert [d.label for d in at.download_button] == ["Download the coefficients (CSV)"]
    open_panel(at, "Stationarity")
    stationarity = at.dataframe[0].value
    assert list(stationarity["used"]) == ["logdiff", "logdiff"]
    assert list(stationarity["suggested"]) == ["logdiff", "logdiff"]
    assert charts(at) == 0
    open_panel(at, "Diagnostics")
    assert charts(at) == 3  # inverse roots, residuals, ACF
    assert "Portmanteau lag choice: h = max(10, p + 5) capped at T/4 = 10" in page_text(at)
    open_panel(at, "Causality")
    assert charts(at) == 1  # Granger heatmap
    assert "Granger causality: F test" in page_text(at)
    open_panel(at, "Impulse responses")
    button(at, "Compute impulse responses and FEVD").click().run()
    assert_no_exception(at)
    assert charts(at) == 2  # impulse responses, FEVD
    assert [m.value for m in at.multiselect] == [["realgdp", "realcons"], ["realgdp", "realcons"]]  # small: all
    open_panel(at, "Backtest")
    next(b for b in at.form_submit_button if b.label == "Run backtest").click().run()
    assert_no_exception(at)
    assert charts(at) == 1  # errors by horizon
    assert [d.label for d in at.download_button] == ["Download backtest errors (CSV)"]
    assert list(at.dataframe[0].value.columns) == ["RMSE realcons", "RMSE realgdp", "MAE realcons", "MAE realgdp"]
    open_panel(at, "Baselines")
    baselines = next(df.value for df in at.dataframe if "model" in getattr(df.value, "columns", []))
    assert set(baselines["model"]) == {"VAR", "random walk", "AR(3) per series"}
    open_panel(at, "Impulse responses")  # computed once, kept: shown again without a click
    assert charts(at) == 2
    at.run()  # a rerun serves everything from the caches
    assert_no_exception(at)
    assert charts(at) == 2
    return at


def test_every_panel_for_the_current_fit(store_url) -> None:
    at = train_and_fit(AppTest.from_file(APP, default_timeout=TIMEOUT))
    at.switch_page("pages/analyze.py").run()
    # Issue 13: it said "The refit reproduces the stored parameters" of a fit that was never stored.
    assert (
        next(i.value for i in at.info) == "Analyzing the current fit, VAR(3) on realgdp, realcons, not published yet."
    )
    assert "stored parameters" not in page_text(at)
    run_every_panel(at)


def test_every_panel_for_a_stored_version(store_url) -> None:
    at = train_and_fit(AppTest.from_file(APP, default_timeout=TIMEOUT))
    publish(at)
    at.switch_page("pages/analyze.py").run()
    at.radio[0].set_value("Stored version").run()
    assert next(s.value for s in at.success).startswith("Analyzing var 0.0.1, VAR(3) on realgdp, realcons.")
    run_every_panel(at)


def test_a_version_whose_refit_disagrees_is_reported(store_url) -> None:
    at = train_and_fit(AppTest.from_file(APP, default_timeout=TIMEOUT))
    publish(at)
    store = open_store(store_url)
    prefix = "var/0_0_1/"
    document = json.loads(store.read(prefix + "model.json").data)
    document["model"]["coefs"][0][1][0] += 0.05  # parameters no longer from the data, checksums rewritten to match
    objects = {f: store.read(prefix + f).data for f in ("train.csv", "test.csv")} | {"model.json": to_json(document)}
    store.write(prefix + "model.json", objects["model.json"])
    store.write(prefix + "manifest.json", to_json(manifest_document(objects, "var", Version(0, 0, 1), "x")))
    at.switch_page("pages/analyze.py").run()
    at.radio[0].set_value("Stored version").run()
    assert_no_exception(at)
    assert not at.success
    message = shown(at.main.error[0].value)
    assert message.startswith("var 0.0.1, VAR(3) on realgdp, realcons: The refit from the stored training data does "
                              "NOT reproduce the stored parameters (largest difference 0.05")  # fmt: skip


def test_compare_versions(store_url) -> None:
    at = train_and_fit(AppTest.from_file(APP, default_timeout=TIMEOUT))
    publish(at)
    at.switch_page("pages/train.py").run()
    at.radio[1].set_value("fixed p").run()
    next(n for n in at.number_input if n.label == "Lag order p").set_value(1).run()
    button(at, "Fit VAR").click().run()
    publish(at, version="0.0.2")
    at.switch_page("pages/compare.py").run()
    assert_no_exception(at)
    assert at.multiselect[0].value == ["0.0.2", "0.0.1"]
    assert charts(at) == 1
    # Issue 13: the table cut its row labels ("RMSE realgd", "Theil's U rea") and hid the metrics below the fold.
    accuracy, table = (t.value for t in at.table)  # static tables: labels in full, wrapped, never cut
    assert list(accuracy.index) == ["RMSE realgdp", "RMSE realcons", "Theil's U realgdp", "Theil's U realcons"]
    assert list(table.columns) == ["0.0.2", "0.0.1"]
    assert table.loc["lag order p", "0.0.2"] == "1" and table.loc["lag order p", "0.0.1"] == "3"
    assert table.loc["p chosen", "0.0.2"] == "fixed" and table.loc["p chosen", "0.0.1"] == "by AIC"
    assert list(table.index[:3]) == ["lag order p", "p chosen", "stability"]
    styles = at.table[1].proto.arrow_data.styler.styles
    assert "#fff3cd" in styles and "#c8e6c9" in at.table[0].proto.arrow_data.styler.styles  # differences, best
    at.multiselect[0].set_value(["0.0.1"]).run()
    assert "Pick at least two versions to compare." in page_text(at)


def test_only_the_open_panel_is_computed(store_url, monkeypatch, macrodata) -> None:
    """Issue 13: st.tabs ran every panel's body on every rerun (Analyze's first view spent a quarter of its time on
    the stationarity tests of a tab not shown), and every figure was rebuilt on each rerun."""
    from varlib import ModelRegistry, TrainSpec, analysis, plots, train

    ModelRegistry(open_store(store_url)).publish(
        train(macrodata, TrainSpec.build(["realgdp", "realcons"], "logdiff", lags=2)), "gdp", "1.0.0"
    )
    calls: dict[str, int] = {}

    def counted(module, name: str) -> None:
        original = getattr(module, name)

        def wrapper(*args, **kwargs):
            calls[name] = calls.get(name, 0) + 1
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    for name in ("version_estimation", "stationarity_tests", "diagnostics", "causality", "impulse_responses",
                 "backtest", "baseline_forecasts"):  # fmt: skip
        counted(analysis, name)
    for name in ("plot_residuals", "plot_pvalue_heatmap"):
        counted(plots, name)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).switch_page("pages/analyze.py").run()
    assert_no_exception(at)
    assert at.radio[0].value == "Stored version"  # no current fit: the stored one, without a click
    assert calls == {"version_estimation": 1}  # the first panel's
    open_panel(at, "Stationarity")
    assert calls == {"version_estimation": 1, "stationarity_tests": 1}
    open_panel(at, "Diagnostics")
    assert calls == {"version_estimation": 1, "stationarity_tests": 1, "diagnostics": 1, "plot_residuals": 1}
    at.run()
    open_panel(at, "Causality")
    open_panel(at, "Diagnostics")  # back: served from memory, figures too
    open_panel(at, "Estimation")
    assert calls == {"version_estimation": 1, "stationarity_tests": 1, "diagnostics": 1, "plot_residuals": 1,
                     "causality": 1, "plot_pvalue_heatmap": 1}  # fmt: skip
    open_panel(at, "Impulse responses")
    open_panel(at, "Backtest")
    assert "impulse_responses" not in calls and "backtest" not in calls  # each waits for its button
    open_panel(at, "Baselines")
    assert calls["baseline_forecasts"] == 1


def test_a_large_model_draws_the_picked_shocks_and_responses(store_url, macrodata) -> None:
    """Issue 13: with 8 variables the impulse-response grid was 64 tiny panels."""
    from varlib import ModelRegistry, TrainSpec, train

    eight = ["realgdp", "realcons", "realinv", "realgovt", "realdpi", "cpi", "m1", "tbilrate"]
    transforms = dict.fromkeys(eight, "logdiff") | {"tbilrate": "diff"}
    ModelRegistry(open_store(store_url)).publish(
        train(macrodata, TrainSpec.build(eight, transforms, lags=2, test_size=8)), "macro8", "1.0.0"
    )
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).switch_page("pages/analyze.py").run()
    open_panel(at, "Impulse responses")
    button(at, "Compute impulse responses and FEVD").click().run()
    assert_no_exception(at)
    shocks, responses = at.multiselect
    assert shocks.value == ["realgdp"] and responses.value == eight
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    titles = [a["text"] for a in figure["layout"]["annotations"]]
    assert len(titles) == 8 and titles[-1] == "tbilrate ← shock to realgdp"
    shocks.set_value(["tbilrate", "m1"]).run()
    responses.set_value(["realgdp"]).run()
    assert_no_exception(at)
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [a["text"] for a in figure["layout"]["annotations"]] == ["realgdp ← shock to tbilrate",
                                                                    "realgdp ← shock to m1"]  # fmt: skip
