"""S3 failures give one clear StoreError naming the endpoint and object, never a secret, within bounded time."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from tests.s3server import SECRET_KEY
from varlib.errors import StoreError
from varlib.registry import ModelRegistry
from varlib.store import open_store


def test_stopped_server_gives_store_error_naming_endpoint(private_s3_server) -> None:
    store = open_store("s3://models", private_s3_server.settings())
    store.write("var/index.json", b"{}")
    private_s3_server.stop()
    started = time.monotonic()
    with pytest.raises(StoreError) as info:
        store.read("var/index.json")
    message = str(info.value)
    assert message == (
        f"Failed reading var/index.json: cannot reach the S3 store {private_s3_server.endpoint} "
        "(bucket models) (connection refused)."
    )
    assert time.monotonic() - started < 10
    with pytest.raises(StoreError, match="cannot reach the S3 store"):
        store.check()
    with pytest.raises(StoreError, match="cannot reach the S3 store"):
        ModelRegistry(store).list_versions("var")


def test_bad_credentials_are_named_without_the_secret(s3_server) -> None:
    settings = s3_server.settings(AWS_SECRET_ACCESS_KEY="wrong-secret-Kx7", AWS_ACCESS_KEY_ID="wrong-key-Kx7")
    store = open_store("s3://models", settings)
    with pytest.raises(StoreError) as info:
        store.write("var/index.json", b"{}")
    message = str(info.value)
    assert "refused the credentials" in message and "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in message
    assert s3_server.endpoint in message
    for secret in ("wrong-secret-Kx7", "wrong-key-Kx7", SECRET_KEY):
        assert secret not in message


def test_a_server_that_never_answers_times_out_in_seconds() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept_and_ignore() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept_and_ignore, daemon=True)
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{listener.getsockname()[1]}"
        store = open_store(
            "s3://models",
            {
                "AWS_ENDPOINT_URL": endpoint,
                "AWS_ACCESS_KEY_ID": "k",
                "AWS_SECRET_ACCESS_KEY": "s",
                "VARLIB_S3_TIMEOUT": "1",
            },
        )
        started = time.monotonic()
        with pytest.raises(StoreError, match=r"did not finish answering within 1 s \(VARLIB_S3_TIMEOUT\)"):
            store.read("var/index.json")
        assert time.monotonic() - started < 8  # 1 s read timeout, one retry, backoff
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()


def test_invalid_endpoint_url_is_reported() -> None:
    with pytest.raises(StoreError, match=r"^AWS_ENDPOINT_URL must be an http\(s\) URL such as http://127.0.0.1:9000.$"):
        open_store("s3://models", {"AWS_ENDPOINT_URL": "ftp://x"})
