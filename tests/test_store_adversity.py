"""The store under adversity: reindex racing publishers, settings that cannot be used, endpoints that are not S3,
and file stores with odd files, modes and links."""

from __future__ import annotations

import json
import os
import socket
import stat
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.s3server import SECRET_KEY
from varlib import ModelRegistry, open_store
from varlib.cli import main
from varlib.errors import ConfigurationError, IntegrityError, StoreError

PUBLISHES = 40
NO_CREDENTIALS = (
    "AWS_ENDPOINT_URL must not contain credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead."
)


def test_reindex_racing_forty_publishes_loses_no_entry(registry, gdp_cons_result) -> None:
    registry.publish(gdp_cons_result, "var", "0.0.0")
    errors: list[Exception] = []

    def publish_all() -> None:
        try:
            for i in range(1, PUBLISHES + 1):
                registry.publish(gdp_cons_result, "var", f"0.0.{i}")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    publisher = threading.Thread(target=publish_all)
    publisher.start()
    reindexer = ModelRegistry(registry.store)
    while publisher.is_alive():
        report = reindexer.rebuild_index("var")
        assert report.skipped == [] or all("no manifest" in s for s in report.skipped), report.skipped
    publisher.join()
    assert errors == []
    listed = {v.version for v in registry.list_versions("var")}
    assert listed == {f"0.0.{i}" for i in range(PUBLISHES + 1)}


def test_reindex_skips_and_reports_an_unreadable_version_instead_of_aborting(registry, gdp_cons_result) -> None:
    for version in ("0.0.1", "0.0.2", "0.0.3"):
        registry.publish(gdp_cons_result, "var", version)
    registry.store.write("var/0_0_2/model.json", b"damaged")
    registry.store.write("var/0_0_4/model.json", b"half a publish")
    report = registry.rebuild_index("var")
    assert [v.version for v in report.versions] == ["0.0.3", "0.0.2", "0.0.1"]  # 0.0.2's manifest exists: kept
    assert report.skipped == [
        "0.0.2: var/0_0_2/model.json fails its checksum (sha256 in the manifest does not match): it is corrupted "
        "or was changed after publishing",
        "0.0.4: no manifest (a publish that never finished)",
    ]


def test_reindex_of_a_file_store_with_a_version_linked_outside_it(tmp_path, gdp_cons_result, capsys) -> None:
    outside = ModelRegistry(open_store(f"file://{tmp_path / 'elsewhere'}"))
    outside.publish(gdp_cons_result, "var", "0.0.9")
    registry = ModelRegistry(open_store(f"file://{tmp_path / 'store'}"))
    registry.publish(gdp_cons_result, "var", "0.0.1")
    (tmp_path / "store" / "var" / "0_0_9").symlink_to(tmp_path / "elsewhere" / "var" / "0_0_9")
    assert main(["--store", f"file://{tmp_path / 'store'}", "reindex", "var"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Rebuilt the index of 'var': 1 versions."
    assert out[1].startswith("Skipped 0.0.9: var/0_0_9/manifest.json points outside the local store")


def test_a_fifo_in_a_file_store_is_refused_not_waited_on(tmp_path, gdp_cons_result) -> None:
    registry = ModelRegistry(open_store(f"file://{tmp_path / 'store'}"))
    registry.publish(gdp_cons_result, "var", "0.0.1")
    target = tmp_path / "store" / "var" / "0_0_1" / "model.json"
    target.unlink()
    os.mkfifo(target)
    with pytest.raises(IntegrityError, match=r"^var/0_0_1/model.json is not a regular file in the local store"):
        registry.load("var", "0.0.1")


def test_file_store_objects_follow_the_umask(tmp_path, gdp_cons_result) -> None:
    previous = os.umask(0o002)  # a group-shared store
    try:
        registry = ModelRegistry(open_store(f"file://{tmp_path / 'store'}"))
        registry.publish(gdp_cons_result, "var", "0.0.1")
    finally:
        os.umask(previous)
    for path in (tmp_path / "store").rglob("*"):
        if path.is_file() and not path.name.startswith("."):
            assert stat.S_IMODE(path.stat().st_mode) == 0o664, path


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        (
            f"ftp://admin:{SECRET_KEY}@host",
            NO_CREDENTIALS,
        ),
        (f"unix:/var/run/{SECRET_KEY}.sock", "AWS_ENDPOINT_URL must be an http(s) URL such as http://127.0.0.1:9000."),
        (
            f"http://admin:{SECRET_KEY}@127.0.0.1:9000",
            NO_CREDENTIALS,
        ),
        ("http://127.0.0.1:99999", "AWS_ENDPOINT_URL is not a valid URL (check its host and port)."),
    ],
)
def test_a_secret_in_the_endpoint_is_never_shown(endpoint, message, monkeypatch, capsys) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    assert main(["--store", "s3://models", "list"]) == 6
    err = capsys.readouterr().err
    assert err == f"error: {message}\n" and SECRET_KEY not in err


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "VARLIB_S3_TIMEOUT must be a number of seconds, got 'abc'."),
        ("0", "VARLIB_S3_TIMEOUT must be more than 0 and at most 3600 seconds, got '0'."),
        ("inf", "VARLIB_S3_TIMEOUT must be more than 0 and at most 3600 seconds, got 'inf'."),
        ("nan", "VARLIB_S3_TIMEOUT must be more than 0 and at most 3600 seconds, got 'nan'."),
    ],
)
def test_a_bad_timeout_setting_is_one_line_naming_it(value, message, monkeypatch, capsys) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000")
    monkeypatch.setenv("VARLIB_S3_TIMEOUT", value)
    assert main(["--store", "s3://models", "list"]) == 6
    assert capsys.readouterr().err == f"error: {message}\n"


def test_a_bad_limit_setting_is_one_line_naming_it(monkeypatch, capsys, tmp_path) -> None:
    monkeypatch.setenv("VARLIB_MAX_VARIABLES", "lots")
    assert main(["--store", f"file://{tmp_path}", "list"]) == 6
    assert capsys.readouterr().err == "error: VARLIB_MAX_VARIABLES must be a whole number, got 'lots'.\n"


class _WebPage(BaseHTTPRequestHandler):
    """An ordinary web server: every path is an HTML page, every method 'works'."""

    def _page(self) -> None:
        body = b"<html><body>It works!</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("ETag", '"abc"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = do_PUT = do_DELETE = _page

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def web_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _WebPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_an_endpoint_that_is_not_s3_is_said_so(web_server, gdp_cons_result) -> None:
    settings = {"AWS_ENDPOINT_URL": web_server, "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s",
                "VARLIB_S3_TIMEOUT": "2"}  # fmt: skip
    registry = ModelRegistry.from_settings("s3://models", settings)
    expected = f"the endpoint {web_server} answered with a web page, so it is not an S3 server; check AWS_ENDPOINT_URL."
    for action in (lambda: registry.load("var", "0.0.1"), lambda: registry.publish(gdp_cons_result, "var", "0.0.1"),
                   lambda: registry.list_versions("var")):  # fmt: skip
        with pytest.raises(StoreError) as info:
            action()
        assert str(info.value).endswith(expected), str(info.value)


class _Drip(BaseHTTPRequestHandler):
    """Answers with headers, then one byte of body every 0.5 s: each read succeeds, the whole never ends."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("ETag", '"abc"')
        self.send_header("Content-Length", "100000")
        self.end_headers()
        try:
            while True:
                self.wfile.write(b" ")
                self.wfile.flush()
                threading.Event().wait(0.5)
        except OSError:
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def drip_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Drip)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_slow_drip_server_is_cut_off_at_the_timeout_for_the_whole_request(drip_server) -> None:
    store = open_store("s3://models", {"AWS_ENDPOINT_URL": drip_server, "AWS_ACCESS_KEY_ID": "k",
                                       "AWS_SECRET_ACCESS_KEY": "s", "VARLIB_S3_TIMEOUT": "2"})  # fmt: skip
    started = socket.getdefaulttimeout()
    begin = time.monotonic()
    with pytest.raises(StoreError, match=r"did not finish answering within 2 s \(VARLIB_S3_TIMEOUT\)"):
        store.read("var/index.json")
    assert time.monotonic() - begin < 4
    assert started == socket.getdefaulttimeout()


def test_configuration_errors_are_store_errors_for_every_front_end() -> None:
    assert issubclass(ConfigurationError, StoreError)


def test_a_planted_huge_lock_is_stale(registry, gdp_cons_result) -> None:
    registry.store.write("var/0_0_1/.publish.lock", json.dumps({"pad": "x" * 10_000}).encode())
    registry.publish(gdp_cons_result, "var", "0.0.1")
    assert registry.load("var", "0.0.1")


def test_store_paths_stay_inside_the_root(tmp_path) -> None:
    store = open_store(f"file://{tmp_path / 'store'}")
    (tmp_path / "secret.txt").write_text("x")
    with pytest.raises(IntegrityError, match="points outside the local store"):
        store.read("../secret.txt")
    assert Path(tmp_path / "secret.txt").read_text() == "x"
