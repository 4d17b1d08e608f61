"""Secrets never appear in output, logs, API responses or the page, on the error paths most likely to leak them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.s3server import ACCESS_KEY, SECRET_KEY, free_port_pairs
from tests.test_app_pages import APP, clean_environment  # noqa: F401 - autouse isolation

ROOT = Path(__file__).resolve().parents[1]
WRONG_SECRET = "wrong-secret-Jq4TzP8"
SIGNING_KEY = "signing-key-Lm3xQ9v"
SECRETS = (SECRET_KEY, WRONG_SECRET, SIGNING_KEY)


def scenarios(s3_server) -> dict[str, dict[str, str]]:
    return {
        "bad credentials": s3_server.settings(AWS_SECRET_ACCESS_KEY=WRONG_SECRET) | {"VARLIB_STORE": "s3://models"},
        "store down": {
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "VARLIB_STORE": "s3://models",
        },
    }


def assert_secret_free(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VARLIB_"))}
    return env | extra | {"VARLIB_SIGNING_KEY": SIGNING_KEY, "PYTHONPATH": str(ROOT)}


@pytest.mark.parametrize("scenario", ["bad credentials", "store down"])
def test_cli_error_paths(scenario, s3_server, tmp_path) -> None:
    env = clean_env(scenarios(s3_server)[scenario])
    (tmp_path / "bad.csv").write_text("date,a,b\n2000-01-01,1,x\n")
    commands = [
        ["list"],
        ["list", "var"],
        ["forecast", "var", "latest", "--steps", "3"],
        ["train", "--columns", "realgdp,realcons", "--publish", "var", "0.0.1"],
        ["train", "--csv", "bad.csv"],
        ["serve", "--port", "0", "--cache-size", "0"],
    ]
    for command in commands:
        done = subprocess.run([sys.executable, "-m", "varlib", *command], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=120)  # fmt: skip
        assert done.returncode != 0, command
        assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, (command, done.stderr)
        assert_secret_free(done.stdout + done.stderr)


@pytest.mark.parametrize("scenario", ["bad credentials", "store down"])
def test_service_error_paths_and_log(scenario, s3_server, tmp_path) -> None:
    env = clean_env(scenarios(s3_server)[scenario])
    port = free_port_pairs(1)[0]
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "varlib", "serve", "--port", str(port)], env=env,
                                  stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    bodies = []
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/openapi.json", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.2)
        for path in ("/healthz", "/models", "/models/var/versions", "/models/var/versions/latest/forecast?steps=2",
                     "/models/var/versions/0.0.1", "/models/Var/versions/x/forecast?steps=0"):  # fmt: skip
            try:
                response = urllib.request.urlopen(base + path, timeout=30)
                bodies.append((response.status, response.read().decode()))
            except urllib.error.HTTPError as exc:
                bodies.append((exc.code, exc.read().decode()))
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert [status for status, _ in bodies] == [503, 503, 503, 503, 503, 422]
    for _, body in bodies:
        assert_secret_free(body)
    assert_secret_free(log_path.read_text())


def everything_shown(at: AppTest) -> str:
    """The text of every element on the page and in the sidebar (all protobuf fields)."""
    parts = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts)


@pytest.mark.parametrize("scenario", ["bad credentials", "store down"])
def test_app_error_paths(scenario, s3_server, monkeypatch) -> None:
    for key, value in {**scenarios(s3_server)[scenario], "VARLIB_SIGNING_KEY": SIGNING_KEY}.items():
        monkeypatch.setenv(key, value)
    at = AppTest.from_file(APP, default_timeout=60).run()
    shown = everything_shown(at)
    assert "Store unavailable: " in shown
    assert_secret_free(shown)
    at.radio[0].set_value("Upload a file (CSV or Excel)").run()
    at.file_uploader[0].set_value(("bad.csv", b"date,a,b\n2000-01-01,1,x\n", "text/csv")).run()
    assert_secret_free(everything_shown(at))
    for page in ("pages/publish.py", "pages/forecast.py", "pages/analyze.py", "pages/compare.py", "pages/registry.py"):
        at.switch_page(page).run()
        assert not at.exception
        assert_secret_free(everything_shown(at))
