"""Issue 13, first steps: what the pages show reads like a report (labels, not deltas; no columns of zeros)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.test_app_pages import APP, TIMEOUT, assert_no_exception, clean_environment  # noqa: F401


def fitted_train_page(tmp_path, monkeypatch) -> AppTest:
    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.form_submit_button[0].click().run()
    next(b for b in at.button if b.label == "Fit VAR").click().run()
    assert_no_exception(at)
    return at


def test_the_lag_order_is_labelled_not_shown_as_a_change(tmp_path, monkeypatch) -> None:
    """Issue 13: the lag-order metric showed a green "↑ by AIC" delta arrow."""
    at = fitted_train_page(tmp_path, monkeypatch)
    lag_order = at.metric[0]
    assert (lag_order.label, lag_order.value) == ("Lag order p", "3")
    from streamlit.proto.Metric_pb2 import Metric

    assert lag_order.proto.delta == "chosen by AIC"
    assert lag_order.proto.direction == Metric.MetricDirection.NONE  # no arrow
    assert lag_order.proto.color == Metric.MetricColor.GRAY  # not green


def test_metrics_tables_have_no_column_of_zeros(tmp_path, monkeypatch) -> None:
    """Issue 13: "MAPE zeros skipped" was a column of zeros in every metrics table."""
    at = fitted_train_page(tmp_path, monkeypatch)
    metrics = next(d.value for d in at.dataframe if "RMSE" in d.value.columns)
    assert list(metrics.columns) == ["RMSE", "MAE", "MAPE %", "Theil's U"]
    assert list(metrics.index) == ["realgdp", "realcons"]


def test_metadata_reads_in_words_in_the_cli(tmp_path, capsys) -> None:
    """Issue 13: metadata read "chosen aic", "lag order 1 by fixed", "stable: True"."""
    from varlib.cli import main

    store = ["--store", f"file://{tmp_path / 'store'}"]
    assert main([*store, "train", "--dataset", "macrodata", "--columns", "realgdp,realcons", "--transform", "logdiff",
                 "--lags", "2", "--publish", "gdp", "1.0.0"]) == 0  # fmt: skip
    capsys.readouterr()
    assert main([*store, "show", "gdp", "1.0.0"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "lag order 2 fixed, deterministic terms: constant" in out
    assert "evaluation fit stable" in out and not any("True" in line for line in out)


def test_the_cli_takes_store_after_the_subcommand_and_its_help_shows_defaults(tmp_path, capsys) -> None:
    """Issue 13: the CLI rejected --store after the subcommand although the README shows it there, and subcommand
    --help had no descriptions or defaults."""
    import pytest

    from varlib.cli import main

    store = f"file://{tmp_path / 'store'}"
    assert main(["train", "--dataset", "macrodata", "--columns", "realgdp,realcons", "--transform", "logdiff",
                 "--lags", "2", "--publish", "gdp", "1.0.0", "--store", store]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["list", "--store", store]) == 0 and capsys.readouterr().out.strip() == "gdp"
    assert main(["--store", store, "list"]) == 0 and capsys.readouterr().out.strip() == "gdp"
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "Select the lag order, fit a VAR, score it, optionally publish it." in text
    for shown in (
        "--test-size TEST_SIZE rows at the end held out for testing (default: 12)",
        "--max-lags MAX_LAGS largest lag order considered (default: 12)",
        "--aggregate-by {mean,last,sum} how to aggregate (default: mean)",
        "--store STORE store URL",
    ):
        assert shown in text, shown  # fmt: skip


def test_analyze_and_compare_start_from_the_version_chosen_on_forecast(tmp_path, monkeypatch) -> None:
    """Issue 13: Analyze and Compare did not preselect the model and version chosen on Forecast, labelled versions
    barely ("1.0.0"), and Compare defaulted to a SNAPSHOT."""
    from varlib import ModelRegistry, TrainSpec, load_macrodata, open_store, train

    store = f"file://{tmp_path / 'store'}"
    monkeypatch.setenv("VARLIB_STORE", store)
    registry = ModelRegistry(open_store(store))
    data = load_macrodata()
    for version, lags in (("1.0.0", 1), ("1.1.0", 2), ("1.2.0-SNAPSHOT", 3)):
        registry.publish(train(data, TrainSpec.build(["realgdp", "realcons"], "logdiff", lags=lags)), "gdp", version)
    registry.publish(train(data, TrainSpec.build(["realinv", "realcons"], "logdiff", lags=1)), "inv", "0.1.0")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("pages/forecast.py").run()
    at.selectbox(key="forecast_model_input").set_value("gdp").run()
    at.selectbox(key="forecast_version_input").set_value("1.0.0").run()
    at.switch_page("pages/analyze.py").run()
    at.radio[0].set_value("Stored version").run()
    assert_no_exception(at)
    assert at.selectbox(key="analyze_model_input").value == "gdp"
    picker = at.selectbox(key="analyze_version_input")
    assert picker.value == "1.0.0"
    assert picker.format_func("1.0.0").startswith("1.0.0 · ") and " · p=1 · test RMSE " in picker.format_func("1.0.0")
    at.switch_page("pages/compare.py").run()
    assert_no_exception(at)
    assert at.selectbox(key="compare_model_input").value == "gdp"
    assert at.multiselect[0].value == ["1.0.0", "1.1.0"]  # the chosen one, then a release, not the SNAPSHOT
    at.switch_page("pages/refresh.py").run()
    assert_no_exception(at)
    assert at.selectbox(key="refresh_model_input").value == "gdp"
    assert at.selectbox(key="refresh_version_input").value == "1.0.0"


def test_the_registry_shows_what_matters_first_and_keeps_its_labels_in_view(tmp_path, monkeypatch) -> None:
    """Issue 13: the Registry hid test RMSE, data ranges, stability and the note off-screen to the right."""
    import json

    from varlib import ModelRegistry, TrainSpec, load_macrodata, open_store, train

    store = f"file://{tmp_path / 'store'}"
    monkeypatch.setenv("VARLIB_STORE", store)
    result = train(load_macrodata(), TrainSpec.build(["realgdp", "realcons"], "logdiff", lags=2))
    ModelRegistry(open_store(store)).publish(result, "gdp", "1.0.0", note="first round")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).switch_page("pages/registry.py").run()
    assert_no_exception(at)
    table = at.dataframe[0]
    columns = list(table.value.columns)
    assert columns[:10] == ["model", "version", "status", "aliases", "test RMSE", "p", "stability", "note",
                            "training data", "test data"]  # fmt: skip
    row = table.value.iloc[0]
    assert row["stability"] == "stable" and row["note"] == "first round"  # words, not True
    assert row["training data"] == "1959-01-01 to 2006-07-01" and row["created"][10] == " "
    config = json.loads(table.proto.columns)
    assert config["model"]["pinned"] and config["version"]["pinned"]  # in view while the table scrolls sideways


def test_registry_changes_are_confirmed_after_the_page_reruns(tmp_path, monkeypatch) -> None:
    """Issue 13: deleting a SNAPSHOT gave no confirmation (a success shown before st.rerun() vanished unseen)."""
    from tests.test_app_pages import button, publish, train_and_fit

    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    at = train_and_fit(AppTest.from_file(APP, default_timeout=TIMEOUT))
    publish(at, version="1.0.0")
    publish(at, version="1.1.0-SNAPSHOT")
    at.switch_page("pages/registry.py").run()
    at.selectbox[1].set_value("1.1.0-SNAPSHOT").run()
    next(box for box in at.checkbox if box.label.startswith("Yes, delete SNAPSHOT")).check().run()
    button(at, "Delete SNAPSHOT").click().run()
    assert_no_exception(at)
    assert [s.value for s in at.success] == ["Deleted var 1.1.0-SNAPSHOT."]
    at.selectbox[1].set_value("1.0.0").run()
    assert not at.success  # shown once
    next(b for b in at.button if b.label == "Set alias").click().run()
    assert [s.value for s in at.success] == ["@production now points at 1.0.0."]


def test_the_rest_docs_show_a_real_body_for_every_status(tmp_path) -> None:
    """Issue 13: every error example said not_found, and the 200 example was additionalProp1."""
    from varlib import ModelRegistry, open_store
    from varlib.api import ERROR_STATUS, create_app

    schema = create_app(ModelRegistry(open_store(f"file://{tmp_path / 'store'}"))).openapi()
    responses = schema["paths"]["/models/{name}/versions/{version}/forecast"]["get"]["responses"]
    codes = {status: code for status, code in ERROR_STATUS.values() if code != "version_exists"}
    for status, code in codes.items():
        example = responses[str(status)]["content"]["application/json"]["example"]
        assert example["error"] == code and example["message"].endswith(".")
    example = schema["components"]["schemas"]["ForecastResponse"]["examples"][0]
    assert example["forecast"][0]["date"] == "2009-10-01" and set(example["forecast"][0]["realgdp"]) == {
        "point", "lower", "upper"}  # fmt: skip
    assert "additionalProp1" not in str(schema)


def test_the_notes_of_a_reading_share_one_box(tmp_path, monkeypatch) -> None:
    """Issue 13: each note of a reading was its own info box, a stack that read like a stack of warnings."""
    from pathlib import Path

    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    bls = Path(__file__).parent / "data" / "bls_monthly.csv"
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.radio[0].set_value("Upload a file (CSV or Excel)").run()
    at.file_uploader[0].set_value(("bls.csv", bls.read_bytes(), "text/csv")).run()
    assert_no_exception(at)
    notes = [i.value for i in at.info if "skipped" in i.value or "combined" in i.value]
    assert len(notes) == 1
    assert notes[0].startswith("Notes:\n- the header is on line 7")
    assert notes[0].count("\n- ") == 4


def test_publish_and_registry_say_the_deterministic_terms_in_words(tmp_path, monkeypatch) -> None:
    """Issue 13 (as "chosen aic", "stable: True"): the Publish page said "trend c", the Registry "trend c" and
    "(aic)"."""
    from tests.test_app_pages import publish

    at = fitted_train_page(tmp_path, monkeypatch)
    at.switch_page("pages/publish.py").run()
    text = " ".join(m.value for m in at.markdown)
    assert "realgdp (logdiff), realcons (logdiff); deterministic terms: constant;" in text
    assert "trend c" not in text
    publish(at, version="1.0.0")
    at.switch_page("pages/registry.py").run()
    captions = " ".join(c.value for c in at.caption)
    assert "deterministic terms: constant; p = 3, by AIC." in captions
