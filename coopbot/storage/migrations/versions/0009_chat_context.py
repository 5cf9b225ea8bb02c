"""chat context

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 06:49:18.999869
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_context",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("reply_msg_id", sa.String(length=64), nullable=True),
        sa.Column("reply_at", sa.Float(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("channel", "chat_id"),
    )


def downgrade() -> None:
    op.drop_table("chat_context")
