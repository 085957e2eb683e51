"""Bookings remember when the player was reminded of them (once, ~10 minutes before).

Revision ID: 0006_booking_reminder
Revises: 0005_rota
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.storage.types import UTCDateTime

revision: str = "0006_booking_reminder"
down_revision: str | None = "0005_rota"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("booking", sa.Column("reminded_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("booking") as batch:
        batch.drop_column("reminded_at")
