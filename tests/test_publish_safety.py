"""No publisher, however slow, dead or racing, can modify a release; SNAPSHOT readers never see a mix.

Real processes (SIGSTOP, SIGCONT, SIGKILL) against the real S3 server and a real file system.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time

import pytest

from tests.test_faults import publisher, s3_env, wait_for
from varlib import ModelRegistry, open_store
from varlib.errors import IntegrityError, NotFound
from varlib.registry import LOCK_FILE

BACKENDS = ("file", "s3")


def env_for(backend: str, tmp_path, s3_server) -> dict[str, str]:
    return s3_env(s3_server) if backend == "s3" else {"VARLIB_STORE": f"file://{tmp_path / 'store'}"}


def registry_for(env: dict[str, str]) -> ModelRegistry:
    return ModelRegistry.from_settings(env["VARLIB_STORE"], env)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("stalls_before", [1, 4], ids=["before-model.json", "before-manifest"])
def test_a_stalled_publisher_that_lost_its_lock_cannot_touch_the_release(
    backend, stalls_before, tmp_path, s3_server
) -> None:
    """The red team's corruption: A holds the lock and stalls past the lease, B takes over and publishes, A wakes."""
    env = env_for(backend, tmp_path, s3_server)
    first = publisher(env, "var", "1.0.0", "--note", "A", "--pause-before", str(stalls_before))
    wait_for(first, "paused")  # A holds the publish lock
    os.kill(first.pid, signal.SIGSTOP)  # and stalls
    try:
        time.sleep(1.5)
        second = publisher(env, "var", "1.0.0", "--note", "B", "--lease", "1")  # A's lease (1 s here) ran out
        out, err = second.communicate(timeout=120)
        assert second.returncode == 0 and out.strip() == "published", err
    finally:
        os.kill(first.pid, signal.SIGCONT)
    _, err = first.communicate("\n", timeout=120)  # A wakes up and goes on writing
    assert first.returncode == 4 and "already exists" in err, err

    registry = registry_for(env)
    version = registry.load("var", "1.0.0")  # every checksum still agrees with the manifest
    assert version.metadata["note"] == "B"
    assert registry.resolve("var", "latest") == version.version
    keys = set(open_store(env["VARLIB_STORE"], env).list_keys("var/1_0_0/"))
    named = {f"var/1_0_0/{entry['key']}" for entry in version.manifest["objects"].values()}
    assert keys == named | {"var/1_0_0/manifest.json"}  # A removed what it wrote; nothing else is left


@pytest.mark.parametrize("started", ["1e12", "Infinity", '"soon"'])
def test_a_planted_lock_with_an_absurd_start_does_not_block_a_version(registry, gdp_cons_result, started) -> None:
    planted = f'{{"host": "{socket.gethostname()}", "pid": {os.getpid()}, "id": "x", "started": {started}}}'
    registry.store.write(f"var/0_0_1/{LOCK_FILE}", planted.encode())
    registry.publish(gdp_cons_result, "var", "0.0.1")
    assert registry.load("var", "0.0.1").model.lag_order == 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_snapshot_readers_get_the_old_or_the_new_version_never_corrupted(
    backend, tmp_path, s3_server, gdp_cons_result
) -> None:
    env = env_for(backend, tmp_path, s3_server)
    writer = registry_for(env)
    writer.publish(gdp_cons_result, "var", "1.0.0-SNAPSHOT", note="round 0")
    stop = threading.Event()
    seen: list[str] = []
    failures: list[str] = []

    def read() -> None:
        reader = registry_for(env)  # a reader of its own, as another process would be
        while not stop.is_set():
            try:
                seen.append(reader.load("var", "1.0.0-SNAPSHOT").metadata["note"])
            except (IntegrityError, NotFound) as exc:
                failures.append(str(exc))

    readers = [threading.Thread(target=read) for _ in range(4)]
    for thread in readers:
        thread.start()
    try:
        for round_ in range(1, 16):
            writer.publish(gdp_cons_result, "var", "1.0.0-SNAPSHOT", note=f"round {round_}")
    finally:
        stop.set()
        for thread in readers:
            thread.join(timeout=60)
    assert failures == []
    assert len(seen) > 30 and set(seen) <= {f"round {i}" for i in range(16)}
    assert writer.load("var", "1.0.0-SNAPSHOT").metadata["note"] == "round 15"
    keys = open_store(env["VARLIB_STORE"], env).list_keys("var/1_0_0-SNAPSHOT/")
    assert len(keys) == 4  # each republish removed the objects of the one it replaced


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_snapshot_republish_killed_midway_leaves_the_previous_one_loadable(
    backend, tmp_path, s3_server, gdp_cons_result
) -> None:
    env = env_for(backend, tmp_path, s3_server)
    registry_for(env).publish(gdp_cons_result, "var", "1.0.0-SNAPSHOT", note="before")
    process = publisher(env, "var", "1.0.0-SNAPSHOT", "--note", "killed", "--pause-after", "2")
    wait_for(process, "paused")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    registry = registry_for(env)
    assert registry.load("var", "1.0.0-SNAPSHOT").metadata["note"] == "before"
    assert [v.version for v in registry.list_versions("var")] == ["1.0.0-SNAPSHOT"]
    registry.publish(gdp_cons_result, "var", "1.0.0-SNAPSHOT", note="after")  # its lock is stale: dead process
    assert registry.load("var", "1.0.0-SNAPSHOT").metadata["note"] == "after"


def test_a_manifest_cannot_point_outside_its_version(registry, gdp_cons_result) -> None:
    registry.publish(gdp_cons_result, "var", "0.0.1")
    registry.publish(gdp_cons_result, "other", "0.0.1")
    manifest = json.loads(registry.store.read("var/0_0_1/manifest.json").data)
    manifest["objects"]["model.json"]["key"] = "../../other/0_0_1/model.json"
    registry.store.write("var/0_0_1/manifest.json", json.dumps(manifest).encode())
    with pytest.raises(IntegrityError, match=r"^var/0_0_1/manifest.json places model.json outside its version's"):
        registry.load("var", "0.0.1")
