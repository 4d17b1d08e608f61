"""Who may do what: two roles, and the check every write makes in the library itself.

- viewer: reads everything (list, load, forecast, analyse, refresh without publishing);
- publisher: also publishes, refreshes into new versions, moves aliases, deprecates and deletes SNAPSHOTs.

A registry with no actor (the CLI, the service, the local single-user dashboard) is not restricted: whoever holds
the store's credentials may write. The dashboard with a login acts through `ModelRegistry.acting_as(actor)`, so a
write without the role is refused by the library call, not only hidden on the page.

Roles come from a small mapping (the dashboard's `[varlib.roles]` in secrets): e-mail addresses, `group:NAME` for a
group claim of the identity provider, or `*` for anyone logged in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from varlib.errors import ConfigurationError, Forbidden

VIEWER = "viewer"
PUBLISHER = "publisher"
ROLES = (VIEWER, PUBLISHER)
ANYONE = "*"
GROUP_PREFIX = "group:"


@dataclass(frozen=True)
class Actor:
    """A logged-in user and the role the mapping gives them."""

    name: str
    role: str

    @property
    def may_write(self) -> bool:
        return self.role == PUBLISHER

    def require_write(self, action: str) -> None:
        if not self.may_write:
            raise Forbidden(f"{self.name} has the {self.role} role, which may only read: {action} needs the "
                            f"{PUBLISHER} role.")  # fmt: skip


@dataclass(frozen=True)
class RoleMap:
    publishers: tuple[str, ...] = ()
    viewers: tuple[str, ...] = (ANYONE,)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, object] | None, where: str = "[varlib.roles]") -> RoleMap:
        """From `{"publishers": [...], "viewers": [...]}`; viewers default to anyone logged in, publishers to none."""
        if mapping is None:
            return cls()
        unknown = sorted(set(mapping) - {"publishers", "viewers"})
        if unknown:
            raise ConfigurationError(f"{where} has {unknown[0]!r}; it may hold only publishers and viewers.")
        return cls(
            publishers=_entries(mapping.get("publishers", ()), f"{where} publishers"),
            viewers=_entries(mapping.get("viewers", (ANYONE,)), f"{where} viewers"),
        )

    def role_of(self, email: str | None, groups: Iterable[str] = ()) -> str | None:
        """The role of a logged-in user (publisher wins), or None when the mapping gives them none."""
        identities = {(email or "").strip().lower()} | {GROUP_PREFIX + g.strip().lower() for g in groups}
        identities.discard("")
        for role, entries in ((PUBLISHER, self.publishers), (VIEWER, self.viewers)):
            if ANYONE in entries or identities & set(entries):
                return role
        return None


def _entries(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ConfigurationError(f"{where} must be a list of e-mail addresses, group:NAME entries or '*'.")
    entries = []
    for item in value:
        if not isinstance(item, str) or not item.strip() or len(item) > 320:
            raise ConfigurationError(f"{where} must be a list of e-mail addresses, group:NAME entries or '*'.")
        entries.append(item.strip().lower())
    return tuple(entries)
