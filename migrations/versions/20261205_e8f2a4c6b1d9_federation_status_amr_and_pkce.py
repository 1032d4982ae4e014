"""federation: provider status, trusted upstream MFA, amr, PKCE-bound codes, user locale

Revision ID: e8f2a4c6b1d9
Revises: a9f4c2e7d1b8
Create Date: 2026-12-05 10:30:00.000000

"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from authsvc.db import drop_row_level_security_statements, row_level_security_statements


# revision identifiers, used by Alembic.
revision = "e8f2a4c6b1d9"
down_revision = "a9f4c2e7d1b8"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade():
    op.create_table(
        "federation_provider_status",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("discovery_fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "provider_id"],
            ["identity_providers.tenant_id", "identity_providers.id"],
            name=op.f("fk_federation_provider_status_tenant_id_provider_id_identity_providers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_federation_provider_status_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "provider_id", name=op.f("pk_federation_provider_status")
        ),
    )
    with op.batch_alter_table("identity_providers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "trust_upstream_mfa", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
    with op.batch_alter_table("sign_in_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code_challenge", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("amr", JSON, server_default="[]", nullable=False))
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("amr", JSON, server_default="[]", nullable=False))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=35), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        for statement in row_level_security_statements("federation_provider_status"):
            op.execute(statement)


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("locale")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("amr")
    with op.batch_alter_table("sign_in_codes", schema=None) as batch_op:
        batch_op.drop_column("amr")
        batch_op.drop_column("code_challenge")
    with op.batch_alter_table("identity_providers", schema=None) as batch_op:
        batch_op.drop_column("trust_upstream_mfa")
    if op.get_bind().dialect.name == "postgresql":
        for statement in drop_row_level_security_statements("federation_provider_status"):
            op.execute(statement)
    op.drop_table("federation_provider_status")
