"""job outputs: a job's file (the report PDF) in the database

Revision ID: e5f1a3c9b720
Revises: c7a1e5d0f210
Create Date: 2026-11-30 19:55:00

"""
import sqlalchemy as sa
from alembic import op

revision = "e5f1a3c9b720"
down_revision = "c4a1d2e3f5b6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job_outputs",
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_job_outputs_job_id_jobs"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_job_outputs")),
    )


def downgrade():
    op.drop_table("job_outputs")
