"""retention, automatic check-out, erasure and annul columns

Revision ID: c7d2a9e41f10
Revises: b1e3f4bcd505
Create Date: 2026-11-30 18:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c7d2a9e41f10'
down_revision = "c7a2d9e4f310"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('checkout_time', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('attendees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('annuls', sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f('ix_scans_annuls'), ['annuls'], unique=False)


def downgrade():
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scans_annuls'))
        batch_op.drop_column('annuls')
    with op.batch_alter_table('attendees', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
        batch_op.drop_column('checkout_time')
        batch_op.drop_column('retention_days')
