"""Rota: counsellors' weekly shifts and one-off exceptions (which open and close the queue).

Revision ID: 0005_rota
Revises: 0004_ethics
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.storage.types import UTCDateTime

revision: str = "0005_rota"
down_revision: str | None = "0004_ethics"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rota_shift",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff_account.id"), nullable=False),
        sa.Column("weekday", sa.String(3), nullable=False),
        sa.Column("start", sa.String(5), nullable=False),
        sa.Column("end", sa.String(5), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_rota_shift_staff_id", "rota_shift", ["staff_id"])
    op.create_table(
        "rota_exception",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff_account.id"), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("start", sa.String(5), nullable=False, server_default=""),
        sa.Column("end", sa.String(5), nullable=False, server_default=""),
        sa.Column("note", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_rota_exception_staff_id", "rota_exception", ["staff_id"])
    op.create_index("ix_rota_exception_on_date", "rota_exception", ["on_date"])


def downgrade() -> None:
    op.drop_index("ix_rota_exception_on_date", "rota_exception")
    op.drop_index("ix_rota_exception_staff_id", "rota_exception")
    op.drop_table("rota_exception")
    op.drop_index("ix_rota_shift_staff_id", "rota_shift")
    op.drop_table("rota_shift")
