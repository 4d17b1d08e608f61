"""The issue's 'done when', end to end: the analyst's commands in real processes, then the same numbers from the
REST service and the Forecast page."""

from __future__ import annotations

import numpy as np
import pandas as pd
from fastapi.testclient import TestClient
from statsmodels.tsa.api import VAR
from streamlit.testing.v1 import AppTest

from tests.test_app_pages import APP, TIMEOUT, assert_no_exception, clean_environment  # noqa: F401 - autouse
from tests.test_cli import run_cli
from varlib import ModelRegistry, load_macrodata, open_store
from varlib.api import create_app

TRAIN = [
    "train", "--dataset", "macrodata", "--columns", "realgdp,realcons", "--transform", "logdiff",
    "--test-size", "12", "--max-lags", "12", "--ic", "aic", "--publish", "gdp", "1.0.0",
]  # fmt: skip


def test_train_alias_and_forecast_ahead_agree_everywhere_with_statsmodels(tmp_path, monkeypatch) -> None:
    store = f"file://{tmp_path / 'store'}"
    env = {"VARLIB_STORE": store}
    for command in (TRAIN, ["alias", "set", "gdp", "production", "1.0.0"],
                    ["forecast", "gdp", "@production", "--steps", "4", "--csv", "f.csv"]):  # fmt: skip
        done = run_cli(command, env, tmp_path)
        assert done.returncode == 0, done.stderr
    written = pd.read_csv(tmp_path / "f.csv")
    assert list(written["date"]) == ["2009-10-01", "2010-01-01", "2010-04-01", "2010-07-01"]  # 2009Q4-2010Q3

    levels = load_macrodata().frame[["realgdp", "realcons"]].to_numpy()
    transformed = np.diff(np.log(levels), axis=0)
    assert len(transformed) == 202
    reference = VAR(transformed).fit(3, trend="c")  # the stored p, chosen by AIC on the training rows
    expected = np.exp(np.log(levels[-1]) + np.cumsum(reference.forecast(transformed[-3:], 4), axis=0))
    np.testing.assert_allclose(written[["realgdp", "realcons"]].to_numpy(), expected, rtol=1e-12)
    assert (written["realcons_lower"] < written["realcons"]).all()
    assert (written["realcons"] < written["realcons_upper"]).all()

    served = TestClient(create_app(ModelRegistry(open_store(store)))).get(
        "/models/gdp/versions/@production/forecast?steps=4"
    )
    assert served.status_code == 200
    assert [row["realgdp"]["point"] for row in served.json()["forecast"]] == list(written["realgdp"])
    assert [row["realcons"]["upper"] for row in served.json()["forecast"]] == list(written["realcons_upper"])

    monkeypatch.setenv("VARLIB_STORE", store)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("pages/forecast.py").run()
    at.selectbox[1].set_value("@production").run()
    at.number_input[0].set_value(4).run()
    assert_no_exception(at)
    shown = at.dataframe[0].value
    assert list(shown.index) == list(written["date"])
    assert list(shown[("realgdp", "forecast")]) == list(written["realgdp"])
    assert list(shown[("realcons", "lower")]) == list(written["realcons_lower"])
