"""users.session_generation: sign-out and password changes end sessions server-side

Revision ID: c7a1d2e9f004
Revises: c7a1e5d0f210
Create Date: 2026-11-30 18:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c7a1d2e9f004'
down_revision = 'c4a7e2d91f06'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), nullable=False,
                                      server_default='0'))


def downgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('session_generation')
