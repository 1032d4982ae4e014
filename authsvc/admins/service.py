"""Creating administrators (used by the CLI and the admin panel)."""

from __future__ import annotations

import sqlalchemy as sa

from authsvc.admins.models import Admin, AdminMembership
from authsvc.errors import ValidationFailed
from authsvc.extensions import db
from authsvc.passwords import hash_password
from authsvc.tenants.models import Tenant
from authsvc.users.schemas import EMAIL_PATTERN


def create_admin(email: str, password: str, tenant: Tenant | None = None) -> Admin:
    """Create (or extend) an admin: platform-wide, or of ``tenant`` when given.

    An existing admin with this email gains the tenant membership; the
    password is only set when the account is new.
    """
    import re

    email = email.strip().lower()
    if not re.match(EMAIL_PATTERN, email):
        raise ValidationFailed(errors={"email": ["Not an email address."]})
    admin = db.session.execute(sa.select(Admin).where(Admin.email == email)).scalar_one_or_none()
    if admin is None:
        if len(password) < 8:
            raise ValidationFailed(errors={"password": ["Use at least 8 characters."]})
        admin = Admin(email=email, password_hash=hash_password(password))
        db.session.add(admin)
    if tenant is None:
        admin.is_platform_admin = True
    elif all(m.tenant_id != tenant.id for m in admin.memberships):
        admin.memberships.append(AdminMembership(tenant_id=tenant.id))
    db.session.commit()
    return admin
