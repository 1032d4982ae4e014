"""tenant domain verification: pending/verified state, challenge token, one verified owner

Revision ID: b3e1f0c2d9a7
Revises: 8e2f4b6a0c31
Create Date: 2026-12-05 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3e1f0c2d9a7'
down_revision = '8e2f4b6a0c31'
branch_labels = None
depends_on = None

VERIFIED_ONLY = sa.text("status = 'verified'")


def upgrade():
    # Domains that already served pages keep serving them: they are marked verified
    # (the platform's own host never routes to a tenant, whatever the rows say).
    # New domains start as pending.
    with op.batch_alter_table('tenant_domains', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), nullable=False,
                                      server_default='verified'))
        batch_op.add_column(sa.Column('token', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('created_at', sa.DateTime(timezone=True), nullable=False,
                                      server_default=sa.func.current_timestamp()))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False,
                                      server_default=sa.func.current_timestamp()))
    op.execute("UPDATE tenant_domains SET verified_at = created_at")
    with op.batch_alter_table('tenant_domains', schema=None) as batch_op:
        batch_op.alter_column('status', server_default=None)
        batch_op.alter_column('created_at', server_default=None)
        batch_op.alter_column('updated_at', server_default=None)
        # Tenant-owned: the primary key leads with tenant_id, like every tenant-owned table.
        batch_op.drop_index('ix_tenant_domains_tenant_id')
        batch_op.drop_constraint('pk_tenant_domains', type_='primary')
        batch_op.create_primary_key('pk_tenant_domains', ['tenant_id', 'domain'])
        batch_op.create_index('uq_tenant_domains_verified_domain', ['domain'], unique=True,
                              postgresql_where=VERIFIED_ONLY, sqlite_where=VERIFIED_ONLY)


def downgrade():
    # Pending claims never routed; without the state column they would start to.
    op.execute("DELETE FROM tenant_domains WHERE status <> 'verified'")
    with op.batch_alter_table('tenant_domains', schema=None) as batch_op:
        batch_op.drop_index('uq_tenant_domains_verified_domain')
        batch_op.drop_constraint('pk_tenant_domains', type_='primary')
        batch_op.create_primary_key('pk_tenant_domains', ['domain'])
        batch_op.create_index('ix_tenant_domains_tenant_id', ['tenant_id'], unique=False)
        batch_op.drop_column('updated_at')
        batch_op.drop_column('created_at')
        batch_op.drop_column('verified_at')
        batch_op.drop_column('token')
        batch_op.drop_column('status')
