"""applications, authorization codes and consents: authsvc as an OpenID Provider

Revision ID: c4d8e2a6f1b3
Revises: d5e9f3a7b2c6
Create Date: 2026-12-05 07:40:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from authsvc.db import drop_row_level_security_statements, row_level_security_statements

WALLED = ('applications', 'authorization_codes', 'consents')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


# revision identifiers, used by Alembic.
revision = 'c4d8e2a6f1b3'
down_revision = 'd5e9f3a7b2c6'
branch_labels = None
depends_on = None


def _tenant(table):
    return sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f(f'fk_{table}_tenant_id_tenants'), ondelete='CASCADE')


def _ref(table, column, target):
    return sa.ForeignKeyConstraint(
        ['tenant_id', column], [f'{target}.tenant_id', f'{target}.id'],
        name=op.f(f'fk_{table}_tenant_id_{column}_{target}'), ondelete='CASCADE',
    )


def upgrade():
    op.create_table('applications',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('client_type', sa.String(length=16), nullable=False),
    sa.Column('client_secret_hash', sa.String(length=64), nullable=True),
    sa.Column('redirect_uris', JSON, nullable=False),
    sa.Column('post_logout_redirect_uris', JSON, nullable=False),
    sa.Column('grant_types', JSON, nullable=False),
    sa.Column('scopes', JSON, nullable=False),
    sa.Column('first_party', sa.Boolean(), nullable=False),
    sa.Column('access_token_ttl_seconds', sa.Integer(), nullable=True),
    sa.Column('refresh_token_ttl_seconds', sa.Integer(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    _tenant('applications'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_applications')),
    sa.UniqueConstraint('tenant_id', 'client_id', name=op.f('uq_applications_tenant_id_client_id'))
    )
    op.create_table('authorization_codes',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('application_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('redirect_uri', sa.String(length=2048), nullable=True),
    sa.Column('scope', sa.String(length=1000), nullable=False),
    sa.Column('nonce', sa.String(length=512), nullable=True),
    sa.Column('code_challenge', sa.String(length=128), nullable=True),
    sa.Column('code_challenge_method', sa.String(length=16), nullable=True),
    sa.Column('auth_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('amr', JSON, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('session_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    _ref('authorization_codes', 'application_id', 'applications'),
    _ref('authorization_codes', 'user_id', 'users'),
    _tenant('authorization_codes'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_authorization_codes')),
    sa.UniqueConstraint('tenant_id', 'code_hash', name=op.f('uq_authorization_codes_tenant_id_code_hash'))
    )
    op.create_table('consents',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('application_id', sa.Uuid(), nullable=False),
    sa.Column('scopes', JSON, nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    _ref('consents', 'application_id', 'applications'),
    _ref('consents', 'user_id', 'users'),
    _tenant('consents'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_consents')),
    sa.UniqueConstraint('tenant_id', 'user_id', 'application_id', name=op.f('uq_consents_tenant_id_user_id_application_id'))
    )
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('application_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('scope', sa.String(length=1000), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_sessions_tenant_id_application_id_applications'), 'applications',
            ['tenant_id', 'application_id'], ['tenant_id', 'id'], ondelete='CASCADE',
        )
    if op.get_bind().dialect.name == 'postgresql':
        for table in WALLED:
            for statement in row_level_security_statements(table):
                op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in WALLED:
            for statement in drop_row_level_security_statements(table):
                op.execute(statement)
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_sessions_tenant_id_application_id_applications'), type_='foreignkey')
        batch_op.drop_column('scope')
        batch_op.drop_column('application_id')
    op.drop_table('consents')
    op.drop_table('authorization_codes')
    op.drop_table('applications')
