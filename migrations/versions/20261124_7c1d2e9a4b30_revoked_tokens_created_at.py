"""revoked_tokens.created_at, for incremental copies of the denylist

Revision ID: 7c1d2e9a4b30
Revises: 5d48b7c48a11
Create Date: 2026-11-24 06:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c1d2e9a4b30'
down_revision = '5d48b7c48a11'
branch_labels = None
depends_on = None


def upgrade():
    # Existing entries get the migration time: processes reload the whole list on start anyway.
    with op.batch_alter_table('revoked_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_at', sa.DateTime(timezone=True),
                                      server_default=sa.func.current_timestamp(), nullable=False))
        batch_op.create_index('ix_revoked_tokens_created_at', ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('revoked_tokens', schema=None) as batch_op:
        batch_op.drop_index('ix_revoked_tokens_created_at')
        batch_op.drop_column('created_at')
