"""Creating, reading, changing and deleting the bound tenant's organizations."""

from __future__ import annotations

import re
import uuid
from typing import Any

import sqlalchemy as sa

from authsvc import events
from authsvc.errors import Conflict, NotFound, ValidationFailed
from authsvc.extensions import db
from authsvc.ids import parse_id
from authsvc.organizations.models import Organization
from authsvc.pagination import Page, paginate

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
DOMAIN_PATTERN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
MAX_DOMAINS = 20


def organization_payload(org: Organization) -> dict[str, Any]:
    return {
        "id": str(org.id),
        "name": org.name,
        "slug": org.slug,
        "metadata": org.org_metadata,
        "domains": list(org.domains),
        "created_at": org.created_at.isoformat(),
        "updated_at": org.updated_at.isoformat(),
    }


def get_organization(org_id: str | uuid.UUID) -> Organization:
    """The bound tenant's organization; another tenant's id is simply not found."""
    org = db.session.execute(
        sa.select(Organization).where(Organization.id == parse_id(org_id, "organization"))
    ).scalar_one_or_none()
    if org is None:
        raise NotFound(f"No organization with id {org_id}.")
    return org


def list_organizations(filters: dict[str, Any], cursor: str | None, limit: int) -> Page:
    statement = sa.select(Organization)
    if filters.get("slug"):
        statement = statement.where(Organization.slug == filters["slug"].strip().lower())
    if filters.get("q"):
        prefix = filters["q"].strip().lower().replace("%", r"\%").replace("_", r"\_")
        statement = statement.where(
            sa.or_(
                sa.func.lower(Organization.name).like(prefix + "%", escape="\\"),
                Organization.slug.like(prefix + "%", escape="\\"),
            )
        )
    return paginate(db.session, statement, Organization.id, cursor, limit)


def _domains(raw: Any) -> list[str]:
    domains = sorted({str(d).strip().lower().rstrip(".") for d in raw or []})
    bad = [d for d in domains if not DOMAIN_PATTERN.match(d)]
    if bad:
        raise ValidationFailed(errors={"domains": [f"Not a domain name: {d!r}." for d in bad]})
    if len(domains) > MAX_DOMAINS:
        raise ValidationFailed(errors={"domains": [f"At most {MAX_DOMAINS} domains."]})
    return domains


def _check(data: dict[str, Any], org: Organization | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "name" in data or org is None:
        name = (data.get("name") or "").strip()
        if not name:
            raise ValidationFailed(errors={"name": ["Give the organization a name."]})
        values["name"] = name[:200]
    if "slug" in data or org is None:
        slug = (data.get("slug") or "").strip().lower()
        if not SLUG_PATTERN.match(slug):
            raise ValidationFailed(errors={"slug": ["Use 1-63 lower-case letters, digits, '-'."]})
        taken = db.session.execute(
            sa.select(Organization.id).where(Organization.slug == slug)
        ).scalar_one_or_none()
        if taken is not None and (org is None or taken != org.id):
            raise Conflict("An organization with this slug exists.", errors={"slug": ["Taken."]})
        values["slug"] = slug
    if "metadata" in data:
        if not isinstance(data["metadata"], dict):
            raise ValidationFailed(errors={"metadata": ["Must be a JSON object."]})
        values["org_metadata"] = data["metadata"]
    if "domains" in data:
        values["domains"] = _domains(data["domains"])
    return values


def stage_organization(data: dict[str, Any], actor: str | None = None) -> Organization:
    """Stage a new organization and its event, for callers that commit more with it."""
    org = Organization(**_check(data, None))
    if data.get("id"):
        org.id = parse_id(str(data["id"]), "organization")
    db.session.add(org)
    db.session.flush()
    events.emit("organization.created", {"organization": organization_payload(org)}, actor)
    return org


def create_organization(data: dict[str, Any], actor: str | None = None) -> Organization:
    org = stage_organization({k: v for k, v in data.items() if k != "id"}, actor)
    db.session.commit()
    return org


def update_organization(org: Organization, data: dict[str, Any], actor: str | None) -> Organization:
    for name, value in _check(data, org).items():
        setattr(org, name, value)
    db.session.flush()
    events.emit("organization.updated", {"organization": organization_payload(org)}, actor)
    db.session.commit()
    return org


def delete_organization(org: Organization, actor: str | None = None) -> None:
    """Delete an organization; its memberships and invitations go with it."""
    payload = organization_payload(org)
    db.session.delete(org)
    events.emit("organization.deleted", {"organization": payload}, actor)
    db.session.commit()
