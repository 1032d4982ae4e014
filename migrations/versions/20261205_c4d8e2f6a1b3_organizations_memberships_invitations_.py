"""organizations memberships invitations and permissions

Revision ID: c4d8e2f6a1b3
Revises: b7e3f1a9c2d4
Create Date: 2026-12-05 07:15:21.117881

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from authsvc.db import drop_row_level_security_statements, row_level_security_statements

WALLED = (
    'organizations', 'memberships', 'membership_roles', 'invitations', 'permissions',
    'active_organizations',
)

# revision identifiers, used by Alembic.
revision = 'c4d8e2f6a1b3'
down_revision = 'b7e3f1a9c2d4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('organizations',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('slug', sa.String(length=63), nullable=False),
    sa.Column('metadata', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('domains', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_organizations_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_organizations')),
    sa.UniqueConstraint('tenant_id', 'slug', name=op.f('uq_organizations_tenant_id_slug'))
    )
    op.create_table('permissions',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_permissions_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_permissions')),
    sa.UniqueConstraint('tenant_id', 'name', name=op.f('uq_permissions_tenant_id_name'))
    )
    op.create_table('invitations',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('email_normalized', sa.String(length=254), nullable=False),
    sa.Column('roles', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('inviter', sa.String(length=200), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('accepted_by', sa.Uuid(), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'organization_id'], ['organizations.tenant_id', 'organizations.id'], name=op.f('fk_invitations_tenant_id_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_invitations_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_invitations')),
    sa.UniqueConstraint('tenant_id', 'token_hash', name=op.f('uq_invitations_tenant_id_token_hash'))
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index('ix_invitations_organization', ['tenant_id', 'organization_id'], unique=False)

    op.create_table('memberships',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'organization_id'], ['organizations.tenant_id', 'organizations.id'], name=op.f('fk_memberships_tenant_id_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'user_id'], ['users.tenant_id', 'users.id'], name=op.f('fk_memberships_tenant_id_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_memberships_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_memberships')),
    sa.UniqueConstraint('tenant_id', 'organization_id', 'user_id', name=op.f('uq_memberships_tenant_id_organization_id_user_id'))
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index('ix_memberships_user', ['tenant_id', 'user_id'], unique=False)

    op.create_table('active_organizations',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'organization_id'], ['organizations.tenant_id', 'organizations.id'], name=op.f('fk_active_organizations_tenant_id_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'session_id'], ['sessions.tenant_id', 'sessions.id'], name=op.f('fk_active_organizations_tenant_id_session_id_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_active_organizations_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'session_id', name=op.f('pk_active_organizations'))
    )
    op.create_table('membership_roles',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('membership_id', sa.Uuid(), nullable=False),
    sa.Column('role_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'membership_id'], ['memberships.tenant_id', 'memberships.id'], name=op.f('fk_membership_roles_tenant_id_membership_id_memberships'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'role_id'], ['roles.tenant_id', 'roles.id'], name=op.f('fk_membership_roles_tenant_id_role_id_roles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_membership_roles_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'membership_id', 'role_id', name=op.f('pk_membership_roles'))
    )
    with op.batch_alter_table('membership_roles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_roles_role_id'), ['role_id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        for table in WALLED:
            for statement in row_level_security_statements(table):
                op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in WALLED:
            for statement in drop_row_level_security_statements(table):
                op.execute(statement)
    with op.batch_alter_table('membership_roles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membership_roles_role_id'))

    op.drop_table('membership_roles')
    op.drop_table('active_organizations')
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index('ix_memberships_user')

    op.drop_table('memberships')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index('ix_invitations_organization')

    op.drop_table('invitations')
    op.drop_table('permissions')
    op.drop_table('organizations')
