"""authorization_codes.acr: the authentication level a code's ID token states

(How a user signed in, ``sessions.amr``, comes with the federation revision e8f2a4c6b1d9.)

Revision ID: 9d4b7e1f3a62
Revises: e8b2d4f6a9c1
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
    op.add_column('authorization_codes', sa.Column('acr', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('authorization_codes', schema=None) as batch_op:
        batch_op.drop_column('acr')
