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
    assert "Stationary: ADF rejects a unit root and KPSS does not reject stationarity" in page_text(at)
    verdicts = at.dataframe[2].value  # after the variables and the preview tables
    assert list(verdicts.index) == ["realgdp", "realcons"]
    assert verdicts.loc["realgdp", "none"] == "non-stationary" and verdicts.loc["realgdp", "suggested"] == "logdiff"
    at.selectbox(key="transform_realgdp").set_value("none").run()
    button(at, "Use the suggested transforms").click().run()
    assert at.selectbox(key="transform_realgdp").value == "logdiff"


def run_every_panel(at: AppTest) -> AppTest:
    assert_no_exception(at)
    stationarity = at.dataframe[0].value
    assert list(stationarity["used"]) == ["logdiff", "logdiff"]
    assert list(stationarity["suggested"]) == ["logdiff", "logdiff"]
    assert charts(at) == 4  # inverse roots, residuals, ACF, Granger heatmap
    text = page_text(at)
    assert "Portmanteau lag choice: h = max(10, p + 5) capped at T/4 = 10" in text
    assert "Granger causality: F test" in text
    button(at, "Compute impulse responses and FEVD").click().run()
    assert_no_exception(at)
    assert charts(at) == 6  # + impulse responses, FEVD
    next(b for b in at.form_submit_button if b.label == "Run backtest").click().run()
    assert_no_exception(at)
    assert charts(at) == 7  # + errors by horizon
    assert [d.label for d in at.download_button] == ["Download backtest errors (CSV)"]
    baselines = next(df.value for df in at.dataframe if "model" in getattr(df.value, "columns", []))
    assert set(baselines["model"]) == {"VAR", "random walk", "AR(3) per series"}
    at.run()  # a rerun serves everything from the caches
    assert_no_exception(at)
    assert charts(at) == 7
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
    table = at.dataframe[0].value
    assert list(table.columns) == ["0.0.2", "0.0.1"]
    assert table.loc["lag order p", "0.0.2"] == "1" and table.loc["lag order p", "0.0.1"] == "3"
    assert table.loc["p chosen", "0.0.2"] == "fixed" and table.loc["p chosen", "0.0.1"] == "by AIC"
    at.multiselect[0].set_value(["0.0.1"]).run()
    assert "Pick at least two versions to compare." in page_text(at)
