"""The byte-level store interface every backend implements.

Versions, manifests, checksums and indexes are built once on top of these primitives
(`varlib.registry`); callers never branch on the backend.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from varlib.errors import IntegrityError


@dataclass(frozen=True)
class StoredObject:
    data: bytes
    etag: str  # changes whenever the content changes; used for compare-and-swap and freshness


class ObjectTooLarge(IntegrityError):
    """A stored object larger than what may be read for it: refused before it is read whole."""

    @classmethod
    def of(cls, key: str, size: int | None, limit: int) -> ObjectTooLarge:
        told = f"is {size:,} bytes, more than" if size is not None else "is larger than"
        return cls(f"{key} {told} the {limit:,} bytes allowed for it: it is not a varlib object, or was crafted.")


class ObjectNotRegular(IntegrityError):
    """A key that names something other than a regular file inside the store (a FIFO, a device, a link out)."""


class ModelStore(ABC):
    """Objects addressed by '/'-separated keys relative to the store's root."""

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the store is, for messages and the UI: never contains a secret."""

    @abstractmethod
    def read(self, key: str, max_bytes: int | None = None) -> StoredObject:
        """The object's bytes and etag; raises NotFound if absent, StoreError if unreachable.

        max_bytes: refuse (ObjectTooLarge) an object larger than this without reading all of it.
        """

    @abstractmethod
    def write(self, key: str, data: bytes, *, if_absent: bool = False, if_match: str | None = None) -> str:
        """Store bytes, returning the new etag.

        if_absent: create only (PreconditionFailed if the key exists).
        if_match: replace only if the current etag equals this (PreconditionFailed otherwise).
        """

    @abstractmethod
    def etag(self, key: str) -> str | None:
        """The object's current etag without reading it; None if it does not exist."""

    @abstractmethod
    def list_children(self, prefix: str) -> list[str]:
        """Names of the immediate sub-folders under `prefix` ('' for the root), sorted."""

    @abstractmethod
    def list_keys(self, prefix: str) -> list[str]:
        """All object keys under `prefix`, recursively, sorted."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove one object; removing an absent object is not an error."""

    @abstractmethod
    def check(self) -> None:
        """Raise StoreError unless the store answers (used by health checks and the UI)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.location!r})"
