"""admit_scan_facts(): a scan's facts under the badge lock in one round trip (PostgreSQL)

A check-in read its facts in two statements on PostgreSQL: the badge row ``FOR UPDATE``,
then its holder and presence. Two, because under READ COMMITTED a statement that waited
for a row lock still reads every other table as of before the wait, so presence read in
the locking statement could miss the admit that held the lock. A VOLATILE PL/pgSQL
function takes a fresh snapshot for each statement inside it: it locks the badge, then
(for an entry into a zone with a capacity) locks the zone's counter row for the day,
then reads holder, presence and counter after both waits, and returns one row, in one
round trip. It gathers facts only: the decision stays in ``shared.policy``.

Same lock order as before (badge, then counter), so scans and uploads cannot deadlock.
SQLite needs none of this: its writer lock is held from ``BEGIN IMMEDIATE``.

Revision ID: d9b4c6e8f012
Revises: c7a1d2e9f004
Create Date: 2026-11-30 21:40:00
"""
from alembic import op

revision = 'd9b4c6e8f012'
down_revision = 'c7a1d2e9f004'
branch_labels = None
depends_on = None

_FUNCTION = """
CREATE OR REPLACE FUNCTION admit_scan_facts(p_badge integer, p_zone integer, p_day date,
                                            p_occupancy integer)
RETURNS TABLE (f_id integer, f_revision integer, f_status text, f_event_id integer,
               f_zone_mask bigint, f_day_mask integer, f_revoked_at timestamptz,
               f_attendee_id integer, f_keys_live bigint, f_keys_top integer,
               f_name text, f_organization text, f_country text, f_deleted_at timestamptz,
               f_level text, f_inside boolean, f_day date, f_since timestamptz,
               f_occupancy integer)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  occupancy integer := 0;
BEGIN
  PERFORM 1 FROM badges WHERE badges.id = p_badge FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF p_occupancy = 2 THEN
    -- An upsert that changes nothing: creates the day's row if need be and locks it.
    INSERT INTO zone_occupancy AS o (zone_id, day, inside) VALUES (p_zone, p_day, 0)
    ON CONFLICT (zone_id, day) DO UPDATE SET inside = o.inside
    RETURNING o.inside INTO occupancy;
  ELSIF p_occupancy = 1 THEN
    SELECT coalesce(max(o.inside), 0) INTO occupancy FROM zone_occupancy o
     WHERE o.zone_id = p_zone AND o.day = p_day;
  END IF;
  RETURN QUERY
    SELECT b.id, b.revision, b.status::text, b.event_id, b.zone_mask, b.day_mask,
           b.revoked_at, b.attendee_id,
           (SELECT count(*) FROM signing_keys k
             WHERE k.event_id = b.event_id AND k.retired_at IS NULL),
           (SELECT coalesce(max(k.key_id), 0) FROM signing_keys k
             WHERE k.event_id = b.event_id),
           a.name::text, a.organization::text, a.country::text, a.deleted_at,
           l.name::text, p.inside, p.day, p.since, occupancy
      FROM badges b
      JOIN attendees a ON a.id = b.attendee_id
      JOIN access_levels l ON l.id = a.access_level_id
      LEFT JOIN presence p ON p.attendee_id = a.id AND p.zone_id = p_zone
     WHERE b.id = p_badge;
END $$
"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_FUNCTION)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS admit_scan_facts(integer, integer, date, integer)")
