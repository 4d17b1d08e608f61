"""Service tokens (issue 11): with VARLIB_API_TOKENS set, every data endpoint needs a bearer token with the read
scope; 401/403 in the error format; tokens never in responses or logs; Swagger documents the scheme."""

from __future__ import annotations

import json
import logging
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

from tests.s3server import free_port_pairs
from varlib import ModelRegistry, open_store
from varlib.api import create_app
from varlib.cli import main
from varlib.errors import ConfigurationError
from varlib.tokens import TOKENS_ENV, TokenTable, new_token, token_entry

ROOT = Path(__file__).resolve().parents[1]
READER, WRITER = new_token(), new_token()
TOKENS = f"{token_entry('forecasters', ['read'], READER)},{token_entry('ci', ['write'], WRITER)}"
DATA_PATHS = ("/models", "/models/var/versions", "/models/var/aliases", "/models/var/versions/0.0.1",
              "/models/var/versions/latest/forecast?steps=3")  # fmt: skip


@pytest.fixture
def registry(tmp_path, gdp_cons_result) -> ModelRegistry:
    registry = ModelRegistry(open_store(f"file://{tmp_path / 'store'}"))
    registry.publish(gdp_cons_result, "var", "0.0.1")
    return registry


@pytest.fixture
def client(registry) -> TestClient:
    return TestClient(create_app(registry, tokens=TokenTable.from_settings({TOKENS_ENV: TOKENS})))


def test_no_token_or_a_wrong_one_is_401_and_a_token_without_the_scope_403(client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    for path in DATA_PATHS:
        missing = client.get(path)
        assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
        assert missing.json() == {"error": "unauthorized", "message": "This service requires a bearer token: send "
                                  "the header Authorization: Bearer <token>."}  # fmt: skip
        wrong = client.get(path, headers={"Authorization": f"Bearer {READER}x"})
        assert wrong.json() == {"error": "unauthorized", "message": "The bearer token is not valid for this service."}
        scheme = client.get(path, headers={"Authorization": f"Basic {READER}"})
        assert scheme.status_code == 401
        write_only = client.get(path, headers={"Authorization": f"Bearer {WRITER}"})
        assert write_only.status_code == 403 and write_only.json() == {
            "error": "forbidden", "message": "The token 'ci' does not have the read scope this call needs."
        }  # fmt: skip
        allowed = client.get(path, headers={"Authorization": f"Bearer {READER}"})
        assert allowed.status_code == 200, allowed.text
        for response in (missing, wrong, scheme, write_only, allowed):
            assert READER not in response.text and WRITER not in response.text
    assert client.get("/healthz").status_code == 200  # health checks need no token
    assert client.get("/apidocs").status_code == 200 and client.get("/openapi.json").status_code == 200
    assert READER not in caplog.text and WRITER not in caplog.text


def test_openapi_documents_the_bearer_scheme(client) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http", "scheme": "bearer",
        "description": "A token from VARLIB_API_TOKENS (`python -m varlib token`)",
    }  # fmt: skip
    forecast = schema["paths"]["/models/{name}/versions/{version}/forecast"]["get"]
    assert forecast["security"] == [{"HTTPBearer": []}] and {"401", "403"} <= set(forecast["responses"])
    assert "security" not in schema["paths"]["/healthz"]["get"]


def test_without_tokens_the_service_is_open(registry) -> None:
    client = TestClient(create_app(registry))
    assert client.get("/models").status_code == 200
    assert "securitySchemes" not in client.get("/openapi.json").json().get("components", {})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("forecasters:read:abc", "VARLIB_API_TOKENS entry 1 is not NAME:SCOPES:sha256:HEX."),
        (f"a b:read:sha256:{'0' * 64}", "VARLIB_API_TOKENS entry 1 has a name that is not 1-64 of A-Z, a-z, 0-9, "
                                        "_.@-."),
        (f"ok:read:sha256:{'0' * 64}, x:admin:sha256:{'1' * 64}",
         "VARLIB_API_TOKENS entry 2 has scopes other than read and write."),
        (f"ok:read:sha256:{READER}", "VARLIB_API_TOKENS entry 1 does not end in 64 lowercase hex digits (a sha256)."),
        (f"ok:read:sha256:{'0' * 64}\nok:write:sha256:{'1' * 64}",
         "VARLIB_API_TOKENS gives the same token name twice; names must be distinct."),
        ("@/nonexistent/tokens", "VARLIB_API_TOKENS names a file that cannot be read: No such file or directory."),
        ("# only a comment", "VARLIB_API_TOKENS is set but holds no token entry."),
    ],
    ids=["shape", "name", "scope", "not a hash", "twice", "no file", "empty"],
)  # fmt: skip
def test_a_bad_tokens_setting_is_one_line_naming_it_never_its_value(value, message) -> None:
    with pytest.raises(ConfigurationError) as info:
        TokenTable.from_settings({TOKENS_ENV: value})
    assert str(info.value) == message and READER not in str(info.value)


def test_tokens_from_a_file_and_the_token_command(tmp_path, capsys) -> None:
    assert main(["token", "create", "forecasters", "--scope", "read", "--json"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["token"].startswith("varlib_") and made["entry"].startswith("forecasters:read:sha256:")
    assert made["token"] not in made["entry"]
    (tmp_path / "tokens").write_text(f"# who may read\n{made['entry']}\n\n")
    table = TokenTable.from_settings({TOKENS_ENV: f"@{tmp_path / 'tokens'}"})
    assert table.check(made["token"], "read").name == "forecasters"
    assert main(["token", "create", "bad name"]) == 2
    assert capsys.readouterr().err == (
        "error: Invalid token name 'bad name': use 1-64 of A-Z, a-z, 0-9, '_', '.', '@' or '-'.\n"
    )


def _serve(env: dict[str, str], host: str, tmp_path: Path) -> tuple[subprocess.Popen, int]:
    port = free_port_pairs(1)[0]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VARLIB_"))}
    log = open(tmp_path / f"serve-{host}.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "varlib", "serve", "--host", host, "--port", str(port)],
                               env={**clean, **env, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    return process, port


def test_a_real_service_with_tokens_keeps_them_out_of_its_log(registry, tmp_path) -> None:
    env = {"VARLIB_STORE": f"file://{tmp_path / 'store'}", TOKENS_ENV: TOKENS}
    process, port = _serve(env, "127.0.0.1", tmp_path)
    try:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/models/var/versions/0.0.1/forecast?steps=2",
                                         headers={"Authorization": f"Bearer {READER}"})  # fmt: skip
        assert urllib.request.urlopen(request, timeout=10).status == 200
        for bad in (f"Bearer {READER}oops", f"Bearer {WRITER}"):
            request = urllib.request.Request(f"http://127.0.0.1:{port}/models", headers={"Authorization": bad})
            with pytest.raises(urllib.error.HTTPError) as info:
                urllib.request.urlopen(request, timeout=10)
            assert info.value.code in (401, 403)
    finally:
        process.terminate()
        process.wait(timeout=10)
    log = (tmp_path / "serve-127.0.0.1.log").read_text()
    assert "2 tokens" in log and READER not in log and WRITER not in log and "sha256" not in log


def test_an_open_service_on_a_network_address_warns_at_start(tmp_path) -> None:
    env = {"VARLIB_STORE": f"file://{tmp_path / 'store'}"}
    for host, warned in (("0.0.0.0", True), ("127.0.0.1", False)):
        process, _ = _serve(env, host, tmp_path)
        process.terminate()
        process.wait(timeout=10)
        log = (tmp_path / f"serve-{host}.log").read_text()
        assert ("Warning: 0.0.0.0 is reachable from other machines and VARLIB_API_TOKENS is not set" in log) is warned


@pytest.fixture
def tokened_api(registry):
    return schemathesis.openapi.from_asgi(
        "/openapi.json", create_app(registry, tokens=TokenTable.from_settings({TOKENS_ENV: TOKENS}))
    )


tokened_schema = schemathesis.pytest.from_fixture("tokened_api")


@tokened_schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_fuzzed_requests_with_a_token_never_get_a_server_error(case) -> None:
    response = case.call(headers={"Authorization": f"Bearer {READER}"})
    assert response.status_code < 500, (response.status_code, response.text)
    case.validate_response(response, excluded_checks=[positive_data_acceptance])  # see test_api's fuzz test
