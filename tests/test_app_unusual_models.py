"""Issue 13: every page renders, without an exception, for the models that break assumptions: a VAR(0) (no lags:
no companion matrix, no Granger test with content), an 8-variable VAR(6), and a model with only a SNAPSHOT (no
release: no `latest`)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.test_app_analysis import open_panel
from tests.test_app_pages import APP, TIMEOUT, assert_no_exception, clean_environment  # noqa: F401
from ui import session
from varlib import ModelRegistry, TrainSpec, open_store, train

EIGHT = ["realgdp", "realcons", "realinv", "realgovt", "realdpi", "cpi", "m1", "tbilrate"]
MODELS = {
    "p0": (["realgdp", "realcons"], "logdiff", {"lags": 0}, ["1.0.0"]),
    "eight": (EIGHT, dict.fromkeys(EIGHT, "logdiff") | {"tbilrate": "diff"}, {"lags": 6}, ["1.0.0", "1.1.0"]),
    "snapshots": (["realgdp", "realinv"], "logdiff", {"lags": 2}, ["0.1.0-SNAPSHOT"]),
}
PANELS = ["Estimation", "Stationarity", "Diagnostics", "Causality", "Impulse responses", "Backtest", "Baselines"]


@pytest.fixture(scope="module")
def results(macrodata):
    return {name: train(macrodata, TrainSpec.build(variables, transforms, **options))
            for name, (variables, transforms, options, _) in MODELS.items()}  # fmt: skip


@pytest.mark.parametrize("kind", list(MODELS))
def test_every_page_renders_for_an_unusual_model(kind, results, tmp_path, monkeypatch) -> None:
    store = f"file://{tmp_path / 'store'}"
    monkeypatch.setenv("VARLIB_STORE", store)
    registry = ModelRegistry(open_store(store))
    versions = MODELS[kind][3]
    for version in versions:
        registry.publish(results[kind], kind, version)
    chosen = versions[-1]
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[session.FORECAST_MODEL] = kind
    at.session_state[session.FORECAST_VERSION] = chosen
    for page in ("forecast", "refresh", "compare", "registry", "publish", "train"):
        at.switch_page(f"pages/{page}.py").run()
        assert_no_exception(at)
    at.switch_page("pages/forecast.py").run()
    assert at.selectbox(key="forecast_version_input").value == chosen
    if kind == "snapshots":
        assert "latest" not in at.selectbox(key="forecast_version_input").options  # no release to stand for
    at.switch_page("pages/analyze.py").run()
    assert_no_exception(at)
    for panel in PANELS:
        open_panel(at, panel)
        for label in ("Compute impulse responses and FEVD",):
            for found in [b for b in at.button if b.label == label]:
                found.click().run()
                assert_no_exception(at)
        for found in [b for b in at.form_submit_button if b.label == "Run backtest"]:
            found.click().run()
            assert_no_exception(at)
        assert at.tabs and [t.label for t in at.tabs if t.children] == [panel]
    at.switch_page("pages/compare.py").run()
    assert_no_exception(at)
    if len(versions) > 1:
        accuracy = at.table[0].value
        assert len(accuracy) == 2 * len(MODELS[kind][0])  # RMSE and Theil's U of every variable
        assert accuracy.index[-1] == f"Theil's U {MODELS[kind][0][-1]}"
    else:
        assert any("Pick at least two versions" in i.value for i in at.info)


def test_one_failing_analysis_leaves_the_others_working(results, tmp_path, monkeypatch) -> None:
    """Issue 14: one analysis that raised broke the whole page ("Cannot test Granger Causality in a model with 0
    lags"); now each tab is guarded on its own."""
    from varlib import analysis

    store = f"file://{tmp_path / 'store'}"
    monkeypatch.setenv("VARLIB_STORE", store)
    ModelRegistry(open_store(store)).publish(results["snapshots"], "gdp", "1.0.0")

    def fails(_fit):
        raise RuntimeError("Cannot test Granger Causality in a model with 0 lags.")

    monkeypatch.setattr(analysis, "causality", fails)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).switch_page("pages/analyze.py").run()
    open_panel(at, "Causality")
    assert [e.value for e in at.error] == [
        "The causality analysis could not be computed for gdp 1.0.0, VAR(2) on realgdp, realinv: Cannot test "
        "Granger Causality in a model with 0 lags\\."
    ]
    open_panel(at, "Diagnostics")
    assert not at.error and "Residual tests" in [s.value for s in at.subheader]
