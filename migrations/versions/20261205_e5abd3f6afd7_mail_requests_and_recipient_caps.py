"""mail_requests (mail composed by the worker) and the index behind per-recipient caps

Revision ID: e5abd3f6afd7
Revises: caad60bce0a7
Create Date: 2026-12-05 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5abd3f6afd7'
down_revision = 'caad60bce0a7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mail_requests',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_mail_requests_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_mail_requests'))
    )
    with op.batch_alter_table('mail_requests', schema=None) as batch_op:
        batch_op.create_index('ix_mail_requests_created', ['created_at'], unique=False)

    with op.batch_alter_table('mail_messages', schema=None) as batch_op:
        batch_op.create_index('ix_mail_messages_recipient', ['tenant_id', 'recipient', 'template', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('mail_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_messages_recipient')

    with op.batch_alter_table('mail_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_requests_created')

    op.drop_table('mail_requests')
