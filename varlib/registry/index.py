"""A model's index: the key metadata of every version, for listing in one or a few reads, at any number of versions.

Stored as a small head, `<name>/index.json`, updated only by compare-and-swap (`If-Match` on its ETag), plus
immutable segments under `<name>/index/` that the head names with their sha256:

- `versions`: the entries of the latest publishes (at most RECENT_ENTRIES), so that a publish rewrites a small
  head, not every entry: publishing costs the same at 1,000 versions as at 10;
- `segments`: older entries, sealed into create-only segments when `versions` fills; segments of one size are
  merged four at a time into one of the next size (32, 128, 512, ... entries), so there are only a few;
- `removed`: deleted SNAPSHOTs (version -> the head's sequence then), hiding their entries in older segments.

Segments never change once written, so a process reads each once; a listing costs one read of the head while it
is unchanged, plus the segments it has not seen. Concurrent writers lose no entry (each retries on a lost
compare-and-swap); `merge` (reindex) re-reads and retries in the same way and never drops an entry whose manifest
exists. Every write bumps `sequence`. With a signing key the head is signed like the manifests (covering the
segments through their sha256), an unsigned or forged head is refused, and a head older than one this process has
already read (a replayed, validly signed copy) is refused too. A head written by an older varlib (all entries in
`versions`, no segments) reads as it is and is sealed on its next update.
"""

from __future__ import annotations

import random
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from varlib import artifact
from varlib.artifact import VersionSummary
from varlib.documents import Fields, parse_json
from varlib.errors import (
    AnswerLost,
    IntegrityError,
    NotFound,
    OutcomeUnknown,
    PreconditionFailed,
    StoreError,
    VarlibError,
)
from varlib.limits import Limits
from varlib.naming import Version
from varlib.registry.freshness import SequenceMemory
from varlib.store.base import ModelStore
from varlib.store.confirmed import write_confirmed

INDEX_FILE = "index.json"
INDEX_FORMAT = "varlib.index"
SEGMENT_FORMAT = "varlib.index-segment"
SEGMENT_FOLDER = "index"
RECENT_ENTRIES = 32  # entries kept in the head before they are sealed into a segment
MERGE_FANIN = 4  # segments of one level merged into one of the next
MAX_SEGMENTS = 64  # a head naming more is refused (a well-formed one names at most 3 per level)
UPDATE_ATTEMPTS = 50
_SEGMENT_NAME = re.compile(r"[0-9]{1,2}-[0-9]{1,16}-[0-9a-f]{12}\.json")

Entries = dict[str, dict[str, Any]]


def index_key(name: str) -> str:
    return f"{name}/{INDEX_FILE}"


@dataclass
class IndexState:
    entries: Entries  # version -> entry (a VersionSummary dict, plus the manifest's sequence), all of them
    etag: str | None  # of the head; None: there is no index yet
    sequence: int
    checked: list[VersionSummary] = field(default_factory=list)  # the entries, as checked when parsed

    def summaries(self) -> list[VersionSummary]:
        return list(self.checked)


@dataclass
class _Head:
    recent: Entries
    segments: list[dict[str, Any]]  # oldest first: {key, sha256, size, level, count}
    removed: dict[str, int]
    sequence: int
    etag: str | None

    def document(self, name: str) -> dict[str, Any]:
        return {
            "format": INDEX_FORMAT,
            "format_version": 2,
            "model": name,
            "updated": artifact.utc_now(),
            "sequence": self.sequence,
            "versions": self.recent,
            "segments": self.segments,
            "removed": self.removed,
        }


class VersionIndex:
    def __init__(self, store: ModelStore, signing_key: bytes | None, limits: Limits) -> None:
        self.store = store
        self.signing_key = signing_key
        self.limits = limits
        self._seen = SequenceMemory()  # per model: rollback detection for signed stores
        # Per model, the last state parsed, by the head's ETag: `latest` and listings read the head on every
        # request, and while it is unchanged, merging and checking a thousand entries again would repeat the work.
        self._parsed: dict[str, IndexState] = {}
        self._segments: dict[str, Entries] = {}  # segment key -> its checked entries (segments never change)
        self._lock = threading.Lock()

    # ----- reading ----------------------------------------------------------------------------

    def read(self, name: str) -> IndexState:
        """Every entry, checked (and the head's signature and freshness verified with a key); empty if none."""
        try:
            head = self._read_head(name)
        except NotFound:
            return IndexState({}, None, 0)
        with self._lock:
            parsed = self._parsed.get(name)
        if parsed is not None and parsed.etag == head.etag:
            return parsed
        entries = self._merged(name, head)
        key = index_key(name)
        checked = [VersionSummary.from_index_entry(v, e, key, self.limits) for v, e in entries.items()]
        state = IndexState(entries, head.etag, head.sequence, checked)
        with self._lock:
            self._parsed[name] = state
        return state

    def sequence(self, name: str) -> int:
        """The head's sequence (one small read): every publish of the model counts up from it."""
        try:
            return self._read_head(name).sequence
        except NotFound:
            return 0

    def _read_head(self, name: str) -> _Head:
        stored = self.store.read(index_key(name), max_bytes=self.limits.max_index_bytes)
        return self._parse_head(name, stored.data, stored.etag)

    def _parse_head(self, name: str, data: bytes, etag: str) -> _Head:
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
        top = Fields(document, key)
        sequence = top.integer("sequence", 0, 2**53) if "sequence" in document else 0
        recent = self._checked_entries(document["versions"], key)
        segments = []
        if "segments" in document:
            for item in top.items("segments", MAX_SEGMENTS, lambda s: isinstance(s, dict), "segments"):
                segment = Fields(item, key, "segments[]")
                relative = segment.text("key", 100)
                if not relative.startswith(f"{SEGMENT_FOLDER}/") or not _SEGMENT_NAME.fullmatch(relative[6:]):
                    segment.fail("is not a segment of this index", "key")
                if not re.fullmatch(r"[0-9a-f]{64}", segment.text("sha256", 64)):
                    segment.fail("is not a sha256", "sha256")
                segment.integer("size", 0, self.limits.max_index_bytes)
                segment.integer("level", 0, 20)
                segment.integer("count", 0, 10**7)
                segments.append(item)
        removed = top.mapping("removed", 10**6) if "removed" in document else {}
        if not all(Version.from_text(v) is not None and isinstance(s, int) and not isinstance(s, bool)
                   for v, s in removed.items()):  # fmt: skip
            top.fail("is not a sequence per version", "removed")
        if self.signing_key is not None:
            self._seen.check(name, sequence, key, "the index")
        return _Head(recent, segments, dict(removed), sequence, etag)

    def _checked_entries(self, entries: Any, key: str) -> Entries:
        if not isinstance(entries, dict):
            raise IntegrityError(f"{key} does not hold a table of versions.")
        for version, entry in entries.items():
            VersionSummary.from_index_entry(version, entry, key, self.limits)
            if "sequence" in entry:
                Fields(entry, key, f"versions[{version!r}]").integer("sequence", 0, 2**53)
        return entries

    def _segment(self, name: str, item: dict[str, Any]) -> Entries:
        key = f"{name}/{item['key']}"
        with self._lock:
            cached = self._segments.get(key)
        if cached is not None:
            return cached
        try:
            stored = self.store.read(key, max_bytes=self.limits.max_index_bytes)
        except NotFound:
            raise IntegrityError(f"{key} is named by {index_key(name)} but missing; rebuild the index with "
                                 f"`python -m varlib reindex {name}`.") from None  # fmt: skip
        if artifact.sha256_hex(stored.data) != item["sha256"]:
            raise IntegrityError(f"{key} fails its checksum (sha256 in {index_key(name)} does not match); "
                                 f"rebuild the index with `python -m varlib reindex {name}`.")  # fmt: skip
        document = parse_json(stored.data, key)
        if document.get("format") != SEGMENT_FORMAT or document.get("model") != name:
            raise IntegrityError(f"{key} is not a segment of the index of model {name!r}.")
        entries = self._checked_entries(document.get("entries"), key)
        with self._lock:
            self._segments[key] = entries
        return entries

    def _merged(self, name: str, head: _Head) -> Entries:
        """All entries: segments oldest first, then the head's; a newer entry replaces an older one."""
        merged: Entries = {}
        for item in head.segments:
            merged.update(self._segment(name, item))
        merged.update(head.recent)
        return _without_removed(merged, head.removed)

    # ----- writing ----------------------------------------------------------------------------

    def add(self, name: str, version: str, entry: dict[str, Any]) -> bool:
        """Add or replace one version's entry; False if other writers kept winning (reindex repairs it)."""

        def change(head: _Head) -> None:
            head.recent[version] = entry
            head.removed.pop(version, None)

        return self._update(name, change)

    def remove(self, name: str, version: str) -> bool:
        """Drop one version's entry (a SNAPSHOT deleted)."""

        def change(head: _Head) -> None:
            head.recent.pop(version, None)
            head.removed[version] = head.sequence + 1

        return self._update(name, change)

    def _update(self, name: str, change: Callable[[_Head], None]) -> bool:
        for attempt in range(UPDATE_ATTEMPTS):
            try:
                head = self._read_head(name)
            except NotFound:
                head = _Head({}, [], {}, 0, None)
            change(head)
            created: list[str] = []
            try:
                self._compact(name, head, created)
                self._write_head(name, head)
                return True
            except PreconditionFailed:
                self._delete_quietly(created)  # no head names them
                time.sleep(random.uniform(0, 0.02 * (attempt + 1)))
            except (AnswerLost, OutcomeUnknown):
                raise  # a head whose answer was lost may still land, naming the segments created: keep them
            except BaseException:
                self._delete_quietly(created)
                raise
        return False

    def _compact(self, name: str, head: _Head, created: list[str]) -> None:
        """Seal a full head into a segment, and merge runs of MERGE_FANIN same-level segments (like a counter)."""
        if len(head.recent) <= RECENT_ENTRIES:
            return
        head.segments.append(self._write_segment(name, head.recent, 0, head.sequence, created))
        head.recent = {}
        while len(head.segments) >= MERGE_FANIN and len({s["level"] for s in head.segments[-MERGE_FANIN:]}) == 1:
            run = head.segments[-MERGE_FANIN:]
            merged: Entries = {}
            for item in run:
                merged.update(self._segment(name, item))
            merged = _without_removed(merged, head.removed)
            level = run[0]["level"] + 1
            head.segments[-MERGE_FANIN:] = [self._write_segment(name, merged, level, head.sequence, created)]

    def _write_segment(self, name: str, entries: Entries, level: int, sequence: int, created: list[str]) -> dict:
        relative = f"{SEGMENT_FOLDER}/{level}-{sequence}-{uuid.uuid4().hex[:12]}.json"
        document = {"format": SEGMENT_FORMAT, "model": name, "entries": entries}
        data = artifact.to_json(document)
        key = f"{name}/{relative}"
        write_confirmed(self.store, key, data, if_absent=True)  # under a name of its own: found, it is this one
        created.append(key)
        with self._lock:
            self._segments[key] = entries
        return {"key": relative, "sha256": artifact.sha256_hex(data), "size": len(data), "level": level,
                "count": len(entries)}  # fmt: skip

    def _write_head(self, name: str, head: _Head) -> None:
        """Write by compare-and-swap against the head read (create-only when there was none)."""
        # Never below what this process has seen (signed stores), so that it keeps reading its own writes.
        head.sequence = self._seen.next_after(name, head.sequence) if self.signing_key else head.sequence + 1
        document = head.document(name)
        if self.signing_key is not None:
            document = artifact.sign_document(document, self.signing_key)
        data = artifact.to_json(document)
        if head.etag is None:
            write_confirmed(self.store, index_key(name), data, if_absent=True)
        else:
            write_confirmed(self.store, index_key(name), data, if_match=head.etag)
        if self.signing_key is not None:
            self._seen.wrote(name, head.sequence)

    def merge(self, name: str, found: Entries, keep: Callable[[str], bool]) -> Entries:
        """Make the index hold `found`, keeping entries that are not in it but for which `keep(version)` holds.

        Re-reads and retries on every lost compare-and-swap, so entries added meanwhile are never lost. An index
        that cannot be used (corrupted, unsigned, forged, a segment missing) is replaced. The result is one fresh
        segment and an empty head list: a rebuilt index is compact.
        """
        for attempt in range(UPDATE_ATTEMPTS):
            try:
                head = self._read_head(name)
                current = self._merged(name, head)
                etag, sequence = head.etag, head.sequence
            except NotFound:
                current, etag, sequence = {}, None, 0
            except IntegrityError:
                current, etag, sequence = {}, self.store.etag(index_key(name)), 0
            merged = {v: e for v, e in current.items() if v not in found and keep(v)} | found
            created: list[str] = []
            fresh = _Head(dict(merged), [], {}, sequence, etag)
            try:
                if len(merged) > RECENT_ENTRIES:
                    level = _level_for(len(merged))
                    fresh.segments = [self._write_segment(name, merged, level, sequence, created)]
                    fresh.recent = {}
                self._write_head(name, fresh)
                return merged
            except PreconditionFailed:
                self._delete_quietly(created)
                time.sleep(random.uniform(0, 0.02 * (attempt + 1)))
        raise IntegrityError(f"{index_key(name)} kept changing while it was rebuilt; run reindex again.")

    def _delete_quietly(self, keys: list[str]) -> None:
        for key in keys:
            try:
                self.store.delete(key)
            except (VarlibError, StoreError):
                pass  # an unreferenced segment at worst


def _without_removed(entries: Entries, removed: dict[str, int]) -> Entries:
    """Entries minus deleted versions; a version published again after its deletion (a higher sequence) stays."""
    if not removed:
        return entries
    return {v: e for v, e in entries.items() if v not in removed or e.get("sequence", 0) > removed[v]}


def _level_for(count: int) -> int:
    level = 0
    while RECENT_ENTRIES * MERGE_FANIN ** (level + 1) < count and level < 20:
        level += 1
    return level
