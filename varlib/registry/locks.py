"""The publish lock of one version: a create-only object that makes a second publisher fail fast.

The lock is advisory. What keeps a release intact is that every object of it is created create-only and the
manifest, written last and create-only too, names exactly the objects its publisher created (see versions.py):
a publisher that lost its lock, however late it wakes up, can neither overwrite an object nor write a manifest
over another's. So a lock may be taken over on evidence that is only probable (a lease that ran out for a
publisher on another host) without risking a release.
"""

from __future__ import annotations

import json
import math
import os
import socket
import time
import uuid

from varlib.errors import IntegrityError, NotFound, PreconditionFailed
from varlib.store.base import ModelStore
from varlib.store.confirmed import write_confirmed

LOCK_FILE = ".publish.lock"
LOCK_LEASE_SECONDS = 120.0
CLOCK_SKEW_SECONDS = 300.0  # a lock started further in the future than this was planted, not taken
MAX_LOCK_BYTES = 4096


class LockBusy(Exception):
    """The lock is held by a publisher that is probably alive."""


def acquire(store: ModelStore, lock_key: str) -> str:
    """Take the lock, or take over a stale one; the lock's etag, to release it. Raises LockBusy."""
    owner = {"host": socket.gethostname(), "pid": os.getpid(), "id": uuid.uuid4().hex, "started": time.time()}
    data = json.dumps(owner).encode()
    try:
        return write_confirmed(store, lock_key, data, if_absent=True)
    except PreconditionFailed:
        pass
    try:
        held = store.read(lock_key, max_bytes=MAX_LOCK_BYTES)
    except NotFound:  # released in between: try once more
        try:
            return write_confirmed(store, lock_key, data, if_absent=True)
        except PreconditionFailed:
            raise LockBusy from None
    except IntegrityError:  # an oversized or unreadable lock was planted: treat it as stale
        held = None
    if held is not None and not is_stale(held.data):
        raise LockBusy
    try:  # take over a lock whose publisher died; only one of several contenders wins
        if held is None:
            store.delete(lock_key)
            return write_confirmed(store, lock_key, data, if_absent=True)
        return write_confirmed(store, lock_key, data, if_match=held.etag)
    except PreconditionFailed:
        raise LockBusy from None


def release(store: ModelStore, lock_key: str, etag: str) -> None:
    try:
        if store.etag(lock_key) == etag:
            store.delete(lock_key)
    except Exception:  # noqa: BLE001 - a stale lock expires by itself; the publish result stands
        pass


def is_stale(data: bytes) -> bool:
    """A lock is stale when its publisher, on this host, is dead, when its lease ran out, or when it is absurd."""
    try:
        owner = json.loads(data)
        started, host, pid = float(owner["started"]), str(owner["host"]), int(owner["pid"])
    except (ValueError, KeyError, TypeError, OverflowError, RecursionError):
        return True
    now = time.time()
    if not math.isfinite(started) or started > now + CLOCK_SKEW_SECONDS:
        return True  # planted: no live publisher started it in the future
    if now - started > LOCK_LEASE_SECONDS:
        return True
    if host == socket.gethostname():
        if pid <= 0:
            return True
        try:
            os.kill(pid, 0)
        except (ProcessLookupError, OverflowError):
            return True
        except PermissionError:
            return False
    return False
