"""GDPR: a user's data export and erasure, assembled from sections that domains register.

Rationale: what is held about a user is spread over domains (sessions, audit,
identities, mail, and whatever a plugin or a new domain adds), so no one
module can know it all. Each domain registers a :class:`Section` in its
``init_app``: ``export(user)`` returns the JSON-ready rows it holds about the
user, ``erase(user, tombstone)`` stages their removal or pseudonymisation in
the caller's transaction. The registry freezes at the first export or erasure;
a section registered later raises. Erasure keeps the audit trail's shape (legal
retention of security logs): personal values become the tombstone id.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from authsvc.db import new_id
from authsvc.users.models import User

EXTENSION = "authsvc.gdpr"
TOMBSTONE_PREFIX = "erased-"
MIN_CONTAINED = 6


@dataclass(frozen=True)
class Section:
    """One domain's part of the export and of the erasure.

    ``tables`` names the tables it covers (a test checks that every table that
    references a user is covered); ``export`` None keeps the section out of the
    export (the webhook outbox: a copy of what the other sections hold);
    ``personal`` gives identifying strings only this domain knows (a provider's
    subject), which every section then pseudonymises.
    """

    name: str
    tables: tuple[str, ...]
    export: Callable[[User], Any] | None
    erase: Callable[[User, Erasure], None]
    personal: Callable[[User], set[str]] | None = None


@dataclass(frozen=True)
class Erasure:
    """What an erasure replaces personal values with, and which values those are."""

    tombstone: str
    personal: frozenset[str]

    def scrub(self, value: Any) -> Any:
        return pseudonymise(value, self.personal, self.tombstone)


class RegistryFrozen(RuntimeError):
    """A section was registered after the first export or erasure."""


class GdprRegistry:
    def __init__(self) -> None:
        self._sections: dict[str, Section] = {}
        self.frozen = False

    def register(self, section: Section) -> None:
        if self.frozen:
            raise RegistryFrozen(f"section {section.name!r} registered after start-up")
        if section.name in self._sections:
            raise ValueError(f"section {section.name!r} is already registered")
        self._sections[section.name] = section

    def sections(self) -> list[Section]:
        self.frozen = True
        return list(self._sections.values())


def registry(app: Flask | None = None) -> GdprRegistry:
    app = app or current_app
    return app.extensions.setdefault(EXTENSION, GdprRegistry())


def register_section(app: Flask, section: Section) -> None:
    """Add a domain's section to ``app``'s export and erasure (call from ``init_app``)."""
    registry(app).register(section)


def export_chunks(user: User) -> Iterator[str]:
    """The export document, one section at a time: ``{"user_id", "sections": {...}}``."""
    yield json.dumps({"user_id": str(user.id), "format": "authsvc.user-export.v1"})[:-1]
    yield ', "sections": {'
    exported = [section for section in registry().sections() if section.export is not None]
    for index, section in enumerate(exported):
        rows = json.dumps(section.export(user), default=str)
        yield f"{', ' if index else ''}{json.dumps(section.name)}: {rows}"
    yield "}}\n"


def erase_sections(user: User) -> Erasure:
    """Stage every section's erasure; the caller deletes the user and commits.

    The tombstone is the id that stands for the erased user in the records kept."""
    sections = registry().sections()
    personal = personal_values(user)
    for section in sections:
        if section.personal is not None:
            personal |= {value for value in section.personal(user) if value}
    erasure = Erasure(TOMBSTONE_PREFIX + new_id().hex, frozenset(personal))
    for section in sections:
        section.erase(user, erasure)
    return erasure


def personal_values(user: User) -> set[str]:
    """The user's identifying strings, replaced by the tombstone where records are kept."""
    values = {
        str(user.id),
        user.email,
        user.email_normalized,
        user.username,
        user.username_normalized,
        user.display_name,
        user.external_user_id,
        user.avatar_url,
        user.locale,
    }
    return {value for value in values if value}


def pseudonymise(value: Any, personal: frozenset[str], tombstone: str) -> Any:
    """A copy of a JSON value with every personal string replaced by ``tombstone``.

    Strings that contain one of at least ``MIN_CONTAINED`` characters
    (``acct:ada@example.com``) are replaced whole; shorter ones only when equal,
    so a two-letter username does not wipe every word it occurs in."""
    if isinstance(value, dict):
        return {k: pseudonymise(v, personal, tombstone) for k, v in value.items()}
    if isinstance(value, list):
        return [pseudonymise(item, personal, tombstone) for item in value]
    if isinstance(value, str) and _mentions(value.lower(), personal):
        return tombstone
    return value


def _mentions(text: str, personal: frozenset[str]) -> bool:
    for item in personal:
        item = item.lower()
        if text == item or (len(item) >= MIN_CONTAINED and item in text):
            return True
    return False


def _profile(user: User) -> dict[str, Any]:
    from authsvc.users.service import user_payload

    return {
        **user_payload(user),
        "preferences": user.preferences,
        "last_login_at": user.last_login_at,
        "external_user_id": user.external_user_id,
    }


def _erase_profile(user: User, erasure: Erasure) -> None:
    """Nothing to stage: the erasure deletes the user row (and its role links) last."""


def init_app(app: Flask) -> None:
    """Register the profile section; other domains register theirs in their ``init_app``."""
    register_section(app, Section("profile", ("users", "user_roles"), _profile, _erase_profile))
