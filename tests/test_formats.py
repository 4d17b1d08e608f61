"""Issue 13: p-values as statisticians print them (KPSS's table bounds, no 0.0000000000000000004)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.test_app_analysis import open_panel
from tests.test_app_pages import APP, TIMEOUT, assert_no_exception, clean_environment, train_and_fit  # noqa: F401
from varlib import analysis
from varlib.formats import KPSS_TABLE, format_pvalue, format_statistic, stationarity_table


@pytest.mark.parametrize(
    ("p", "table", "shown"),
    [
        (0.0423, None, "0.042"),
        (4e-19, None, "< 0.001"),
        (0.001, None, "0.001"),
        (0.9999, None, "1.000"),
        (math.nan, None, "–"),
        (0.01, KPSS_TABLE, "< 0.01"),  # statsmodels clips KPSS: the true p-value is smaller
        (0.1, KPSS_TABLE, "> 0.1"),  # ... or greater
        (0.0467, KPSS_TABLE, "0.047"),
    ],
)
def test_pvalues_are_printed_as_statisticians_do(p, table, shown) -> None:
    assert format_pvalue(p, table) == shown


def test_statistics_have_a_few_figures_and_no_si_prefixes() -> None:
    assert [format_statistic(v) for v in (-3.21456, 1234567.0, 0.0, 2.5e-7)] == [
        "-3.215",
        "1.235e+06",
        "0",
        "2.500e-07",
    ]


def test_the_stationarity_table_reads_in_words(macrodata) -> None:
    tests = analysis.stationarity_tests(macrodata.frame[["realgdp", "infl"]].iloc[:-12])
    table = stationarity_table(tests)
    assert list(table.columns) == ["variable", "transform", "ADF statistic", "ADF p-value", "ADF lags",
                                   "KPSS statistic", "KPSS p-value", "KPSS lags", "verdict"]  # fmt: skip
    clipped = tests["kpss_pvalue"] <= KPSS_TABLE[0]
    assert clipped.any() and set(table.loc[clipped, "KPSS p-value"]) == {"< 0.01"}


def test_the_analyze_page_prints_tiny_pvalues_bounded(tmp_path, monkeypatch) -> None:
    """Issue 13: instantaneous-causality p-values printed as 0.0000000000000000004."""
    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    at = train_and_fit(AppTest.from_file(APP, default_timeout=TIMEOUT))
    at.switch_page("pages/analyze.py").run()
    assert_no_exception(at)
    open_panel(at, "Stationarity")
    tests = next(d.value for d in at.dataframe if "KPSS p-value" in d.value.columns)
    assert isinstance(tests, pd.DataFrame) and not tests["KPSS p-value"].str.fullmatch(r"0\.0100*|0\.1000*").any()
    open_panel(at, "Causality")
    instantaneous = next(d.value for d in at.dataframe if list(d.value.columns) == ["p-value", "at 5%"])
    assert set(instantaneous["p-value"]) == {"< 0.001"} and set(instantaneous["at 5%"]) == {"rejected"}


def test_the_train_page_shows_the_test_statistics_in_words(tmp_path, monkeypatch) -> None:
    """Issue 13: the stationarity popover was 300 px wide with snake_case headers."""
    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not any("KPSS p-value" in d.value.columns for d in at.dataframe)  # shown on request
    at.session_state["train_stationarity_open"] = True  # opening the stationarity box
    at.run()
    next(t for t in at.toggle if t.label == "Show the test statistics").set_value(True).run()
    assert_no_exception(at)
    table = next(d.value for d in at.dataframe if "KPSS p-value" in d.value.columns)
    assert "adf_pvalue" not in table.columns and set(table["variable"]) == {"realgdp", "realcons"}
