"""scans.device_time: the gate's clock, kept beside the server's time

Revision ID: c4a7e2d91f06
Revises: c7a1e5d0f210
Create Date: 2026-11-30 19:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c4a7e2d91f06'
down_revision = 'c3d5e7f9a1b2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('scans') as batch_op:
        batch_op.add_column(sa.Column('device_time', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('scans') as batch_op:
        batch_op.drop_column('device_time')
