"""Stores of model versions, picked by URL: `file://PATH` (default `./.varstore`) or `s3://BUCKET[/PREFIX]`."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from varlib.errors import StoreError
from varlib.store.base import ModelStore, StoredObject
from varlib.store.local import LocalStore
from varlib.store.s3 import S3Store

DEFAULT_STORE_URL = "file://.varstore"
STORE_ENV = "VARLIB_STORE"

__all__ = ["DEFAULT_STORE_URL", "ModelStore", "StoredObject", "open_store", "store_url_from_env"]


def _open_file(url: str, settings: Mapping[str, str]) -> ModelStore:
    # file:///abs/path is absolute; file://relative/path is relative to the working directory.
    path = url.split("://", 1)[1] if "://" in url else url.removeprefix("file:")
    if not path:
        raise StoreError("A file:// store URL needs a path, e.g. file:///data/models or file://.varstore.")
    return LocalStore(path)


def _open_s3(url: str, settings: Mapping[str, str]) -> ModelStore:
    parts = urlsplit(url)
    bucket = parts.hostname or ""
    if not bucket or "@" in parts.netloc:
        raise StoreError("An s3:// store URL names a bucket, e.g. s3://models; credentials go in the environment.")
    return S3Store(bucket, parts.path, settings=settings)


_BACKENDS: dict[str, Callable[[str, Mapping[str, str]], ModelStore]] = {
    "": _open_file,
    "file": _open_file,
    "s3": _open_s3,
}


def store_url_from_env(settings: Mapping[str, str] | None = None) -> str:
    env = os.environ if settings is None else settings
    return env.get(STORE_ENV) or DEFAULT_STORE_URL


def open_store(url: str | None = None, settings: Mapping[str, str] | None = None) -> ModelStore:
    """The store at `url` (default: $VARLIB_STORE, else ./.varstore); S3 settings from `settings` or the environment."""
    env = os.environ if settings is None else settings
    url = url or store_url_from_env(env)
    scheme = urlsplit(url).scheme.lower() if "://" in url or url.startswith("file:") else ""
    opener = _BACKENDS.get(scheme)
    if opener is None:
        known = ", ".join(f"{s}://" for s in _BACKENDS if s)
        raise StoreError(f"Unknown store scheme {scheme!r} in {STORE_ENV}: use one of {known}.")
    return opener(url, env)
