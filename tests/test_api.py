"""The REST service on every backend: endpoints, error codes and messages, freshness, CSV, OpenAPI fuzzing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.s3server import SECRET_KEY, free_port_pairs
from varlib import ModelRegistry, TrainSpec, open_store, train
from varlib.api import create_app
from varlib.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def client(registry) -> TestClient:
    return TestClient(create_app(registry, cache_size=4), raise_server_exceptions=False)


@pytest.fixture
def published(registry, gdp_cons_result) -> ModelRegistry:
    registry.publish(gdp_cons_result, "var", "0.0.1", note="first")
    return registry


def test_healthz(client, registry) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["store"] == {"location": registry.store.location, "ok": True, "message": None}
    assert response.json()["cache"] == {"entries": 0, "max_entries": 4, "loads": 0}


def test_models_and_versions(client, published, gdp_cons_result) -> None:
    assert client.get("/models").json() == ["var"]
    versions = client.get("/models/var/versions").json()
    assert [v["version"] for v in versions] == ["0.0.1"]
    assert versions[0]["lag_order"] == 3 and versions[0]["note"] == "first"
    assert versions[0]["test_rmse"]["realgdp"] == pytest.approx(gdp_cons_result.metrics["realgdp"].rmse)


def test_version_detail_resolves_latest(client, published) -> None:
    body = client.get("/models/var/versions/latest").json()
    assert body["version"] == "0.0.1"
    assert body["metadata"]["model"]["lag_order"] == 3
    assert set(body["manifest"]["objects"]) == {"model.json", "train.csv", "test.csv"}


@pytest.mark.parametrize("steps", [1, 12, 30])
def test_forecast_has_exactly_steps_rows_with_iso_dates(client, published, steps) -> None:
    body = client.get(f"/models/var/versions/0.0.1/forecast?steps={steps}&alpha=0.1&origin=train").json()
    assert body["steps"] == steps and len(body["forecast"]) == steps
    assert body["forecast"][0]["date"] == "2006-10-01"
    cell = body["forecast"][0]["realgdp"]
    assert cell["lower"] < cell["point"] < cell["upper"] and cell["actual"] == 13060.679
    if steps > 12:
        assert "actual" not in body["forecast"][12]["realgdp"]  # beyond the test data


def test_forecast_matches_the_loaded_version(client, published) -> None:
    body = client.get("/models/var/versions/latest/forecast?steps=5").json()
    expected = published.load("var", "0.0.1").forecast(5, 0.05)
    assert [row["realcons"]["upper"] for row in body["forecast"]] == list(expected.upper["realcons"])


def test_forecast_csv_equals_the_cli_csv(client, published, store_url_and_settings, tmp_path, monkeypatch) -> None:
    url, settings = store_url_and_settings
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    assert main(["--store", url, "forecast", "var", "0.0.1", "--steps", "14", "--csv", str(tmp_path / "cli.csv")]) == 0
    response = client.get("/models/var/versions/0.0.1/forecast?steps=14", headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text == (tmp_path / "cli.csv").read_text()
    assert response.text.count("\n") == 15


def test_latest_moves_when_a_release_is_published(client, published, gdp_cons_result) -> None:
    assert client.get("/models/var/versions/latest/forecast?steps=1").json()["version"] == "0.0.1"
    published.publish(gdp_cons_result, "var", "0.0.2")
    assert client.get("/models/var/versions/latest/forecast?steps=1").json()["version"] == "0.0.2"
    published.publish(gdp_cons_result, "var", "0.1.0-SNAPSHOT")  # a snapshot is never `latest`
    assert client.get("/models/var/versions/latest").json()["version"] == "0.0.2"


def test_a_republished_snapshot_is_served_at_once(client, registry, gdp_cons_result, macrodata) -> None:
    registry.publish(gdp_cons_result, "var", "0.1.0-SNAPSHOT")
    first = client.get("/models/var/versions/0.1.0-SNAPSHOT/forecast?steps=1").json()
    assert first["variables"] == ["realgdp", "realcons"]
    other = train(macrodata, TrainSpec.build(["realgdp", "realinv"], "logdiff", lags=1))
    registry.publish(other, "var", "0.1.0-SNAPSHOT")
    assert client.get("/models/var/versions/0.1.0-SNAPSHOT/forecast?steps=1").json()["variables"] == [
        "realgdp",
        "realinv",
    ]
    registry.delete_snapshot("var", "0.1.0-SNAPSHOT")
    assert client.get("/models/var/versions/0.1.0-SNAPSHOT/forecast?steps=1").status_code == 404


def test_releases_are_cached_in_a_bounded_lru(registry, gdp_cons_result) -> None:
    app = create_app(registry, cache_size=2)
    client = TestClient(app)
    for version in ("0.0.1", "0.0.2", "0.0.3"):
        registry.publish(gdp_cons_result, "var", version)
    cache = app.state.cache
    for _ in range(3):
        client.get("/models/var/versions/0.0.1/forecast?steps=2")
    assert cache.loads == 1  # loaded and verified once, then served from memory
    client.get("/models/var/versions/0.0.2/forecast?steps=2")
    client.get("/models/var/versions/0.0.3/forecast?steps=2")
    assert len(cache) == 2 and cache.loads == 3
    client.get("/models/var/versions/0.0.1/forecast?steps=2")  # evicted, so loaded again
    assert cache.loads == 4


def error(response) -> tuple[int, str, str]:
    body = response.json()
    assert set(body) == {"error", "message"}
    assert "Traceback" not in body["message"]
    return response.status_code, body["error"], body["message"]


def test_error_codes_and_messages(client, published) -> None:
    location = published.store.location
    assert error(client.get("/models/nope/versions")) == (
        404, "not_found", f"Model 'nope' has no versions in the {location}."
    )  # fmt: skip
    assert error(client.get("/models/var/versions/9.9.9/forecast?steps=3")) == (
        404, "not_found", f"Version 9.9.9 of model 'var' does not exist in the {location}."
    )  # fmt: skip
    assert error(client.get("/models/nope/versions/latest")) == (
        404, "not_found", f"Model 'nope' has no release version in the {location}."
    )  # fmt: skip
    status, code, message = error(client.get("/models/Var/versions/0.0.1"))
    assert (status, code) == (422, "invalid_input") and message.startswith("Invalid model name 'Var'")
    status, code, message = error(client.get("/models/var/versions/1.0/forecast?steps=3"))
    assert (status, code) == (422, "invalid_input") and message.startswith("Invalid version '1.0'")
    assert error(client.get("/models/var/versions/0.0.1/forecast")) == (
        422, "invalid_input", "Invalid request parameters: steps: Field required."
    )  # fmt: skip
    assert error(client.get("/models/var/versions/0.0.1/forecast?steps=0")) == (
        422, "invalid_input", "Invalid request parameters: steps: Input should be greater than or equal to 1."
    )  # fmt: skip
    assert error(client.get("/models/var/versions/0.0.1/forecast?steps=1001"))[0] == 422
    assert error(client.get("/models/var/versions/0.0.1/forecast?steps=x"))[0] == 422
    assert error(client.get("/models/var/versions/0.0.1/forecast?steps=3&alpha=1")) == (
        422, "invalid_input", "Invalid request parameters: alpha: Input should be less than 1."
    )  # fmt: skip
    assert error(client.get("/models/var/versions/0.0.1/forecast?steps=3&alpha=0"))[0] == 422


def test_a_version_failing_its_checksum_is_409(client, published) -> None:
    data = published.store.read("var/0_0_1/model.json").data
    published.store.write("var/0_0_1/model.json", data.replace(b'"first"', b'"forged"'))
    assert error(client.get("/models/var/versions/0.0.1/forecast?steps=3")) == (
        409,
        "integrity_error",
        "var/0_0_1/model.json fails its checksum (sha256 in the manifest does not match): "
        "it is corrupted or was changed after publishing.",
    )


def test_store_down_is_503_without_secrets(private_s3_server, gdp_cons_result) -> None:
    registry = ModelRegistry(open_store("s3://models", private_s3_server.settings()))
    registry.publish(gdp_cons_result, "var", "0.0.1")
    client = TestClient(create_app(registry), raise_server_exceptions=False)
    assert client.get("/models/var/versions/0.0.1/forecast?steps=2").status_code == 200  # now cached
    private_s3_server.stop()
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json()["store"]["ok"] is False
    for path in ("/models", "/models/var/versions", "/models/var/versions/latest/forecast?steps=2"):
        status, code, message = error(client.get(path))
        assert (status, code) == (503, "store_unavailable")
        assert "cannot reach the S3 store" in message and SECRET_KEY not in message
    # A pinned release already verified is still served from memory while the store is down.
    assert client.get("/models/var/versions/0.0.1/forecast?steps=2").status_code == 200


def test_openapi_and_docs_are_served(client) -> None:
    schema = client.get("/openapi.json").json()
    assert {"/healthz", "/models", "/models/{name}/versions", "/models/{name}/versions/{version}",
            "/models/{name}/versions/{version}/forecast", "/models/{name}/aliases"} == set(schema["paths"])  # fmt: skip
    docs = client.get("/apidocs")
    assert docs.status_code == 200 and "/apidocs-assets/swagger-ui-bundle.js" in docs.text
    assert client.get("/apidocs-assets/swagger-ui-bundle.js").status_code == 200  # no CDN needed


def test_version_listing_schema_is_the_version_summary(client) -> None:
    schema = client.get("/openapi.json").json()
    fields = schema["components"]["schemas"]["VersionSummary"]["properties"]
    assert {"version", "created", "lag_order", "variables", "test_rmse", "train_start", "stable"} <= set(fields)


def test_serve_command_serves_versions_published_by_the_cli(tmp_path, s3_server) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VARLIB_"))}
    env.update(s3_server.settings(), VARLIB_STORE="s3://served-by-cli", PYTHONPATH=str(ROOT))
    train_args = ["train", "--columns", "realgdp,realcons", "--transform", "logdiff", "--publish", "var", "0.0.1"]
    subprocess.run([sys.executable, "-m", "varlib", *train_args], env=env, cwd=tmp_path, check=True,
                   capture_output=True, timeout=120)  # fmt: skip
    port = free_port_pairs(1)[0]
    with open(tmp_path / "serve.log", "wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "varlib", "serve", "--port", str(port)], env=env,
                                  cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                health = json.loads(urllib.request.urlopen(f"{base}/healthz", timeout=2).read())
                break
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    raise AssertionError((tmp_path / "serve.log").read_text()) from None
                time.sleep(0.2)
        assert health["status"] == "ok"
        body = json.loads(urllib.request.urlopen(f"{base}/models/var/versions/latest/forecast?steps=12").read())
        assert body["version"] == "0.0.1" and len(body["forecast"]) == 12
        assert b"swagger-ui" in urllib.request.urlopen(f"{base}/apidocs").read()
        assert SECRET_KEY not in (tmp_path / "serve.log").read_text()
    finally:
        server.terminate()
        server.wait(timeout=10)


# ----- OpenAPI fuzzing ------------------------------------------------------------------------------

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)


@pytest.fixture
def live_api(tmp_path, gdp_cons_result):
    registry = ModelRegistry(open_store(f"file://{tmp_path / 'store'}"))
    registry.publish(gdp_cons_result, "var", "0.0.1")
    registry.publish(gdp_cons_result, "var", "0.0.2-SNAPSHOT")
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(registry))


@pytest.fixture
def down_api():
    registry = ModelRegistry(
        open_store("s3://models", {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "VARLIB_S3_TIMEOUT": "1"})
    )
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(registry))


live_schema = schemathesis.pytest.from_fixture("live_api")
down_schema = schemathesis.pytest.from_fixture("down_api")


@live_schema.parametrize()
@FUZZ
def test_fuzzed_requests_never_get_a_server_error(case) -> None:
    response = case.call()
    assert response.status_code < 500, (response.status_code, response.text)
    # Status, content type and body as the schema documents them. A schema-valid forecast request may still be
    # refused (422): an exogenous path must cover each forecast date of that version, which no schema can say.
    case.validate_response(response, excluded_checks=[positive_data_acceptance])


@down_schema.parametrize()
@settings(FUZZ, max_examples=25)  # each request waits out the client's bounded retries
def test_fuzzed_requests_with_the_store_down_get_only_503_as_server_error(case) -> None:
    response = case.call()
    assert response.status_code < 500 or response.status_code == 503, (response.status_code, response.text)


def test_unknown_paths_and_methods_use_the_error_format(client) -> None:
    assert error(client.get("/nope")) == (404, "not_found", "No endpoint at /nope; see /apidocs.")
    status, code, message = error(client.post("/models"))
    assert (status, code) == (405, "http_error") and message == "Method Not Allowed (POST /models)."
