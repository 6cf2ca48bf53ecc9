"""Web: declared pages, receipts (procedure name, applicant email, appointment date).

``documents.declared_pages`` is the number of paper pages reception counted (the scans must
match it); the receipt prints the procedure's name, the appointment date and is sent to the
applicant's email. The reuse link (``documents.reused_from_id``) already exists since 0001.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("procedure_name", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("applicant_email", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("appointment_on", sa.Date(), nullable=True))
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("declared_pages", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("declared_pages")
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_column("appointment_on")
        batch.drop_column("applicant_email")
        batch.drop_column("procedure_name")
