"""federated sign-in codes: one-time codes that end a sign-in on a tenant app

Revision ID: d5e9f3a7b2c6
Revises: c4d8e2f6a1b3
Create Date: 2026-12-05 07:30:00.000000

"""

from alembic import op
import sqlalchemy as sa

from authsvc.db import drop_row_level_security_statements, row_level_security_statements


# revision identifiers, used by Alembic.
revision = "d5e9f3a7b2c6"
down_revision = "c4d8e2f6a1b3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sign_in_codes",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "provider_id"],
            ["identity_providers.tenant_id", "identity_providers.id"],
            name=op.f("fk_sign_in_codes_tenant_id_provider_id_identity_providers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_sign_in_codes_tenant_id_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_sign_in_codes_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_sign_in_codes")),
        sa.UniqueConstraint(
            "tenant_id", "code_hash", name=op.f("uq_sign_in_codes_tenant_id_code_hash")
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in row_level_security_statements("sign_in_codes"):
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in drop_row_level_security_statements("sign_in_codes"):
            op.execute(statement)
    op.drop_table("sign_in_codes")
