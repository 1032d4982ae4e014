"""Recompute stored email keys with the NFKC + casefold + IDNA normalisation

Revision ID: caad60bce0a7
Revises: b3e1f0c2d9a7
Create Date: 2026-12-05 09:00:00.000000

Keys used to be ``email.strip().lower()``. For ASCII addresses the new key
(authsvc.users.emails.email_key) is the same string, so only addresses with
other characters are read. A recomputed key that another account of the same
tenant already holds is left as it was and reported: an operator decides
which account keeps the address. Stored addresses themselves are unchanged.
"""
from alembic import op
import sqlalchemy as sa

# Data migration: it uses the application's one normalisation function rather
# than a copy of it, so stored keys match what lookups compute.
from authsvc.errors import ValidationFailed
from authsvc.users.emails import email_key


# revision identifiers, used by Alembic.
revision = 'caad60bce0a7'
down_revision = 'b3e1f0c2d9a7'
branch_labels = None
depends_on = None


def _non_ascii(column, dialect: str):
    if dialect == "sqlite":
        return sa.func.length(sa.cast(column, sa.LargeBinary)) != sa.func.length(column)
    return sa.func.octet_length(column) != sa.func.char_length(column)


def _new_key(address, old):
    """The address's key now, or None when it is unchanged (or not an address at all)."""
    try:
        new = email_key(address)
    except ValidationFailed:
        return None
    return new if new != old else None


def upgrade():
    bind = op.get_bind()
    users = sa.table(
        "users", sa.column("tenant_id"), sa.column("id"), sa.column("email"),
        sa.column("email_normalized"),
    )
    rows = bind.execute(
        sa.select(users.c.tenant_id, users.c.id, users.c.email, users.c.email_normalized)
        .where(_non_ascii(users.c.email, bind.dialect.name))
    ).all()
    for tenant_id, user_id, email, old in rows:
        new = _new_key(email, old)
        if new is None:
            continue
        taken = bind.execute(
            sa.select(sa.func.count()).select_from(users)
            .where(users.c.tenant_id == tenant_id, users.c.email_normalized == new)
        ).scalar()
        if taken:
            print(f"users: {email!r} keeps key {old!r}; {new!r} belongs to another user")
            continue
        bind.execute(
            sa.update(users).where(users.c.tenant_id == tenant_id, users.c.id == user_id)
            .values(email_normalized=new)
        )

    # Administrators' addresses are their keys.
    admins = sa.table("admins", sa.column("id"), sa.column("email"))
    rows = bind.execute(
        sa.select(admins.c.id, admins.c.email).where(_non_ascii(admins.c.email, bind.dialect.name))
    ).all()
    for admin_id, email in rows:
        new = _new_key(email, email)
        if new is None:
            continue
        taken = bind.execute(
            sa.select(sa.func.count()).select_from(admins).where(admins.c.email == new)
        ).scalar()
        if taken:
            print(f"admins: {email!r} kept; {new!r} belongs to another administrator")
            continue
        bind.execute(sa.update(admins).where(admins.c.id == admin_id).values(email=new))


def downgrade():
    # The old keys were lower-cased addresses; the new ones find the same accounts.
    pass
