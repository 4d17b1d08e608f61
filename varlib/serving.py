"""Serving stored versions fast and fresh: a bounded LRU of verified versions.

A release is immutable, so once loaded and verified it is served from memory. `latest` and `@ALIAS` are
resolved at each request (one small GET of the model's aliases.json), so a new release or a moved alias
is served at once; a SNAPSHOT is re-checked by its manifest's ETag (one HEAD) and reloaded only when it
changed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from varlib.artifact import ModelVersion
from varlib.errors import NotFound
from varlib.naming import Version
from varlib.registry import ModelRegistry

DEFAULT_CACHE_SIZE = 32


class VersionCache:
    """Verified versions by (model, version, manifest ETag), least recently used evicted first."""

    def __init__(self, registry: ModelRegistry, max_entries: int = DEFAULT_CACHE_SIZE) -> None:
        if max_entries < 1:
            raise ValueError("the version cache needs room for at least one version")
        self.registry = registry
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], tuple[str, ModelVersion]] = OrderedDict()
        self._lock = threading.Lock()
        self.loads = 0  # versions fetched and verified from the store (for tests and benchmarks)

    def __len__(self) -> int:
        return len(self._entries)

    def peek(self, name: str, version: str) -> ModelVersion | None:
        """A cached release, without asking the store (None for `latest`, SNAPSHOTs and what is not cached)."""
        parsed = Version.from_text(version) if isinstance(version, str) else version
        if parsed is None or parsed.is_snapshot:
            return None
        with self._lock:
            cached = self._entries.get((name, str(parsed)))
            if cached is None:
                return None
            self._entries.move_to_end((name, str(parsed)))
            return cached[1]

    def get(self, name: str, version: str | Version) -> ModelVersion:
        """The verified version; `latest` and SNAPSHOTs are checked against the store first."""
        resolved = self.registry.resolve(name, version)
        key = (name, str(resolved))
        current_etag = None
        if resolved.is_snapshot:
            current_etag = self.registry.manifest_etag(name, resolved)
            if current_etag is None:
                with self._lock:
                    self._entries.pop(key, None)
                raise NotFound(
                    f"Version {resolved} of model {name!r} does not exist in the {self.registry.store.location}."
                )
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None and (current_etag is None or cached[0] == current_etag):
                self._entries.move_to_end(key)
                return cached[1]
        loaded = self.registry.load(name, resolved)  # outside the lock: other requests go on meanwhile
        with self._lock:
            self.loads += 1
            self._entries[key] = (loaded.manifest_etag, loaded)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return loaded
