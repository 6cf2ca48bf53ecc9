"""2025 rules: agencies register, dossier agency and code form, centralised procedures.

- ``agencies``: the register of agency ID codes with validity period and successor.
- ``procedures``: procedures, marked ``centralised`` for the Circular 04/2025 code form.
- ``dossiers.agency_name`` and ``dossiers.code_form`` (existing rows: ``general``, the only
  form issued before this revision).
- Agency codes may be 35 characters (Decision 20/2020/QĐ-TTg): ``dossiers.agency_code``,
  ``dossiers.code`` and ``dossier_counters.agency_code`` widen to 64 on PostgreSQL. SQLite does
  not enforce VARCHAR lengths, and rebuilding ``dossiers`` there (batch mode) would trip the
  foreign keys that point at it, so it is left as it is.
- Downgrading narrows those columns again; PostgreSQL refuses (never truncates) while a
  longer code is stored.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("successor_code", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agencies")),
        sa.UniqueConstraint("code", name=op.f("uq_agencies_code")),
    )
    op.create_table(
        "procedures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("centralised", sa.Boolean(), nullable=False),
        sa.Column("operator_code", sa.String(length=8), nullable=True),
        sa.Column("resolving_agency_code", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedures")),
        sa.UniqueConstraint("code", name=op.f("uq_procedures_code")),
    )
    # ADD COLUMN with a server default needs no table rebuild on SQLite; it backfills too.
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agency_name", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column("code_form", sa.String(length=16), nullable=False, server_default="general")
        )
    if op.get_bind().dialect.name == "postgresql":
        for table, column, old in (
            ("dossiers", "code", 48),
            ("dossiers", "agency_code", 32),
            ("dossier_counters", "agency_code", 32),
        ):
            op.alter_column(
                table,
                column,
                type_=sa.String(length=64),
                existing_type=sa.String(length=old),
                existing_nullable=False,
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, column, old in (
            ("dossier_counters", "agency_code", 32),
            ("dossiers", "agency_code", 32),
            ("dossiers", "code", 48),
        ):
            op.alter_column(
                table,
                column,
                type_=sa.String(length=old),
                existing_type=sa.String(length=64),
                existing_nullable=False,
            )
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_column("code_form")
        batch_op.drop_column("agency_name")
    op.drop_table("procedures")
    op.drop_table("agencies")
