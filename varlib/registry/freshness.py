"""Rollback detection for the registry's signed documents (the index head, aliases.json).

Each write carries a sequence that only grows. A process remembers the highest sequence it has read or written per
model: a validly signed but older copy written back (a replay) is refused, and this process's own writes never go
below what it has seen, so that it keeps reading them.
"""

from __future__ import annotations

import threading

from varlib.errors import IntegrityError


class SequenceMemory:
    def __init__(self) -> None:
        self._highest: dict[str, int] = {}
        self._lock = threading.Lock()

    def check(self, name: str, sequence: int, key: str, what: str) -> None:
        """Refuse `key` if it is older than the highest sequence seen for `name`; else remember it.

        `what` names what was read before, e.g. "the index" ("... than the index this process already read")."""
        with self._lock:
            seen = self._highest.get(name, 0)
            if sequence < seen:
                raise IntegrityError(
                    f"{key} is older (sequence {sequence}) than {what} this process already read (sequence "
                    f"{seen}): it was rolled back, so it is not used."
                )
            self._highest[name] = sequence

    def next_after(self, name: str, sequence: int) -> int:
        """The sequence of a new write: above `sequence` and above everything this process has seen."""
        with self._lock:
            return max(sequence, self._highest.get(name, 0)) + 1

    def wrote(self, name: str, sequence: int) -> None:
        with self._lock:
            self._highest[name] = max(self._highest.get(name, 0), sequence)
