"""A model's `index.json`: the key metadata of every version, for listing (and resolving `latest`) in one read.

Updated only by compare-and-swap (`If-Match` on its ETag), so concurrent writers lose no entry; `merge` (used by
reindex) re-reads and retries in the same way and never drops an entry whose manifest exists. Every write bumps
`sequence`. With a signing key the index is signed like the manifests, an unsigned or forged index is refused,
and an index older than one this process has already read (a replayed, validly signed copy) is refused too.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from varlib import artifact
from varlib.artifact import VersionSummary
from varlib.documents import Fields, parse_json
from varlib.errors import IntegrityError, NotFound, PreconditionFailed
from varlib.limits import Limits
from varlib.store.base import ModelStore

INDEX_FILE = "index.json"
INDEX_FORMAT = "varlib.index"
UPDATE_ATTEMPTS = 50

Entries = dict[str, dict[str, Any]]


def index_key(name: str) -> str:
    return f"{name}/{INDEX_FILE}"


@dataclass
class IndexState:
    entries: Entries  # version -> entry (a VersionSummary dict, plus the manifest's sequence)
    etag: str | None  # None: there is no index yet
    sequence: int
    checked: list[VersionSummary] = field(default_factory=list)  # the entries, as checked when parsed

    def summaries(self) -> list[VersionSummary]:
        return list(self.checked)


class VersionIndex:
    def __init__(self, store: ModelStore, signing_key: bytes | None, limits: Limits) -> None:
        self.store = store
        self.signing_key = signing_key
        self.limits = limits
        self._highest_seen: dict[str, int] = {}  # per model: rollback detection for signed stores
        # Per model, the last index parsed: `latest` reads the index on every request, and while its ETag is
        # unchanged, parsing and checking a thousand entries again would only repeat the same work.
        self._parsed: dict[str, IndexState] = {}
        self._lock = threading.Lock()

    def read(self, name: str) -> IndexState:
        """The index, checked (and its signature and freshness verified with a key); empty if there is none."""
        key = index_key(name)
        try:
            stored = self.store.read(key, max_bytes=self.limits.max_index_bytes)
        except NotFound:
            return IndexState({}, None, 0)
        with self._lock:
            parsed = self._parsed.get(name)
        if parsed is not None and parsed.etag == stored.etag:
            return parsed
        parsed = self._parse(name, stored.data, stored.etag)
        with self._lock:
            self._parsed[name] = parsed
        return parsed

    def _parse(self, name: str, data: bytes, etag: str) -> IndexState:
        key = index_key(name)
        document = parse_json(data, key)
        hint = f"rebuild it with `python -m varlib reindex {name}`"
        if document.get("format") != INDEX_FORMAT or not isinstance(document.get("versions"), dict):
            raise IntegrityError(f"{key} is not a varlib index; {hint}.")
        if self.signing_key is not None:
            try:
                artifact.verify_signature(document, self.signing_key, key)
            except IntegrityError as exc:
                raise IntegrityError(f"{str(exc).rstrip('.')}; {hint} with the signing key set.") from None
        sequence = Fields(document, key).integer("sequence", 0, 2**53) if "sequence" in document else 0
        entries = {}
        checked = []
        for version, entry in document["versions"].items():
            checked.append(VersionSummary.from_index_entry(version, entry, key, self.limits))
            if "sequence" in entry:
                Fields(entry, key, f"versions[{version!r}]").integer("sequence", 0, 2**53)
            entries[version] = entry
        if self.signing_key is not None:
            with self._lock:
                seen = self._highest_seen.get(name, 0)
                if sequence < seen:
                    raise IntegrityError(
                        f"{key} is older (sequence {sequence}) than the index this process already read (sequence "
                        f"{seen}): it was rolled back, so it is not used."
                    )
                self._highest_seen[name] = sequence
        return IndexState(entries, etag, sequence, checked)

    def write(self, name: str, entries: Entries, etag: str | None, sequence: int) -> None:
        """Write by compare-and-swap against `etag` (create-only when None); PreconditionFailed if it changed."""
        with self._lock:  # never below what this process has seen, so that it keeps reading its own writes
            sequence = max(sequence, self._highest_seen.get(name, 0) + 1) if self.signing_key else sequence
        document = {
            "format": INDEX_FORMAT,
            "model": name,
            "updated": artifact.utc_now(),
            "sequence": sequence,
            "versions": entries,
        }
        if self.signing_key is not None:
            document = artifact.sign_document(document, self.signing_key)
        data = artifact.to_json(document)
        if etag is None:
            self.store.write(index_key(name), data, if_absent=True)
        else:
            self.store.write(index_key(name), data, if_match=etag)
        if self.signing_key is not None:
            with self._lock:
                self._highest_seen[name] = max(self._highest_seen.get(name, 0), sequence)

    def update(self, name: str, change: Callable[[Entries], Entries]) -> bool:
        """Apply `change(entries) -> entries` by compare-and-swap, retrying while other writers win."""
        for attempt in range(UPDATE_ATTEMPTS):
            state = self.read(name)
            try:
                self.write(name, change(dict(state.entries)), state.etag, state.sequence + 1)
                return True
            except PreconditionFailed:
                time.sleep(random.uniform(0, 0.02 * (attempt + 1)))
        return False

    def merge(self, name: str, found: Entries, keep: Callable[[str], bool]) -> Entries:
        """Make the index hold `found`, keeping entries that are not in it but for which `keep(version)` holds.

        Re-reads and retries on every lost compare-and-swap, so entries added meanwhile are never lost. An index
        that cannot be used (corrupted, unsigned, forged) is replaced.
        """
        for attempt in range(UPDATE_ATTEMPTS):
            try:
                state = self.read(name)
                current, etag, sequence = state.entries, state.etag, state.sequence
            except IntegrityError:
                current, etag, sequence = {}, self._raw_etag(name), 0
            merged = {v: e for v, e in current.items() if v not in found and keep(v)} | found
            try:
                self.write(name, merged, etag, sequence + 1)
                return merged
            except PreconditionFailed:
                time.sleep(random.uniform(0, 0.02 * (attempt + 1)))
        raise IntegrityError(f"{index_key(name)} kept changing while it was rebuilt; run reindex again.")

    def _raw_etag(self, name: str) -> str | None:
        return self.store.etag(index_key(name))
