"""Bearer tokens for the REST service: who may call it, with which scopes.

`VARLIB_API_TOKENS` holds one entry per token, separated by commas or new lines, or `@PATH` to read them from a
file (one per line; `#` comments and blank lines ignored):

    NAME:SCOPES:sha256:HEX      e.g.  forecasting-team:read:sha256:9f86d0...   or   ci:read+write:sha256:...

Only the sha256 of a token is configured, never the token itself; `python -m varlib token create NAME` makes a
token and prints its entry. Tokens are long random strings, so a plain sha256 cannot be reversed; presented tokens
are compared with every entry in constant time. No token, entry or file content ever appears in a message or log.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from varlib.errors import ConfigurationError, Forbidden, InvalidInput, Unauthorized

TOKENS_ENV = "VARLIB_API_TOKENS"
SCOPES = ("read", "write")
TOKEN_PREFIX = "varlib_"
MAX_TOKENS_BYTES = 1024 * 1024
_NAME = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class TokenEntry:
    name: str
    scopes: frozenset[str]
    sha256: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh token: 256 random bits, URL-safe, with a prefix that secret scanners can recognise."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def validate_token_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        shown = name if isinstance(name, str) and len(name) <= 80 else f"{str(name)[:80]}…"
        raise InvalidInput(f"Invalid token name {shown!r}: use 1-64 of A-Z, a-z, 0-9, '_', '.', '@' or '-'.")
    return name


def token_entry(name: str, scopes: list[str], token: str) -> str:
    """The VARLIB_API_TOKENS entry for `token`: what to configure (the token itself is not in it)."""
    return f"{name}:{'+'.join(scopes)}:sha256:{token_hash(token)}"


class TokenTable:
    def __init__(self, entries: list[TokenEntry]) -> None:
        self.entries = tuple(entries)

    @classmethod
    def from_settings(cls, settings: Mapping[str, str] | None = None) -> TokenTable | None:
        """The configured tokens; None when VARLIB_API_TOKENS is unset or empty (the service is then open)."""
        env = os.environ if settings is None else settings
        text = (env.get(TOKENS_ENV) or "").strip()
        if not text:
            return None
        if text.startswith("@"):
            path = Path(text[1:])
            try:
                if path.stat().st_size > MAX_TOKENS_BYTES:
                    raise ConfigurationError(f"{TOKENS_ENV} names a file larger than {MAX_TOKENS_BYTES:,} bytes.")
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                reason = getattr(exc, "strerror", None) or "it is not readable UTF-8 text"
                raise ConfigurationError(f"{TOKENS_ENV} names a file that cannot be read: {reason}.") from None
        entries = []
        lines = [line.strip() for line in re.split(r"[,\n]", text)]
        for number, line in enumerate((line for line in lines if line and not line.startswith("#")), start=1):
            entries.append(_parse_entry(line, number))
        if not entries:
            raise ConfigurationError(f"{TOKENS_ENV} is set but holds no token entry.")
        names = [entry.name for entry in entries]
        if len(set(names)) != len(names):
            raise ConfigurationError(f"{TOKENS_ENV} gives the same token name twice; names must be distinct.")
        return cls(entries)

    def check(self, presented: str | None, scope: str) -> TokenEntry:
        """The entry of the presented token if it has `scope`; Unauthorized or Forbidden otherwise."""
        if not presented:
            raise Unauthorized("This service requires a bearer token: send the header Authorization: Bearer <token>.")
        digest = token_hash(presented)
        match = None
        for entry in self.entries:  # every entry compared, in constant time, whatever matches
            if hmac.compare_digest(digest, entry.sha256):
                match = entry
        if match is None:
            raise Unauthorized("The bearer token is not valid for this service.")
        if scope not in match.scopes:
            raise Forbidden(f"The token {match.name!r} does not have the {scope} scope this call needs.")
        return match


def _parse_entry(line: str, number: int) -> TokenEntry:
    parts = line.split(":")
    if len(parts) != 4 or parts[2] != "sha256":
        raise ConfigurationError(f"{TOKENS_ENV} entry {number} is not NAME:SCOPES:sha256:HEX.")
    name, scopes_text, _, digest = parts
    scopes = frozenset(scope for scope in scopes_text.split("+") if scope)
    if not _NAME.fullmatch(name):
        raise ConfigurationError(f"{TOKENS_ENV} entry {number} has a name that is not 1-64 of A-Z, a-z, 0-9, _.@-.")
    if not scopes or not scopes <= set(SCOPES):
        raise ConfigurationError(f"{TOKENS_ENV} entry {number} has scopes other than {' and '.join(SCOPES)}.")
    if not _HEX.fullmatch(digest):
        raise ConfigurationError(f"{TOKENS_ENV} entry {number} does not end in 64 lowercase hex digits (a sha256).")
    return TokenEntry(name, scopes, digest)
