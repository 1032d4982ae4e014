"""audit_entries index for reading the log newest first

Revision ID: 3a9c5e7d1b20
Revises: 7c1d2e9a4b30
Create Date: 2026-11-25 09:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '3a9c5e7d1b20'
down_revision = '7c1d2e9a4b30'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index(
            'ix_audit_entries_created_at', ['tenant_id', 'created_at', 'id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_created_at')
