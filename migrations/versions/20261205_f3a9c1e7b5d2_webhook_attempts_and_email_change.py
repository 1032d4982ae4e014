"""webhook attempts (each HTTP attempt of a delivery, as sent and as answered) and the
new address an email-change token confirms

Revision ID: f3a9c1e7b5d2
Revises: e8f2a4c6b1d9
Create Date: 2026-12-05 10:30:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from authsvc.db import drop_row_level_security_statements, row_level_security_statements

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


# revision identifiers, used by Alembic.
revision = 'f3a9c1e7b5d2'
down_revision = 'e8f2a4c6b1d9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('webhook_attempts',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('delivery_id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('latency_ms', sa.Integer(), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('request_headers', JSON, nullable=False),
    sa.Column('request_body', sa.Text(), nullable=False),
    sa.Column('response_headers', JSON, nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'delivery_id'], ['webhook_deliveries.tenant_id', 'webhook_deliveries.id'], name=op.f('fk_webhook_attempts_tenant_id_delivery_id_webhook_deliveries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_webhook_attempts_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_webhook_attempts'))
    )
    op.create_index('ix_webhook_attempts_delivery', 'webhook_attempts', ['tenant_id', 'delivery_id', 'number'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        for statement in row_level_security_statements('webhook_attempts'):
            op.execute(statement)
    with op.batch_alter_table('one_time_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('new_email', sa.String(length=254), nullable=True))


def downgrade():
    with op.batch_alter_table('one_time_tokens', schema=None) as batch_op:
        batch_op.drop_column('new_email')
    if op.get_bind().dialect.name == 'postgresql':
        for statement in drop_row_level_security_statements('webhook_attempts'):
            op.execute(statement)
    op.drop_index('ix_webhook_attempts_delivery', table_name='webhook_attempts')
    op.drop_table('webhook_attempts')
