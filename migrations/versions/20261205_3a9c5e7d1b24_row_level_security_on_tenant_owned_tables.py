"""Row-level security on every tenant-owned table (PostgreSQL)

The database's own wall behind the ORM's tenant criteria: a row is visible
and writable only while ``authsvc.tenant_id`` names its tenant, or while
``authsvc.platform`` is ``on`` (``tenancy.platform_scope()``). FORCE makes
the policy apply to the tables' owner too; superusers and roles with
BYPASSRLS still bypass it, so the application must not connect as one.
``tenants``, ``admin_memberships``, ``admins`` and ``admin_login_throttles``
are platform data and stay without a policy (``tenant_domains`` became
tenant-owned in an earlier revision: it has the policy, and routing
reads it in platform scope). SQLite has no row-level security.

The tables are listed here, not read from the models, so that this revision
means the same thing whenever it runs; a test checks that every tenant-owned
model's table has the policy.

Revision ID: 3a9c5e7d1b24
Revises: e5abd3f6afd7
Create Date: 2026-12-05 09:00:00.000000

"""
from alembic import op

from authsvc.db import drop_row_level_security_statements, row_level_security_statements


# revision identifiers, used by Alembic.
revision = '3a9c5e7d1b24'
down_revision = 'e5abd3f6afd7'
branch_labels = None
depends_on = None

TABLES = (
    'api_keys',
    'audit_entries',
    'events',
    'login_throttles',
    'mail_messages',
    'mail_requests',
    'mfa_factors',
    'one_time_tokens',
    'refresh_tokens',
    'revoked_tokens',
    'roles',
    'sessions',
    'signing_keys',
    'tenant_domains',
    'tenant_plugins',
    'theme_assets',
    'themes',
    'user_roles',
    'users',
    'webhook_deliveries',
    'webhook_endpoints',
)

# NULLIF: an unbound connection has the setting '' (or none at all), and then
# no row matches, as in the ORM.


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in TABLES:
        for statement in row_level_security_statements(table):
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in TABLES:
        for statement in drop_row_level_security_statements(table):
            op.execute(statement)
