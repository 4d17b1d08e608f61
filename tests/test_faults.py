"""Store faults and concurrent publishers, with real processes against a real S3 server and real file systems."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import unique_bucket
from varlib import ModelRegistry, open_store
from varlib.cli import main
from varlib.errors import NotFound, StoreError

ROOT = Path(__file__).resolve().parents[1]
PUBLISHER = [sys.executable, str(ROOT / "tests" / "fault_publisher.py")]
PROCESSES = 8


def publisher(env: dict[str, str], *args: str) -> subprocess.Popen:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VARLIB_"))}
    return subprocess.Popen([*PUBLISHER, *args], env={**clean, **env}, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def wait_for(process: subprocess.Popen, word: str) -> None:
    line = process.stdout.readline().strip()
    assert line == word, (line, process.stderr.read() if process.poll() is not None else "")


def s3_env(server, bucket: str | None = None) -> dict[str, str]:
    return {"VARLIB_STORE": f"s3://{bucket or unique_bucket()}", **server.settings()}


def assert_no_version_and_republish(env: dict[str, str], gdp_cons_result) -> None:
    registry = ModelRegistry.from_settings(env["VARLIB_STORE"], env)
    assert registry.list_versions("var") == []
    with pytest.raises(NotFound):
        registry.load("var", "0.0.1")
    registry.publish(gdp_cons_result, "var", "0.0.1")  # the dead publisher's lock does not block a new one
    assert registry.load("var", "0.0.1").model.lag_order == 3
    assert [v.version for v in registry.list_versions("var")] == ["0.0.1"]


def test_publishing_with_the_store_stopped_fails_cleanly(private_s3_server, monkeypatch, capsys) -> None:
    env = s3_env(private_s3_server, "models")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    private_s3_server.stop()
    code = main(["train", "--columns", "realgdp,realcons", "--transform", "logdiff", "--publish", "var", "0.0.1"])
    err = capsys.readouterr().err
    assert code == 6 and err.count("\n") == 1 and "cannot reach the S3 store" in err
    private_s3_server.start()
    assert open_store("s3://models", env).list_keys("") == []


def test_store_stopped_between_objects_then_restarted(private_s3_server, gdp_cons_result) -> None:
    env = s3_env(private_s3_server)
    process = publisher(env, "var", "0.0.1", "--pause-after", "1")
    wait_for(process, "paused")  # model.json is written, the rest is not
    private_s3_server.stop()
    _, err = process.communicate("\n", timeout=60)
    assert process.returncode == 6 and err.startswith("error: Failed writing var/0_0_1/train.csv: cannot reach")
    private_s3_server.start()
    assert_no_version_and_republish(env, gdp_cons_result)


def test_store_lost_after_the_manifest_publishes_and_reindex_repairs(private_s3_server, gdp_cons_result) -> None:
    env = s3_env(private_s3_server)
    ModelRegistry.from_settings(env["VARLIB_STORE"], env).publish(gdp_cons_result, "var", "0.0.1")
    process = publisher(env, "var", "0.0.2", "--pause-after", "4")
    wait_for(process, "paused")  # model.json, train.csv, test.csv and manifest.json are written
    private_s3_server.stop()
    out, _ = process.communicate("\n", timeout=60)
    assert process.returncode == 0 and out.strip() == "published, index not updated"
    private_s3_server.start()
    registry = ModelRegistry.from_settings(env["VARLIB_STORE"], env)
    assert [v.version for v in registry.list_versions("var")] == ["0.0.1"]  # the index is behind ...
    assert registry.load("var", "0.0.2").version == registry.resolve("var", "0.0.2")  # ... the version is there
    assert [v.version for v in registry.rebuild_index("var").versions] == ["0.0.2", "0.0.1"]
    assert registry.resolve("var", "latest") == registry.resolve("var", "0.0.2")


@pytest.mark.parametrize("backend", ["file", "s3"])
def test_publisher_killed_between_objects(backend, tmp_path, s3_server, gdp_cons_result) -> None:
    env = s3_env(s3_server) if backend == "s3" else {"VARLIB_STORE": f"file://{tmp_path / 'store'}"}
    process = publisher(env, "var", "0.0.1", "--pause-after", "2")
    wait_for(process, "paused")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    keys = open_store(env["VARLIB_STORE"], env).list_keys("var/")
    assert "var/0_0_1/model.json" in keys and "var/0_0_1/manifest.json" not in keys  # half written, invisible
    assert_no_version_and_republish(env, gdp_cons_result)


def start_together(env: dict[str, str], versions: list[str]) -> list[subprocess.Popen]:
    processes = [publisher(env, "var", version, "--note", f"publisher {i}", "--wait-go")
                 for i, version in enumerate(versions)]  # fmt: skip
    for process in processes:
        wait_for(process, "ready")
    for process in processes:  # all are trained and waiting: release them at once
        process.stdin.write("\n")
        process.stdin.flush()
    return processes


@pytest.mark.parametrize("backend", ["file", "s3"])
def test_eight_processes_publish_the_same_release(backend, tmp_path, s3_server) -> None:
    env = s3_env(s3_server) if backend == "s3" else {"VARLIB_STORE": f"file://{tmp_path / 'store'}"}
    processes = start_together(env, ["1.0.0"] * PROCESSES)
    outcomes = [(p.wait(timeout=120), p.stderr.read()) for p in processes]
    winners = [i for i, (code, _) in enumerate(outcomes) if code == 0]
    assert len(winners) == 1, outcomes
    for code, err in (o for i, o in enumerate(outcomes) if i != winners[0]):
        assert code == 4 and ("already exists" in err or "is being published by another process" in err), err
    version = ModelRegistry.from_settings(env["VARLIB_STORE"], env).load("var", "1.0.0")  # all checksums agree
    assert version.metadata["note"] == f"publisher {winners[0]}"


@pytest.mark.parametrize("backend", ["file", "s3"])
def test_eight_processes_publish_different_versions(backend, tmp_path, s3_server) -> None:
    env = s3_env(s3_server) if backend == "s3" else {"VARLIB_STORE": f"file://{tmp_path / 'store'}"}
    versions = [f"1.0.{i}" for i in range(PROCESSES)]
    processes = start_together(env, versions)
    assert [p.wait(timeout=120) for p in processes] == [0] * PROCESSES
    listed = [v.version for v in ModelRegistry.from_settings(env["VARLIB_STORE"], env).list_versions("var")]
    assert listed == list(reversed(versions))  # the index lost no entry


@pytest.fixture
def tiny_disk(tmp_path):
    if os.geteuid() != 0:
        pytest.fail("the disk-full test mounts a small tmpfs and needs root (CI runs as root)")
    mount = tmp_path / "tiny"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_is_a_clear_error_and_leaves_no_version(tiny_disk, gdp_cons_result) -> None:
    (tiny_disk / "filler").write_bytes(b"\0" * 40_000)  # leave less room than a version needs
    registry = ModelRegistry(open_store(f"file://{tiny_disk / 'store'}"))
    with pytest.raises(StoreError) as info:
        registry.publish(gdp_cons_result, "var", "0.0.1")
    assert str(info.value).startswith("Failed writing var/0_0_1/") and str(info.value).endswith(
        f"in the local store {tiny_disk / 'store'}: the disk is full."
    )
    assert registry.list_versions("var") == []


def test_permission_denied_is_a_clear_error(gdp_cons_result) -> None:
    if os.geteuid() != 0:
        pytest.fail("this test drops privileges with seteuid and needs root (CI runs as root)")
    parent = Path(tempfile.mkdtemp(prefix="varlib-permissions-"))
    parent.chmod(0o755)  # owned by root: another user may look inside but not write
    root = parent / "store"
    root.mkdir(mode=0o755)
    registry = ModelRegistry(open_store(f"file://{root}"))
    os.seteuid(65534)  # nobody
    try:
        with pytest.raises(StoreError) as info:
            registry.publish(gdp_cons_result, "var", "0.0.1")
    finally:
        os.seteuid(0)
    try:
        assert str(info.value) == (
            f"Failed writing var/0_0_1/.publish.lock in the local store {root}: permission denied."
        )
        assert list(root.iterdir()) == []
    finally:
        shutil.rmtree(parent)
