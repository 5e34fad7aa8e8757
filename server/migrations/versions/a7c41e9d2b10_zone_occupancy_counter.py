"""zone occupancy counter, kept by triggers on presence

A check-in into a zone with a capacity used to lock the zone row and count its presence
rows (a count that grows all day, under a lock every entry queues on). Now one row per
zone and day holds the count. Triggers keep it, so every writer of presence (check-in,
overrides, anything later) keeps it exact, in the writer's own transaction:

- a presence row leaving "inside on day D" takes one off (zone, D);
- a presence row becoming "inside on day D" adds one to (zone, D), for zones with a
  capacity only: elsewhere nobody reads the count, and a counter row every entry of a
  busy zone must lock until its commit would serialise that zone for nothing;
- a zone's capacity changing recounts that zone from its presence rows.

Revision ID: a7c41e9d2b10
Revises: d4e8b0c2a7f3
Create Date: 2026-11-30 19:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'a7c41e9d2b10'
down_revision = 'e5f1a3c9b720'
branch_labels = None
depends_on = None

_CHANGED = ("(NEW.inside IS NOT OLD.inside OR NEW.day IS NOT OLD.day"
            " OR NEW.zone_id IS NOT OLD.zone_id)")
_PG_CHANGED = ("(NEW.inside IS DISTINCT FROM OLD.inside OR NEW.day IS DISTINCT FROM OLD.day"
               " OR NEW.zone_id IS DISTINCT FROM OLD.zone_id)")

_PG = [
    """
    CREATE FUNCTION admit_presence_occupancy() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND NOT """ + _PG_CHANGED + """ THEN
        RETURN NULL;
      END IF;
      IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.inside THEN
        UPDATE zone_occupancy SET inside = inside - 1
         WHERE zone_id = OLD.zone_id AND day = OLD.day;
      END IF;
      IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.inside
         AND (SELECT capacity FROM zones WHERE id = NEW.zone_id) IS NOT NULL THEN
        INSERT INTO zone_occupancy (zone_id, day, inside) VALUES (NEW.zone_id, NEW.day, 1)
        ON CONFLICT (zone_id, day) DO UPDATE SET inside = zone_occupancy.inside + 1;
      END IF;
      RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER presence_occupancy AFTER INSERT OR UPDATE OR DELETE ON presence
    FOR EACH ROW EXECUTE FUNCTION admit_presence_occupancy()
    """,
    """
    CREATE FUNCTION admit_zone_recount() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM zone_occupancy WHERE zone_id = NEW.id;
      IF NEW.capacity IS NOT NULL THEN
        INSERT INTO zone_occupancy (zone_id, day, inside)
        SELECT zone_id, day, count(*) FROM presence
         WHERE zone_id = NEW.id AND inside GROUP BY zone_id, day;
      END IF;
      RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER zone_recount AFTER UPDATE OF capacity ON zones
    FOR EACH ROW WHEN (NEW.capacity IS DISTINCT FROM OLD.capacity)
    EXECUTE FUNCTION admit_zone_recount()
    """,
]

_ADD = """
    INSERT INTO zone_occupancy (zone_id, day, inside)
    SELECT NEW.zone_id, NEW.day, 1
     WHERE (SELECT capacity FROM zones WHERE id = NEW.zone_id) IS NOT NULL
    ON CONFLICT (zone_id, day) DO UPDATE SET inside = inside + 1;
"""
_TAKE = "UPDATE zone_occupancy SET inside = inside - 1 WHERE zone_id = OLD.zone_id AND day = OLD.day;"

_SQLITE = [
    f"CREATE TRIGGER presence_occupancy_insert AFTER INSERT ON presence WHEN NEW.inside "
    f"BEGIN {_ADD} END",
    f"CREATE TRIGGER presence_occupancy_delete AFTER DELETE ON presence WHEN OLD.inside "
    f"BEGIN {_TAKE} END",
    # An update that moves a row from (zone, D) to (zone', D') takes one off and adds one:
    # two triggers, in either order (different counter rows, and additions commute).
    f"CREATE TRIGGER presence_occupancy_update_add AFTER UPDATE ON presence "
    f"WHEN NEW.inside AND {_CHANGED} BEGIN {_ADD} END",
    f"CREATE TRIGGER presence_occupancy_update_take AFTER UPDATE ON presence "
    f"WHEN OLD.inside AND {_CHANGED} BEGIN {_TAKE} END",
    """
    CREATE TRIGGER zone_recount AFTER UPDATE OF capacity ON zones
    WHEN NEW.capacity IS NOT OLD.capacity
    BEGIN
      DELETE FROM zone_occupancy WHERE zone_id = NEW.id;
      INSERT INTO zone_occupancy (zone_id, day, inside)
      SELECT zone_id, day, count(*) FROM presence
       WHERE zone_id = NEW.id AND inside AND NEW.capacity IS NOT NULL GROUP BY zone_id, day;
    END
    """,
]


def upgrade():
    op.create_table(
        'zone_occupancy',
        sa.Column('zone_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('inside', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_zone_occupancy_zone_id_zones')),
        sa.PrimaryKeyConstraint('zone_id', 'day', name=op.f('pk_zone_occupancy')),
    )
    op.execute(
        "INSERT INTO zone_occupancy (zone_id, day, inside)"
        " SELECT p.zone_id, p.day, count(*) FROM presence p JOIN zones z ON z.id = p.zone_id"
        " WHERE p.inside AND z.capacity IS NOT NULL GROUP BY p.zone_id, p.day"
    )
    for statement in _PG if op.get_bind().dialect.name == "postgresql" else _SQLITE:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS zone_recount ON zones")
        op.execute("DROP TRIGGER IF EXISTS presence_occupancy ON presence")
        op.execute("DROP FUNCTION IF EXISTS admit_zone_recount()")
        op.execute("DROP FUNCTION IF EXISTS admit_presence_occupancy()")
    else:
        for name in ("presence_occupancy_insert", "presence_occupancy_delete",
                     "presence_occupancy_update_add", "presence_occupancy_update_take",
                     "zone_recount"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table('zone_occupancy')
