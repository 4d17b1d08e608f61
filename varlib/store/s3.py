"""`s3://BUCKET[/PREFIX]` backend on the minio client: MinIO, AWS S3 or any S3-compatible server.

Configuration comes from the environment (or the mapping passed in): AWS_ENDPOINT_URL,
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION. Conditional writes send real
If-None-Match / If-Match headers (minio's put_object would turn them into user metadata).
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable, Mapping
from typing import TypeVar
from urllib.parse import urlsplit

import urllib3
from minio import Minio
from minio.error import InvalidResponseError, S3Error, ServerError

from varlib.errors import NotFound, PreconditionFailed, StoreError
from varlib.store.base import ModelStore, StoredObject

DEFAULT_ENDPOINT = "https://s3.amazonaws.com"
DEFAULT_TIMEOUT_SECONDS = 10.0
T = TypeVar("T")

_ACCESS_CODES = {
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "AllAccessDisabled",
}


class S3Store(ModelStore):
    def __init__(self, bucket: str, prefix: str = "", *, settings: Mapping[str, str] | None = None) -> None:
        env = os.environ if settings is None else settings
        endpoint = env.get("AWS_ENDPOINT_URL") or DEFAULT_ENDPOINT
        parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise StoreError(f"AWS_ENDPOINT_URL {endpoint!r} is not an http(s) URL such as http://127.0.0.1:9000.")
        self.endpoint = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        timeout = float(env.get("VARLIB_S3_TIMEOUT") or DEFAULT_TIMEOUT_SECONDS)
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=min(timeout, 5.0), read=timeout),
            retries=urllib3.Retry(total=2, connect=2, read=1, backoff_factor=0.2, status_forcelist=(502, 503, 504)),
            maxsize=16,
        )
        self._client = Minio(
            parts.netloc.rpartition("@")[2],
            access_key=env.get("AWS_ACCESS_KEY_ID") or None,
            secret_key=env.get("AWS_SECRET_ACCESS_KEY") or None,
            session_token=env.get("AWS_SESSION_TOKEN") or None,
            secure=parts.scheme == "https",
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
            http_client=http,
        )
        self._bucket_ready = False

    @property
    def location(self) -> str:
        where = f"{self.bucket}/{self.prefix}".rstrip("/")
        return f"S3 store {self.endpoint} (bucket {where})"

    def _key(self, key: str) -> str:
        return self.prefix + key

    def _call(self, doing: str, key: str, action: Callable[[], T]) -> T:
        """Run one client call, translating every failure into varlib's errors."""
        try:
            return action()
        except S3Error as exc:
            raise self._translate(exc, doing, key) from None
        except (ServerError, InvalidResponseError) as exc:
            status = getattr(exc, "status_code", None) or getattr(exc, "_code", None) or "an invalid response"
            raise StoreError(f"Failed {doing} {key} in the {self.location}: the server answered {status}.") from None
        except urllib3.exceptions.HTTPError as exc:
            raise StoreError(
                f"Failed {doing} {key}: cannot reach the {self.location} ({_network_reason(exc)})."
            ) from None
        except ValueError as exc:  # the client's own checks, e.g. an invalid bucket name
            raise StoreError(f"Failed {doing} {key} in the {self.location}: {exc}.") from None

    def _translate(self, exc: S3Error, doing: str, key: str) -> Exception:
        code = exc.code or ""
        if code in ("NoSuchKey", "NoSuchBucket", "NoSuchObject", "ResourceNotFound"):
            return NotFound(f"{key} does not exist in the {self.location}.")
        if code == "PreconditionFailed":
            return PreconditionFailed(f"{key} already exists or changed in the {self.location}.")
        if code in _ACCESS_CODES:
            return StoreError(
                f"Failed {doing} {key}: the {self.location} refused the credentials ({code}); "
                "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
            )
        return StoreError(f"Failed {doing} {key} in the {self.location}: {code or 'error'}.")

    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return

        def create() -> None:
            if not self._client.bucket_exists(self.bucket):
                try:
                    self._client.make_bucket(self.bucket)
                except S3Error as exc:
                    if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise

        self._call("creating bucket", self.bucket, create)
        self._bucket_ready = True

    def read(self, key: str) -> StoredObject:
        def get() -> StoredObject:
            response = self._client.get_object(self.bucket, self._key(key))
            try:
                return StoredObject(data=response.read(), etag=response.headers.get("ETag", "").strip('"'))
            finally:
                response.close()
                response.release_conn()

        return self._call("reading", key, get)

    def etag(self, key: str) -> str | None:
        try:
            return self._call("checking", key, lambda: self._client.stat_object(self.bucket, self._key(key)).etag)
        except NotFound:
            return None

    def write(self, key: str, data: bytes, *, if_absent: bool = False, if_match: str | None = None) -> str:
        self._ensure_bucket()
        headers = {"Content-Type": _content_type(key), "Content-MD5": _content_md5(data)}
        if if_absent:
            headers["If-None-Match"] = "*"
        if if_match is not None:
            headers["If-Match"] = f'"{if_match}"'
        result = self._call(
            "writing", key, lambda: self._client._put_object(self.bucket, self._key(key), data, headers=headers)
        )
        return result.etag

    def list_children(self, prefix: str) -> list[str]:
        full = self._key(prefix.rstrip("/") + "/" if prefix else "")

        def children() -> list[str]:
            names = []
            for item in self._client.list_objects(self.bucket, prefix=full, recursive=False):
                if item.is_dir:
                    names.append(item.object_name[len(full) :].rstrip("/"))
            return sorted(names)

        try:
            return self._call("listing", prefix or "/", children)
        except NotFound:
            return []

    def list_keys(self, prefix: str) -> list[str]:
        full = self._key(prefix)

        def keys() -> list[str]:
            return sorted(
                item.object_name[len(self.prefix) :]
                for item in self._client.list_objects(self.bucket, prefix=full, recursive=True)
                if not item.is_dir
            )

        try:
            return self._call("listing", prefix or "/", keys)
        except NotFound:
            return []

    def delete(self, key: str) -> None:
        try:
            self._call("deleting", key, lambda: self._client.remove_object(self.bucket, self._key(key)))
        except NotFound:
            pass

    def check(self) -> None:
        # bucket_exists is one cheap HEAD that also proves the credentials are accepted.
        self._call("checking", f"bucket {self.bucket}", lambda: self._client.bucket_exists(self.bucket))


def _content_type(key: str) -> str:
    if key.endswith(".json"):
        return "application/json"
    if key.endswith(".csv"):
        return "text/csv"
    return "application/octet-stream"


def _content_md5(data: bytes) -> str:
    # The server then rejects a body damaged in transit instead of storing it.
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


def _network_reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", None) or exc
    text = type(reason).__name__
    if "Timeout" in text:
        return "timed out"
    if "NewConnection" in text or "Connection" in text:
        return "connection refused"
    return text
