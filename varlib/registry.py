"""Model versions on top of a byte store: publish, load (verified), list, delete snapshots, repair.

Guarantees, whatever the backend:
- A version is visible only once its manifest exists, and the manifest is written last.
- A release is immutable: its manifest is created with a create-only write, and a publish lock
  (also create-only) keeps a second publisher from touching the objects of the first.
- Each model has `index.json` with the key metadata of every version, updated by compare-and-swap
  so that concurrent publishers lose no entry; listing reads only that one object. A lost update
  (publisher killed after the manifest) is repaired from the manifests by `rebuild_index`.
"""

from __future__ import annotations

import json
import os
import random
import socket
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pandas as pd

from varlib import artifact
from varlib.artifact import MANIFEST_FILE, ModelVersion, VersionSummary
from varlib.errors import (
    IntegrityError,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    StoreError,
    VarlibError,
    VersionExists,
)
from varlib.naming import LATEST, Version, validate_model_name
from varlib.store import open_store
from varlib.store.base import ModelStore, StoredObject
from varlib.training import TrainResult

INDEX_FILE = "index.json"
INDEX_FORMAT = "varlib.index"
LOCK_FILE = ".publish.lock"
LOCK_LEASE_SECONDS = 120.0
INDEX_UPDATE_ATTEMPTS = 50


def version_prefix(name: str, version: Version) -> str:
    return f"{name}/{version.folder}/"


@dataclass(frozen=True)
class PublishReceipt:
    name: str
    version: Version
    keys: list[str]  # every object written, the manifest last
    location: str  # where the store is (no secrets)
    index_updated: bool = True


SIGNING_KEY_ENV = "VARLIB_SIGNING_KEY"


class ModelRegistry:
    """Versions of VAR models kept in one store.

    With a signing key, every published manifest is signed (HMAC-SHA256) and every load refuses a version
    that is unsigned or signed with another key: checksums catch corruption, signatures catch writers
    without the key.
    """

    def __init__(self, store: ModelStore, signing_key: bytes | None = None) -> None:
        self.store = store
        self._signing_key = signing_key or None
        self._pool: ThreadPoolExecutor | None = None  # created on the first load

    @classmethod
    def from_settings(cls, url: str | None = None, settings: Mapping[str, str] | None = None) -> ModelRegistry:
        """The registry configured by VARLIB_STORE, the S3 variables and VARLIB_SIGNING_KEY (env by default)."""
        env = os.environ if settings is None else settings
        key = env.get(SIGNING_KEY_ENV)
        return cls(open_store(url, env), key.encode() if key else None)

    @property
    def signs(self) -> bool:
        return self._signing_key is not None

    # ----- publishing -------------------------------------------------------------------------

    def planned_keys(self, name: str, version: str | Version) -> list[str]:
        """The object keys a publish of this version writes, in order (the manifest last)."""
        version = _as_version(version)
        prefix = version_prefix(validate_model_name(name), version)
        return [prefix + file for file in (*artifact.DATA_OBJECTS, MANIFEST_FILE)]

    def publish(self, result: TrainResult, name: str, version: str | Version, note: str = "") -> PublishReceipt:
        """Store a trained model as `name` `version`; a release that exists is refused, unchanged."""
        version = _as_version(version)
        keys = self.planned_keys(name, version)
        manifest_key = keys[-1]
        if version.is_release and self.store.etag(manifest_key) is not None:
            raise self._exists(name, version)
        created = artifact.utc_now()
        objects = artifact.version_objects(result, name, version, note, created)
        manifest_document = artifact.manifest_document(objects, name, version, created)
        if self._signing_key is not None:
            manifest_document = artifact.sign_manifest(manifest_document, self._signing_key)
        manifest = artifact.to_json(manifest_document)

        lock_key = version_prefix(name, version) + LOCK_FILE
        lock_etag = self._acquire_lock(lock_key, name, version)
        try:
            existing = self.store.etag(manifest_key)
            if existing is not None and version.is_release:
                raise self._exists(name, version)
            if existing is not None:
                # A SNAPSHOT is replaced: hide it first so nobody loads a mix of old and new objects.
                self.store.delete(manifest_key)
            for file in artifact.DATA_OBJECTS:
                self.store.write(version_prefix(name, version) + file, objects[file])
            try:
                self.store.write(manifest_key, manifest, if_absent=True)
            except PreconditionFailed:
                raise self._exists(name, version) from None
        finally:
            self._release_lock(lock_key, lock_etag)

        summary = VersionSummary.from_model_document(json.loads(objects[artifact.MODEL_FILE]))
        try:
            index_updated = self._update_index(name, lambda versions: versions | {str(version): summary.to_dict()})
        except StoreError:
            # The version is published (its manifest exists); only the index, which reindex rebuilds, is behind.
            index_updated = False
        return PublishReceipt(name, version, keys, self.store.location, index_updated)

    def _exists(self, name: str, version: Version) -> VersionExists:
        return VersionExists(
            f"Version {version} of model {name!r} already exists in the {self.store.location}; "
            "releases are immutable, so publish a new version (or a -SNAPSHOT)."
        )

    def _acquire_lock(self, lock_key: str, name: str, version: Version) -> str:
        owner = {"host": socket.gethostname(), "pid": os.getpid(), "id": uuid.uuid4().hex, "started": time.time()}
        data = json.dumps(owner).encode()
        try:
            return self.store.write(lock_key, data, if_absent=True)
        except PreconditionFailed:
            pass
        try:
            held = self.store.read(lock_key)
        except NotFound:  # released in between: try once more
            try:
                return self.store.write(lock_key, data, if_absent=True)
            except PreconditionFailed:
                raise self._busy(name, version) from None
        if not _lock_is_stale(held.data):
            if version.is_release and self.store.etag(version_prefix(name, version) + MANIFEST_FILE):
                raise self._exists(name, version)
            raise self._busy(name, version)
        try:  # take over a lock whose publisher died; only one of several contenders wins
            return self.store.write(lock_key, data, if_match=held.etag)
        except PreconditionFailed:
            raise self._busy(name, version) from None

    def _busy(self, name: str, version: Version) -> VersionExists:
        return VersionExists(
            f"Version {version} of model {name!r} is being published by another process right now "
            f"in the {self.store.location}."
        )

    def _release_lock(self, lock_key: str, lock_etag: str) -> None:
        try:
            if self.store.etag(lock_key) == lock_etag:
                self.store.delete(lock_key)
        except Exception:  # noqa: BLE001 - a stale lock expires by itself; the publish result stands
            pass

    # ----- the per-model index ----------------------------------------------------------------

    def _read_index(self, name: str) -> tuple[dict[str, dict], str | None]:
        key = f"{name}/{INDEX_FILE}"
        try:
            stored = self.store.read(key)
        except NotFound:
            return {}, None
        document = artifact.parse_json(stored.data, key)
        if document.get("format") != INDEX_FORMAT or not isinstance(document.get("versions"), dict):
            raise IntegrityError(f"{key} is not a varlib index; rebuild it with `python -m varlib reindex {name}`.")
        return document["versions"], stored.etag

    def _write_index(self, name: str, versions: dict[str, dict], etag: str | None) -> None:
        document = {"format": INDEX_FORMAT, "model": name, "updated": artifact.utc_now(), "versions": versions}
        key = f"{name}/{INDEX_FILE}"
        if etag is None:
            self.store.write(key, artifact.to_json(document), if_absent=True)
        else:
            self.store.write(key, artifact.to_json(document), if_match=etag)

    def _update_index(self, name: str, change: Any) -> bool:
        """Apply `change(versions) -> versions` by compare-and-swap, retrying when another writer won."""
        for attempt in range(INDEX_UPDATE_ATTEMPTS):
            versions, etag = self._read_index(name)
            try:
                self._write_index(name, change(dict(versions)), etag)
                return True
            except PreconditionFailed:
                time.sleep(random.uniform(0, 0.02 * (attempt + 1)))
        return False

    def rebuild_index(self, name: str) -> list[VersionSummary]:
        """Rebuild `name`'s index from the manifests actually present (repairs lost updates)."""
        validate_model_name(name)
        summaries = self._scan_versions(name)
        versions = {s.version: s.to_dict() for s in summaries}
        for _ in range(INDEX_UPDATE_ATTEMPTS):
            try:
                self._write_index(name, versions, self.store.etag(f"{name}/{INDEX_FILE}"))
                break
            except PreconditionFailed:
                continue
        return _newest_first(summaries)

    def _scan_versions(self, name: str) -> list[VersionSummary]:
        summaries = []
        for folder in self.store.list_children(name):
            version = Version.from_folder(folder)
            if version is None or self.store.etag(version_prefix(name, version) + MANIFEST_FILE) is None:
                continue  # not a version, or a publish that never finished
            try:
                summaries.append(self.load(name, version).summary)
            except IntegrityError:
                continue  # a damaged version is not listed; loading it names the damaged object
        return summaries

    # ----- reading ----------------------------------------------------------------------------

    def list_models(self) -> list[str]:
        """Names of the models that have at least one folder in the store, sorted."""
        return [n for n in self.store.list_children("") if _is_model_name(n)]

    def list_versions(self, name: str) -> list[VersionSummary]:
        """Versions of `name`, newest first, from its index (one request, however many versions)."""
        validate_model_name(name)
        versions, etag = self._read_index(name)
        if etag is None:
            # No index yet (e.g. its only update was lost): read the manifests, leave the store unchanged.
            return _newest_first(self._scan_versions(name))
        return _newest_first([VersionSummary.from_dict(entry) for entry in versions.values()])

    def resolve(self, name: str, version: str | Version) -> Version:
        """A concrete version: `latest` is the highest release in the index."""
        validate_model_name(name)
        if isinstance(version, str) and version == LATEST:
            releases = [s.semver for s in self.list_versions(name) if not s.is_snapshot]
            if not releases:
                raise NotFound(f"Model {name!r} has no release version in the {self.store.location}.")
            return max(releases)
        return _as_version(version)

    def manifest_etag(self, name: str, version: str | Version) -> str | None:
        """The manifest's etag (a cheap freshness check); None when the version does not exist."""
        resolved = self.resolve(name, version)
        return self.store.etag(version_prefix(name, resolved) + MANIFEST_FILE)

    def load(self, name: str, version: str | Version, *, with_data: bool = True) -> ModelVersion:
        """Load a version, verifying every object it reads against the manifest (size and sha256).

        The objects are fetched concurrently, so a load costs about one round trip. Without data only
        manifest.json and model.json are read: enough to forecast, not to show actual values.
        """
        version = self.resolve(name, version)
        prefix = version_prefix(name, version)
        files = artifact.DATA_OBJECTS if with_data else (artifact.MODEL_FILE,)
        manifest_key = prefix + MANIFEST_FILE
        fetched = self._read_concurrently([manifest_key, *(prefix + file for file in files)])
        stored_manifest = fetched[manifest_key]
        if isinstance(stored_manifest, NotFound):
            raise NotFound(f"Version {version} of model {name!r} does not exist in the {self.store.location}.")
        if isinstance(stored_manifest, Exception):
            raise stored_manifest
        manifest = artifact.parse_json(stored_manifest.data, manifest_key)
        if self._signing_key is not None:
            artifact.verify_signature(manifest, self._signing_key, manifest_key)
        entries = artifact.check_manifest(manifest, manifest_key, name, version)
        contents = {}
        for file in files:
            key = prefix + file
            stored = fetched[key]
            if isinstance(stored, NotFound):
                raise IntegrityError(f"{key} is listed in the manifest but missing from the {self.store.location}.")
            if isinstance(stored, Exception):
                raise stored
            artifact.verify_object(stored.data, entries[file], key)
            contents[file] = stored.data
        model_key = prefix + artifact.MODEL_FILE
        document = artifact.parse_json(contents[artifact.MODEL_FILE], model_key)
        model = artifact.model_from_document(document, model_key)

        def frame(file: str) -> pd.DataFrame | None:
            if file not in contents:
                return None
            return artifact.frame_from_csv(contents[file], prefix + file, model.variables, model.freq)

        return ModelVersion(
            name=name,
            version=version,
            metadata=document,
            model=model,
            train_levels=frame(artifact.TRAIN_FILE),
            test_levels=frame(artifact.TEST_FILE),
            manifest=manifest,
            manifest_etag=stored_manifest.etag,
        )

    def _read_concurrently(self, keys: list[str]) -> dict[str, StoredObject | Exception]:
        """Read several objects at once; each key maps to its object or the error reading it raised."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="varlib-read")
        futures = {key: self._pool.submit(self.store.read, key) for key in keys[1:]}
        results: dict[str, StoredObject | Exception] = {}
        try:  # the first object is read on this thread: one hand-off fewer
            results[keys[0]] = self.store.read(keys[0])
        except VarlibError as exc:
            results[keys[0]] = exc
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

    def delete_snapshot(self, name: str, version: str | Version) -> None:
        """Delete a SNAPSHOT version (manifest first, so it vanishes at once). Releases cannot be deleted."""
        version = _as_version(version)
        validate_model_name(name)
        if version.is_release:
            raise InvalidInput(f"Version {version} of model {name!r} is a release; releases cannot be deleted.")
        prefix = version_prefix(name, version)
        if self.store.etag(prefix + MANIFEST_FILE) is None:
            raise NotFound(f"Version {version} of model {name!r} does not exist in the {self.store.location}.")
        self.store.delete(prefix + MANIFEST_FILE)
        for file in artifact.DATA_OBJECTS:
            self.store.delete(prefix + file)
        self._update_index(name, lambda versions: {v: e for v, e in versions.items() if v != str(version)})


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


def _lock_is_stale(data: bytes) -> bool:
    """A publish lock is stale when its publisher, on this host, is dead, or when its lease ran out."""
    try:
        owner = json.loads(data)
        started, host, pid = float(owner["started"]), str(owner["host"]), int(owner["pid"])
    except (ValueError, KeyError, TypeError):
        return True
    if time.time() - started > LOCK_LEASE_SECONDS:
        return True
    if host == socket.gethostname():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
    return False
