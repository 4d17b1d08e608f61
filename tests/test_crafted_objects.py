"""Crafted or odd stored objects are integrity errors, refused within a second and bounded memory; never a crash.

An attacker with write access to the bucket (but, with signing, not the key) writes documents whose checksums
agree with a manifest they also wrote: only the shape and size checks stand between them and the process.
"""

from __future__ import annotations

import json
import time
import tracemalloc

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from varlib import Dataset, InvalidInput, ModelRegistry, TrainSpec, VarModel, train
from varlib.api import create_app
from varlib.artifact import manifest_document, sign_document, to_json
from varlib.cli import main
from varlib.errors import IntegrityError
from varlib.limits import Limits
from varlib.naming import Version

PREFIX = "var/0_0_1/"
KEY = b"team-signing-key-7fQ2"


def plant_model(store, document_bytes: bytes, signing_key: bytes | None = None) -> None:
    """Replace model.json and write a manifest whose checksums agree with it."""
    objects = {f: store.read(PREFIX + f).data for f in ("train.csv", "test.csv")} | {"model.json": document_bytes}
    manifest = manifest_document(objects, "var", Version(0, 0, 1), "2026-01-01T00:00:00Z", sequence=1)
    if signing_key is not None:
        manifest = sign_document(manifest, signing_key)
    store.write(PREFIX + "model.json", document_bytes)
    store.write(PREFIX + "manifest.json", to_json(manifest))


def stored_document(store) -> dict:
    return json.loads(store.read(PREFIX + "model.json").data)


def crafted(store, case: str) -> bytes:
    document = stored_document(store)
    params = document["model"]
    if case == "no variables, lag order 10^9":
        document["variables"], document["transforms"], document["test"]["metrics"] = [], {}, {}
        params.update(lag_order=10**9, coefs=[], sigma_u=[], last_observations=[], last_levels=[],
                      trend_coefs=[[]])  # fmt: skip
    elif case == "lag order 200,000":
        params["lag_order"] = 200_000
    elif case == "1,500 variables":
        document["variables"] = [f"v{i}" for i in range(1500)]
    elif case == "deep nesting":
        return b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    elif case == "huge integer":
        return json.dumps(document).replace('"lag_order": 3', '"lag_order": ' + "9" * 20_000).encode()
    elif case == "integer too large for a float":
        params["coefs"][0][0][0] = 10**400
    elif case == "NaN":
        return json.dumps(document).replace('"lag_order": 3', '"lag_order": NaN').encode()
    elif case == "lag order as text":
        params["lag_order"] = "3"
    elif case == "metadata of the wrong shape":
        document["lag_selection"]["table"] = "everything"
    elif case == "a float lag order":
        params["lag_order"] = 3.5
    return json.dumps(document).encode()


CASES = [
    ("no variables, lag order 10^9", r"field variables must name distinct variables"),
    ("lag order 200,000", r"field model.lag_order is 200000, outside 0 to 48"),
    ("1,500 variables", r"field variables has 1,500 entries, more than 100"),
    ("deep nesting", r"is not valid JSON"),
    ("huge integer", r"is not valid JSON"),
    ("integer too large for a float", r"field model.coefs does not have shape \(3, 2, 2\) of finite numbers"),
    ("NaN", r"is not valid JSON"),
    ("lag order as text", r"field model.lag_order is not a whole number"),
    ("metadata of the wrong shape", r"field lag_selection.table is not a list"),
    ("a float lag order", r"field model.lag_order is not a whole number"),
]


@pytest.mark.parametrize(("case", "message"), CASES, ids=[c for c, _ in CASES])
def test_a_crafted_model_is_an_integrity_error_within_a_second(registry, gdp_cons_result, case, message) -> None:
    registry.publish(gdp_cons_result, "var", "0.0.1")
    plant_model(registry.store, crafted(registry.store, case))
    fresh = ModelRegistry(registry.store)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(IntegrityError, match=r"^var/0_0_1/model.json(: | )" + ".*" + message):
            fresh.load("var", "0.0.1")
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 1.0 and peak < 50 * 2**20, (elapsed, peak)


def test_crafted_models_are_409_from_the_service_and_exit_5_from_the_cli(registry, gdp_cons_result, monkeypatch,
                                                                         capsys, store_url_and_settings) -> None:  # fmt: skip
    registry.publish(gdp_cons_result, "var", "0.0.1")
    plant_model(registry.store, crafted(registry.store, "no variables, lag order 10^9"))
    client = TestClient(create_app(ModelRegistry(registry.store)), raise_server_exceptions=False)
    started = time.perf_counter()
    response = client.get("/models/var/versions/0.0.1/forecast", params={"steps": 1000})
    assert response.status_code == 409 and response.json()["error"] == "integrity_error"
    assert time.perf_counter() - started < 1.0
    url, settings = store_url_and_settings
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    assert main(["--store", url, "forecast", "var", "0.0.1", "--steps", "1000"]) == 5
    assert capsys.readouterr().err.count("\n") == 1


def test_an_oversized_model_is_refused_before_it_is_read_whole(registry, gdp_cons_result) -> None:
    registry.publish(gdp_cons_result, "var", "0.0.1")
    document = stored_document(registry.store)
    document["note"] = "x" * (24 * 2**20)  # 24 MiB: past the 16 MiB a model.json may have
    plant_model(registry.store, json.dumps(document).encode())
    tracemalloc.start()
    try:
        with pytest.raises(IntegrityError, match=r"manifest.json has no valid sha256 and size \(at most 16,777,216"):
            ModelRegistry(registry.store).load("var", "0.0.1")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20  # refused from the manifest's size: the 24 MiB object was never read


def test_an_oversized_object_is_refused_while_reading(registry, gdp_cons_result) -> None:
    registry.publish(gdp_cons_result, "var", "0.0.1")
    registry.store.write(PREFIX + "model.json", b" " * (2 * 2**20))  # the manifest still says a few kB
    small = ModelRegistry(registry.store, limits=Limits(max_model_bytes=2**20))
    with pytest.raises(IntegrityError, match=r"^var/0_0_1/model.json is (2,097,152 bytes, more|larger) "
                                             r"than the 1,048,576 bytes allowed for it"):  # fmt: skip
        small.load("var", "0.0.1")


def test_an_oversized_unsigned_manifest_is_refused_before_parsing_with_signing_on(registry, gdp_cons_result) -> None:
    ModelRegistry(registry.store, KEY).publish(gdp_cons_result, "var", "0.0.1")
    registry.store.write(PREFIX + "manifest.json", b'{"pad": "' + b"x" * (8 * 2**20) + b'"}')
    tracemalloc.start()
    try:
        with pytest.raises(IntegrityError, match=r"^var/0_0_1/manifest.json is .* more than the 65,536 bytes allowed"):
            ModelRegistry(registry.store, KEY).load("var", "0.0.1")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20


def test_a_non_ascii_signature_is_an_integrity_error(registry, gdp_cons_result) -> None:
    ModelRegistry(registry.store, KEY).publish(gdp_cons_result, "var", "0.0.1")
    manifest = json.loads(registry.store.read(PREFIX + "manifest.json").data)
    manifest["signature"]["value"] = "é" * 64
    registry.store.write(PREFIX + "manifest.json", json.dumps(manifest).encode())
    with pytest.raises(IntegrityError, match=r"has a signature that does not match"):
        ModelRegistry(registry.store, KEY).load("var", "0.0.1")


@pytest.mark.parametrize(
    ("entry_key", "entry_change", "message"),
    [
        ("../../etc", {}, r"field versions\['../../etc'\].version does not hold a valid version matching its key"),
        ("0.0.1", {"lag_order": "three"}, r"field versions\['0.0.1'\].lag_order is not a whole number"),
        ("0.0.1", {"variables": {"a": 1}}, r"field versions\['0.0.1'\].variables is not a list"),
        ("0.0.1", {"test_rmse": {"realgdp": "low"}}, r"field versions\['0.0.1'\].test_rmse is not a number per"),
    ],
)
def test_bad_index_entries_are_integrity_errors_not_the_callers_fault(
    registry, gdp_cons_result, entry_key, entry_change, message
) -> None:
    registry.publish(gdp_cons_result, "var", "0.0.1")
    index = json.loads(registry.store.read("var/index.json").data)
    entry = index["versions"].pop("0.0.1") | entry_change
    index["versions"][entry_key] = entry
    registry.store.write("var/index.json", json.dumps(index).encode())
    with pytest.raises(IntegrityError, match=r"^var/index.json: " + message):
        registry.list_versions("var")
    client = TestClient(create_app(registry), raise_server_exceptions=False)
    response = client.get("/models/var/versions")
    assert response.status_code == 409 and response.json()["error"] == "integrity_error", response.text
    for pinned_or_pointer in ("0.0.1", "latest"):  # neither needs the index: latest has its own pointer
        assert client.get(f"/models/var/versions/{pinned_or_pointer}/forecast?steps=2").status_code == 200


def test_a_forecast_beyond_the_limit_is_422_naming_it(registry, gdp_cons_result) -> None:
    registry.publish(gdp_cons_result, "var", "0.0.1")
    limited = ModelRegistry(registry.store, limits=Limits(max_forecast_cells=1000))
    client = TestClient(create_app(limited), raise_server_exceptions=False)
    started = time.perf_counter()
    response = client.get("/models/var/versions/0.0.1/forecast", params={"steps": 251})
    assert time.perf_counter() - started < 1.0
    assert response.status_code == 422 and response.json() == {
        "error": "invalid_input",
        "message": "A forecast of 251 steps for 2 variables is beyond the limit of 1,000 steps × "
        "variables² (VARLIB_MAX_FORECAST_CELLS); ask for at most 250 steps.",
    }
    assert client.get("/models/var/versions/0.0.1/forecast", params={"steps": 250}).status_code == 200


def test_training_refuses_what_a_load_would_refuse() -> None:
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(rng.normal(size=(260, 101)).cumsum(axis=0), columns=[f"x{i}" for i in range(101)],
                         index=pd.date_range("1960-01-01", periods=260, freq="MS", name="date"))  # fmt: skip
    spec = TrainSpec.build(list(frame.columns), "diff", test_size=6, max_lags=1)
    with pytest.raises(InvalidInput) as info:
        train(Dataset(frame, "MS", "wide.csv"), spec)
    assert str(info.value) == "wide.csv: 101 variables, more than the 100 allowed (VARLIB_MAX_VARIABLES)."


def test_a_forecast_at_the_limit_keeps_memory_bounded() -> None:
    """100 variables, 1,000 steps: the red team's 7.9 GB came from steps × K² arrays; only steps × K is kept now."""
    k, steps = 100, 1000
    rng = np.random.default_rng(6)
    model = VarModel(variables=[f"x{i}" for i in range(k)], transforms=["diff"] * k, trend="c",
                     coefs=rng.normal(scale=0.05, size=(1, k, k)), trend_coefs=np.zeros((1, k)), sigma_u=np.eye(k),
                     n_totobs=200, last_observations=np.zeros((1, k)), last_levels=np.full(k, 100.0),
                     last_date=pd.Timestamp("2020-01-01"), freq="QS-JAN")  # fmt: skip
    tracemalloc.start()
    started = time.perf_counter()
    try:
        forecast = model.forecast(steps)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(forecast.point) == steps and peak < 50 * 2**20, peak
    assert time.perf_counter() - started < 30
