"""inbox and quarantine; user links on curated texts; processed_update folded into inbox

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 19:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("dedupe", sa.String(length=64), nullable=False),
        sa.Column("chat", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message", sa.JSON(), nullable=True),
        sa.Column("context", sa.JSON(), nullable=True),
        sa.Column("replies", sa.JSON(), nullable=True),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=32), nullable=True),
        sa.Column("lease_until", sa.Float(), nullable=False),
        sa.Column("not_before", sa.Float(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "dedupe", name="uq_inbox_dedupe"),
    )
    op.create_index("ix_inbox_chat", "inbox", ["channel", "chat", "status", "seq"])
    op.create_index("ix_inbox_due", "inbox", ["status", "not_before"])
    op.create_index("ix_inbox_created_at", "inbox", ["created_at"])
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("user_key", sa.String(length=64), nullable=True),
        sa.Column("chat", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("data", sa.String(length=20000), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_quarantine_created_at", "quarantine", ["created_at"])
    op.create_index("ix_quarantine_user_key", "quarantine", ["user_key"])
    op.add_column("extra_phrasing", sa.Column("user_keys", sa.JSON(), nullable=True))
    op.add_column("draft_entry", sa.Column("user_keys", sa.JSON(), nullable=True))
    op.drop_index("ix_processed_update_created_at", table_name="processed_update")
    op.drop_table("processed_update")


def downgrade() -> None:
    op.create_table(
        "processed_update",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "key"),
    )
    op.create_index("ix_processed_update_created_at", "processed_update", ["created_at"])
    with op.batch_alter_table("draft_entry") as batch:
        batch.drop_column("user_keys")
    with op.batch_alter_table("extra_phrasing") as batch:
        batch.drop_column("user_keys")
    op.drop_table("quarantine")
    op.drop_table("inbox")
