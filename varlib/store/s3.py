"""`s3://BUCKET[/PREFIX]` backend on the minio client: MinIO, AWS S3 or any S3-compatible server.

Configuration comes from the environment (or the mapping passed in): AWS_ENDPOINT_URL,
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION. Conditional writes send real
If-None-Match / If-Match headers (minio's put_object would turn them into user metadata).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Callable, Mapping
from typing import TypeVar
from urllib.parse import urlsplit

import urllib3
from minio import Minio
from minio.error import InvalidResponseError, S3Error, ServerError

from varlib.errors import AnswerLost, ConfigurationError, NotFound, PreconditionFailed, StoreError, VarlibError
from varlib.limits import finite_positive_seconds
from varlib.store.base import ModelStore, ObjectTooLarge, StoredObject
from varlib.store.deadline import Deadline, pool_manager

DEFAULT_ENDPOINT = "https://s3.amazonaws.com"
DEFAULT_TIMEOUT_SECONDS = 10.0
TIMEOUT_SETTING = "VARLIB_S3_TIMEOUT"
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
        self.endpoint, host, secure = _endpoint(env.get("AWS_ENDPOINT_URL") or DEFAULT_ENDPOINT)
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        # One deadline for a whole call (connect, every read, the retries): see varlib.store.deadline.
        self.timeout = finite_positive_seconds(env, TIMEOUT_SETTING, DEFAULT_TIMEOUT_SECONDS, maximum=3600)
        http = pool_manager(
            timeout=urllib3.Timeout(connect=min(self.timeout, 5.0), read=self.timeout),
            # Only reads are retried after the request went out: a create-only or compare-and-swap PUT that landed
            # and is sent again would find its own write and fail (issue 15). A refused connection sent nothing.
            retries=urllib3.Retry(
                total=2,
                connect=2,
                read=1,
                backoff_factor=0.2,
                status_forcelist=(502, 503, 504),
                allowed_methods=frozenset({"GET", "HEAD"}),
            ),
            maxsize=16,
        )
        try:
            self._client = Minio(
                host,
                access_key=env.get("AWS_ACCESS_KEY_ID") or None,
                secret_key=env.get("AWS_SECRET_ACCESS_KEY") or None,
                session_token=env.get("AWS_SESSION_TOKEN") or None,
                secure=secure,
                region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
                http_client=http,
            )
        except ValueError:
            raise ConfigurationError(
                f"AWS_ENDPOINT_URL names a host the S3 client cannot use ({self.endpoint})."
            ) from None
        self._bucket_ready = False

    @property
    def location(self) -> str:
        where = f"{self.bucket}/{self.prefix}".rstrip("/")
        return f"S3 store {self.endpoint} (bucket {where})"

    def _key(self, key: str) -> str:
        return self.prefix + key

    def _call(self, doing: str, key: str, action: Callable[[], T]) -> T:
        """Run one client call within the deadline, translating every failure into varlib's errors."""
        deadline = Deadline(self.timeout)
        try:
            with deadline:
                return action()
        except VarlibError:
            raise
        except S3Error as exc:
            raise self._translate(exc, doing, key) from None
        except (ServerError, InvalidResponseError) as exc:
            if deadline.expired:
                raise self._timed_out(doing, key) from None
            if "html" in str(getattr(exc, "_content_type", "") or "").lower():
                raise self._not_s3(doing, key) from None
            status = getattr(exc, "status_code", None) or getattr(exc, "_code", None) or "an invalid response"
            # A gateway's 5xx may come after the server behind it did the work: whether it did is unknown.
            raise AnswerLost(f"Failed {doing} {key} in the {self.location}: the server answered {status}.") from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            if deadline.expired:
                raise self._timed_out(doing, key) from None
            failed = StoreError if _never_sent(exc) else AnswerLost
            raise failed(f"Failed {doing} {key}: cannot reach the {self.location} ({_network_reason(exc)}).") from None
        except ValueError as exc:  # the client's own checks, e.g. an invalid bucket name
            raise StoreError(f"Failed {doing} {key} in the {self.location}: {exc}.") from None

    def _timed_out(self, doing: str, key: str) -> StoreError:
        return AnswerLost(
            f"Failed {doing} {key}: the {self.location} did not finish answering within "
            f"{self.timeout:g} s ({TIMEOUT_SETTING})."
        )

    def _not_s3(self, doing: str, key: str) -> StoreError:
        return StoreError(
            f"Failed {doing} {key}: the endpoint {self.endpoint} answered with a web page, so it is not an S3 "
            "server; check AWS_ENDPOINT_URL."
        )

    def _check_s3_answer(self, headers: Mapping[str, str], doing: str, key: str) -> str:
        """The answer's ETag; an answer without one, or a web page, does not come from an S3 server."""
        etag = (headers.get("ETag") or "").strip('"')
        if not etag or "html" in (headers.get("Content-Type") or "").lower():
            raise self._not_s3(doing, key)
        return etag

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

    def read(self, key: str, max_bytes: int | None = None) -> StoredObject:
        def get() -> StoredObject:
            response = self._client.get_object(self.bucket, self._key(key))
            try:
                etag = self._check_s3_answer(response.headers, "reading", key)
                announced = response.headers.get("Content-Length")
                if max_bytes is not None and announced is not None and announced.isdigit():
                    if int(announced) > max_bytes:
                        raise ObjectTooLarge.of(key, int(announced), max_bytes)
                data = bytearray()
                for chunk in response.stream(64 * 1024):
                    data += chunk
                    if max_bytes is not None and len(data) > max_bytes:
                        raise ObjectTooLarge.of(key, None, max_bytes)
                return StoredObject(data=bytes(data), etag=etag)
            finally:
                response.close()
                response.release_conn()

        return self._call("reading", key, get)

    def etag(self, key: str) -> str | None:
        def stat() -> str:
            found = self._client.stat_object(self.bucket, self._key(key))
            return self._check_s3_answer(found.metadata, "checking", key)

        try:
            return self._call("checking", key, stat)
        except NotFound:
            return None

    def write(self, key: str, data: bytes, *, if_absent: bool = False, if_match: str | None = None) -> str:
        self._ensure_bucket()
        headers = {"Content-Type": _content_type(key), "Content-MD5": _content_md5(data)}
        if if_absent:
            headers["If-None-Match"] = "*"
        if if_match is not None:
            headers["If-Match"] = f'"{if_match}"'

        def put() -> str:
            result = self._client._put_object(self.bucket, self._key(key), data, headers=headers)
            return self._check_s3_answer(result.http_headers, "writing", key)

        return self._call("writing", key, put)

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


def _endpoint(text: str) -> tuple[str, str, bool]:
    """(endpoint for messages, host[:port] for the client, https?) from AWS_ENDPOINT_URL; never echoes it."""
    if "://" not in text and re.match(r"[A-Za-z][A-Za-z0-9+.-]*:(?!\d)", text):  # unix:..., file:...
        raise ConfigurationError("AWS_ENDPOINT_URL must be an http(s) URL such as http://127.0.0.1:9000.")
    candidate = text if "://" in text else f"https://{text}"
    try:
        parts = urlsplit(candidate)
        port = parts.port  # raises ValueError for a port outside 0-65535
    except ValueError:
        raise ConfigurationError("AWS_ENDPOINT_URL is not a valid URL (check its host and port).") from None
    if "@" in parts.netloc:
        raise ConfigurationError(
            "AWS_ENDPOINT_URL must not contain credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead."
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError("AWS_ENDPOINT_URL must be an http(s) URL such as http://127.0.0.1:9000.")
    if port == 0:
        raise ConfigurationError("AWS_ENDPOINT_URL has port 0; use the S3 server's port, such as 9000.")
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise ConfigurationError(
            "AWS_ENDPOINT_URL must be only a scheme, host and port, such as http://127.0.0.1:9000."
        )
    return f"{parts.scheme}://{parts.netloc}", parts.netloc, parts.scheme == "https"


def _content_type(key: str) -> str:
    if key.endswith(".json"):
        return "application/json"
    if key.endswith(".csv"):
        return "text/csv"
    return "application/octet-stream"


def _content_md5(data: bytes) -> str:
    # The server then rejects a body damaged in transit instead of storing it.
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


def _never_sent(exc: Exception) -> bool:
    """A connection that could not be opened carried no request: its failure is certain, not a lost answer."""
    reason = getattr(exc, "reason", None) or exc
    return isinstance(reason, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError,
                               ConnectionRefusedError))  # fmt: skip


def _network_reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", None) or exc
    text = type(reason).__name__
    if "Timeout" in text:
        return "timed out"
    if "NewConnection" in text or "Connection" in text:
        return "connection refused"
    return text
