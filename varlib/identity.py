"""Who is writing: the `by` recorded with every publish, alias move, deprecation and deletion."""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping

USER_ENV = "VARLIB_USER"
MAX_USER = 200


def current_user(settings: Mapping[str, str] | None = None, app_user: str | None = None) -> str:
    """VARLIB_USER if set, else the front end's logged-in user (e.g. Streamlit's), else the operating-system user."""
    env = os.environ if settings is None else settings
    for candidate in (env.get(USER_ENV), app_user):
        if candidate and candidate.strip():
            return _bounded(candidate)
    try:
        return _bounded(getpass.getuser())
    except (OSError, KeyError):  # no login name (a container without a passwd entry)
        return "unknown"


def _bounded(name: str) -> str:
    # One line, bounded: it is stored, listed and shown.
    return " ".join(name.split())[:MAX_USER] or "unknown"
