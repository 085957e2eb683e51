"""Foundation: organisation, staff accounts and sessions, player sessions, content bundles.

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.storage.types import UTCDateTime

revision: str = "0001_foundation"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("funder", sa.String(300), nullable=False),
        sa.Column("contact_url", sa.String(500), nullable=False, server_default=""),
        sa.Column("description", sa.String(2000), nullable=False, server_default=""),
        sa.Column("timezone", sa.String(64), nullable=False, server_default="Europe/Berlin"),
        sa.Column("service_hours", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "staff_account",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(32), nullable=True),
        sa.Column("gender", sa.String(32), nullable=True),
        sa.Column("age_band", sa.String(16), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False, server_default="2"),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("totp_secret", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("username", name="uq_staff_account_username"),
    )
    op.create_table(
        "staff_session",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "staff_id",
            sa.Integer(),
            sa.ForeignKey("staff_account.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_staff_session_staff_id", "staff_session", ["staff_id"])
    op.create_table(
        "player_session",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "content_bundle",
        sa.Column("hash", sa.String(64), primary_key=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "publication",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "bundle_hash", sa.String(64), sa.ForeignKey("content_bundle.hash"), nullable=False
        ),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("by_staff_id", sa.Integer(), sa.ForeignKey("staff_account.id"), nullable=True),
        sa.Column("note", sa.String(2000), nullable=False, server_default=""),
    )
    op.create_index("ix_publication_bundle_hash", "publication", ["bundle_hash"])
    op.create_index("ix_publication_at", "publication", ["at"])


def downgrade() -> None:
    op.drop_table("publication")
    op.drop_table("content_bundle")
    op.drop_table("player_session")
    op.drop_table("staff_session")
    op.drop_table("staff_account")
    op.drop_table("organisation")
