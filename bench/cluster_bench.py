"""The scale-out drill, with its figures: a replicated SeaweedFS cluster on loopback (one master keeping two copies
of every object, three volume servers, a filer, an S3 gateway: each its own process), three `varlib serve`
replicas and four publishing processes, and a volume server killed with SIGKILL a third of the way through.

    python bench/cluster_bench.py [--versions 60] [--publishers 4] [--http-requests 2000] [--concurrency 16]

Prints: publishes that succeeded, requests answered 200 while it ran, versions whose pinned answers the replicas
agree on, how soon every replica serves a new `latest`, and the pinned throughput of three replicas against one,
measured in the same run. Run by hand; the test suite runs a smaller drill (tests/test_cluster.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.serve_bench import http_load  # noqa: E402
from tests import cluster_drill  # noqa: E402
from tests.cluster_drill import SEED, Drill, Load, http_get  # noqa: E402
from tests.seaweed_cluster import SeaweedCluster  # noqa: E402
from varlib import TrainSpec, load_macrodata, train  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--versions", type=int, default=60, help="versions each publisher publishes")
    parser.add_argument("--publishers", type=int, default=4)
    parser.add_argument("--http-requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    cluster_drill.PUBLISHERS = args.publishers
    with tempfile.TemporaryDirectory() as workdir:
        cluster = SeaweedCluster(Path(workdir) / "cluster")
        cluster.start()
        drill = Drill(cluster, Path(workdir))
        try:
            run(cluster, drill, args)
        finally:
            drill.stop_replicas()
            cluster.shutdown()


def run(cluster: SeaweedCluster, drill: Drill, args: argparse.Namespace) -> None:
    registry = drill.registry()
    data = load_macrodata()
    for number, version in enumerate(SEED):
        spec = TrainSpec.build(["realgdp", "realcons"], "logdiff", lags=1 + number % 3, test_size=8)
        registry.publish(train(data, spec), "drill", version)
    drill.start_replicas()
    for replica in drill.replicas:
        for version in SEED:
            http_get(f"{replica}/models/drill/versions/{version}/forecast?steps=4")

    total = args.publishers * args.versions
    load = Load(drill.replicas, "drill").start()
    publishing = drill.publishers("drill", args.versions)
    drill.wait_for_reports("drill", total // 3, timeout=600)
    cluster.kill("volume3")
    killed_at = len(drill.report("drill"))
    for process in publishing:
        process.wait(timeout=1800)
    answers = load.stop()
    attempts = drill.report("drill")
    outcomes = Counter(a["outcome"] for a in attempts)
    print(f"volume server 3 killed (SIGKILL) after {killed_at} of {total} publishes")
    print(f"publishes: {outcomes['published']} of {total} published and listed "
          f"{sum(1 for a in attempts if a.get('listed'))}; {dict(outcomes)}")  # fmt: skip
    statuses = Counter(status for _, status in answers)
    print(f"requests during the drill: {statuses[200]} of {len(answers)} answered 200; {dict(statuses)}")
    drill.check("drill", attempts)
    print(f"every listed version loads and every manifest is listed; replicas agree on "
          f"{drill.pinned_answers_agree('drill')} pinned versions")  # fmt: skip

    spec = TrainSpec.build(["realgdp", "realcons"], "logdiff", lags=2)
    registry.publish(train(data, spec), "drill", "2.0.0")
    published = time.monotonic()
    waits = []
    for replica in drill.replicas:
        while (
            json.loads(http_get(f"{replica}/models/drill/versions/latest/forecast?steps=1")[1] or b"{}").get("version")
            != "2.0.0"
        ):
            time.sleep(0.005)
        waits.append(time.monotonic() - published)
    print(f"a new latest: served by every replica within {max(waits) * 1000:.0f} ms of its publish")

    path = f"/models/drill/versions/{SEED[0]}/forecast?steps=12"
    http_load(drill.replicas, path, 200, args.concurrency)  # warm every replica's cache and connections
    one = http_load(drill.replicas[0], path, args.http_requests, args.concurrency)
    three = http_load(drill.replicas, path, args.http_requests, args.concurrency)
    print(f"pinned throughput, {args.concurrency} at a time: one replica {one['throughput']:.0f} req/s "
          f"({one['errors']} errors), three {three['throughput']:.0f} req/s ({three['errors']} errors): "
          f"**{three['throughput'] / one['throughput']:.2f}×**")  # fmt: skip


if __name__ == "__main__":
    main()
