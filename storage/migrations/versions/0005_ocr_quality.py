"""OCR quality: the per-page report and the pages-to-rescan count of each document.

- ``documents.page_report``: JSON list, one object per page (number, source, content,
  confidence, estimated accuracy, needs_rescan, reason, ...); NULL for documents digitized
  before this revision (their pages were never judged).
- ``documents.pages_to_rescan``: pages the quality gate flagged; existing rows get 0 through
  the server default (no rebuild on SQLite: ADD COLUMN with a constant default).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("page_report", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("pages_to_rescan", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("pages_to_rescan")
        batch_op.drop_column("page_report")
