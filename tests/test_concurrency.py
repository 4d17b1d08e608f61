"""Concurrent publishers on every backend: one release has one winner; the index loses no version."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from varlib.errors import VersionExists
from varlib.registry import ModelRegistry
from varlib.store import open_store

PUBLISHERS = 6


def test_one_release_published_at_once_has_exactly_one_winner(store_url_and_settings, gdp_cons_result) -> None:
    url, settings = store_url_and_settings

    def publish(i: int) -> str:
        registry = ModelRegistry(open_store(url, settings))  # each publisher has its own client
        try:
            registry.publish(gdp_cons_result, "var", "1.0.0", note=f"publisher {i}")
            return f"won {i}"
        except VersionExists as exc:
            return str(exc)

    with ThreadPoolExecutor(PUBLISHERS) as pool:
        outcomes = list(pool.map(publish, range(PUBLISHERS)))
    winners = [o for o in outcomes if o.startswith("won")]
    assert len(winners) == 1, outcomes
    assert all("already exists" in o or "being published" in o for o in outcomes if not o.startswith("won"))
    registry = ModelRegistry(open_store(url, settings))
    loaded = registry.load("var", "1.0.0")  # every checksum matches: all objects come from one publisher
    assert loaded.metadata["note"] == f"publisher {winners[0].split()[1]}"
    assert [v.version for v in registry.list_versions("var")] == ["1.0.0"]


def test_different_versions_published_at_once_are_all_indexed(store_url_and_settings, gdp_cons_result) -> None:
    url, settings = store_url_and_settings

    def publish(i: int) -> None:
        ModelRegistry(open_store(url, settings)).publish(gdp_cons_result, "var", f"0.0.{i}")

    with ThreadPoolExecutor(PUBLISHERS) as pool:
        list(pool.map(publish, range(PUBLISHERS)))
    registry = ModelRegistry(open_store(url, settings))
    assert [v.version for v in registry.list_versions("var")] == [f"0.0.{i}" for i in reversed(range(PUBLISHERS))]
    index = json.loads(registry.store.read("var/index.json").data)
    assert len(index["versions"]) == PUBLISHERS
