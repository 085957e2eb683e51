"""Ethics board: proposals, revisions, check results, reviews, acknowledgements, the append-only
log with its database-enforced immutability, signed checkpoints and signing key metadata.

Revision ID: 0004_ethics
Revises: 0003_staff
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.storage.types import UTCDateTime

revision: str = "0004_ethics"
down_revision: str | None = "0003_staff"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Tables whose rows may never change or disappear once written.
APPEND_ONLY = ("ethics_log_entry", "ethics_checkpoint")


def upgrade() -> None:
    op.create_table(
        "ethics_proposal",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("proposer_id", sa.Integer(), sa.ForeignKey("staff_account.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        sa.Column("current_revision", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_ethics_proposal_proposer_id", "ethics_proposal", ["proposer_id"])
    op.create_index("ix_ethics_proposal_status", "ethics_proposal", ["status"])
    op.create_table(
        "ethics_proposal_revision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("proposal_id", sa.Integer(), sa.ForeignKey("ethics_proposal.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "bundle_hash", sa.String(64), sa.ForeignKey("content_bundle.hash"), nullable=False
        ),
        sa.Column("base_bundle_hash", sa.String(64), nullable=True),
        sa.Column("message", sa.String(4000), nullable=False),
        sa.Column("by_staff_id", sa.Integer(), sa.ForeignKey("staff_account.id"), nullable=False),
        sa.Column("diff", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("proposal_id", "number", name="uq_ethics_revision"),
    )
    op.create_index(
        "ix_ethics_proposal_revision_proposal_id", "ethics_proposal_revision", ["proposal_id"]
    )
    op.create_table(
        "ethics_check_result",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("proposal_id", sa.Integer(), sa.ForeignKey("ethics_proposal.id"), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("bundle_hash", sa.String(64), nullable=False),
        sa.Column("check_id", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("location", sa.String(300), nullable=False),
        sa.Column("explanation", sa.String(4000), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_ethics_check_result_proposal_id", "ethics_check_result", ["proposal_id"])
    op.create_table(
        "ethics_review",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("proposal_id", sa.Integer(), sa.ForeignKey("ethics_proposal.id"), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("bundle_hash", sa.String(64), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), sa.ForeignKey("staff_account.id"), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("rationale", sa.String(4000), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_ethics_review_proposal_id", "ethics_review", ["proposal_id"])
    op.create_table(
        "ethics_acknowledgement",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("proposal_id", sa.Integer(), sa.ForeignKey("ethics_proposal.id"), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("bundle_hash", sa.String(64), nullable=False),
        sa.Column("check_id", sa.String(64), nullable=False),
        sa.Column("location", sa.String(300), nullable=False),
        sa.Column("by_staff_id", sa.Integer(), sa.ForeignKey("staff_account.id"), nullable=False),
        sa.Column("rationale", sa.String(4000), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_ethics_acknowledgement_proposal_id", "ethics_acknowledgement", ["proposal_id"]
    )
    op.create_table(
        "ethics_log_entry",
        sa.Column("entry_index", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("proposal", sa.String(32), nullable=True),
        sa.Column("bundle_hash", sa.String(64), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_ethics_log_entry_kind", "ethics_log_entry", ["kind"])
    op.create_index("ix_ethics_log_entry_proposal", "ethics_log_entry", ["proposal"])
    op.create_index("ix_ethics_log_entry_bundle_hash", "ethics_log_entry", ["bundle_hash"])
    op.create_table(
        "ethics_checkpoint",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("root", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(8), nullable=False),
        sa.Column("note", sa.String(4000), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_ethics_checkpoint_size", "ethics_checkpoint", ["size"])
    op.create_table(
        "ethics_signing_key",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("key_id", sa.String(8), nullable=False, unique=True),
        sa.Column("vkey", sa.String(300), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("retired_at", UTCDateTime(), nullable=True),
    )
    _append_only_triggers()


def _append_only_triggers() -> None:
    """Refuse UPDATE and DELETE on the log tables inside the database itself."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in APPEND_ONLY:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} refused'); END"
                )
    elif dialect == "postgresql":
        op.execute(
            """
            CREATE OR REPLACE FUNCTION ethics_refuse_change() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'integrity_constraint_violation';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION ethics_refuse_change()"
            )
            # TRUNCATE bypasses row triggers; refuse it with a statement trigger.
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION ethics_refuse_change()"
            )
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise RuntimeError(f"append-only triggers are not written for {dialect}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        if dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        elif dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ethics_refuse_change()")
    for table in (
        "ethics_signing_key",
        "ethics_checkpoint",
        "ethics_log_entry",
        "ethics_acknowledgement",
        "ethics_review",
        "ethics_check_result",
        "ethics_proposal_revision",
        "ethics_proposal",
    ):
        op.drop_table(table)
