"""sessions.amr and authorization_codes.acr: how a user signed in, for ID tokens

Revision ID: 9d4b7e1f3a62
Revises: c4d8e2a6f1b3
Create Date: 2026-12-05 10:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9d4b7e1f3a62'
down_revision = 'e8b2d4f6a9c1'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable: sessions opened before this revision did not record their methods, and
    # their ID tokens simply carry no amr (rather than a guess).
    op.add_column('sessions', sa.Column('amr', sa.String(length=64), nullable=True))
    op.add_column('authorization_codes', sa.Column('acr', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('authorization_codes', schema=None) as batch_op:
        batch_op.drop_column('acr')
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_column('amr')
