"""Resolving `latest` and `@alias` costs one small read whatever the number of versions; a lost `latest` update
is repaired by reindex. Counted on a real S3 server, as the listing test counts its requests."""

from __future__ import annotations

import json

from tests.conftest import unique_bucket
from tests.test_scale import CountingS3Store
from varlib import ModelRegistry
from varlib.registry.aliases import aliases_key


def test_latest_and_alias_resolution_cost_one_request_however_many_versions(s3_server, gdp_cons_result) -> None:
    store = CountingS3Store(unique_bucket(), settings=s3_server.settings())
    registry = ModelRegistry(store)
    counts: dict[int, dict[str, int]] = {}
    published = 0
    for target in (3, 150):
        while published < target:
            registry.publish(gdp_cons_result, "var", f"1.{published // 100}.{published % 100}")
            published += 1
        registry.set_alias("var", "production", "1.0.1")
        counts[target] = {}
        for text in ("latest", "@production"):
            fresh = ModelRegistry(store)  # no cache of any earlier read
            store.requests = 0
            resolved = fresh.resolve("var", text)
            counts[target][text] = store.requests
            assert str(resolved) == (
                "1.0.1" if text == "@production" else f"1.{(target - 1) // 100}.{(target - 1) % 100}"
            )
    assert counts == {3: {"latest": 1, "@production": 1}, 150: {"latest": 1, "@production": 1}}
    size = len(store.read(aliases_key("var")).data)
    assert size < 4096, size  # small: it does not grow with the versions


def test_latest_follows_publishes_and_deprecations_and_reindex_repairs_it(registry, gdp_cons_result) -> None:
    for version in ("1.0.0", "1.2.0", "1.1.0", "2.0.0-SNAPSHOT"):  # 1.1.0 after 1.2.0: latest stays 1.2.0
        registry.publish(gdp_cons_result, "gdp", version)
    assert str(registry.resolve("gdp", "latest")) == "1.2.0"
    registry.deprecate("gdp", "1.2.0", reason="wrong vintage")
    assert str(registry.resolve("gdp", "latest")) == "1.1.0"
    registry.publish(gdp_cons_result, "gdp", "1.1.5")
    assert str(registry.resolve("gdp", "latest")) == "1.1.5"
    registry.undeprecate("gdp", "1.2.0")
    assert str(registry.resolve("gdp", "latest")) == "1.2.0"

    # A publisher that died between the index and the pointer: latest is behind until reindex.
    document = json.loads(registry.store.read(aliases_key("gdp")).data)
    document["latest"] = "1.0.0"
    registry.store.write(aliases_key("gdp"), json.dumps(document).encode())
    assert str(ModelRegistry(registry.store).resolve("gdp", "latest")) == "1.0.0"
    registry.rebuild_index("gdp")
    assert str(ModelRegistry(registry.store).resolve("gdp", "latest")) == "1.2.0"


def test_a_store_written_before_the_latest_pointer_resolves_latest_from_the_index(registry, gdp_cons_result) -> None:
    for version in ("1.0.0", "2.0.0"):
        registry.publish(gdp_cons_result, "gdp", version)
    registry.store.delete(aliases_key("gdp"))  # as an older varlib left it: no aliases.json at all
    assert str(registry.resolve("gdp", "latest")) == "2.0.0"
    registry.set_alias("gdp", "production", "1.0.0")  # writes aliases.json without a computed latest...
    assert "latest" not in json.loads(registry.store.read(aliases_key("gdp")).data)
    registry.publish(gdp_cons_result, "gdp", "1.0.1")  # ...so this publish computes it from every release
    assert str(registry.resolve("gdp", "latest")) == "2.0.0"
