"""The organisation profile says where confidentiality ends, so the offer can say it truly.

Revision ID: 0007_confidentiality
Revises: 0006_booking_reminder
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_confidentiality"
down_revision: str | None = "0006_booking_reminder"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisation") as batch:
        batch.add_column(
            sa.Column("emergency_contact", sa.String(300), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column(
                "shares_identifying_details",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )
        batch.add_column(
            sa.Column("tells_player_first", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("organisation") as batch:
        batch.drop_column("tells_player_first")
        batch.drop_column("shares_identifying_details")
        batch.drop_column("emergency_contact")
