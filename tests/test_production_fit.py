"""Two fits per version: the evaluation fit (training rows) and the production fit (every row), and forecast origins.

The production fit must be statsmodels' VAR on all transformed rows with the stored p and trend; `origin=data`
forecasts start one period after the last data row; `origin=train` is what every version forecast before.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from statsmodels.tsa.api import VAR

from varlib import IntegrityError, InvalidInput, ModelRegistry, TrainSpec, load_macrodata, open_store, train
from varlib.api import create_app
from varlib.artifact import MODEL_FILE, sha256_hex
from varlib.cli import main

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TRAIN = [
    "train", "--dataset", "macrodata", "--columns", "realgdp,realcons", "--transform", "logdiff",
    "--test-size", "12", "--max-lags", "12", "--ic", "aic",
]  # fmt: skip


def statsmodels_on_all_rows(columns: list[str], p: int, trend: str):
    """statsmodels' VAR on every log-differenced row of the built-in data (202 of them), and the last levels."""
    levels = load_macrodata().frame[columns]
    transformed = np.diff(np.log(levels.to_numpy()), axis=0)
    return VAR(transformed).fit(p, trend=trend), transformed, levels


def levels_ahead(results, transformed: np.ndarray, last_levels: np.ndarray, steps: int) -> np.ndarray:
    ahead = results.forecast(transformed[-results.k_ar :], steps)
    return np.exp(np.log(last_levels) + np.cumsum(ahead, axis=0))


@pytest.mark.parametrize("trend", ["c", "ct", "n"])
def test_production_fit_is_statsmodels_on_every_transformed_row(trend) -> None:
    spec = TrainSpec.build(["realgdp", "realcons", "realinv"], "logdiff", test_size=12, lags=2, trend=trend)
    result = train(load_macrodata(), spec)
    reference, transformed, levels = statsmodels_on_all_rows(["realgdp", "realcons", "realinv"], 2, trend)
    assert len(transformed) == 202 and result.production.n_totobs == 202
    production = result.production
    np.testing.assert_allclose(production.coefs, reference.coefs, rtol=0, atol=1e-10)
    if trend != "n":
        np.testing.assert_allclose(production.trend_coefs, reference.coefs_exog.T, rtol=0, atol=1e-10)
    np.testing.assert_allclose(production.sigma_u, reference.sigma_u, rtol=0, atol=1e-10)
    np.testing.assert_allclose(production.transformed_forecast(8), reference.forecast(transformed[-2:], 8),
                               rtol=0, atol=1e-10)  # fmt: skip
    # The evaluation fit is unchanged: the training rows only.
    train_only = VAR(np.diff(np.log(levels.to_numpy()[:-12]), axis=0)).fit(2, trend=trend)
    np.testing.assert_allclose(result.model.coefs, train_only.coefs, rtol=0, atol=1e-10)
    assert result.production_nobs == reference.nobs


def test_data_origin_forecasts_start_after_the_last_row_and_survive_storage(registry, gdp_cons_result) -> None:
    registry.publish(gdp_cons_result, "gdp", "1.0.0")
    loaded = registry.load("gdp", "1.0.0")
    assert not loaded.evaluation_only and loaded.metadata["format_version"] == 2
    reference, transformed, levels = statsmodels_on_all_rows(["realgdp", "realcons"], 3, "c")
    ahead = loaded.forecast(4)
    assert ahead.origin == "data"
    assert [d.strftime("%Y-%m-%d") for d in ahead.point.index] == ["2009-10-01", "2010-01-01", "2010-04-01",
                                                                    "2010-07-01"]  # fmt: skip
    expected = levels_ahead(reference, transformed, levels.to_numpy()[-1], 4)
    np.testing.assert_allclose(ahead.point.to_numpy(), expected, rtol=1e-12)
    # The stored production fit forecasts exactly as the one in memory, intervals included.
    in_memory = gdp_cons_result.production.forecast(4, 0.1)
    stored = loaded.forecast(4, 0.1, origin="data")
    for part in ("point", "lower", "upper"):
        np.testing.assert_allclose(getattr(stored, part), getattr(in_memory, part), rtol=0, atol=1e-10)
    sample = loaded.metadata["production"]["sample"]
    assert sample == {"start": "1959-01-01", "end": "2009-07-01", "rows": 203}
    assert registry.list_versions("gdp")[0].production is True


def test_train_origin_is_unchanged_from_before_production_fits(registry, gdp_cons_result) -> None:
    """The train-origin CSV of a new version has exactly the old CSV's columns and numbers, then origin and level."""
    registry.publish(gdp_cons_result, "gdp", "1.0.0")
    new = pd.read_csv(pd.io.common.StringIO(registry.load("gdp", "1.0.0").forecast_csv(8, origin="train")))
    old = pd.read_csv(FIXTURES / "format1-forecast-8.csv")
    assert list(new.columns) == [*old.columns, "origin", "interval_level"]
    pd.testing.assert_frame_equal(new[old.columns], old, rtol=1e-12)


@pytest.fixture
def legacy_registry(tmp_path) -> ModelRegistry:
    """A store holding a version written by varlib before production fits (model.json format 1)."""
    shutil.copytree(FIXTURES / "format1-store", tmp_path / "store")
    return ModelRegistry(open_store(f"file://{tmp_path / 'store'}"))


def test_a_version_stored_in_format_1_loads_and_forecasts_unchanged(legacy_registry) -> None:
    loaded = legacy_registry.load("legacy", "1.0.0")
    assert loaded.metadata["format_version"] == 1 and loaded.evaluation_only
    csv_text = loaded.forecast_csv(8)  # the default origin falls back to its only fit
    old = (FIXTURES / "format1-forecast-8.csv").read_text().splitlines()
    new = csv_text.splitlines()
    # The same header, dates and numbers, then origin and interval level. Numbers to the last bit or two: einsum's
    # sums round differently on different CPUs (seen: one ulp in a bound, on an AMD EPYC), as stored data never do.
    rows = [line.rsplit(",", 2)[0].split(",") for line in new]
    before = [line.split(",") for line in old]
    assert rows[0] == before[0] and [r[0] for r in rows] == [r[0] for r in before]
    np.testing.assert_allclose(np.array([r[1:] for r in rows[1:]], dtype=float),
                               np.array([r[1:] for r in before[1:]], dtype=float), rtol=1e-14, atol=0)  # fmt: skip
    assert new[1].endswith(",train,95.0")
    assert legacy_registry.list_versions("legacy")[0].production is False
    with pytest.raises(InvalidInput) as info:
        loaded.forecast(4, origin="data")
    assert str(info.value) == (
        "legacy 1.0.0 was stored before versions had a production fit, so it can only forecast from the end of its "
        "training data (2006-07-01): use origin train."
    )


def test_format_1_through_the_cli_and_the_service(legacy_registry, tmp_path, capsys) -> None:
    store = ["--store", legacy_registry.store.location.replace("local store ", "file://")]
    assert main([*store, "forecast", "legacy", "latest", "--steps", "2", "--json"]) == 0
    captured = capsys.readouterr()
    body = json.loads(captured.out)
    assert body["origin"] == "train" and body["evaluation_only"] is True
    assert "has the evaluation fit only" in captured.err
    assert main([*store, "forecast", "legacy", "latest", "--steps", "2", "--origin", "data"]) == 2
    assert "use origin train" in capsys.readouterr().err
    client = TestClient(create_app(legacy_registry))
    response = client.get("/models/legacy/versions/1.0.0/forecast?steps=2&origin=data")
    assert response.status_code == 422 and "use origin train" in response.json()["message"]
    served = client.get("/models/legacy/versions/1.0.0/forecast?steps=2").json()
    assert served["origin"] == "train" and served["evaluation_only"] is True
    assert served["forecast"][0]["date"] == "2006-10-01"


def test_the_production_fit_is_covered_by_the_checksum_and_checked_field_by_field(registry, gdp_cons_result) -> None:
    receipt = registry.publish(gdp_cons_result, "gdp", "1.0.0")
    model_key = next(k for k in receipt.keys if k.endswith(MODEL_FILE))
    document = json.loads(registry.store.read(model_key).data)
    document["production"]["coefs"][0][0][0] += 0.5
    registry.store.delete(model_key)
    registry.store.write(model_key, json.dumps(document).encode())
    with pytest.raises(IntegrityError, match="fails its checksum"):
        registry.load("gdp", "1.0.0")

    # A model.json whose checksum matches but whose production fit has the wrong shape is refused by name.
    del document["production"]["coefs"][0]
    data = json.dumps(document).encode()
    manifest_key = receipt.keys[-1]
    manifest = json.loads(registry.store.read(manifest_key).data)
    manifest["objects"][MODEL_FILE].update(sha256=sha256_hex(data), size=len(data))
    for key, content in ((model_key, data), (manifest_key, json.dumps(manifest).encode())):
        registry.store.delete(key)
        registry.store.write(key, content)
    with pytest.raises(IntegrityError, match=r"production\.coefs does not have shape \(3, 2, 2\)"):
        registry.load("gdp", "1.0.0")


def test_done_when_the_cli_and_the_service_forecast_ahead_from_the_data(tmp_path, capsys) -> None:
    store = f"file://{tmp_path / 'store'}"
    assert main(["--store", store, *TRAIN, "--publish", "gdp", "1.0.0"]) == 0
    assert "forecasts ahead start 2009-10-01" in capsys.readouterr().out
    csv_path = tmp_path / "f.csv"
    assert main(["--store", store, "forecast", "gdp", "1.0.0", "--steps", "4", "--csv", str(csv_path)]) == 0
    assert "from the end of the data (first step 2009-10-01), 95% intervals" in capsys.readouterr().out
    written = pd.read_csv(csv_path)
    assert list(written["date"]) == ["2009-10-01", "2010-01-01", "2010-04-01", "2010-07-01"]
    assert set(written["origin"]) == {"data"} and set(written["interval_level"]) == {95}
    reference, transformed, levels = statsmodels_on_all_rows(["realgdp", "realcons"], 3, "c")
    expected = levels_ahead(reference, transformed, levels.to_numpy()[-1], 4)
    np.testing.assert_allclose(written[["realgdp", "realcons"]].to_numpy(), expected, rtol=1e-12)
    assert (written["realgdp_lower"] < written["realgdp"]).all() and (
        written["realgdp"] < written["realgdp_upper"]
    ).all()

    client = TestClient(create_app(ModelRegistry(open_store(store))))
    served = client.get("/models/gdp/versions/1.0.0/forecast?steps=4").json()
    assert served["origin"] == "data" and served["interval_level"] == 95
    assert [row["realgdp"]["point"] for row in served["forecast"]] == list(written["realgdp"])
    as_csv = client.get("/models/gdp/versions/1.0.0/forecast?steps=4", headers={"Accept": "text/csv"})
    assert as_csv.text == csv_path.read_text()
    assert 'filename="gdp-1.0.0-forecast-from-data-95pct.csv"' in as_csv.headers["content-disposition"]
    bad = client.get("/models/gdp/versions/1.0.0/forecast?steps=4&origin=tomorrow")
    assert bad.status_code == 422 and bad.json()["message"].startswith("Invalid request parameters: origin:")
