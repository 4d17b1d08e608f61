"""Scale: a model with many versions on a real S3 server (SeaweedFS, loopback), measured in one run.

    python bench/scale_bench.py [--versions 1000] [--repeats 30]

Prints the time to publish them, the time and number of requests to list them with their metadata, and the time
for the Forecast page (with its version dropdown) to render. Run by hand; targets from the reliability issue:
listing < 0.3 s with a request count that does not grow, dropdown < 1 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

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
    args = parser.parse_args()
    server = S3TestServer(Path(tempfile.mkdtemp(prefix="varlib-scale-")))
    server.start()
    try:
        store = CountingS3Store("scale", settings=server.settings())
        registry = ModelRegistry(store)
        result = train(load_macrodata(), TrainSpec.build(["realgdp", "realcons"], "logdiff", lags=2))
        started = time.perf_counter()
        for n in range(args.versions):
            registry.publish(result, "var", f"{n // 1000}.{n // 100 % 10}.{n % 100}")
        publish_seconds = time.perf_counter() - started

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
            assert not at.exception and len(at.selectbox[1].options) == args.versions + 1

        print(f"versions: {args.versions}")
        print(f"publish: {publish_seconds:.1f} s in all, {publish_seconds / args.versions * 1000:.1f} ms each")
        print(f"list versions with metadata: p50 {statistics.median(timings) * 1000:.1f} ms, "
              f"max {max(timings) * 1000:.1f} ms, requests per listing {sorted(set(requests))}")  # fmt: skip
        print(f"Forecast page with its version dropdown (AppTest, caches cleared before each render): "
              f"median {statistics.median(renders):.2f} s, max {max(renders):.2f} s")  # fmt: skip
    finally:
        server.stop()


if __name__ == "__main__":
    main()
