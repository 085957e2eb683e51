"""Staff web tables: login throttling, role policy, canned responses, notes, audit, partners.

Also shifts (break reminders) and debriefs (after safeguarding outcomes). Models live in
``server/web/models.py``; keep both in step.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003_staff"
down_revision = "0002_handoff"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        _ts("window_started_at", True),
        _ts("locked_until", True),
        _ts("updated_at", True),
    )
    op.create_table(
        "role_policy",
        sa.Column("role", sa.String(32), primary_key=True),
        sa.Column("require_totp", sa.Boolean(), nullable=False, server_default=sa.false()),
        _ts("updated_at", True),
    )
    op.create_table(
        "canned_response",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "owner_staff_id",
            sa.Integer(),
            sa.ForeignKey("staff_account.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("shortcut", sa.String(40), nullable=False),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False, server_default="en"),
        _ts("created_at"),
        _ts("updated_at"),
    )
    op.create_index("ix_canned_response_owner_staff_id", "canned_response", ["owner_staff_id"])
    op.create_table(
        "conversation_note",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff_account.id"), nullable=False),
        sa.Column("body_encrypted", sa.LargeBinary(), nullable=False),
        _ts("created_at"),
    )
    op.create_index(
        "ix_conversation_note_conversation_id", "conversation_note", ["conversation_id"]
    )
    op.create_index("ix_conversation_note_staff_id", "conversation_note", ["staff_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _ts("at"),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(200), nullable=False, server_default=""),
        sa.Column("ip", sa.String(64), nullable=False, server_default=""),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_index("ix_audit_log_staff_id", "audit_log", ["staff_id"])
    op.create_index("ix_audit_log_action", "audit_log", ["action"])
    op.create_table(
        "partner_organisation",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("contact", sa.String(300), nullable=False, server_default=""),
        sa.Column("url", sa.String(300), nullable=False, server_default=""),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        _ts("created_at"),
    )
    op.create_table(
        "staff_shift",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff_account.id"), nullable=False),
        _ts("started_at"),
        _ts("ended_at", True),
        _ts("last_break_at", True),
        _ts("last_reminder_at", True),
    )
    op.create_index("ix_staff_shift_staff_id", "staff_shift", ["staff_id"])
    op.create_table(
        "debrief",
        sa.Column("conversation_id", sa.String(64), primary_key=True),
        sa.Column("counsellor_id", sa.Integer(), nullable=True),
        _ts("flagged_at"),
        _ts("done_at", True),
        sa.Column("done_by", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
    )
    op.create_index("ix_debrief_counsellor_id", "debrief", ["counsellor_id"])
    op.create_table(
        "supervisor_request",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("requested_by", sa.Integer(), sa.ForeignKey("staff_account.id"), nullable=False),
        _ts("requested_at"),
        _ts("seen_at", True),
        sa.Column("seen_by", sa.Integer(), nullable=True),
        _ts("handled_at", True),
        sa.Column("handled_by", sa.Integer(), nullable=True),
    )
    op.create_index(
        "ix_supervisor_request_conversation_id", "supervisor_request", ["conversation_id"]
    )
    op.create_table(
        "totp_use",
        sa.Column(
            "staff_id",
            sa.Integer(),
            sa.ForeignKey("staff_account.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("last_step", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    for index, table in (
        ("ix_supervisor_request_conversation_id", "supervisor_request"),
        ("ix_debrief_counsellor_id", "debrief"),
        ("ix_staff_shift_staff_id", "staff_shift"),
        ("ix_audit_log_action", "audit_log"),
        ("ix_audit_log_staff_id", "audit_log"),
        ("ix_conversation_note_staff_id", "conversation_note"),
        ("ix_conversation_note_conversation_id", "conversation_note"),
        ("ix_canned_response_owner_staff_id", "canned_response"),
    ):
        op.drop_index(index, table_name=table)
    for table in (
        "totp_use",
        "supervisor_request",
        "debrief",
        "staff_shift",
        "partner_organisation",
        "audit_log",
        "conversation_note",
        "canned_response",
        "role_policy",
        "login_throttle",
    ):
        op.drop_table(table)
