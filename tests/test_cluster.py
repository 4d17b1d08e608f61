"""Issue 15: scale out for real. Three `varlib serve` replicas and concurrent publishing processes on a replicated
SeaweedFS cluster (one master keeping two copies of every object, three volume servers, a filer, an S3 gateway),
each a real process on loopback, through outages: a volume server killed with SIGKILL mid-publish and mid-serving,
the filer and the gateway stopped and restarted, answers stalled past the timeout during manifest writes.

After each drill: every listed version loads, every manifest is listed (or its publisher was told to reindex),
the replicas give the same answer for every pinned version, the publishes that failed can be repeated, and each
publisher's report matches what is stored.
"""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest

from tests.cluster_drill import PUBLISHERS, SEED, Drill, Load, http_get
from tests.seaweed_cluster import SeaweedCluster
from tests.stall_proxy import StallProxy


@pytest.fixture(scope="module")
def drill(s3_cluster: SeaweedCluster, tmp_path_factory: pytest.TempPathFactory, macrodata):
    from varlib import TrainSpec, train

    running = Drill(s3_cluster, tmp_path_factory.mktemp("drill"))
    registry = running.registry()
    for name in ("volume", "filer", "gateway", "stall"):
        for version in SEED:
            spec = TrainSpec.build(["realgdp", "realcons"], "logdiff", lags=1 + SEED.index(version) % 3, test_size=8)
            registry.publish(train(macrodata, spec), name, version)
    running.start_replicas()
    try:
        for name in ("volume", "filer", "gateway", "stall"):  # the replicas verify and cache the seed versions
            for replica in running.replicas:
                for version in SEED:
                    assert http_get(f"{replica}/models/{name}/versions/{version}/forecast?steps=4")[0] == 200
        yield running
    finally:
        running.stop_replicas()


def test_every_object_is_stored_twice(s3_cluster: SeaweedCluster, drill: Drill) -> None:
    bucket = drill.url.removeprefix("s3://")
    holders = s3_cluster.copies(bucket, "volume/0_0_0/model.json")
    assert holders and all(len(servers) == 2 for servers in holders), holders


def test_a_volume_server_killed_mid_publish_and_mid_serving_costs_nothing(s3_cluster: SeaweedCluster,
                                                                          drill: Drill) -> None:  # fmt: skip
    count = 10
    load = Load(drill.replicas, "volume").start()
    publishing = drill.publishers("volume", count)
    drill.wait_for_reports("volume", PUBLISHERS * count // 3)
    s3_cluster.kill("volume3")
    for process in publishing:
        assert process.wait(timeout=180) == 0
    answers = load.stop()
    attempts = drill.report("volume")
    print(f"volume server killed: {Counter(a['outcome'] for a in attempts)}; answers {Counter(s for _, s in answers)}")
    assert [a["outcome"] for a in attempts] == ["published"] * PUBLISHERS * count, attempts
    assert all(a["listed"] for a in attempts)
    assert {status for _, status in answers} == {200}, Counter(answers)
    drill.check("volume", attempts)
    assert drill.pinned_answers_agree("volume") == len(SEED) + PUBLISHERS * count
    s3_cluster.start_component("volume3")


@pytest.mark.parametrize("component", ["filer", "s3"])
def test_a_stopped_filer_or_gateway_fails_publishes_cleanly_and_they_repeat(s3_cluster: SeaweedCluster, drill: Drill,
                                                                             component: str) -> None:  # fmt: skip
    name = "filer" if component == "filer" else "gateway"
    count = 12
    for replica in drill.replicas:  # earlier drills' versions may have pushed these out of the replicas' LRU
        for version in SEED:
            assert http_get(f"{replica}/models/{name}/versions/{version}/forecast?steps=4")[0] == 200
    load = Load(drill.replicas, name).start()
    publishing = drill.publishers(name, count, pause=0.3)
    drill.wait_for_reports(name, PUBLISHERS * 2)
    s3_cluster.stop(component)
    time.sleep(3)
    during = len(load.results)
    s3_cluster.start_component(component)
    for process in publishing:
        assert process.wait(timeout=180) == 0
    answers = load.stop()
    attempts = drill.report(name)
    print(f"{component} stopped: {Counter(a['outcome'] for a in attempts)}; answers {Counter(answers)}")
    assert len(attempts) == PUBLISHERS * count
    assert Counter(a["outcome"] for a in attempts)["failed"] > 0  # the outage was felt
    for attempt in attempts:  # each failure said in one sentence that names the store
        if attempt["outcome"] != "published":
            error = attempt["error"]
            assert "\n" not in error and "Traceback" not in error and error.endswith("."), attempt
            assert "S3 store" in error or "outcome" in error, attempt
    # Cached releases kept being served; `latest` needs the store, so it may have been refused, never wrong.
    assert {status for kind, status in answers if kind == "pinned"} == {200}, Counter(answers)
    assert {status for kind, status in answers if kind == "latest"} <= {200, 503}, Counter(answers)
    assert during > 0
    drill.check(name, attempts)
    # Back up: each replica's first calls, on connections the old gateway closed, succeed at once.
    for replica in drill.replicas:
        assert http_get(f"{replica}/models/{name}/versions/latest/forecast?steps=4")[0] == 200
    drill.pinned_answers_agree(name)


def test_answers_stalled_past_the_timeout_during_manifest_writes_on_the_cluster(s3_cluster: SeaweedCluster,
                                                                                 drill: Drill) -> None:  # fmt: skip
    proxy = StallProxy(s3_cluster.endpoint)
    try:
        proxy.stall(lambda method, path: method == "PUT" and path.split("?")[0].endswith("/manifest.json"), 3.0)
        env = drill.env | {"AWS_ENDPOINT_URL": proxy.url, "VARLIB_S3_TIMEOUT": "2"}
        for process in drill.publishers("stall", 2, env=env):
            assert process.wait(timeout=180) == 0
    finally:
        proxy.close()
    attempts = drill.report("stall")
    assert [a["outcome"] for a in attempts] == ["published"] * PUBLISHERS * 2, attempts
    assert all(a["listed"] for a in attempts)
    assert len(proxy.stalled) == PUBLISHERS * 2 and {status for _, _, status in proxy.stalled} == {200}
    drill.check("stall", attempts)
    drill.pinned_answers_agree("stall")


def test_every_replica_sees_a_new_latest_at_once(drill: Drill, gdp_cons_result) -> None:
    drill.registry().publish(gdp_cons_result, "stall", "2.0.0")
    published = time.monotonic()
    waits = []
    for replica in drill.replicas:
        while True:
            status, body = http_get(f"{replica}/models/stall/versions/latest/forecast?steps=1")
            if status == 200 and json.loads(body)["version"] == "2.0.0":
                waits.append(time.monotonic() - published)
                break
            assert time.monotonic() - published < 5, (status, body)
    print(f"latest seen by every replica within {max(waits):.2f} s")
