"""admin roles (read-only viewers) and single-use admin tokens (invitations, resets)

Revision ID: a9f4c2e7d1b8
Revises: 9d4b7e1f3a62
Create Date: 2026-12-05 10:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a9f4c2e7d1b8'
down_revision = '9d4b7e1f3a62'
branch_labels = None
depends_on = None


def upgrade():
    # Admins live outside any tenant (like admins and admin_memberships): no row level security.
    with op.batch_alter_table('admins') as batch:
        batch.add_column(sa.Column('read_only', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('admin_tokens',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('invited_tenant_id', sa.Uuid(), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('invited_by', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['invited_tenant_id'], ['tenants.id'], name=op.f('fk_admin_tokens_invited_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_admin_tokens_token_hash')),
    )
    op.create_index(op.f('ix_admin_tokens_invited_tenant_id'), 'admin_tokens', ['invited_tenant_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_admin_tokens_invited_tenant_id'), table_name='admin_tokens')
    op.drop_table('admin_tokens')
    with op.batch_alter_table('admins') as batch:
        batch.drop_column('read_only')
