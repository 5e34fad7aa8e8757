"""badges: an index in the sync feed's order

Without it SQLite (no ANALYZE statistics) reads the event's badges by ``event_id`` and
sorts all of them for every page; PostgreSQL, given the row comparison
``(sync_version, id) > (v, last)``, walks the index from the cursor.

Revision ID: c3d5e7f9a1b2
Revises: a7c41e9d2b10
Create Date: 2026-11-30 19:35:00
"""
from alembic import op


revision = 'c3d5e7f9a1b2'
down_revision = 'a7c41e9d2b10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_badges_event_sync', 'badges', ['event_id', 'sync_version', 'id'])


def downgrade():
    op.drop_index('ix_badges_event_sync', table_name='badges')
