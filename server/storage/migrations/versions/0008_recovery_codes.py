"""One-time recovery codes for two-step sign-in (only their SHA-256 is stored).

Revision ID: 0008_recovery_codes
Revises: 0007_confidentiality
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.storage.types import UTCDateTime

revision: str = "0008_recovery_codes"
down_revision: str | None = "0007_confidentiality"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recovery_code",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column(
            "staff_id",
            sa.Integer(),
            sa.ForeignKey("staff_account.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_recovery_code_staff_id", "recovery_code", ["staff_id"])


def downgrade() -> None:
    op.drop_index("ix_recovery_code_staff_id", table_name="recovery_code")
    op.drop_table("recovery_code")
