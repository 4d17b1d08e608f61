"""Model names and semantic versions, validated before any request reaches a store."""

from __future__ import annotations

import re
from dataclasses import dataclass

from varlib.errors import InvalidInput

MODEL_NAME_PATTERN = re.compile(r"[a-z0-9_-]{1,64}")
_VERSION_PATTERN = re.compile(r"(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})(-SNAPSHOT)?")
# Anchored forms, for schemas (OpenAPI) that document what is accepted.
MODEL_NAME_REGEX = f"^{MODEL_NAME_PATTERN.pattern}$"
VERSION_OR_LATEST_REGEX = f"^(latest|@{MODEL_NAME_PATTERN.pattern}|{_VERSION_PATTERN.pattern})$"
_FOLDER_PATTERN = re.compile(r"(0|[1-9][0-9]{0,8})_(0|[1-9][0-9]{0,8})_(0|[1-9][0-9]{0,8})(-SNAPSHOT)?")
LATEST = "latest"


def validate_model_name(name: str) -> str:
    """Return `name` if it is 1-64 of lowercase ASCII letters, digits, '-' and '_'."""
    # fullmatch on an ASCII-only class rejects '/', '..', spaces and unicode look-alikes alike.
    if not isinstance(name, str) or not MODEL_NAME_PATTERN.fullmatch(name):
        shown = name if isinstance(name, str) and len(name) <= 80 else f"{str(name)[:80]}…"
        raise InvalidInput(f"Invalid model name {shown!r}: use 1-64 lowercase letters, digits, '-' or '_'.")
    return name


@dataclass(frozen=True, order=True)
class Version:
    """A semantic version MAJOR.MINOR.PATCH with an optional -SNAPSHOT suffix.

    Ordering follows semantic versioning: 1.0.0-SNAPSHOT sorts before 1.0.0.
    """

    major: int
    minor: int
    patch: int
    is_release: bool = True  # sorts a SNAPSHOT (False) before its release (True)

    @classmethod
    def parse(cls, text: str) -> Version:
        if not isinstance(text, str) or not _VERSION_PATTERN.fullmatch(text):
            shown = text if isinstance(text, str) and len(text) <= 80 else f"{str(text)[:80]}…"
            raise InvalidInput(
                f"Invalid version {shown!r}: use MAJOR.MINOR.PATCH, optionally with -SNAPSHOT (e.g. 0.0.1)."
            )
        major, minor, patch, snapshot = _VERSION_PATTERN.fullmatch(text).groups()
        return cls(int(major), int(minor), int(patch), snapshot is None)

    @classmethod
    def from_text(cls, text: str) -> Version | None:
        """The version `text` names, or None (for stored text, where a bad version is not the caller's fault)."""
        match = _VERSION_PATTERN.fullmatch(text) if isinstance(text, str) else None
        if not match:
            return None
        major, minor, patch, snapshot = match.groups()
        return cls(int(major), int(minor), int(patch), snapshot is None)

    @classmethod
    def from_folder(cls, folder: str) -> Version | None:
        """The version stored in folder `0_0_1` (or `0_0_1-SNAPSHOT`); None for anything else."""
        match = _FOLDER_PATTERN.fullmatch(folder)
        if not match:
            return None
        major, minor, patch, snapshot = match.groups()
        return cls(int(major), int(minor), int(patch), snapshot is None)

    @property
    def is_snapshot(self) -> bool:
        return not self.is_release

    @property
    def folder(self) -> str:
        """The storage folder name: dots become underscores (0.0.1 -> 0_0_1)."""
        return str(self).replace(".", "_")

    def next_patch(self) -> Version:
        return Version(self.major, self.minor, self.patch + 1 if self.is_release else self.patch)

    def __str__(self) -> str:
        suffix = "" if self.is_release else "-SNAPSHOT"
        return f"{self.major}.{self.minor}.{self.patch}{suffix}"
