"""Scale: a model with many versions on a real S3 server (SeaweedFS, loopback), measured in one run.

    python bench/scale_bench.py [--versions 1000] [--repeats 30] [--http-requests 1000] [--concurrency 16]

Prints, in one run and as ratios against a baseline measured in the same run:
- publishing them: the time per publish of the first and of the last 100 (last/first: 1 means no slowdown);
- listing them with their metadata: time and requests per listing;
- resolving `latest` and `@production` (a fresh process, so nothing cached): time and requests per resolution;
- `GET .../@production/forecast` and `.../latest/forecast` throughput against the pinned path, over HTTP;
- the Forecast page (with its version dropdown) rendering.
Run by hand (CI runs it too, for the figures). It asserts only its own sanity.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from bench.serve_bench import http_load, start_service  # noqa: E402
from tests.s3server import S3TestServer  # noqa: E402
from varlib import ModelRegistry, TrainSpec, load_macrodata, train  # noqa: E402
from varlib.store.s3 import S3Store  # noqa: E402


class CountingS3Store(S3Store):
    requests = 0

    def _call(self, doing, key, action):
        self.requests += 1
        return super()._call(doing, key, action)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--http-requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    server = S3TestServer(Path(tempfile.mkdtemp(prefix="varlib-scale-")))
    server.start()
    try:
        store = CountingS3Store("scale", settings=server.settings())
        registry = ModelRegistry(store)
        result = train(load_macrodata(), TrainSpec.build(["realgdp", "realcons"], "logdiff", lags=2))
        publish_ms = []
        for n in range(args.versions):
            started = time.perf_counter()
            registry.publish(result, "var", f"{n // 1000}.{n // 100 % 10}.{n % 100}")
            publish_ms.append((time.perf_counter() - started) * 1000)
        publish_seconds = sum(publish_ms) / 1000
        window = min(100, args.versions)
        first, last = statistics.median(publish_ms[:window]), statistics.median(publish_ms[-window:])
        registry.set_alias("var", "production", "0.0.1")

        resolutions: dict[str, tuple[list[float], list[int]]] = {}
        for text in ("latest", "@production"):
            times, counts = [], []
            for _ in range(args.repeats):
                fresh = ModelRegistry(store)  # a new process: nothing cached
                store.requests = 0
                started = time.perf_counter()
                fresh.resolve("var", text)
                times.append((time.perf_counter() - started) * 1000)
                counts.append(store.requests)
            resolutions[text] = (times, counts)

        timings, requests = [], []
        for _ in range(args.repeats):
            store.requests = 0
            started = time.perf_counter()
            listed = registry.list_versions("var")
            timings.append(time.perf_counter() - started)
            requests.append(store.requests)
        assert len(listed) == args.versions

        os.environ.update(server.settings(), VARLIB_STORE="s3://scale")
        renders = []
        for _ in range(5):
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
            st.cache_data.clear()  # cold: the page lists, loads and verifies the version itself
            st.cache_resource.clear()
            started = time.perf_counter()
            at.switch_page("pages/forecast.py").run()
            renders.append(time.perf_counter() - started)
            assert not at.exception and len(at.selectbox[1].options) == args.versions + 2  # latest, @production

        print(f"versions: {args.versions}")
        print(f"publish: {publish_seconds:.1f} s in all; median per publish: first {window} {first:.1f} ms, "
              f"last {window} {last:.1f} ms (last/first {last / first:.2f}x)")  # fmt: skip
        for text, (times, counts) in resolutions.items():
            print(f"resolve {text} (fresh registry): p50 {statistics.median(times):.2f} ms, "
                  f"requests per resolution {sorted(set(counts))}")  # fmt: skip
        print(f"list versions with metadata: p50 {statistics.median(timings) * 1000:.1f} ms, "
              f"max {max(timings) * 1000:.1f} ms, requests per listing {sorted(set(requests))}")  # fmt: skip
        print(f"Forecast page with its version dropdown (AppTest, caches cleared before each render): "
              f"median {statistics.median(renders):.2f} s, max {max(renders):.2f} s")  # fmt: skip
        serve_throughput(server, args)
    finally:
        server.stop()


def serve_throughput(server: S3TestServer, args: argparse.Namespace) -> None:
    """`python -m varlib serve` on the store: @production and latest against pinned, in one run."""
    service, base = start_service({**server.settings(), "VARLIB_STORE": "s3://scale"}, subprocess.DEVNULL)
    try:
        print(f"HTTP against `python -m varlib serve` ({args.http_requests} requests, {args.concurrency} at a time):")
        runs = {"pinned 0.0.1": "0.0.1", "@production (= 0.0.1)": "@production", "latest": "latest"}
        figures = {label: http_load(base, f"/models/var/versions/{path}/forecast?steps=12", args.http_requests,
                                    args.concurrency) for label, path in runs.items()}  # fmt: skip
        pinned = figures["pinned 0.0.1"]["throughput"]
        for label, result in figures.items():
            print(f"  {label:<24} {result['throughput']:>7.0f} req/s ({result['throughput'] / pinned:.2f}x pinned)"
                  f"  p50 {result['p50']:.1f} ms  errors {result['errors']}")  # fmt: skip
            assert result["errors"] == 0, result
    finally:
        service.terminate()
        service.wait(timeout=10)


if __name__ == "__main__":
    main()
