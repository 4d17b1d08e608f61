"""Model versions on top of a byte store: publish, load (verified), list, delete SNAPSHOTs, repair the index.

How a version stays intact whatever publishers do (slow, killed, racing, or resuming after losing their lock):
- every data object is created create-only: under its plain name (model.json, ...) when that is free, else
  under `<publish id>/` in the version's folder; no publisher ever overwrites an object;
- the manifest, written last, names the objects its publisher created, with their sha256. It is created
  create-only (a release, or a SNAPSHOT's first publish) or swapped by compare-and-swap against the manifest it
  replaces (a SNAPSHOT's republish), so at most one publisher's manifest wins, and it describes that
  publisher's own objects;
- a publisher whose manifest loses deletes only objects it created itself.
So a release that exists is never modified by anyone. The publish lock (locks.py) only makes a second publisher
fail fast. A SNAPSHOT's republish never touches the objects its readers are reading; a reader whose objects
vanish or change under it re-reads the manifest, so it gets the old or the new version, never a mix.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pandas as pd

from varlib import artifact
from varlib.access import Actor
from varlib.artifact import MANIFEST_FILE, MODEL_FILE, ModelVersion, VersionSummary
from varlib.documents import MAX_TEXT, parse_json
from varlib.errors import (
    AnswerLost,
    IntegrityError,
    InvalidInput,
    NotFound,
    OutcomeUnknown,
    PreconditionFailed,
    VarlibError,
    VersionExists,
)
from varlib.identity import USER_ENV, current_user
from varlib.limits import Limits
from varlib.naming import LATEST, Version, validate_model_name
from varlib.registry import locks
from varlib.registry.aliases import AliasTarget, Deprecation, Lifecycle, LifecycleStore, validate_alias_name
from varlib.registry.index import IndexState, VersionIndex
from varlib.store import open_store
from varlib.store.base import ModelStore, StoredObject
from varlib.store.confirmed import write_confirmed
from varlib.training import TrainResult

SIGNING_KEY_ENV = "VARLIB_SIGNING_KEY"
LOAD_ATTEMPTS = 3  # re-reads of a SNAPSHOT that was republished while it was being read


def version_prefix(name: str, version: Version) -> str:
    return f"{name}/{version.folder}/"


@dataclass(frozen=True)
class PublishReceipt:
    name: str
    version: Version
    keys: list[str]  # every object written, the manifest last
    location: str  # where the store is (no secrets)
    index_updated: bool = True


@dataclass(frozen=True)
class ReindexReport:
    versions: list[VersionSummary]  # what the index now lists, newest first
    skipped: list[str] = field(default_factory=list)  # one sentence per version folder that could not be read


class _ChangedWhileReading(Exception):
    """The manifest changed while a version's objects were read (a SNAPSHOT republished): read again."""


@dataclass(frozen=True)
class _Manifest:
    document: dict | None  # None when the stored manifest cannot be parsed
    etag: str


class ModelRegistry:
    """Versions of VAR models kept in one store.

    With a signing key, every published manifest and every index is signed (HMAC-SHA256); loads refuse a
    version that is unsigned or signed with another key, listings refuse an unsigned or forged index, and a
    SNAPSHOT or index older than what the index (or this process) has seen is refused as rolled back.
    """

    def __init__(
        self,
        store: ModelStore,
        signing_key: bytes | None = None,
        limits: Limits | None = None,
        user: str | None = None,
    ) -> None:
        self.store = store
        self._signing_key = signing_key or None
        self.limits = limits or Limits()
        self.user = user  # recorded as `by` when a write names no one; None: VARLIB_USER or the OS user then
        self.actor: Actor | None = None  # set by acting_as: writes then need the publisher role
        self._index = VersionIndex(store, self._signing_key, self.limits)
        self._lifecycle = LifecycleStore(store, self._signing_key, self.limits)
        self._pool: ThreadPoolExecutor | None = None  # created on the first load

    @classmethod
    def from_settings(cls, url: str | None = None, settings: Mapping[str, str] | None = None) -> ModelRegistry:
        """The registry configured by VARLIB_STORE, the S3 variables, VARLIB_SIGNING_KEY and VARLIB_MAX_*."""
        env = os.environ if settings is None else settings
        key = env.get(SIGNING_KEY_ENV)
        user = env.get(USER_ENV) or None
        return cls(open_store(url, env), key.encode() if key else None, Limits.from_settings(env), user)

    def acting_as(self, actor: Actor) -> ModelRegistry:
        """This registry for one logged-in user: the same store and caches, writes checked against their role and
        recorded as theirs."""
        acting = copy.copy(self)
        acting.actor = actor
        acting.user = actor.name
        return acting

    def _may_write(self, action: str) -> None:
        if self.actor is not None:
            self.actor.require_write(action)

    def _by(self, by: str | None) -> str:
        if self.actor is not None:
            return current_user({USER_ENV: self.actor.name})  # a logged-in user writes as themselves
        named = by or self.user
        return current_user({USER_ENV: named}) if named else current_user()

    @property
    def signs(self) -> bool:
        return self._signing_key is not None

    # ----- publishing -------------------------------------------------------------------------

    def planned_keys(self, name: str, version: str | Version) -> list[str]:
        """The object keys a publish of this version writes, in order (the manifest last), when they are free.

        A publish that finds a name taken (an abandoned publish, or the SNAPSHOT it replaces) writes that object
        under a publish id of its own instead; its receipt lists the keys actually written.
        """
        version = _as_version(version)
        prefix = version_prefix(validate_model_name(name), version)
        return [prefix + file for file in (*artifact.DATA_OBJECTS, MANIFEST_FILE)]

    def publish(
        self, result: TrainResult, name: str, version: str | Version, note: str = "", by: str | None = None
    ) -> PublishReceipt:
        """Store a trained model as `name` `version`; a release that exists is refused, unchanged.

        `by` (default: VARLIB_USER, else the operating-system user) is recorded as the version's `created_by`."""
        version = _as_version(version)
        self.planned_keys(name, version)  # validates the name
        self._may_write(f"publishing {name} {version}")
        if not isinstance(note, str) or len(note) > MAX_TEXT:
            raise InvalidInput(f"The note is longer than the {MAX_TEXT:,} characters allowed.")
        prefix = version_prefix(name, version)
        manifest_key = prefix + MANIFEST_FILE
        if version.is_release and self.store.etag(manifest_key) is not None:
            raise self._exists(name, version)
        created = artifact.utc_now()
        objects = artifact.version_objects(result, name, version, note, created, self._by(by))
        document = self._check_loadable(objects, result, name, version)

        lock_key = prefix + locks.LOCK_FILE
        try:
            lock_etag = locks.acquire(self.store, lock_key)
        except locks.LockBusy:
            if version.is_release and self.store.etag(manifest_key) is not None:
                raise self._exists(name, version) from None
            raise self._busy(name, version) from None
        try:
            previous = self._current_manifest(manifest_key)
            if previous is not None and version.is_release:
                raise self._exists(name, version)
            placed, written = self._create_objects(prefix, objects, _publish_id(created))
            sequence = self._next_sequence(name, previous)
            manifest_doc = artifact.manifest_document(objects, name, version, created, placed, sequence)
            if self._signing_key is not None:
                manifest_doc = artifact.sign_document(manifest_doc, self._signing_key)
            manifest = artifact.to_json(manifest_doc)
            try:
                if previous is None:
                    write_confirmed(self.store, manifest_key, manifest, if_absent=True)
                else:
                    write_confirmed(self.store, manifest_key, manifest, if_match=previous.etag)
            except PreconditionFailed:
                self._delete_quietly(written)  # only what this publish created; nothing references it
                if version.is_release:
                    raise self._exists(name, version) from None
                raise VersionExists(
                    f"SNAPSHOT {version} of model {name!r} was republished by another process while this one was "
                    f"publishing; publish again to replace it."
                ) from None
            except OutcomeUnknown as exc:
                raise OutcomeUnknown(
                    f"The outcome of publishing {name} {version} is unknown: {exc.reason}; check with "
                    f"`python -m varlib show {name} {version}`; if it exists and is not listed, "
                    f"`python -m varlib reindex {name}`.",
                    exc.reason,
                ) from None
            # Any other failure leaves the objects written: a manifest sent whose answer was lost may still land,
            # and must then find them. Unreferenced, they are a leftover the next publish writes around.
        finally:
            locks.release(self.store, lock_key, lock_etag)

        self._clean_up_after(prefix, placed, previous, version)
        entry = VersionSummary.from_model_document(document).index_entry() | {"sequence": sequence}
        try:
            index_updated = self._index.add(name, str(version), entry)
            if version.is_release:
                self._lifecycle.update(
                    name, lambda current: _bump_latest(current, version, lambda: self._releases(name))
                )
        except VarlibError:
            # The version is published (its manifest exists); only the index or `latest`, which reindex rebuilds,
            # is behind.
            index_updated = False
        return PublishReceipt(name, version, [*written, manifest_key], self.store.location, index_updated)

    def _check_loadable(self, objects: dict[str, bytes], result: TrainResult, name: str, version: Version) -> dict:
        """Refuse, before writing anything, what could not be loaded back exactly as it was trained.

        Returns model.json as a load would read it."""
        limits = self.limits
        for file, data in objects.items():
            limit = limits.max_model_bytes if file == MODEL_FILE else limits.max_data_bytes
            if len(data) > limit:
                raise InvalidInput(
                    f"{name} {version} cannot be published: its {file} would be {len(data):,} bytes, more than the "
                    f"{limit:,} a load accepts; use fewer variables, lags or rows."
                )
        try:
            document = parse_json(objects[MODEL_FILE], MODEL_FILE)
            model = artifact.model_from_document(document, MODEL_FILE, limits)
            for file, levels in ((artifact.TRAIN_FILE, result.train_levels), (artifact.TEST_FILE, result.test_levels)):
                read_back = artifact.frame_from_csv(objects[file], file, model.columns, model.freq)
                if not (read_back.index.equals(levels.index) and (read_back.to_numpy() == levels.to_numpy()).all()):
                    raise IntegrityError(f"{file} does not read back as the data it was trained on")
        except IntegrityError as exc:
            raise InvalidInput(
                f"{name} {version} cannot be published, because it would not load back: {str(exc).rstrip('.')}."
            ) from None
        return document

    def _current_manifest(self, manifest_key: str) -> _Manifest | None:
        try:
            stored = self.store.read(manifest_key, max_bytes=self.limits.max_manifest_bytes)
        except NotFound:
            return None
        try:
            document = parse_json(stored.data, manifest_key)
        except IntegrityError:
            document = None
        return _Manifest(document, stored.etag)

    def _create_objects(
        self, prefix: str, objects: dict[str, bytes], publish_id: str
    ) -> tuple[dict[str, str], list[str]]:
        """Create every data object create-only; (file -> key relative to the folder, keys written)."""
        placed: dict[str, str] = {}
        written: list[str] = []
        try:
            for file in artifact.DATA_OBJECTS:
                try:
                    self.store.write(prefix + file, objects[file], if_absent=True)
                    placed[file] = file
                except (PreconditionFailed, AnswerLost):
                    # Taken (by an abandoned publish, or by the SNAPSHOT being replaced), or its answer was lost,
                    # when the same bytes found there could be another's: a name this publish alone writes.
                    placed[file] = f"{publish_id}/{file}"
                    write_confirmed(self.store, prefix + placed[file], objects[file], if_absent=True)
                written.append(prefix + placed[file])
        except BaseException:
            self._delete_quietly(written)  # nothing references them yet
            raise
        return placed, written

    def _next_sequence(self, name: str, previous: _Manifest | None) -> int:
        """Above the index's sequence and the replaced manifest's: every publish of a model counts up."""
        try:
            index_sequence = self._index.sequence(name)
        except VarlibError:
            index_sequence = 0
        previous_sequence = artifact.manifest_sequence(previous.document) if previous and previous.document else 0
        return max(index_sequence, previous_sequence) + 1

    def _clean_up_after(
        self, prefix: str, placed: dict[str, str], previous: _Manifest | None, version: Version
    ) -> None:
        """Delete what the new manifest made unreachable; never an object the new manifest names."""
        mine = set(placed.values())
        stale: set[str] = set()
        if previous is not None and previous.document is not None:
            objects = previous.document.get("objects")
            if isinstance(objects, dict):
                for file, entry in objects.items():
                    relative = entry.get("key", file) if isinstance(entry, dict) else file
                    if isinstance(relative, str) and artifact.is_object_key(relative, file):
                        stale.add(relative)
        if version.is_release:
            # Plain names left by an abandoned publish: no manifest can ever name them now.
            stale.update(file for file, key in placed.items() if key != file)
        self._delete_quietly([prefix + key for key in stale - mine])

    def _delete_quietly(self, keys: list[str]) -> None:
        for key in keys:
            try:
                self.store.delete(key)
            except VarlibError:
                pass  # unreferenced garbage at worst

    def _exists(self, name: str, version: Version) -> VersionExists:
        return VersionExists(
            f"Version {version} of model {name!r} already exists in the {self.store.location}; "
            "releases are immutable, so publish a new version (or a -SNAPSHOT)."
        )

    def _busy(self, name: str, version: Version) -> VersionExists:
        return VersionExists(
            f"Version {version} of model {name!r} is being published by another process right now "
            f"in the {self.store.location}."
        )

    # ----- the per-model index ----------------------------------------------------------------

    def rebuild_index(self, name: str) -> ReindexReport:
        """Rebuild `name`'s index from the manifests present, merged into the current index by compare-and-swap.

        Safe while others publish: entries added meanwhile are kept, and no entry whose manifest exists is
        dropped. Version folders that cannot be read are skipped and reported, not fatal.
        """
        validate_model_name(name)
        self._may_write(f"rebuilding the index of {name}")
        found, skipped = self._scan_versions(name)
        entries = {s.version: s.index_entry() | {"sequence": seq} for s, seq in found}

        def keep(version: str) -> bool:
            parsed = Version.from_text(version)
            return parsed is not None and self.store.etag(version_prefix(name, parsed) + MANIFEST_FILE) is not None

        merged = self._index.merge(name, entries, keep)
        summaries = [VersionSummary.from_dict(e) for e in merged.values()]
        releases = [s.semver for s in summaries if not s.is_snapshot]

        def recompute_latest(current: Lifecycle) -> None:
            highest = _highest_usable(releases, current.deprecated)
            current.latest = str(highest) if highest else None
            current.tracks_latest = True

        self._lifecycle.update(name, recompute_latest)  # repairs a `latest` whose update was lost
        return ReindexReport(_newest_first(summaries), skipped)

    def _scan_versions(self, name: str) -> tuple[list[tuple[VersionSummary, int]], list[str]]:
        found: list[tuple[VersionSummary, int]] = []
        skipped: list[str] = []
        for folder in self.store.list_children(name):
            version = Version.from_folder(folder)
            if version is None:
                continue  # not a version folder
            try:
                loaded = self.load(name, version)
            except NotFound:
                skipped.append(f"{version}: no manifest (a publish that never finished)")
                continue
            except IntegrityError as exc:
                skipped.append(f"{version}: {str(exc).rstrip('.')}")
                continue
            found.append((loaded.summary, artifact.manifest_sequence(loaded.manifest)))
        return found, skipped

    # ----- reading ----------------------------------------------------------------------------

    def list_models(self) -> list[str]:
        """Names of the models that have at least one folder in the store, sorted."""
        return [n for n in self.store.list_children("") if _is_model_name(n)]

    def list_versions(self, name: str) -> list[VersionSummary]:
        """Versions of `name`, newest first, from its index (one request, however many versions), each marked
        with its aliases and deprecation (one more request)."""
        validate_model_name(name)
        lifecycle = self._reader().submit(self._lifecycle.read, name)  # both reads at once: one round trip
        summaries = self._index_summaries(name)
        return _newest_first(_with_lifecycle(summaries, lifecycle.result()))

    def _reader(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="varlib-read")
        return self._pool

    def _index_summaries(self, name: str) -> list[VersionSummary]:
        state = self._index.read(name)
        if state.etag is None:
            # No index yet (e.g. its only update was lost): read the manifests, leave the store unchanged.
            return [summary for summary, _ in self._scan_versions(name)[0]]
        return state.summaries()

    def resolve(self, name: str, version: str | Version) -> Version:
        """A concrete version: `latest` is the highest release not deprecated; `@ALIAS` the release it points at."""
        validate_model_name(name)
        if isinstance(version, str) and version.startswith("@"):
            alias = validate_alias_name(version[1:])
            lifecycle = self._lifecycle.read(name)
            target = lifecycle.aliases.get(alias)
            if target is None:
                known = ", ".join("@" + a for a in sorted(lifecycle.aliases)) or "none"
                raise NotFound(f"Model {name!r} has no alias {alias!r} in the {self.store.location} "
                               f"(its aliases: {known}).")  # fmt: skip
            return Version.parse(target.version)
        if isinstance(version, str) and version == LATEST:
            lifecycle = self._lifecycle.read(name)
            if lifecycle.tracks_latest and lifecycle.latest is not None:
                return Version.parse(lifecycle.latest)  # one small read, however many versions
            releases = self._releases(name)
            usable = _highest_usable(releases, lifecycle.deprecated)
            if usable is None:
                every = " (every release is deprecated)" if releases else ""
                raise NotFound(f"Model {name!r} has no release version in the {self.store.location}{every}.")
            return usable
        return _as_version(version)

    def _releases(self, name: str) -> list[Version]:
        return [s.semver for s in self._index_summaries(name) if not s.is_snapshot]

    # ----- aliases and deprecation ------------------------------------------------------------

    def lifecycle(self, name: str) -> Lifecycle:
        """The model's aliases, deprecated releases and the history of their changes (oldest first)."""
        validate_model_name(name)
        return self._lifecycle.read(name)

    def _existing_release(self, name: str, version: str | Version, what: str) -> Version:
        resolved = self.resolve(name, version)
        if resolved.is_snapshot:
            raise InvalidInput(f"{what} a release only; {resolved} of model {name!r} is a SNAPSHOT.")
        if self.store.etag(version_prefix(name, resolved) + MANIFEST_FILE) is None:
            raise NotFound(f"Version {resolved} of model {name!r} does not exist in the {self.store.location}.")
        return resolved

    def set_alias(self, name: str, alias: str, version: str | Version, note: str = "", by: str | None = None) -> str:
        """Point `alias` at a release (which may be given as `latest` or `@OTHER`); returns the version it pointed at
        before ('' if new). The move and its history entry are one compare-and-swap."""
        validate_alias_name(alias)
        _check_note(note)
        self._may_write(f"moving @{alias} of {name}")
        target = str(self._existing_release(name, version, "An alias may point at"))
        who, when = self._by(by), artifact.utc_now()
        previous = ""

        def move(current: Lifecycle) -> dict:
            nonlocal previous
            if target in current.deprecated:
                reason = current.deprecated[target].reason
                raise InvalidInput(
                    f"Release {target} of model {name!r} is deprecated ({reason}); an alias cannot be moved onto it."
                )
            previous = current.aliases[alias].version if alias in current.aliases else ""
            current.aliases[alias] = AliasTarget(target, when, who, note)
            return {"event": "alias-set", "alias": alias, "from": previous or None, "to": target, "at": when,
                    "by": who, "note": note}  # fmt: skip

        self._lifecycle.update(name, move)
        return previous

    def delete_alias(self, name: str, alias: str, note: str = "", by: str | None = None) -> str:
        """Remove `alias`; returns the version it pointed at."""
        validate_model_name(name)
        validate_alias_name(alias)
        _check_note(note)
        self._may_write(f"deleting @{alias} of {name}")
        who, when = self._by(by), artifact.utc_now()
        removed = ""

        def remove(current: Lifecycle) -> dict:
            nonlocal removed
            if alias not in current.aliases:
                raise NotFound(f"Model {name!r} has no alias {alias!r} in the {self.store.location}.")
            removed = current.aliases.pop(alias).version
            return {"event": "alias-deleted", "alias": alias, "from": removed, "to": None, "at": when, "by": who,
                    "note": note}  # fmt: skip

        self._lifecycle.update(name, remove)
        return removed

    def deprecate(self, name: str, version: str | Version, reason: str, by: str | None = None) -> Version:
        """Mark a release deprecated: loadable by its exact version, skipped by `latest`, never an alias target."""
        if not isinstance(reason, str) or not reason.strip():
            raise InvalidInput("Give a reason for deprecating a release: it is shown wherever the release is listed.")
        _check_note(reason)
        self._may_write(f"deprecating {name} {version}")
        release = self._existing_release(name, version, "Deprecate")
        who, when = self._by(by), artifact.utc_now()
        releases = self._releases(name)

        def mark(current: Lifecycle) -> dict:
            if str(release) in current.deprecated:
                raise InvalidInput(f"Release {release} of model {name!r} is already deprecated "
                                   f"({current.deprecated[str(release)].reason}).")  # fmt: skip
            pointing = current.aliases_of(str(release))
            if pointing:
                raise InvalidInput(
                    f"Release {release} of model {name!r} is the target of alias "
                    f"{', '.join('@' + a for a in pointing)}; move or delete the alias before deprecating it."
                )
            current.deprecated[str(release)] = Deprecation(reason.strip(), when, who)
            if current.latest == str(release) or not current.tracks_latest:
                highest = _highest_usable([*releases, *_known(current.latest)], current.deprecated)
                current.latest = str(highest) if highest else None
                current.tracks_latest = True
            return {"event": "deprecated", "version": str(release), "at": when, "by": who, "note": reason.strip()}

        self._lifecycle.update(name, mark)
        return release

    def undeprecate(self, name: str, version: str | Version, note: str = "", by: str | None = None) -> Version:
        validate_model_name(name)
        _check_note(note)
        release = _as_version(version)
        self._may_write(f"undeprecating {name} {release}")
        who, when = self._by(by), artifact.utc_now()

        def unmark(current: Lifecycle) -> dict:
            if current.deprecated.pop(str(release), None) is None:
                raise InvalidInput(f"Release {release} of model {name!r} is not deprecated.")
            _bump_latest(current, release, lambda: self._releases(name))
            return {"event": "undeprecated", "version": str(release), "at": when, "by": who, "note": note}

        self._lifecycle.update(name, unmark)
        return release

    def manifest_etag(self, name: str, version: str | Version) -> str | None:
        """The manifest's etag (a cheap freshness check); None when the version does not exist."""
        resolved = self.resolve(name, version)
        return self.store.etag(version_prefix(name, resolved) + MANIFEST_FILE)

    def load(self, name: str, version: str | Version, *, with_data: bool = True) -> ModelVersion:
        """Load a version, verifying every object it reads against the manifest (size and sha256).

        Objects under their plain names are fetched together with the manifest, so a load costs about one round
        trip. Without data only manifest.json and model.json are read: enough to forecast, not to show actuals.
        """
        version = self.resolve(name, version)
        for _ in range(LOAD_ATTEMPTS):
            try:
                return self._load_once(name, version, with_data)
            except _ChangedWhileReading:
                continue
        raise IntegrityError(
            f"Version {version} of model {name!r} kept changing while it was read (republished again and again); "
            "try again."
        )

    def _limit(self, file: str) -> int:
        if file == MANIFEST_FILE:
            return self.limits.max_manifest_bytes
        return self.limits.max_model_bytes if file == MODEL_FILE else self.limits.max_data_bytes

    def _load_once(self, name: str, version: Version, with_data: bool) -> ModelVersion:
        prefix = version_prefix(name, version)
        files = artifact.DATA_OBJECTS if with_data else (MODEL_FILE,)
        manifest_key = prefix + MANIFEST_FILE
        fetched = self._read_concurrently([(manifest_key, self._limit(MANIFEST_FILE))] +
                                          [(prefix + file, self._limit(file)) for file in files])  # fmt: skip
        stored_manifest = fetched[manifest_key]
        if isinstance(stored_manifest, NotFound):
            raise NotFound(f"Version {version} of model {name!r} does not exist in the {self.store.location}.")
        if isinstance(stored_manifest, Exception):
            raise stored_manifest
        manifest = parse_json(stored_manifest.data, manifest_key)
        if self._signing_key is not None:
            artifact.verify_signature(manifest, self._signing_key, manifest_key)
        entries = artifact.check_manifest(manifest, manifest_key, name, version, self.limits)
        if self._signing_key is not None and version.is_snapshot:
            self._check_not_rolled_back(name, version, manifest, manifest_key)
        elsewhere = [(prefix + entries[f]["key"], self._limit(f)) for f in files if entries[f]["key"] != f]
        if elsewhere:
            fetched.update(self._read_concurrently(elsewhere))
        contents = {}
        for file in files:
            key = prefix + entries[file]["key"]
            try:
                contents[file] = self._verified(key, fetched[key], entries[file])
            except IntegrityError:
                if self.store.etag(manifest_key) != stored_manifest.etag:
                    raise _ChangedWhileReading from None
                if entries[file]["key"] != file:
                    raise
                # Read with the manifest, the object may predate it (a SNAPSHOT republished meanwhile): read it again.
                contents[file] = self._verified(key, self._read_concurrently([(key, self._limit(file))])[key],
                                                entries[file])  # fmt: skip
        model_key = prefix + entries[MODEL_FILE]["key"]
        document = parse_json(contents[MODEL_FILE], model_key)
        model = artifact.model_from_document(document, model_key, self.limits)
        if document["name"] != name or document["version"] != str(version):
            raise IntegrityError(f"{model_key} describes another model or version, not {name} {version}.")

        def frame(file: str) -> pd.DataFrame | None:
            if file not in contents:
                return None
            return artifact.frame_from_csv(contents[file], prefix + entries[file]["key"], model.columns, model.freq)

        return ModelVersion(
            name=name,
            version=version,
            metadata=document,
            model=model,
            train_levels=frame(artifact.TRAIN_FILE),
            test_levels=frame(artifact.TEST_FILE),
            manifest=manifest,
            manifest_etag=stored_manifest.etag,
            limits=self.limits,
            production=artifact.production_from_document(document),
            manifest_sha256=artifact.sha256_hex(stored_manifest.data),
        )

    def _verified(self, key: str, stored: StoredObject | Exception, entry: dict) -> bytes:
        if isinstance(stored, NotFound):
            raise IntegrityError(f"{key} is listed in the manifest but missing from the {self.store.location}.")
        if isinstance(stored, Exception):
            raise stored
        artifact.verify_object(stored.data, entry, key)
        return stored.data

    def _check_not_rolled_back(self, name: str, version: Version, manifest: dict, manifest_key: str) -> None:
        """A signed SNAPSHOT must be at least as new as the (signed) index says: older signed copies are refused."""
        state: IndexState = self._index.read(name)
        entry = state.entries.get(str(version))
        listed = entry.get("sequence", 0) if entry else 0
        if artifact.manifest_sequence(manifest) < listed:
            raise IntegrityError(
                f"{manifest_key} is an older publish (sequence {artifact.manifest_sequence(manifest)}) than the "
                f"index lists (sequence {listed}): it was rolled back, so it is not used."
            )

    def _read_concurrently(self, requests: list[tuple[str, int]]) -> dict[str, StoredObject | Exception]:
        """Read several objects at once (each bounded); each key maps to its object or the error reading it raised."""
        futures = {key: self._reader().submit(self.store.read, key, limit) for key, limit in requests[1:]}
        results: dict[str, StoredObject | Exception] = {}
        first, limit = requests[0]
        try:  # the first object is read on this thread: one hand-off fewer
            results[first] = self.store.read(first, limit)
        except VarlibError as exc:
            results[first] = exc
        for key, future in futures.items():
            try:
                results[key] = future.result()
            except VarlibError as exc:
                results[key] = exc
        return results

    def next_version(self, name: str) -> Version:
        """The next patch after the highest release (0.0.1 for a new model)."""
        return next_release(self.list_versions(name))

    # ----- deleting ---------------------------------------------------------------------------

    def delete_snapshot(self, name: str, version: str | Version, by: str | None = None) -> None:
        """Delete a SNAPSHOT version (manifest first, so it vanishes at once). Releases cannot be deleted.

        The deletion is recorded, with who and when, in the model's history (aliases.json)."""
        version = _as_version(version)
        validate_model_name(name)
        if version.is_release:
            raise InvalidInput(f"Version {version} of model {name!r} is a release; releases cannot be deleted.")
        self._may_write(f"deleting {name} {version}")
        prefix = version_prefix(name, version)
        manifest_key = prefix + MANIFEST_FILE
        current = self._current_manifest(manifest_key)
        if current is None:
            raise NotFound(f"Version {version} of model {name!r} does not exist in the {self.store.location}.")
        lock_key = prefix + locks.LOCK_FILE
        try:
            lock_etag = locks.acquire(self.store, lock_key)
        except locks.LockBusy:
            raise self._busy(name, version) from None
        try:
            self.store.delete(manifest_key)
            self._clean_up_after(prefix, {}, current, version)
            self._delete_quietly([prefix + file for file in artifact.DATA_OBJECTS])
        finally:
            locks.release(self.store, lock_key, lock_etag)
        self._index.remove(name, str(version))
        who, when = self._by(by), artifact.utc_now()
        try:
            self._lifecycle.update(name, lambda _: {"event": "snapshot-deleted", "version": str(version),
                                                    "at": when, "by": who})  # fmt: skip
        except VarlibError:
            pass  # the SNAPSHOT is deleted; only its history entry is missing


def _known(version: str | None) -> list[Version]:
    return [Version.parse(version)] if version else []


def _highest_usable(releases: list[Version], deprecated: Mapping[str, object]) -> Version | None:
    usable = [v for v in releases if v.is_release and str(v) not in deprecated]
    return max(usable) if usable else None


def _bump_latest(current: Lifecycle, release: Version, releases: Callable[[], list[Version]]) -> None:
    """`latest` after `release` is published or undeprecated: the higher of the two, unless it is deprecated.

    A document that did not track `latest` yet (written by an older varlib) gets it from every release listed."""
    if not current.tracks_latest:
        highest = _highest_usable([*releases(), release], current.deprecated)
        current.latest = str(highest) if highest else None
        current.tracks_latest = True
    elif str(release) not in current.deprecated and (current.latest is None or Version.parse(current.latest) < release):
        current.latest = str(release)
    return None


def _check_note(note: str) -> None:
    if not isinstance(note, str) or len(note) > MAX_TEXT:
        raise InvalidInput(f"The note is longer than the {MAX_TEXT:,} characters allowed.")


def _with_lifecycle(summaries: list[VersionSummary], lifecycle: Lifecycle) -> list[VersionSummary]:
    """The summaries with their live state: deprecation reason and aliases."""
    if not lifecycle.aliases and not lifecycle.deprecated:
        return summaries
    out = []
    for summary in summaries:
        deprecation = lifecycle.deprecated.get(summary.version)
        out.append(
            dataclasses.replace(
                summary,
                deprecated=deprecation.reason if deprecation else None,
                aliases=tuple(lifecycle.aliases_of(summary.version)),
            )
        )
    return out


def _publish_id(created: str) -> str:
    """A folder name no other publish uses: p-<created, compact>-<random>, e.g. p-20261125t134125z-3f9a0c1b2d4e."""
    compact = created.lower().replace("-", "").replace(":", "")
    return f"p-{compact}-{uuid.uuid4().hex[:12]}"


def next_release(versions: list[VersionSummary]) -> Version:
    """The next patch after the highest release among `versions` (0.0.1 when there is none)."""
    releases = [v.semver for v in versions if not v.is_snapshot]
    return max(releases).next_patch() if releases else Version(0, 0, 1)


def _as_version(version: str | Version) -> Version:
    if isinstance(version, Version):
        return version
    if version == LATEST:
        raise InvalidInput("'latest' must be resolved to a concrete version first.")
    return Version.parse(version)


def _is_model_name(name: str) -> bool:
    try:
        validate_model_name(name)
    except InvalidInput:
        return False
    return True


def _newest_first(summaries: list[VersionSummary]) -> list[VersionSummary]:
    return sorted(summaries, key=lambda s: s.semver, reverse=True)
