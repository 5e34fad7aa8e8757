"""LAN gates: a device's LAN key, the leader's sequence number on scans

Revision ID: c4a1d2e3f5b6
Revises: c7a1e5d0f210
Create Date: 2026-11-30 19:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c4a1d2e3f5b6'
down_revision = 'c7a1e5d0f210'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lan_public_key', sa.String(length=44), nullable=True))
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lan_seq', sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.drop_column('lan_seq')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('lan_public_key')
