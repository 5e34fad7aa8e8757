"""several events: default event, languages, deactivation, gate name history, device
event; trigram search index on PostgreSQL; search text with pinyin

Revision ID: c7a1e5d0f210
Revises: c7a2d9e4f310
Create Date: 2026-11-30 18:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = "c7a1e5d0f210"
down_revision = "d4e8b0c2a7f3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("languages", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("is_default", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    for table in ("zones", "gates", "access_levels"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("active", sa.Boolean(), nullable=False,
                                       server_default=sa.true()))
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("event_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f("fk_api_tokens_event_id_events"), "events",
                                 ["event_id"], ["id"])
    op.create_table(
        "gate_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("gate_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_gate_names_event_id_events")),
        sa.ForeignKeyConstraint(["gate_id"], ["gates.id"], name=op.f("fk_gate_names_gate_id_gates")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gate_names")),
    )
    op.create_index(op.f("ix_gate_names_event_id"), "gate_names", ["event_id"], unique=False)
    op.execute("UPDATE events SET languages = '[\"en\"]' WHERE languages IS NULL")
    with op.batch_alter_table("events") as batch:
        batch.alter_column("languages", existing_type=sa.JSON(), nullable=False)
    _refold_search_text()
    if op.get_bind().dialect.name == "postgresql":
        _trigram_index()


def _refold_search_text():
    # Search text now also holds pinyin and drops invisible characters: recompute it.
    from server.services.people.text import search_text

    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, name, organization, email FROM attendees")).all()
    for row in rows:
        bind.execute(sa.text("UPDATE attendees SET search_text = :t WHERE id = :i"),
                     {"t": search_text(row.name, row.organization, row.email), "i": row.id})


def _trigram_index():
    # Substring search (LIKE '%x%') on 100,000 attendees needs a trigram index. The
    # extension goes to ``public`` (dropping an application schema must not take it, and
    # another schema's index, along); it may live elsewhere already, so its operator
    # class is named with its schema.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    schema = op.get_bind().execute(sa.text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
        " WHERE e.extname = 'pg_trgm'")).scalar_one()
    op.execute(f'CREATE INDEX ix_attendees_search_trgm ON attendees USING gin '
               f'(search_text "{schema}".gin_trgm_ops)')


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_attendees_search_trgm")
    op.drop_index(op.f("ix_gate_names_event_id"), table_name="gate_names")
    op.drop_table("gate_names")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_constraint(batch.f("fk_api_tokens_event_id_events"), type_="foreignkey")
        batch.drop_column("event_id")
    for table in ("zones", "gates", "access_levels"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("active")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("is_default")
        batch.drop_column("languages")
