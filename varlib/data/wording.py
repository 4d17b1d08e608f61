"""How names taken from a user's file appear in messages: quoted, escaped and few, so a message stays one line."""

from __future__ import annotations

from collections.abc import Iterable


def quoted_names(names: Iterable[object], shown: int = 5) -> str:
    """'a', 'b' and 'c'; or the first `shown` and how many more; 'none' when empty.

    repr() escapes newlines and other control characters a header may hold, and each name is cut at 80 characters.
    """
    quoted = [repr(str(name)[:80]) for name in names]
    if not quoted:
        return "none"
    if len(quoted) == 1:
        return quoted[0]
    if len(quoted) > shown:
        return f"{', '.join(quoted[:shown])} and {len(quoted) - shown} more"
    return f"{', '.join(quoted[:-1])} and {quoted[-1]}"
