"""Hardening: object versions, verification tokens, account token versions, login attempts.

- ``users.token_version``: bumped by a disable, role change or password reset; a bearer token
  names the version it was issued under, so older tokens stop working at once.
- ``documents.verification_token``: the unguessable reference printed in the QR code (the
  sequential id let anyone enumerate every document). Existing rows get a random one.
- ``documents.digitized_version_id`` / ``signed_version_id`` and ``original_files.version_id``:
  the S3 version each record was stored as, so reads fetch exactly that version.
- ``login_attempts``: failed and successful logins, for the per-user and per-address lockout.
- ``worker_heartbeats``: each running worker's last sign of life (``/readyz`` reports ``worker``).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("token_version", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verification_token", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("digitized_version_id", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("signed_version_id", sa.String(length=128), nullable=True))
    with op.batch_alter_table("original_files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version_id", sa.String(length=128), nullable=True))

    # Backfill: every existing document gets its own random verification token.
    conn = op.get_bind()
    documents = sa.table("documents", sa.column("id", sa.Integer), sa.column("verification_token"))
    ids = [row[0] for row in conn.execute(sa.select(documents.c.id))]
    for document_id in ids:
        conn.execute(
            documents.update()
            .where(documents.c.id == document_id)
            .values(verification_token=secrets.token_urlsafe(24))
        )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_documents_verification_token"), ["verification_token"], unique=True
        )

    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_attempts_username_created_at"),
            ["username", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_login_attempts_address_created_at"),
            ["address", "created_at"],
            unique=False,
        )

    op.create_table(
        "worker_heartbeats",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_heartbeats")),
    )


def downgrade() -> None:
    op.drop_table("worker_heartbeats")
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_attempts_address_created_at"))
        batch_op.drop_index(batch_op.f("ix_login_attempts_username_created_at"))
    op.drop_table("login_attempts")
    with op.batch_alter_table("original_files", schema=None) as batch_op:
        batch_op.drop_column("version_id")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_verification_token"))
        batch_op.drop_column("signed_version_id")
        batch_op.drop_column("digitized_version_id")
        batch_op.drop_column("verification_token")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("token_version")
