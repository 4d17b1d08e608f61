"""Nothing from data or storage is rendered as markup: notes, column names and stored fields are shown as text on
the pages and in charts, and CSV outputs neutralise spreadsheet formulas (OWASP's rule)."""

from __future__ import annotations

import csv
import io
import json
import re

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.test_app_pages import APP, TIMEOUT, assert_no_exception, clean_environment, downloads, shown  # noqa: F401
from tests.test_app_pages import raw_page_text as page_text
from varlib import ModelRegistry, TrainSpec, open_store, read_csv, train
from varlib.analysis import Backtest
from varlib.model import spreadsheet_safe

PIXEL = "![pixel](http://tracker.example/p.png)"
FILE_NAME = "![pixel](tracker.example?p=png)"  # a file name holds no '/': stored sources keep only the last part
PHISH = "[reset your password](http://phish.example/login)"
LINKED = '<a href="http://phish.example">gdp</a>'
FORMULA = "=cmd|' /C calc'!A0"


def hostile_result():
    rng = np.random.default_rng(3)
    index = pd.date_range("1990-01-01", periods=80, freq="QS")
    a = 100 + np.cumsum(rng.normal(size=80))
    b = 50 + 0.3 * a + rng.normal(size=80)
    header = f'date,"{LINKED.replace(chr(34), chr(34) * 2)}","{FORMULA}"'
    rows = "".join(f"{d.date()},{float(x)!r},{float(y)!r}\n" for d, x, y in zip(index, a, b, strict=True))
    dataset = read_csv((header + "\n" + rows).encode(), name=f"{FILE_NAME}.csv")
    return train(dataset, TrainSpec.build(list(dataset.frame.columns), "diff", test_size=8, max_lags=4))


def test_markup_in_notes_names_and_sources_is_shown_as_text(tmp_path, monkeypatch, downloads) -> None:  # noqa: F811
    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    registry = ModelRegistry(open_store(f"file://{tmp_path / 'store'}"))
    result = hostile_result()
    registry.publish(result, "var", "0.0.1", note=f"{PIXEL} {PHISH} <img src=x onerror=alert(1)> :red[alarm]")

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/forecast.py").run()
    assert_no_exception(at)
    text = page_text(at)
    assert "tracker\\.example" in text and "phish\\.example" in text  # the note and the source are on the page ...
    for active in (r"!\[", r"\]\(", r"<a ", r"<img", r":red\["):
        assert not re.search(r"(?<!\\)" + active, text), active  # ... and not one piece of them is markup
    charts = [chart.proto.spec for chart in at.get("plotly_chart")]
    assert charts and all("<a href" not in spec and "&lt;a href" in spec for spec in charts)

    csv_files = [data for data, mime, _ in downloads if mime == "text/csv"]
    header = next(csv.reader(io.StringIO(csv_files[-1].decode())))
    assert header[1] == LINKED and all(not cell.startswith(("=", "+", "-", "@")) for cell in header)
    assert "'" + FORMULA in csv_files[-1].decode()


def test_registry_page_and_errors_show_stored_text_as_text(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    registry = ModelRegistry(open_store(f"file://{tmp_path / 'store'}"))
    registry.publish(hostile_result(), "var", "0.0.1", note=PHISH)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/registry.py").run()
    assert_no_exception(at)
    assert not re.search(r"(?<!\\)\]\(", page_text(at)) and "tracker\\.example" in page_text(at)


def test_cli_and_service_csv_neutralise_formulas(tmp_path, capsys) -> None:
    registry = ModelRegistry(open_store(f"file://{tmp_path / 'store'}"))
    registry.publish(hostile_result(), "var", "0.0.1")
    rows = list(csv.reader(io.StringIO(registry.load("var", "0.0.1").forecast_csv(3))))
    assert rows[0][:3] == ["date", LINKED, f"{LINKED}_lower"] and "'" + FORMULA in rows[0]
    assert all(not cell.startswith(("=", "@", "+")) for row in rows for cell in row)


def test_spreadsheet_safe_follows_owasp() -> None:
    for dangerous in ("=1+1", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert spreadsheet_safe(dangerous) == "'" + dangerous
    assert spreadsheet_safe("gdp") == "gdp"
    errors = pd.DataFrame({"origin": ["2000-01-01"], "horizon": [1], "variable": [FORMULA], "forecast": [1.0],
                           "actual": [1.0], "error": [0.0]})  # fmt: skip
    backtest = Backtest(errors=errors, by_horizon=pd.DataFrame(), origins=1, horizon=1, reselect=False)
    assert backtest.to_csv().splitlines()[1] == f"2000-01-01,1,'{FORMULA},1.0,1.0,0.0"


def test_forecast_page_keeps_the_horizon_within_the_limit_and_shows_an_overflow_as_a_message(
    tmp_path, monkeypatch, gdp_cons_result
) -> None:
    from tests.test_crafted_objects import plant_model, stored_document

    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    registry = ModelRegistry(open_store(f"file://{tmp_path / 'store'}"))
    registry.publish(gdp_cons_result, "var", "0.0.1")
    monkeypatch.setenv("VARLIB_MAX_FORECAST_CELLS", "20")  # 2 variables: at most 5 steps
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/forecast.py").run()
    assert_no_exception(at)
    assert at.number_input[0].max == 5 and at.number_input[0].value == 5

    monkeypatch.delenv("VARLIB_MAX_FORECAST_CELLS")
    document = stored_document(registry.store)
    document["model"]["coefs"] = [[[10.0, 0.0], [0.0, 10.0]], *document["model"]["coefs"][1:]]  # explosive
    plant_model(registry.store, json.dumps(document).encode())
    st.cache_data.clear()  # the app keeps a release it has loaded: this one was changed behind its back
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/forecast.py").run()
    at.number_input[0].set_value(400).run()
    assert_no_exception(at)
    assert [shown(e.value) for e in at.error][-1].startswith("The forecast overflows at step ")
