"""The cluster drills' moving parts, shared by tests/test_cluster.py and bench/cluster_bench.py: `varlib serve`
replicas on a store, publishing processes reporting every attempt, a load of forecast requests, and the checks
that what is stored agrees with itself, with every publisher's report and across the replicas.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests.cluster_publisher import variant_of
from tests.conftest import unique_bucket
from tests.s3server import free_port_pairs
from tests.seaweed_cluster import SeaweedCluster
from varlib import ModelRegistry, open_store
from varlib.naming import Version

ROOT = Path(__file__).resolve().parents[1]
REPLICAS = 3
PUBLISHERS = 3
SEED = ["0.0.0", "0.0.1", "0.0.2", "0.0.3", "0.0.4", "0.0.5"]


def http_get(url: str, timeout: float = 20.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""  # no answer


@dataclass
class Load:
    """Threads asking the replicas, in turn, for forecasts of pinned (cached) versions and of `latest`."""

    replicas: list[str]
    name: str
    threads: int = 4
    results: list[tuple[str, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._workers = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(self.threads)]

    def start(self) -> Load:
        for worker in self._workers:
            worker.start()
        return self

    def stop(self) -> list[tuple[str, int]]:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=60)
        return self.results

    def _run(self, number: int) -> None:
        turn = number
        while not self._stop.is_set():
            replica = self.replicas[turn % len(self.replicas)]
            kind = "latest" if turn % 5 == 0 else "pinned"
            version = "latest" if kind == "latest" else SEED[turn % len(SEED)]
            status, _ = http_get(f"{replica}/models/{self.name}/versions/{version}/forecast?steps=4")
            self.results.append((kind, status))
            turn += 1
            time.sleep(0.02)


class Drill:
    """One bucket on the cluster, its replicas, and what checks it after an outage."""

    def __init__(self, cluster: SeaweedCluster, workdir: Path) -> None:
        self.cluster = cluster
        self.workdir = workdir
        self.url = f"s3://{unique_bucket()}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VARLIB_"))}
        self.env.update(cluster.settings(), VARLIB_STORE=self.url, PYTHONPATH=str(ROOT))
        self.replicas: list[str] = []
        self.servers: list[subprocess.Popen] = []

    def registry(self) -> ModelRegistry:
        return ModelRegistry(open_store(self.url, self.cluster.settings()))

    def start_replicas(self) -> None:
        for port in free_port_pairs(REPLICAS):
            with open(self.workdir / f"serve-{port}.log", "wb") as log:
                self.servers.append(subprocess.Popen([sys.executable, "-m", "varlib", "serve", "--port", str(port)],
                                                     env=self.env, cwd=self.workdir, stdout=log,
                                                     stderr=subprocess.STDOUT))  # fmt: skip
            self.replicas.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        for replica in self.replicas:
            while http_get(f"{replica}/healthz", 2)[0] != 200:
                assert time.monotonic() < deadline, "a replica did not start; see serve-*.log"
                time.sleep(0.2)

    def stop_replicas(self) -> None:
        for server in self.servers:
            server.terminate()
        for server in self.servers:
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()

    def publishers(self, name: str, count: int, pause: float = 0.0, env: dict[str, str] | None = None,
                   versions: list[str] | None = None, series: list[str] | None = None) -> list[subprocess.Popen]:  # fmt: skip
        """Start the publishing processes; each reports to publish-<name>.jsonl."""
        report = self.workdir / f"publish-{name}.jsonl"
        started = []
        groups = [["--versions", ",".join(versions)]] if versions else [[]] * PUBLISHERS
        for number, extra in enumerate(groups):
            major_minor = (series or [f"1.{n}" for n in range(PUBLISHERS)])[number] if not versions else "9.9"
            started.append(subprocess.Popen(
                [sys.executable, str(ROOT / "tests" / "cluster_publisher.py"), name, major_minor, str(count),
                 str(report), "--pause", str(pause), *extra],
                env=env or self.env, cwd=self.workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            ))  # fmt: skip
        for process in started:  # each has trained its models and publishes from now on
            assert process.stdout is not None and process.stdout.readline().strip() == b"ready"
        return started

    def report(self, name: str) -> list[dict]:
        path = self.workdir / f"publish-{name}.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def wait_for_reports(self, name: str, count: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while len(self.report(name)) < count:
            assert time.monotonic() < deadline, self.report(name)
            time.sleep(0.1)

    def check(self, name: str, attempts: list[dict]) -> None:
        """What is stored agrees with every publisher's report, and with itself; failed publishes then repeat."""
        registry = self.registry()
        store = registry.store
        stored = {str(Version.from_folder(key.split("/")[1]))
                  for key in store.list_keys(f"{name}/") if key.endswith("/manifest.json")}  # fmt: skip
        listed = {str(summary.version) for summary in registry.list_versions(name)}
        told_to_reindex = {a["version"] for a in attempts if a["outcome"] == "published" and not a["listed"]}
        assert listed <= stored, "a listed version without a manifest"
        assert stored - listed <= told_to_reindex, "a manifest not listed, and its publisher was not told"
        for attempt in attempts:
            if attempt["outcome"] == "published":
                assert attempt["version"] in stored, attempt
            elif attempt["outcome"] == "failed":
                assert attempt["version"] not in stored, attempt  # a failure leaves nothing visible
            else:
                assert attempt["outcome"] == "unknown", attempt  # never "exists": versions are each publisher's
        if told_to_reindex:
            registry.rebuild_index(name)
            assert {str(s.version) for s in registry.list_versions(name)} == stored
        for version in sorted(stored):
            metadata = registry.load(name, version).metadata  # checksums verified
            if version not in SEED:  # the model its publisher trained for this version, not another's
                assert (metadata["model"]["lag_order"], metadata["data"]["test"]["rows"]) == variant_of(version)
        failed = [
            a["version"] for a in attempts if a["outcome"] in ("failed", "unknown") and a["version"] not in stored
        ]
        if failed:
            for process in self.publishers(name, 0, versions=failed):
                assert process.wait(timeout=120) == 0
            repeated = self.report(name)[-len(failed) :]
            assert [a["outcome"] for a in repeated] == ["published"] * len(failed), repeated

    def pinned_answers_agree(self, name: str) -> int:
        """Every replica gives the same answer for every listed version; the number of versions compared."""
        versions = [str(s.version) for s in self.registry().list_versions(name)]

        def answers(version: str) -> list[tuple[int, bytes]]:
            return [http_get(f"{replica}/models/{name}/versions/{version}/forecast?steps=4", 30)
                    for replica in self.replicas]  # fmt: skip

        with ThreadPoolExecutor(max_workers=4) as pool:
            for version, replies in zip(versions, pool.map(answers, versions), strict=True):
                assert all(status == 200 for status, _ in replies), (version, replies)
                assert len({body for _, body in replies}) == 1, version
                assert json.loads(replies[0][1])["version"] == version
        return len(versions)
