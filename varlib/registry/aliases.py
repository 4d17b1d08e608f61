"""A model's aliases and deprecations: `<name>/aliases.json`, changed only by compare-and-swap.

- latest: the highest release not deprecated, kept up to date by every publish and deprecation, so that `latest`
  resolves with one small read however many versions there are (reindex recomputes it if an update was lost);
- aliases: `production` -> a release, so that `@production` resolves with one small read;
- deprecated: release -> reason; `latest` skips a deprecated release and no alias may be moved onto it;
- history: every change (alias set, moved or deleted; deprecated; undeprecated; SNAPSHOT deleted) with when and by
  whom, appended in the same compare-and-swap as the change itself, so concurrent writers lose no entry.

Signed like the index when a signing key is set; a copy older than one this process has read is refused.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from varlib import artifact
from varlib.documents import MAX_TEXT, Fields, is_text, parse_json
from varlib.errors import IntegrityError, InvalidInput, NotFound, PreconditionFailed, StoreError
from varlib.identity import MAX_USER
from varlib.limits import Limits
from varlib.naming import LATEST, MODEL_NAME_PATTERN, Version
from varlib.registry.freshness import SequenceMemory
from varlib.store.base import ModelStore
from varlib.store.confirmed import write_confirmed

ALIASES_FILE = "aliases.json"
ALIASES_FORMAT = "varlib.aliases"
RESERVED_ALIASES = (LATEST,)
MAX_ALIASES = 1000
EVENTS = ("alias-set", "alias-deleted", "deprecated", "undeprecated", "snapshot-deleted")
UPDATE_ATTEMPTS = 50


def aliases_key(name: str) -> str:
    return f"{name}/{ALIASES_FILE}"


def validate_alias_name(alias: str) -> str:
    """An alias follows the model-name rules (1-64 of a-z, 0-9, '-', '_'); `latest` is reserved."""
    if not isinstance(alias, str) or not MODEL_NAME_PATTERN.fullmatch(alias):
        shown = alias if isinstance(alias, str) and len(alias) <= 80 else f"{str(alias)[:80]}…"
        raise InvalidInput(f"Invalid alias {shown!r}: use 1-64 lowercase letters, digits, '-' or '_'.")
    if alias in RESERVED_ALIASES:
        raise InvalidInput(f"The alias {alias!r} is reserved: it always means the highest release not deprecated.")
    return alias


@dataclass(frozen=True)
class AliasTarget:
    version: str
    at: str
    by: str
    note: str = ""


@dataclass(frozen=True)
class Deprecation:
    reason: str
    at: str
    by: str


@dataclass
class Lifecycle:
    """The aliases, deprecations and history of one model, as read (checked) from aliases.json."""

    aliases: dict[str, AliasTarget]
    deprecated: dict[str, Deprecation]
    history: list[dict[str, Any]]  # oldest first; each {event, at, by, ...}
    etag: str | None = None  # None: no aliases.json yet
    sequence: int = 0
    latest: str | None = None  # the highest release not deprecated (None: there is none)
    tracks_latest: bool = False  # False: written before `latest` was kept here; resolve it from the index

    def aliases_of(self, version: str) -> list[str]:
        return sorted(alias for alias, target in self.aliases.items() if target.version == version)

    def to_document(self) -> dict[str, Any]:
        # `latest` is written only once it was computed from every release: a document without it is never
        # taken to mean "no release".
        return ({"latest": self.latest} if self.tracks_latest else {}) | {
            "aliases": {a: vars(t) for a, t in sorted(self.aliases.items())},
            "deprecated": {v: vars(d) for v, d in sorted(self.deprecated.items())},
            "history": list(self.history),
        }


class LifecycleStore:
    def __init__(self, store: ModelStore, signing_key: bytes | None, limits: Limits) -> None:
        self.store = store
        self.signing_key = signing_key
        self.limits = limits
        self._seen = SequenceMemory()

    def read(self, name: str) -> Lifecycle:
        key = aliases_key(name)
        try:
            stored = self.store.read(key, max_bytes=self.limits.max_index_bytes)
        except NotFound:
            return Lifecycle({}, {}, [])
        return self._parse(name, stored.data, stored.etag)

    def _parse(self, name: str, data: bytes, etag: str) -> Lifecycle:
        key = aliases_key(name)
        document = parse_json(data, key)
        if document.get("format") != ALIASES_FORMAT or document.get("model") != name:
            raise IntegrityError(f"{key} is not the aliases document of model {name!r}.")
        if self.signing_key is not None:
            artifact.verify_signature(document, self.signing_key, key)
        top = Fields(document, key)
        sequence = top.integer("sequence", 0, 2**53)
        aliases = {}
        for alias, entry in top.mapping("aliases", MAX_ALIASES).items():
            fields = Fields(entry, key, f"aliases[{str(alias)[:40]!r}]")
            version = fields.text("version", 64)
            parsed = Version.from_text(version)
            if not MODEL_NAME_PATTERN.fullmatch(alias) or alias in RESERVED_ALIASES or parsed is None:
                fields.fail("is not an alias of a release version", "version")
            if parsed.is_snapshot:
                fields.fail("points at a SNAPSHOT; an alias may point at a release only", "version")
            aliases[alias] = AliasTarget(version, fields.text("at", 64), fields.text("by", MAX_USER),
                                         fields.text("note", MAX_TEXT, optional=True) or "")  # fmt: skip
        deprecated = {}
        for version, entry in top.mapping("deprecated", 10**6).items():
            fields = Fields(entry, key, f"deprecated[{str(version)[:40]!r}]")
            if Version.from_text(version) is None:
                fields.fail("is not a version", "reason")
            deprecated[version] = Deprecation(fields.text("reason", MAX_TEXT), fields.text("at", 64),
                                              fields.text("by", MAX_USER))  # fmt: skip
        tracks_latest = "latest" in document
        latest = document.get("latest")
        if latest is not None:
            parsed = Version.from_text(top.text("latest", 64))
            if parsed is None or parsed.is_snapshot:
                top.fail("is not a release version", "latest")
        history = top.items("history", 10**6, lambda e: isinstance(e, dict), "entries")
        for entry in history:
            fields = Fields(entry, key, "history[]")
            fields.choice("event", EVENTS)
            fields.text("at", 64)
            fields.text("by", MAX_USER)
            if not all(is_text(value, MAX_TEXT) or value is None for value in entry.values()):
                fields.fail("holds something other than text", "event")
        if self.signing_key is not None:
            self._seen.check(name, sequence, key, "the one")
        return Lifecycle(aliases, deprecated, list(history), etag, sequence, latest, tracks_latest)

    def update(self, name: str, change: Callable[[Lifecycle], dict[str, Any] | None]) -> Lifecycle:
        """Apply `change(current) -> the history entry to append, or None` (after changing `current` in place) by
        compare-and-swap, re-reading and re-applying while other writers win. `change` may refuse by raising.
        A change that changes nothing writes nothing."""
        for attempt in range(UPDATE_ATTEMPTS):
            current = self.read(name)
            before = current.to_document()
            entry = change(current)
            if entry is not None:
                current.history.append(entry)
            elif current.to_document() == before:
                return current
            try:
                self._write(name, current)
                return current
            except PreconditionFailed:
                time.sleep(random.uniform(0, 0.02 * (attempt + 1)))
        raise StoreError(f"{aliases_key(name)} kept changing while this change was made; try again.")

    def _write(self, name: str, lifecycle: Lifecycle) -> None:
        sequence = self._seen.next_after(name, lifecycle.sequence)
        document = {"format": ALIASES_FORMAT, "model": name, "updated": artifact.utc_now(), "sequence": sequence}
        document |= lifecycle.to_document()
        if self.signing_key is not None:
            document = artifact.sign_document(document, self.signing_key)
        data = artifact.to_json(document)
        if len(data) > self.limits.max_index_bytes:
            raise InvalidInput(f"{aliases_key(name)} would be larger than the {self.limits.max_index_bytes:,} bytes "
                               "a read accepts; raise VARLIB_MAX_INDEX_BYTES.")  # fmt: skip
        if lifecycle.etag is None:
            write_confirmed(self.store, aliases_key(name), data, if_absent=True)
        else:
            write_confirmed(self.store, aliases_key(name), data, if_match=lifecycle.etag)
        self._seen.wrote(name, sequence)


def describe_change(event: dict[str, Any]) -> str:
    """What one history entry changed, in words: '@production 1.0.0 -> 1.1.0 (2009Q3 round)'."""
    kind = event.get("event")
    if kind == "alias-set":
        what = f"@{event.get('alias')} {event.get('from') or '(new)'} -> {event.get('to')}"
    elif kind == "alias-deleted":
        what = f"@{event.get('alias')} deleted (was {event.get('from')})"
    elif kind == "snapshot-deleted":
        what = f"SNAPSHOT {event.get('version')} deleted"
    else:
        what = f"{event.get('version')} {kind}"
    return what + (f" ({event['note']})" if event.get("note") else "")


def describe_event(event: dict[str, Any]) -> str:
    """One history entry in words: '2026-11-25T10:00:00Z ana: @production 1.0.0 -> 1.1.0 (2009Q3 round)'."""
    return f"{event.get('at')} {event.get('by')}: {describe_change(event)}"
