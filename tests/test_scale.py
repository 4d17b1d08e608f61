"""Scale: listing costs one request however many versions; the version dropdown offers them all; the service
holds a bounded load with zero errors and a bounded cache. Timings live in bench/scale_bench.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import urllib3
from streamlit.testing.v1 import AppTest

from tests.conftest import unique_bucket
from tests.s3server import free_port_pairs
from tests.test_app_pages import APP, assert_no_exception, clean_environment  # noqa: F401 - autouse isolation
from varlib import ModelRegistry
from varlib.store.s3 import S3Store

ROOT = Path(__file__).resolve().parents[1]


class CountingS3Store(S3Store):
    """The real S3 backend, counting the requests it sends."""

    requests = 0

    def _call(self, doing, key, action):
        self.requests += 1
        return super()._call(doing, key, action)


def test_listing_costs_one_request_however_many_versions(s3_server, gdp_cons_result, monkeypatch) -> None:
    bucket = unique_bucket()
    store = CountingS3Store(bucket, settings=s3_server.settings())
    registry = ModelRegistry(store)
    counts = {}
    for target in (3, 200):
        for patch in range(len(registry.list_versions("var")), target):
            registry.publish(gdp_cons_result, "var", f"0.{patch // 100}.{patch % 100}")
        store.requests = 0
        listed = registry.list_versions("var")
        counts[target] = store.requests
        assert len(listed) == target and listed[0].version == f"0.{(target - 1) // 100}.{(target - 1) % 100}"
    assert counts == {3: 2, 200: 2}  # the index, and aliases.json (the aliases and deprecations marked on each row)

    # The Forecast page offers every version, newest first, with latest on top.
    for key, value in {"VARLIB_STORE": f"s3://{bucket}", **s3_server.settings()}.items():
        monkeypatch.setenv(key, value)
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/forecast.py").run()
    assert_no_exception(at)
    options = at.selectbox[1].options
    assert len(options) == 201 and options[0].startswith("latest (= 0.1.99)") and options[1].startswith("0.1.99 · ")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_service_holds_a_bounded_load(s3_server, gdp_cons_result, tmp_path) -> None:
    bucket = unique_bucket()
    registry = ModelRegistry.from_settings(f"s3://{bucket}", s3_server.settings())
    versions = [f"1.0.{i}" for i in range(12)]
    for version in versions:
        registry.publish(gdp_cons_result, "var", version)
    port = free_port_pairs(1)[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VARLIB_"))}
    env.update(s3_server.settings(), VARLIB_STORE=f"s3://{bucket}", PYTHONPATH=str(ROOT))
    with open(tmp_path / "serve.log", "wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "varlib", "serve", "--port", str(port), "--cache-size", "4"],
                                  env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        paths = [f"/models/var/versions/{v}/forecast?steps=12" for v in [*versions, "latest"]]
        pool = urllib3.PoolManager(maxsize=32, timeout=urllib3.Timeout(total=30), retries=False)
        for path in paths:  # warm up: every version loaded once
            assert pool.request("GET", base + path).status == 200
        before = rss_kib(server.pid)
        total, errors, lock = 5000, [], threading.Lock()
        work = iter(range(total))

        def client() -> None:
            while True:
                with lock:
                    n = next(work, None)
                if n is None:
                    return
                # Mostly a hot set (three releases and latest); every tenth request another version, so the
                # four-entry cache keeps evicting and reloading.
                hot = paths[:3] + paths[-1:]
                path = paths[3 + (n // 10) % 8] if n % 10 == 0 else hot[n % 4]
                response = pool.request("GET", base + path)
                if response.status != 200 or len(json.loads(response.data)["forecast"]) != 12:
                    with lock:
                        errors.append((response.status, response.data[:200]))

        threads = [threading.Thread(target=client) for _ in range(32)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        health = json.loads(pool.request("GET", base + "/healthz").data)
        assert health["cache"]["entries"] <= 4 and health["cache"]["max_entries"] == 4
        assert health["cache"]["loads"] > len(versions)  # evictions happened: the LRU, not the load, bounds memory
        assert rss_kib(server.pid) - before < 80 * 1024  # KiB: far below what holding every loaded version would need
    finally:
        server.terminate()
        server.wait(timeout=10)
