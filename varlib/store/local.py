"""`file://` backend: a directory with the same layout as the S3 bucket.

Writes go to a temporary file then rename, so a reader never sees half an object. Conditional
writes are serialised with an flock on `<root>/.varlib.lock`, giving the same compare-and-swap
semantics as S3's If-None-Match / If-Match across processes on this machine.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from varlib.errors import NotFound, PreconditionFailed, StoreError
from varlib.store.base import ModelStore, ObjectNotRegular, ObjectTooLarge, StoredObject

LOCK_FILE = ".varlib.lock"


def _etag(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _process_umask() -> int:
    """The umask, read without changing it (os.umask would race with other threads creating files)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


class LocalStore(ModelStore):
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().absolute()
        # Objects get the permissions any new file would (mkstemp makes them 0600): a store shared by a group stays
        # readable by the group.
        self._file_mode = 0o666 & ~_process_umask()

    @property
    def location(self) -> str:
        return f"local store {self.root}"

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ObjectNotRegular(f"{key} points outside the {self.location} (a link?); it is not read.")
        return path

    def read(self, key: str, max_bytes: int | None = None) -> StoredObject:
        path = self._path(key)
        try:
            # Non-blocking, so that a FIFO planted in the store cannot hang the reader; then only regular files.
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except (FileNotFoundError, NotADirectoryError):
            raise NotFound(f"{key} does not exist in the {self.location}.") from None
        except OSError as exc:
            raise self._os_error(exc, "reading", key) from None
        with os.fdopen(fd, "rb") as handle:
            try:
                info = os.fstat(fd)
                if stat.S_ISDIR(info.st_mode):
                    raise NotFound(f"{key} does not exist in the {self.location}.")
                if not stat.S_ISREG(info.st_mode):
                    raise ObjectNotRegular(f"{key} is not a regular file in the {self.location}; it is not read.")
                if max_bytes is not None and info.st_size > max_bytes:
                    raise ObjectTooLarge.of(key, info.st_size, max_bytes)
                # Read one byte past the announced size (or the limit): a file that grows meanwhile is still bounded.
                wanted = info.st_size + 1 if max_bytes is None else min(info.st_size, max_bytes) + 1
                data = handle.read() if max_bytes is None else handle.read(wanted)
            except OSError as exc:
                raise self._os_error(exc, "reading", key) from None
        if max_bytes is not None and len(data) > max_bytes:
            raise ObjectTooLarge.of(key, None, max_bytes)
        return StoredObject(data=data, etag=_etag(data))

    def etag(self, key: str) -> str | None:
        try:
            return self.read(key).etag
        except NotFound:
            return None

    def write(self, key: str, data: bytes, *, if_absent: bool = False, if_match: str | None = None) -> str:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not if_absent and if_match is None:
                self._write_atomically(path, data)
                return _etag(data)
            with self._lock():
                current = self.etag(key)
                if if_absent and current is not None:
                    raise PreconditionFailed(f"{key} already exists in the {self.location}.")
                if if_match is not None and current != if_match:
                    raise PreconditionFailed(f"{key} changed in the {self.location} since it was read.")
                self._write_atomically(path, data)
                return _etag(data)
        except OSError as exc:
            raise self._os_error(exc, "writing", key) from None

    def _write_atomically(self, path: Path, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            os.fchmod(fd, self._file_mode)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / LOCK_FILE, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def list_children(self, prefix: str) -> list[str]:
        folder = self._path(prefix) if prefix else self.root
        try:
            return sorted(entry.name for entry in folder.iterdir() if entry.is_dir())
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as exc:
            raise self._os_error(exc, "listing", prefix or "/") from None

    def list_keys(self, prefix: str) -> list[str]:
        folder = self._path(prefix) if prefix else self.root
        if not folder.is_dir():
            return []
        try:
            return sorted(
                path.relative_to(self.root).as_posix()
                for path in folder.rglob("*")
                if path.is_file() and not path.name.startswith((".tmp-", LOCK_FILE))
            )
        except OSError as exc:
            raise self._os_error(exc, "listing", prefix or "/") from None

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise self._os_error(exc, "deleting", key) from None

    def check(self) -> None:
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(f"The {self.location} is not a directory.")
        probe = self.root if self.root.exists() else self.root.parent
        if not os.access(probe, os.R_OK | os.W_OK | os.X_OK):
            raise StoreError(f"The {self.location} is not readable and writable (permission denied).")

    def _os_error(self, exc: OSError, doing: str, key: str) -> StoreError:
        if exc.errno == errno.ENOSPC:
            reason = "the disk is full"
        elif exc.errno == errno.EDQUOT:
            reason = "the disk quota is exceeded"
        elif exc.errno in (errno.EACCES, errno.EPERM):
            reason = "permission denied"
        elif exc.errno == errno.EROFS:
            reason = "the file system is read-only"
        else:
            reason = exc.strerror or type(exc).__name__
        return StoreError(f"Failed {doing} {key} in the {self.location}: {reason}.")
