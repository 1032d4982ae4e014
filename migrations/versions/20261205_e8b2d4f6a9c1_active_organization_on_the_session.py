"""The active organization as a column of the session, not a table of its own

Switching organization is then one conditional UPDATE of the session (the row
that is checked and touched anyway), and a refresh learns the session's choice
from the UPDATE that already spends its token. Existing choices are copied.
The column has no foreign key: an id left by a deleted organization joins
nothing when claims are computed, so it grants nothing.

Revision ID: e8b2d4f6a9c1
Revises: c4d8e2a6f1b3
Create Date: 2026-12-05 10:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

from authsvc.db import row_level_security_statements


# revision identifiers, used by Alembic.
revision = 'e8b2d4f6a9c1'
down_revision = 'c4d8e2a6f1b3'
branch_labels = None
depends_on = None

SESSIONS = sa.table(
    'sessions', sa.column('tenant_id'), sa.column('id'), sa.column('active_organization_id')
)
ACTIVE = sa.table(
    'active_organizations', sa.column('tenant_id'), sa.column('session_id'),
    sa.column('organization_id'),
)


def upgrade():
    op.add_column('sessions', sa.Column('active_organization_id', sa.Uuid(), nullable=True))
    chosen = (
        sa.select(ACTIVE.c.organization_id)
        .where(ACTIVE.c.tenant_id == SESSIONS.c.tenant_id, ACTIVE.c.session_id == SESSIONS.c.id)
        .scalar_subquery()
    )
    op.execute(sa.update(SESSIONS).values(active_organization_id=chosen))
    op.drop_table('active_organizations')


def downgrade():
    op.create_table('active_organizations',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'organization_id'], ['organizations.tenant_id', 'organizations.id'], name=op.f('fk_active_organizations_tenant_id_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'session_id'], ['sessions.tenant_id', 'sessions.id'], name=op.f('fk_active_organizations_tenant_id_session_id_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_active_organizations_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'session_id', name=op.f('pk_active_organizations'))
    )
    if op.get_bind().dialect.name == 'postgresql':
        for statement in row_level_security_statements('active_organizations'):
            op.execute(statement)
    # Only choices whose organization still exists can be restored (the table has a key).
    organizations = sa.table('organizations', sa.column('tenant_id'), sa.column('id'))
    op.execute(
        sa.insert(ACTIVE).from_select(
            ['tenant_id', 'session_id', 'organization_id'],
            sa.select(SESSIONS.c.tenant_id, SESSIONS.c.id, SESSIONS.c.active_organization_id)
            .join(
                organizations,
                sa.and_(
                    organizations.c.tenant_id == SESSIONS.c.tenant_id,
                    organizations.c.id == SESSIONS.c.active_organization_id,
                ),
            ),
        )
    )
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_column('active_organization_id')
