"""identity providers and user identities: sign-in with OpenID Connect providers

Revision ID: b7e3f1a9c2d4
Revises: 3a9c5e7d1b24
Create Date: 2026-12-05 05:30:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from authsvc.db import drop_row_level_security_statements, row_level_security_statements

WALLED = ('identity_providers', 'user_identities')


# revision identifiers, used by Alembic.
revision = 'b7e3f1a9c2d4'
down_revision = '3a9c5e7d1b24'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('identity_providers',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('icon_url', sa.String(length=2048), nullable=True),
    sa.Column('issuer', sa.String(length=2048), nullable=True),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('client_secret_sealed', sa.String(length=1024), nullable=True),
    sa.Column('scopes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('link_by_email', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_identity_providers_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_identity_providers'))
    )
    op.create_table('user_identities',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('provider_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'provider_id'], ['identity_providers.tenant_id', 'identity_providers.id'], name=op.f('fk_user_identities_tenant_id_provider_id_identity_providers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'user_id'], ['users.tenant_id', 'users.id'], name=op.f('fk_user_identities_tenant_id_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_user_identities_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_user_identities')),
    sa.UniqueConstraint('tenant_id', 'provider_id', 'subject', name=op.f('uq_user_identities_tenant_id_provider_id_subject'))
    )
    with op.batch_alter_table('user_identities', schema=None) as batch_op:
        batch_op.create_index('ix_user_identities_user', ['tenant_id', 'user_id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        for table in WALLED:
            for statement in row_level_security_statements(table):
                op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in WALLED:
            for statement in drop_row_level_security_statements(table):
                op.execute(statement)
    with op.batch_alter_table('user_identities', schema=None) as batch_op:
        batch_op.drop_index('ix_user_identities_user')
    op.drop_table('user_identities')
    op.drop_table('identity_providers')
