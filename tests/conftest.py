"""Shared fixtures: a real S3 server for the session, a replicated S3 cluster for a module, and a `store` fixture
run on every backend."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.s3server import S3TestServer
from tests.seaweed_cluster import SeaweedCluster
from varlib import TrainSpec, load_macrodata, train
from varlib.registry import ModelRegistry
from varlib.store import ModelStore, open_store

BACKENDS = ("file", "s3")


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3TestServer]:
    server = S3TestServer(tmp_path_factory.mktemp("s3"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def private_s3_server(tmp_path: Path) -> Iterator[S3TestServer]:
    """A server of the test's own, for tests that stop or restart it."""
    server = S3TestServer(tmp_path / "s3")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def s3_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedCluster]:
    """A replicated SeaweedFS cluster, each component its own process, for a module whose tests kill, stop and
    restart its components (tests/seaweed_cluster.py)."""
    cluster = SeaweedCluster(tmp_path_factory.mktemp("cluster"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.shutdown()


def unique_bucket() -> str:
    return f"test-{uuid.uuid4().hex[:16]}"


@pytest.fixture(params=BACKENDS)
def store_url_and_settings(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, dict[str, str]]:
    if request.param == "file":
        return f"file://{tmp_path / 'store'}", {}
    server: S3TestServer = request.getfixturevalue("s3_server")
    return f"s3://{unique_bucket()}", server.settings()


@pytest.fixture
def store(store_url_and_settings: tuple[str, dict[str, str]]) -> ModelStore:
    url, settings = store_url_and_settings
    return open_store(url, settings)


@pytest.fixture
def registry(store: ModelStore) -> ModelRegistry:
    return ModelRegistry(store)


@pytest.fixture(scope="session")
def macrodata():
    return load_macrodata()


@pytest.fixture(scope="session")
def gdp_cons_result(macrodata):
    """The issue's reference model: realgdp and realcons, logdiff, test 12, AIC over 12 lags."""
    spec = TrainSpec.build(["realgdp", "realcons"], "logdiff", test_size=12, max_lags=12, criterion="aic")
    return train(macrodata, spec)
