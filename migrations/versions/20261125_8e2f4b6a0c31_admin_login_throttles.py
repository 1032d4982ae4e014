"""admin_login_throttles: failed panel sign-ins counted in the shared database

Revision ID: 8e2f4b6a0c31
Revises: 3a9c5e7d1b20
Create Date: 2026-11-25 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8e2f4b6a0c31'
down_revision = '3a9c5e7d1b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('admin_login_throttles',
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('lockouts', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_failure_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('subject', name=op.f('pk_admin_login_throttles'))
    )


def downgrade():
    op.drop_table('admin_login_throttles')
