"""Issue 15: a publish reports its true outcome when the store stalls past VARLIB_S3_TIMEOUT as the manifest is
written. Observed before: with a 3 s stall (timeout 2 s) the client retried the create-only PUT, which had landed,
and the publisher was told its own version "already exists" (exit 4); with a 7 s stall it was told the store timed
out (exit 6). Either way the version existed but was missing from the index and `latest`, and could not be
published again. A real S3 server (SeaweedFS) behind a proxy that holds the manifest PUT's answer back.
"""

from __future__ import annotations

import time

import pytest

from tests.conftest import unique_bucket
from tests.stall_proxy import StallProxy
from varlib import ModelRegistry, open_store
from varlib.cli import main
from varlib.errors import StoreError


def is_manifest_put(method: str, path: str) -> bool:
    return method == "PUT" and path.split("?")[0].endswith("/manifest.json")


@pytest.fixture
def proxied(s3_server):
    proxy = StallProxy(s3_server.endpoint)
    bucket = unique_bucket()
    settings = s3_server.settings(AWS_ENDPOINT_URL=proxy.url, VARLIB_S3_TIMEOUT="2")
    yield proxy, f"s3://{bucket}", settings, s3_server.settings()
    proxy.close()


@pytest.mark.parametrize("stall", [3.0, 7.0])
def test_a_publish_whose_manifest_write_stalls_past_the_timeout_reports_success(proxied, gdp_cons_result,
                                                                                stall) -> None:  # fmt: skip
    proxy, url, settings, direct = proxied
    registry = ModelRegistry(open_store(url, settings))
    registry.list_models()  # the bucket exists before the drill
    proxy.stall(is_manifest_put, stall)
    receipt = registry.publish(gdp_cons_result, "var", "1.0.0")
    assert receipt.index_updated and str(receipt.version) == "1.0.0"
    assert [m for m, _, status in proxy.stalled] == ["PUT"] and proxy.stalled[0][2] == 200  # it landed, once
    fresh = ModelRegistry(open_store(url, direct))  # another process, straight to the server
    assert [v.version for v in fresh.list_versions("var")] == ["1.0.0"]
    assert str(fresh.resolve("var", "latest")) == "1.0.0"
    fresh.load("var", "1.0.0")


def test_an_unknown_outcome_says_so_and_how_to_check(proxied, gdp_cons_result, capsys) -> None:
    """The manifest PUT landed, its answer never came, and the store is then unreachable: neither "exists" nor
    "failed" is true, and the message says so."""
    proxy, url, settings, direct = proxied
    ModelRegistry(open_store(url, settings)).list_models()
    proxy.stall(is_manifest_put, 3.0)
    original_stall = proxy.stalled

    def down_after_the_manifest(method: str, path: str) -> bool:
        if is_manifest_put(method, path):
            proxy.down()  # every later request fails, the read-back included
            return True
        return False

    proxy.rules = [(down_after_the_manifest, 3.0)]
    with pytest.raises(StoreError) as caught:
        ModelRegistry(open_store(url, settings)).publish(gdp_cons_result, "var", "1.0.0")
    message = str(caught.value)
    assert message.startswith("The outcome of publishing var 1.0.0 is unknown: ")
    assert message.endswith("check with `python -m varlib show var 1.0.0`; if it exists and is not listed, "
                            "`python -m varlib reindex var`.")  # fmt: skip
    assert original_stall is proxy.stalled and proxy.stalled[0][0] == "PUT"
    fresh = ModelRegistry(open_store(url, direct))
    fresh.load("var", "1.0.0")  # it did land


def test_a_release_published_by_another_is_still_already_exists(proxied, gdp_cons_result) -> None:
    _, url, settings, direct = proxied
    ModelRegistry(open_store(url, direct)).publish(gdp_cons_result, "var", "1.0.0")
    with pytest.raises(Exception) as caught:
        ModelRegistry(open_store(url, settings)).publish(gdp_cons_result, "var", "1.0.0")
    assert "already exists" in str(caught.value) and type(caught.value).__name__ == "VersionExists"


def test_the_cli_exits_zero_after_a_stalled_manifest_write(proxied, tmp_path, monkeypatch, capsys) -> None:
    proxy, url, settings, _ = proxied
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    ModelRegistry(open_store(url, settings)).list_models()
    proxy.stall(is_manifest_put, 3.0)
    code = main(["--store", url, "train", "--columns", "realgdp,realcons", "--transform", "logdiff", "--lags", "2",
                 "--publish", "var", "1.0.0"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert "Published var 1.0.0" in capsys.readouterr().out


def put_to(file: str):
    def match(method: str, path: str) -> bool:
        return method == "PUT" and path.split("?")[0].endswith(file)

    return match


def test_an_index_update_whose_answer_stalls_past_the_timeout_is_listed(proxied, gdp_cons_result) -> None:
    """Before: the index head's compare-and-swap timed out (7 s against 2 s) and the version was missing from the
    list although the head had been written."""
    proxy, url, settings, direct = proxied
    registry = ModelRegistry(open_store(url, settings))
    registry.publish(gdp_cons_result, "var", "1.0.0")
    proxy.stall(put_to("/var/index.json"), 7.0)
    receipt = registry.publish(gdp_cons_result, "var", "1.0.1")
    assert receipt.index_updated
    assert [m for m, _, status in proxy.stalled] == ["PUT"] and proxy.stalled[0][2] == 200
    fresh = ModelRegistry(open_store(url, direct))
    assert sorted(str(v.version) for v in fresh.list_versions("var")) == ["1.0.0", "1.0.1"]
    assert str(fresh.resolve("var", "latest")) == "1.0.1"


def test_an_alias_move_whose_answer_stalls_past_the_timeout_is_reported_done(proxied, gdp_cons_result) -> None:
    """Before: "timed out" (exit 6) although aliases.json had been written."""
    proxy, url, settings, direct = proxied
    registry = ModelRegistry(open_store(url, settings))
    registry.publish(gdp_cons_result, "var", "1.0.0")
    proxy.stall(put_to("/var/aliases.json"), 7.0)
    registry.set_alias("var", "production", "1.0.0")
    assert len(proxy.stalled) == 1 and proxy.stalled[0][2] == 200
    assert str(ModelRegistry(open_store(url, direct)).resolve("var", "@production")) == "1.0.0"


def test_a_lock_whose_answer_stalls_past_the_timeout_is_held_not_left_behind(proxied, gdp_cons_result) -> None:
    """Before: the publish failed with "timed out" and left its own lock behind, so publishing the version again
    was refused as busy until the lock's lease ran out."""
    proxy, url, settings, direct = proxied
    registry = ModelRegistry(open_store(url, settings))
    registry.list_models()
    proxy.stall(put_to("/.publish.lock"), 7.0)
    receipt = registry.publish(gdp_cons_result, "var", "1.0.0")
    assert receipt.index_updated and proxy.stalled[0][2] == 200
    store = open_store(url, direct)
    assert not [key for key in store.list_keys("var/") if key.endswith(".publish.lock")]  # released
    ModelRegistry(store).load("var", "1.0.0")


def test_a_failed_write_whose_answer_was_lost_is_sent_again_once_the_store_answers(proxied, gdp_cons_result) -> None:
    """The manifest PUT never reaches the server and its connection drops: the read-back finds nothing, so the
    write is sent once more (still create-only) and the publish succeeds."""
    proxy, url, settings, direct = proxied
    registry = ModelRegistry(open_store(url, settings))
    registry.list_models()
    proxy.drop_once(is_manifest_put)
    receipt = registry.publish(gdp_cons_result, "var", "1.0.0")
    assert receipt.index_updated and proxy.dropped == ["PUT"]
    assert [v.version for v in ModelRegistry(open_store(url, direct)).list_versions("var")] == ["1.0.0"]


def test_a_read_that_stalls_ends_within_the_timeout_retries_included(proxied, gdp_cons_result) -> None:
    """One store call, retries included, stays within VARLIB_S3_TIMEOUT (2 s here), however long the stall."""
    proxy, url, settings, direct = proxied
    ModelRegistry(open_store(url, direct)).publish(gdp_cons_result, "var", "1.0.0")
    store = open_store(url, settings)
    proxy.stall(lambda method, path: method == "GET" and path.split("?")[0].endswith("/manifest.json"), 20.0)
    started = time.monotonic()
    with pytest.raises(StoreError, match=r"did not finish answering within 2 s \(VARLIB_S3_TIMEOUT\)"):
        store.read("var/1_0_0/manifest.json")
    assert time.monotonic() - started < 3.5  # 2 s, plus the pause before a retry the deadline stops


def test_pooled_connections_the_restarted_store_closed_do_not_fail_the_first_calls(private_s3_server,
                                                                                   gdp_cons_result) -> None:  # fmt: skip
    """After an outage, the first reads and writes on connections the server closed ride it out."""
    url = f"s3://{unique_bucket()}"
    registry = ModelRegistry(open_store(url, private_s3_server.settings()))
    registry.publish(gdp_cons_result, "var", "1.0.0")
    registry.load("var", "1.0.0")  # the pool now holds open connections
    private_s3_server.stop()
    private_s3_server.start()
    assert [v.version for v in registry.list_versions("var")] == ["1.0.0"]
    registry.load("var", "1.0.0")
    assert registry.publish(gdp_cons_result, "var", "1.0.1").index_updated
