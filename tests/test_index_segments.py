"""The segmented index: a publish rewrites a small head whatever the number of versions, listings stay a few reads,
deleted SNAPSHOTs stay deleted in sealed segments, damage is an integrity error that reindex repairs."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import unique_bucket
from tests.test_scale import CountingS3Store
from varlib import IntegrityError, ModelRegistry
from varlib.registry import index as index_module
from varlib.registry.index import RECENT_ENTRIES, index_key


def publish_many(registry: ModelRegistry, result, count: int, start: int = 0) -> list[str]:
    versions = [f"1.{n // 100}.{n % 100}" for n in range(start, start + count)]
    for version in versions:
        registry.publish(result, "var", version)
    return versions


def test_the_head_stays_small_and_listings_stay_complete(registry, gdp_cons_result) -> None:
    sizes = {}
    published: list[str] = []
    for target in (10, 150):
        published += publish_many(registry, gdp_cons_result, target - len(published), len(published))
        sizes[target] = len(registry.store.read(index_key("var")).data)
        head = json.loads(registry.store.read(index_key("var")).data)
        assert len(head["versions"]) <= RECENT_ENTRIES
    assert sizes[150] < 2.5 * sizes[10] + 4096, sizes  # bounded: not 15 times larger
    head = json.loads(registry.store.read(index_key("var")).data)
    assert 1 <= len(head["segments"]) <= 6 and sum(s["count"] for s in head["segments"]) + len(head["versions"]) >= 150
    fresh = ModelRegistry(registry.store)
    assert [v.version for v in fresh.list_versions("var")] == sorted(published, key=_semver, reverse=True)


def _semver(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def test_a_listing_is_a_few_reads_cold_and_one_warm(s3_server, gdp_cons_result) -> None:
    store = CountingS3Store(unique_bucket(), settings=s3_server.settings())
    publish_many(ModelRegistry(store), gdp_cons_result, 150)
    reader = ModelRegistry(store)
    store.requests = 0
    assert len(reader.list_versions("var")) == 150
    cold = store.requests
    store.requests = 0
    reader.list_versions("var")
    assert cold <= 8 and store.requests == 2, (cold, store.requests)  # the head and aliases.json


def test_a_deleted_snapshot_stays_deleted_after_its_entry_was_sealed(registry, gdp_cons_result) -> None:
    registry.publish(gdp_cons_result, "var", "0.9.0-SNAPSHOT")
    publish_many(registry, gdp_cons_result, RECENT_ENTRIES + 2)  # seals the SNAPSHOT's entry into a segment
    head = json.loads(registry.store.read(index_key("var")).data)
    assert "0.9.0-SNAPSHOT" not in head["versions"] and head["segments"]
    registry.delete_snapshot("var", "0.9.0-SNAPSHOT")
    assert "0.9.0-SNAPSHOT" not in [v.version for v in ModelRegistry(registry.store).list_versions("var")]
    registry.publish(gdp_cons_result, "var", "0.9.0-SNAPSHOT")  # published again: listed again
    assert "0.9.0-SNAPSHOT" in [v.version for v in ModelRegistry(registry.store).list_versions("var")]


def test_a_missing_or_changed_segment_is_an_integrity_error_that_reindex_repairs(registry, gdp_cons_result) -> None:
    publish_many(registry, gdp_cons_result, RECENT_ENTRIES + 3)
    head = json.loads(registry.store.read(index_key("var")).data)
    segment_key = "var/" + head["segments"][0]["key"]
    data = registry.store.read(segment_key).data
    registry.store.delete(segment_key)
    registry.store.write(segment_key, data.replace(b'"lag_order": 3', b'"lag_order": 4', 1))
    with pytest.raises(IntegrityError, match=r"fails its checksum \(sha256 in var/index.json does not match\); "
                                             r"rebuild the index with `python -m varlib reindex var`"):  # fmt: skip
        ModelRegistry(registry.store).list_versions("var")
    registry.store.delete(segment_key)
    with pytest.raises(IntegrityError, match=r"is named by var/index.json but missing"):
        ModelRegistry(registry.store).list_versions("var")
    report = ModelRegistry(registry.store).rebuild_index("var")
    assert len(report.versions) == RECENT_ENTRIES + 3 and not report.skipped
    assert len(ModelRegistry(registry.store).list_versions("var")) == RECENT_ENTRIES + 3


def test_an_index_written_before_segments_is_read_and_sealed_on_its_next_update(registry, gdp_cons_result) -> None:
    publish_many(registry, gdp_cons_result, 40)
    everything = ModelRegistry(registry.store)._index.read("var").entries
    legacy = {"format": "varlib.index", "model": "var", "updated": "2026-01-01T00:00:00Z", "sequence": 40,
              "versions": everything}  # fmt: skip
    registry.store.write(index_key("var"), json.dumps(legacy).encode())
    assert len(ModelRegistry(registry.store).list_versions("var")) == 40
    registry.publish(gdp_cons_result, "var", "2.0.0")
    head = json.loads(registry.store.read(index_key("var")).data)
    assert head["segments"] and len(head["versions"]) <= RECENT_ENTRIES
    assert len(ModelRegistry(registry.store).list_versions("var")) == 41


def test_concurrent_publishers_across_a_seal_lose_no_entry(store_url_and_settings, gdp_cons_result, monkeypatch):
    monkeypatch.setattr(index_module, "RECENT_ENTRIES", 4)  # seal and merge often
    url, settings = store_url_and_settings
    publish_many(ModelRegistry.from_settings(url, settings), gdp_cons_result, 3)
    versions = [f"2.0.{n}" for n in range(16)]

    def publish(version: str) -> None:
        ModelRegistry.from_settings(url, settings).publish(gdp_cons_result, "var", version)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(publish, versions))
    listed = {v.version for v in ModelRegistry.from_settings(url, settings).list_versions("var")}
    assert listed == set(versions) | {"1.0.0", "1.0.1", "1.0.2"}
