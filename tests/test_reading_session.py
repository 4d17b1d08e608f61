"""Issue 12: the Train page keeps the data source, the uploaded file and the reading options across page switches,
and a lag table or fit is never shown under data other than its own."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.test_app_pages import APP, TIMEOUT, assert_no_exception, clean_environment, page_text, shown  # noqa: F401

DATA = Path(__file__).parent / "data"
UPLOAD = "Upload a file (CSV or Excel)"
PRICES = ("nyse.tsv", (DATA / "nyse_business_days.tsv").read_bytes(), "text/tab-separated-values")


def uploaded_prices(tmp_path, monkeypatch) -> AppTest:
    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.radio[0].set_value(UPLOAD).run()
    at.file_uploader[0].set_value(PRICES).run()
    at.selectbox(key="train_gaps").set_value("carry-forward").run()
    assert_no_exception(at)
    return at


def test_upload_other_page_and_back_keeps_data_options_and_results(tmp_path, monkeypatch) -> None:
    """Issue 12: the uploaded file was lost when the analyst switched pages and came back to Train."""
    at = uploaded_prices(tmp_path, monkeypatch)
    at.text_input(key="train_start").set_value("2018-02-01").run()
    at.number_input[1].set_value(4).run()  # max lags
    at.form_submit_button[0].click().run()
    assert_no_exception(at)
    criteria = [d.value for d in at.dataframe]
    at.switch_page("pages/forecast.py").run()
    at.switch_page("pages/train.py").run()
    assert_no_exception(at)
    assert at.radio[0].value == UPLOAD
    assert at.selectbox(key="train_gaps").value == "carry-forward"
    assert at.text_input(key="train_start").value == "2018-02-01"
    assert "Using nyse.tsv (" in shown(at.caption[0].value)
    assert "Frequency: business days; 238 rows, 2018-02-01 to 2018-12-31." in shown(at.caption[1].value)
    assert at.multiselect[0].value == ["GOOG", "MSFT"]
    assert "3. Fit" in [h.value for h in at.header]  # the lag table of these data is still shown
    assert [d.value.to_dict() for d in at.dataframe][-1] == criteria[-1].to_dict()
    next(b for b in at.button if b.label == "Fit VAR").click().run()  # the next click still has the file
    assert_no_exception(at)
    assert "4. Result" in [h.value for h in at.header] and not at.error


def test_results_of_one_dataset_never_appear_under_another(tmp_path, monkeypatch) -> None:
    """Issue 12: the lag table and fit of the uploaded data were shown under the built-in data, and "Fit VAR"
    failed with "no variable 'GOOG'"."""
    at = uploaded_prices(tmp_path, monkeypatch)
    at.number_input[1].set_value(4).run()  # max lags
    at.form_submit_button[0].click().run()
    next(b for b in at.button if b.label == "Fit VAR").click().run()
    assert_no_exception(at)
    assert "4. Result" in [h.value for h in at.header]
    at.radio[0].set_value("Built-in macrodata (US, quarterly)").run()
    assert_no_exception(at)
    headers = [h.value for h in at.header]
    assert "3. Fit" not in headers and "4. Result" not in headers
    assert not any(b.label == "Fit VAR" for b in at.button)
    assert any("computed on other data; they were cleared" in i.value for i in at.info)
    assert not at.error
    at.radio[0].set_value(UPLOAD).run()  # back to the file: its results were cleared too, not mixed up
    assert "3. Fit" not in [h.value for h in at.header] and not at.error


def test_an_option_that_changes_the_data_clears_the_results(tmp_path, monkeypatch) -> None:
    at = uploaded_prices(tmp_path, monkeypatch)
    at.form_submit_button[0].click().run()
    assert "3. Fit" in [h.value for h in at.header]
    at.selectbox(key="train_gaps").set_value("interpolate").run()
    assert "3. Fit" not in [h.value for h in at.header]


def test_a_file_removed_from_the_uploader_is_forgotten(tmp_path, monkeypatch) -> None:
    at = uploaded_prices(tmp_path, monkeypatch)
    at.file_uploader[0].set_value(None).run()
    assert_no_exception(at)
    assert any("Upload a CSV or Excel file to continue" in i.value for i in at.info)


def test_a_file_that_needs_a_choice_shows_what_was_read_and_the_choice(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.radio[0].set_value(UPLOAD).run()
    at.file_uploader[0].set_value(PRICES).run()
    assert_no_exception(at)
    assert "Frequency: business days; 251 rows" in shown(at.caption[0].value)
    assert [shown(e.value) for e in at.error] == [
        "CSV nyse.tsv: the dates in column 'Date' are business days, with 9 missing from the calendar, the first "
        "2018-01-15 (between lines 10 and 11); choose carry forward or interpolate in the Calendar gaps field, or a "
        "frequency in the Aggregate to field."
    ]


def test_the_built_in_variables_have_descriptions_and_units(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not any("description" in d.value.columns for d in at.dataframe)  # a closed box draws nothing
    at.session_state["reading_variables_open"] = True  # the click that opens "Variables (12)"
    at.run()
    variables = next(d.value for d in at.dataframe if "description" in d.value.columns).set_index("variable")
    assert variables.loc["realgdp", "description"] == "Real gross domestic product"
    assert variables.loc["realgdp", "unit"] == "billions of chained 2005 US$, seasonally adjusted annual rate"
    assert variables.loc["unemp", "unit"] == "%, seasonally adjusted"
    assert "Frequency: quarterly; 203 rows, 1959Q1 to 2009Q3." in shown(at.caption[0].value)


def test_the_refresh_page_keeps_its_file_and_options_and_aggregates_a_monthly_workbook(tmp_path, monkeypatch) -> None:
    """The Refresh page shares the data-source panel: a monthly Excel export, aggregated to the model's quarters,
    survives a page switch."""
    from tests.test_reading_corpus import parent_and_monthly_workbook

    store, path = parent_and_monthly_workbook(tmp_path)
    monkeypatch.setenv("VARLIB_STORE", store)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("pages/refresh.py").run()
    at.radio[0].set_value(UPLOAD).run()
    at.file_uploader[0].set_value(("monthly.xlsx", path.read_bytes(), xlsx)).run()
    at.selectbox(key="refresh_aggregate").set_value("quarterly").run()
    at.switch_page("pages/registry.py").run()
    at.switch_page("pages/refresh.py").run()
    assert_no_exception(at)
    assert at.selectbox(key="refresh_aggregate").value == "quarterly"
    assert any("Using monthly.xlsx (" in shown(c.value) for c in at.caption)
    next(b for b in at.button if b.label == "Refresh").click().run()
    assert_no_exception(at)
    assert not at.error and [m.value for m in at.metric][:2] == ["4", "2009-07-01"]
