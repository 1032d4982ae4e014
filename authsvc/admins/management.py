"""Managing administrators from the panel: who sees whom, roles, removal.

A platform admin manages every administrator. Anyone else manages only the
administrators of the tenant they are working in, and only those who
administer nothing else, so no tenant admin can change another tenant's
administrators through a shared account. Nobody changes their own role or
removes themselves (a slip would lock them out); the last active platform
admin always stays.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from authsvc.admins.models import PLATFORM, ROLES, TENANT, VIEWER, Admin, AdminMembership
from authsvc.admins.service import remove_admin, stage_audit
from authsvc.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from authsvc.extensions import db
from authsvc.ids import parse_id


def visible_admins(viewer: Admin, tenant_id: uuid.UUID | None) -> list[Admin]:
    """The admins ``viewer`` may see: all for a platform admin, else the tenant's members."""
    statement = sa.select(Admin).order_by(Admin.is_platform_admin.desc(), Admin.email)
    if not viewer.is_platform_admin:
        members = sa.select(AdminMembership.admin_id).where(AdminMembership.tenant_id == tenant_id)
        statement = statement.where(Admin.id.in_(members))
    return list(db.session.execute(statement).scalars())


def find_visible(viewer: Admin, tenant_id: uuid.UUID | None, admin_id: str) -> Admin:
    """One admin ``viewer`` may see; any other id (or a malformed one) is not found."""
    wanted = parse_id(admin_id, "administrator")
    for admin in visible_admins(viewer, tenant_id):
        if admin.id == wanted:
            return admin
    raise NotFound("No such administrator.")


def check_manageable(viewer: Admin, admin: Admin, tenant_id: uuid.UUID | None) -> None:
    """Refuse (PermissionDenied) changes ``viewer`` may not make to ``admin``."""
    if admin.id == viewer.id:
        raise PermissionDenied("Change your own account on the My account page.")
    if viewer.is_platform_admin:
        return
    if admin.is_platform_admin or any(m.tenant_id != tenant_id for m in admin.memberships):
        raise PermissionDenied(
            "This administrator also administers other tenants; ask a platform admin."
        )


def change_role(
    viewer: Admin, admin: Admin, role: str, tenant_id: uuid.UUID | None, actor: str
) -> None:
    """Make ``admin`` a platform admin, a tenant admin or a viewer of the current tenant."""
    if role not in ROLES:
        raise ValidationFailed(errors={"role": ["Choose one of the listed roles."]})
    check_manageable(viewer, admin, tenant_id)
    if role == PLATFORM and not viewer.is_platform_admin:
        raise PermissionDenied("Only a platform admin can make platform admins.")
    before = admin.role
    if before == PLATFORM and role != PLATFORM:
        _keep_a_platform_admin(admin)
    if role != PLATFORM and tenant_id is None:
        raise ValidationFailed(errors={"role": ["Create a tenant first."]})
    admin.is_platform_admin = role == PLATFORM
    admin.read_only = role == VIEWER
    if role in (TENANT, VIEWER) and all(m.tenant_id != tenant_id for m in admin.memberships):
        admin.memberships.append(AdminMembership(tenant_id=tenant_id))
    # The change is effective at once: sessions of the old role end.
    admin.session_epoch += 1
    db.session.flush()
    changes = {"email": admin.email, "fields": {"role": {"before": before, "after": role}}}
    stage_audit(admin, "admin.role_changed", actor, changes)
    db.session.commit()


def _keep_a_platform_admin(admin: Admin) -> None:
    platform = Admin.is_platform_admin.is_(True) & Admin.is_active.is_(True)
    others = db.session.execute(
        sa.select(sa.func.count()).select_from(Admin).where(platform, Admin.id != admin.id)
    ).scalar_one()
    if others == 0:
        raise Conflict("This is the last platform administrator; make another one first.")


def remove(viewer: Admin, admin: Admin, tenant_id: uuid.UUID | None, actor: str) -> None:
    """A platform admin deletes the account; a tenant admin takes it off this tenant
    (the account goes once it administers nothing)."""
    check_manageable(viewer, admin, tenant_id)
    if viewer.is_platform_admin or admin.is_platform_admin:
        remove_admin(admin, actor)
        return
    stage_audit(admin, "admin.removed", actor, {"email": admin.email})
    admin.memberships = [m for m in admin.memberships if m.tenant_id != tenant_id]
    if not admin.memberships:
        db.session.delete(admin)
    db.session.commit()
