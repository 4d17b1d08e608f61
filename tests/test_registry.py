"""Publishing and loading versions, on every backend (file:// and a real S3 server)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from varlib import TrainSpec, train
from varlib.errors import IntegrityError, InvalidInput, NotFound, VersionExists
from varlib.naming import Version
from varlib.registry import LOCK_FILE, ModelRegistry
from varlib.store import ModelStore, open_store

FILES = ("model.json", "train.csv", "test.csv", "manifest.json")


def snapshot_of(store: ModelStore) -> dict[str, bytes]:
    return {key: store.read(key).data for key in store.list_keys("")}


def test_publish_writes_the_four_objects_under_the_version_folder(registry, gdp_cons_result) -> None:
    receipt = registry.publish(gdp_cons_result, "var", "0.0.1", note="first")
    assert receipt.keys == [f"var/0_0_1/{f}" for f in FILES]
    assert set(registry.store.list_keys("var/0_0_1/")) == {f"var/0_0_1/{f}" for f in FILES}
    assert receipt.index_updated


def test_loaded_version_forecasts_like_statsmodels_in_memory(registry, gdp_cons_result) -> None:
    registry.publish(gdp_cons_result, "var", "0.0.1")
    loaded = registry.load("var", "0.0.1")
    sm = gdp_cons_result.statsmodels_results
    expected = sm.forecast(sm.endog[-sm.k_ar :], 20)  # statsmodels' own forecast, transformed scale
    np.testing.assert_allclose(loaded.model.transformed_forecast(20), expected, rtol=0, atol=1e-10)
    # ... and in levels: undo logdiff by hand from the last training level.
    last = gdp_cons_result.train_levels.iloc[-1].to_numpy()
    expected_levels = np.exp(np.log(last) + np.cumsum(expected, axis=0))
    np.testing.assert_allclose(loaded.forecast(20, origin="train").point.to_numpy(), expected_levels, rtol=1e-12)
    original = gdp_cons_result.model.forecast(20, 0.1)
    reloaded = loaded.forecast(20, 0.1, origin="train")
    for part in ("point", "lower", "upper"):
        np.testing.assert_allclose(getattr(reloaded, part), getattr(original, part), rtol=0, atol=1e-10)


def test_loaded_version_keeps_data_and_metadata(registry, gdp_cons_result) -> None:
    registry.publish(gdp_cons_result, "var", "0.0.1", note="baseline")
    loaded = registry.load("var", "0.0.1")
    pd.testing.assert_frame_equal(loaded.train_levels, gdp_cons_result.train_levels, check_freq=True)
    pd.testing.assert_frame_equal(loaded.test_levels, gdp_cons_result.test_levels, check_freq=True)
    meta = loaded.metadata
    assert meta["note"] == "baseline"
    assert meta["model"]["lag_order"] == 3
    assert meta["lag_selection"]["selected"] == {"aic": 3, "bic": 1, "hqic": 2, "fpe": 3}
    assert meta["data"]["train"] == {"start": "1959-01-01", "end": "2006-07-01", "rows": 191}
    assert meta["data"]["test"] == {"start": "2006-10-01", "end": "2009-07-01", "rows": 12}
    assert set(meta["packages"]) >= {"statsmodels", "pandas", "numpy", "python", "varlib"}
    assert "pickle" not in json.dumps(meta)


def test_existing_release_is_refused_and_nothing_changes(registry, gdp_cons_result, macrodata) -> None:
    registry.publish(gdp_cons_result, "var", "0.0.1")
    before = snapshot_of(registry.store)
    other = train(macrodata, TrainSpec.build(["realgdp", "realinv"], "logdiff", lags=1))
    with pytest.raises(VersionExists) as info:
        registry.publish(other, "var", "0.0.1")
    assert str(info.value) == (
        f"Version 0.0.1 of model 'var' already exists in the {registry.store.location}; "
        "releases are immutable, so publish a new version (or a -SNAPSHOT)."
    )
    assert snapshot_of(registry.store) == before


def test_snapshot_can_be_republished(registry, gdp_cons_result, macrodata) -> None:
    registry.publish(gdp_cons_result, "var", "0.1.0-SNAPSHOT")
    other = train(macrodata, TrainSpec.build(["realgdp", "realinv"], "logdiff", lags=1))
    registry.publish(other, "var", "0.1.0-SNAPSHOT")
    loaded = registry.load("var", "0.1.0-SNAPSHOT")
    assert loaded.model.variables == ["realgdp", "realinv"]
    assert [v.version for v in registry.list_versions("var")] == ["0.1.0-SNAPSHOT"]
    assert registry.store.etag(f"var/0_1_0-SNAPSHOT/{LOCK_FILE}") is None


def test_latest_is_the_highest_release_and_listing_is_newest_first(registry, gdp_cons_result) -> None:
    for version in ("0.0.2", "0.0.10", "0.0.1", "0.1.0-SNAPSHOT", "0.0.9"):
        registry.publish(gdp_cons_result, "var", version)
    listed = registry.list_versions("var")
    assert [v.version for v in listed] == ["0.1.0-SNAPSHOT", "0.0.10", "0.0.9", "0.0.2", "0.0.1"]
    assert registry.resolve("var", "latest") == Version.parse("0.0.10")
    assert registry.load("var", "latest").version == Version(0, 0, 10)
    assert registry.next_version("var") == Version(0, 0, 11)
    entry = listed[1]
    assert entry.lag_order == 3 and entry.variables == ["realgdp", "realcons"]
    assert entry.test_rmse["realgdp"] == pytest.approx(gdp_cons_result.metrics["realgdp"].rmse)
    assert entry.created.endswith("Z")
    assert registry.list_models() == ["var"]


def test_latest_without_releases_is_not_found(registry, gdp_cons_result) -> None:
    with pytest.raises(NotFound, match=r"Model 'nothing' has no release version in the"):
        registry.load("nothing", "latest")
    registry.publish(gdp_cons_result, "var", "0.1.0-SNAPSHOT")
    with pytest.raises(NotFound, match=r"Model 'var' has no release version"):
        registry.resolve("var", "latest")


def test_unknown_version_is_not_found(registry, gdp_cons_result) -> None:
    registry.publish(gdp_cons_result, "var", "0.0.1")
    with pytest.raises(NotFound, match=r"Version 0.0.2 of model 'var' does not exist in the (local|S3) store"):
        registry.load("var", "0.0.2")


@pytest.mark.parametrize("file", ["model.json", "train.csv", "test.csv"])
def test_a_changed_byte_fails_the_load_naming_the_object(registry, gdp_cons_result, file) -> None:
    registry.publish(gdp_cons_result, "var", "0.0.1")
    key = f"var/0_0_1/{file}"
    data = bytearray(registry.store.read(key).data)
    data[len(data) // 2] ^= 0x01
    registry.store.write(key, bytes(data))
    with pytest.raises(IntegrityError) as info:
        registry.load("var", "0.0.1")
    assert str(info.value) == (
        f"{key} fails its checksum (sha256 in the manifest does not match): "
        "it is corrupted or was changed after publishing."
    )


def test_a_tampered_manifest_is_refused(registry, gdp_cons_result) -> None:
    registry.publish(gdp_cons_result, "var", "0.0.1")
    registry.store.write("var/0_0_1/manifest.json", b"{not json")
    with pytest.raises(IntegrityError, match=r"var/0_0_1/manifest.json is not valid JSON"):
        registry.load("var", "0.0.1")


def test_a_missing_object_is_named(registry, gdp_cons_result) -> None:
    registry.publish(gdp_cons_result, "var", "0.0.1")
    registry.store.delete("var/0_0_1/test.csv")
    with pytest.raises(IntegrityError, match=r"var/0_0_1/test.csv is listed in the manifest but missing"):
        registry.load("var", "0.0.1")


def test_interrupted_publish_is_invisible_and_can_be_redone(registry, gdp_cons_result) -> None:
    # A publisher that died after two objects: no manifest, its lock left behind by a dead process.
    registry.store.write("var/0_0_1/model.json", b"partial")
    registry.store.write("var/0_0_1/train.csv", b"partial")
    dead_lock = {"host": __import__("socket").gethostname(), "pid": 2**22 + 7, "id": "x", "started": 0}
    registry.store.write(f"var/0_0_1/{LOCK_FILE}", json.dumps(dead_lock).encode())
    assert registry.list_versions("var") == []
    with pytest.raises(NotFound):
        registry.load("var", "0.0.1")
    registry.publish(gdp_cons_result, "var", "0.0.1")
    assert registry.load("var", "0.0.1").model.lag_order == 3
    assert [v.version for v in registry.list_versions("var")] == ["0.0.1"]


def test_a_live_publish_lock_refuses_a_second_publisher(registry, gdp_cons_result) -> None:
    import os
    import socket
    import time

    lock = {"host": socket.gethostname(), "pid": os.getpid(), "id": "other", "started": time.time()}
    registry.store.write(f"var/0_0_1/{LOCK_FILE}", json.dumps(lock).encode())
    with pytest.raises(VersionExists, match="is being published by another process right now"):
        registry.publish(gdp_cons_result, "var", "0.0.1")
    assert registry.store.etag("var/0_0_1/model.json") is None


def test_lost_index_update_is_repaired_from_manifests(registry, gdp_cons_result) -> None:
    registry.publish(gdp_cons_result, "var", "0.0.1")
    registry.publish(gdp_cons_result, "var", "0.0.2")
    index = json.loads(registry.store.read("var/index.json").data)
    del index["versions"]["0.0.2"]  # as if the publisher died before updating the index
    registry.store.write("var/index.json", json.dumps(index).encode())
    assert [v.version for v in registry.list_versions("var")] == ["0.0.1"]
    repaired = registry.rebuild_index("var")
    assert [v.version for v in repaired.versions] == ["0.0.2", "0.0.1"] and repaired.skipped == []
    assert [v.version for v in registry.list_versions("var")] == ["0.0.2", "0.0.1"]


def test_missing_index_falls_back_to_manifests_without_writing(registry, gdp_cons_result) -> None:
    registry.publish(gdp_cons_result, "var", "0.0.1")
    registry.store.delete("var/index.json")
    assert [v.version for v in registry.list_versions("var")] == ["0.0.1"]
    assert registry.store.etag("var/index.json") is None


def test_listing_reads_only_the_index(registry, gdp_cons_result) -> None:
    registry.publish(gdp_cons_result, "var", "0.0.1")
    # Break every version's objects but the index: listing still answers, from the index alone.
    for key in registry.store.list_keys("var/0_0_1/"):
        registry.store.delete(key)
    assert [v.version for v in registry.list_versions("var")] == ["0.0.1"]


def test_delete_snapshot_but_not_release(registry, gdp_cons_result) -> None:
    registry.publish(gdp_cons_result, "var", "0.0.1")
    registry.publish(gdp_cons_result, "var", "0.0.2-SNAPSHOT")
    registry.delete_snapshot("var", "0.0.2-SNAPSHOT")
    assert [v.version for v in registry.list_versions("var")] == ["0.0.1"]
    assert registry.store.list_keys("var/0_0_2-SNAPSHOT/") == []
    with pytest.raises(InvalidInput, match=r"0\.0\.1 of model .var. is a release; releases cannot be deleted\."):
        registry.delete_snapshot("var", "0.0.1")
    assert registry.load("var", "0.0.1")


BAD_NAMES = ["", "Var", "a/b", "..", "../x", "a b", "ѵar", "x" * 65, "var\n", "var.1"]
BAD_VERSIONS = ["", "1", "1.0", "1.0.0.0", "../1.0.0", "01.0.0", "1.0.0-snapshot", "1.0.0 ", "１.0.0", "1_0_0"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_invalid_model_names_are_rejected_before_any_request(name, gdp_cons_result) -> None:
    # This store points at a port nobody listens on: any request would raise StoreError instead.
    unreachable = ModelRegistry(open_store("s3://models", {"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}))
    with pytest.raises(InvalidInput, match=r"Invalid model name .*: use 1-64 lowercase letters, digits, '-' or '_'\."):
        unreachable.publish(gdp_cons_result, name, "0.0.1")
    with pytest.raises(InvalidInput):
        unreachable.load(name, "0.0.1")


@pytest.mark.parametrize("version", BAD_VERSIONS)
def test_invalid_versions_are_rejected_before_any_request(version, gdp_cons_result) -> None:
    unreachable = ModelRegistry(open_store("s3://models", {"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}))
    with pytest.raises(InvalidInput, match=r"Invalid version .*: use MAJOR\.MINOR\.PATCH, optionally with -SNAPSHOT"):
        unreachable.publish(gdp_cons_result, "var", version)
    with pytest.raises(InvalidInput):
        unreachable.load("var", version)
