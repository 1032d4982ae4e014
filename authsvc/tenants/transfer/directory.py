"""The export's organizations, permissions and applications: written and read back.

Organizations keep their ids and members (by user id and role names), so a tenant
app that stored an ``org_id`` still finds it. Applications keep their id, client id
and the SHA-256 of their secret: like a password hash it is no secret, and the app's
configuration keeps working after the move. Users' grants to applications (consents)
come along, so nobody is asked again. Each part goes through its domain's own
checks; invitations stay behind (their links name the old instance).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from authsvc.applications import service as applications
from authsvc.applications.models import Application, Consent
from authsvc.errors import ValidationFailed
from authsvc.extensions import db
from authsvc.ids import parse_id
from authsvc.organizations.members import join, roles_named
from authsvc.organizations.models import Membership, Organization, Permission
from authsvc.organizations.permissions import stage_permission
from authsvc.organizations.service import stage_organization

APPLICATION_FIELDS = ("client_id", "client_type", "client_secret_hash", *applications.EDITABLE)


def dump_permissions() -> list[dict[str, Any]]:
    rows = db.session.execute(sa.select(Permission).order_by(Permission.name)).scalars()
    return [{"name": p.name, "description": p.description} for p in rows]


def dump_organizations() -> list[dict[str, Any]]:
    members: dict[Any, list[dict[str, Any]]] = {}
    for membership in db.session.execute(sa.select(Membership)).scalars():
        row = {"user_id": str(membership.user_id), "roles": membership.roles}
        members.setdefault(membership.organization_id, []).append(row)
    organizations = db.session.execute(sa.select(Organization).order_by(Organization.slug))
    return [
        {
            "id": str(org.id),
            "name": org.name,
            "slug": org.slug,
            "metadata": org.org_metadata,
            "domains": org.domains,
            "members": members.get(org.id, []),
        }
        for org in organizations.scalars()
    ]


def dump_applications() -> list[dict[str, Any]]:
    grants: dict[Any, list[dict[str, Any]]] = {}
    for consent in db.session.execute(sa.select(Consent)).scalars():
        row = {"user_id": str(consent.user_id), "scopes": consent.scopes}
        grants.setdefault(consent.application_id, []).append(row)
    rows = db.session.execute(sa.select(Application).order_by(Application.id)).scalars()
    return [
        {
            "id": str(app.id),
            **{name: getattr(app, name) for name in APPLICATION_FIELDS},
            "grants": grants.get(app.id, []),
        }
        for app in rows
    ]


def restore_permissions(rows: list[dict[str, Any]], actor: str) -> None:
    """Before the roles: a role may name only declared permissions."""
    for row in rows:
        stage_permission(row, actor)


def restore_organizations(rows: list[dict[str, Any]], actor: str) -> None:
    for row in rows:
        names = ("id", "name", "slug", "metadata", "domains")
        org = stage_organization({n: row[n] for n in names if row.get(n) is not None}, actor)
        for member in _objects(row.get("members"), "organizations.members"):
            user_id = parse_id(str(member.get("user_id") or ""), "user")
            join(org, user_id, roles_named(list(member.get("roles") or ["member"])))


def restore_applications(rows: list[dict[str, Any]], actor: str) -> None:
    for row in rows:
        application = applications.stage_imported(row, actor)
        for grant in _objects(row.get("grants"), "applications.grants"):
            user_id = parse_id(str(grant.get("user_id") or ""), "user")
            scopes = [s for s in grant.get("scopes") or [] if s in application.scopes]
            db.session.add(Consent(user_id=user_id, application_id=application.id, scopes=scopes))
    db.session.flush()


def _objects(value: Any, field: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValidationFailed(errors={field: ["Give a list of objects."]})
    return value
