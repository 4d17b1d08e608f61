"""Serving speed against the original design, measured in one run on a real S3 server (SeaweedFS) on loopback.

    python bench/serve_bench.py [--requests 300] [--original-requests 40] [--http-requests 2000] [--concurrency 16]

1. original: a statsmodels VARMAX(p=9) on realgdp and realcons levels (182 training rows), pickled and stored;
   per request GET + unpickle + predict 12 steps (what the original service did on every request)
2. cold: our path without cache: GET manifest + model.json (concurrently), verify sha256, forecast 12 steps with
   95% intervals in levels
3. warm: a pinned release already verified and cached in memory, forecast 12 steps
4. bare GET of model.json: the floor for a cold path
Then an HTTP load run against `python -m varlib serve` (bounded, loopback only).
Run by hand; it prints figures, it asserts nothing. Needs requirements-dev.txt (the `weed` binary).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle  # the ORIGINAL design's format, reproduced here only to measure it; varlib never unpickles
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import warnings
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import urllib3  # noqa: E402

from tests.s3server import S3TestServer, free_port_pairs  # noqa: E402
from varlib import ModelRegistry, TrainSpec, load_macrodata, open_store, train  # noqa: E402
from varlib.serving import VersionCache  # noqa: E402

BUCKET = "bench"
STEPS = 12


def timings_ms(action: Callable[[], object], count: int, warmup: int = 5) -> list[float]:
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(count):
        started = time.perf_counter_ns()
        action()
        samples.append((time.perf_counter_ns() - started) / 1e6)
    return sorted(samples)


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


def p95(samples: list[float]) -> float:
    return samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]


def original_model_bytes() -> bytes:
    from statsmodels.tsa.statespace.varmax import VARMAX

    levels = load_macrodata().frame[["realgdp", "realcons"]].iloc[:182]
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = VARMAX(levels, order=(9, 0), trend="c").fit(disp=False, maxiter=50)
    print(f"  (fitted the original VARMAX(9) in {time.perf_counter() - started:.1f} s)")
    return pickle.dumps(fitted)


def http_load(base_url: str | list[str], path: str, total: int, concurrency: int) -> dict[str, float]:
    """`total` GETs of `path` from `concurrency` threads sharing a keep-alive pool; bounded in count. Given several
    base URLs (replicas), the requests go to each in turn, as from a round-robin load balancer."""
    bases = [base_url] if isinstance(base_url, str) else base_url
    turn = iter(range(10**9))
    pool = urllib3.PoolManager(maxsize=concurrency, timeout=urllib3.Timeout(total=30), retries=False)
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    remaining = iter(range(total))

    def worker() -> None:
        nonlocal errors
        while True:
            with lock:
                if next(remaining, None) is None:
                    return
                base = bases[next(turn) % len(bases)]
            started = time.perf_counter_ns()
            try:
                response = pool.request("GET", base + path)
                ok = response.status == 200 and len(json.loads(response.data)["forecast"]) == STEPS
            except Exception:  # noqa: BLE001 - counted as an error, reported below
                ok = False
            elapsed = (time.perf_counter_ns() - started) / 1e6
            with lock:
                latencies.append(elapsed)
                errors += not ok

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {"requests": total, "errors": errors, "seconds": wall, "throughput": total / wall,
            "p50": p50(latencies), "p95": p95(latencies)}  # fmt: skip


def start_service(settings: dict[str, str], log: object) -> tuple[subprocess.Popen, str]:
    """`python -m varlib serve` on a free loopback port with these settings; (process, base URL) once it answers."""
    port = free_port_pairs(1)[0]
    env = {**os.environ, **settings, "PYTHONPATH": str(ROOT)}
    service = subprocess.Popen([sys.executable, "-m", "varlib", "serve", "--port", str(port)], env=env,
                               stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    return service, base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="samples for the cold, warm and bare-GET paths")
    parser.add_argument("--original-requests", type=int, default=40, help="samples for the original path")
    parser.add_argument("--http-requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="varlib-bench-"))
    server = S3TestServer(workdir)
    server.start()
    try:
        settings = server.settings()
        store = open_store(f"s3://{BUCKET}", settings)
        registry = ModelRegistry(store)
        spec = TrainSpec.build(["realgdp", "realcons"], "logdiff", test_size=12, max_lags=12, criterion="aic")
        registry.publish(train(load_macrodata(), spec), "var", "0.0.1")
        print("Preparing the original design's pickled VARMAX(9) …")
        store.write("original/model.pkl", original_model_bytes())

        def original() -> object:
            return pickle.loads(store.read("original/model.pkl").data).forecast(steps=STEPS)

        def cold() -> object:
            return registry.load("var", "0.0.1", with_data=False).forecast(STEPS, 0.05)

        cache = VersionCache(registry)
        cache.get("var", "0.0.1")

        def warm() -> object:
            return cache.get("var", "0.0.1").forecast(STEPS, 0.05)

        def bare_get() -> object:
            return store.read("var/0_0_1/model.json")

        def full_load() -> object:
            return registry.load("var", "0.0.1").forecast(STEPS, 0.05)

        print(f"Timing in-process paths against {server.endpoint} (loopback) …")
        results = {
            "1 original (GET + unpickle + predict)": timings_ms(original, args.original_requests, warmup=2),
            "2 cold (GET manifest + model.json, verify, forecast)": timings_ms(cold, args.requests),
            "3 warm (cached release, forecast)": timings_ms(warm, args.requests),
            "4 bare GET of model.json": timings_ms(bare_get, args.requests),
            "  first request of the service (all 4 objects + actuals)": timings_ms(full_load, args.requests // 3),
        }
        print(f"\n{'path':<58}{'p50 ms':>10}{'p95 ms':>10}")
        for name, samples in results.items():
            print(f"{name:<58}{p50(samples):>10.3f}{p95(samples):>10.3f}")
        o, c, w, g = (p50(samples) for samples in list(results.values())[:4])
        print(f"\nratios of p50: 1/2 = {o / c:.1f}x   1/3 = {o / w:.0f}x   2/4 = {c / g:.2f}x")
        sizes = {key: len(store.read(key).data) for key in
                 ("original/model.pkl", "var/0_0_1/model.json", "var/0_0_1/manifest.json")}  # fmt: skip
        print("object sizes: " + ", ".join(f"{key} {size:,} B" for key, size in sizes.items()))

        with open(workdir / "serve.log", "wb") as log:
            service, base = start_service({**settings, "VARLIB_STORE": f"s3://{BUCKET}"}, log)
        try:
            print(f"\nHTTP load against `python -m varlib serve` ({args.http_requests} requests, "
                  f"{args.concurrency} at a time, loopback):")  # fmt: skip
            runs = {
                "pinned 0.0.1": "/models/var/versions/0.0.1/forecast?steps=12",
                "latest (index re-read per request)": "/models/var/versions/latest/forecast?steps=12",
            }
            for label, path in runs.items():
                figures = http_load(base, path, args.http_requests, args.concurrency)
                print(f"  {label:<36} {figures['throughput']:>7.0f} req/s  p50 {figures['p50']:.1f} ms  "
                      f"p95 {figures['p95']:.1f} ms  errors {figures['errors']}")  # fmt: skip
        finally:
            service.terminate()
            service.wait(timeout=10)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
