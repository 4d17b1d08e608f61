"""Conditional writes that report what really happened when the store's answer is lost (issue 15).

A create-only or compare-and-swap PUT whose answer times out may have landed. Sending it again blindly is wrong
both ways: if it landed, the repeat is refused and the writer is told "exists" about its own write; if the first
lands late, a "failed" report is false. So a write whose answer was lost is settled by reading the object back:
the writer's own bytes mean it succeeded; another's mean its condition lost; nothing there (the store answers
again) means it did not land, and it is sent once more, still conditional, so whichever copy lands first wins
and the other is refused. A store that cannot be read back leaves the outcome unknown, and says so.

Only for objects whose bytes are the writer's own (a publish id, a lock's owner id, a sequence number), so that
finding them proves the write was this writer's.
"""

from __future__ import annotations

from varlib.errors import AnswerLost, NotFound, OutcomeUnknown, PreconditionFailed, VarlibError
from varlib.store.base import ModelStore, ObjectTooLarge

ATTEMPTS = 2  # the write, and one repeat after a read-back that found it missing


def write_confirmed(
    store: ModelStore, key: str, data: bytes, *, if_absent: bool = False, if_match: str | None = None
) -> str:
    """Write `data` to `key` conditionally and return its etag, settling a lost answer by reading back.

    Raises PreconditionFailed when another's write is there, OutcomeUnknown when the answer was lost and the store
    cannot be read back, AnswerLost when every answer was lost although the store shows the write did not land, and
    the store's own error for a failure that is certain (a refused connection, refused credentials).
    """
    for attempt in range(ATTEMPTS):
        try:
            return store.write(key, data, if_absent=if_absent, if_match=if_match)
        except (PreconditionFailed, AnswerLost) as exc:
            if attempt == 0 and isinstance(exc, PreconditionFailed):
                raise  # nothing of this writer's was sent before: the condition lost to another writer
            lost: VarlibError = exc
        etag = _own_etag(store, key, data, lost)
        if etag is not None:
            return etag
        if isinstance(lost, PreconditionFailed):
            raise lost  # the repeat was refused and what is there is not this writer's: another won
    raise lost


def _own_etag(store: ModelStore, key: str, data: bytes, lost: VarlibError) -> str | None:
    """The etag of `key` if it holds exactly `data`, else None; OutcomeUnknown if the store cannot be read."""
    try:
        stored = store.read(key, max_bytes=len(data) + 1)
    except (NotFound, ObjectTooLarge):
        return None
    except VarlibError as exc:
        reason = f"{str(lost).rstrip('.')}, and reading it back failed too ({str(exc).rstrip('.')})"
        raise OutcomeUnknown(f"Whether {key} was written is unknown: {reason}.", reason) from None
    return stored.etag if stored.data == data else None
