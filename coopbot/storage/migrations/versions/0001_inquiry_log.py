"""inquiry log

Revision ID: 0001
Revises:
Create Date: 2026-11-24 03:31:12.209470
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inquiry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("user_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.String(length=4000), nullable=True),
        sa.Column("normalized", sa.String(length=4000), nullable=True),
        sa.Column("entry_id", sa.String(length=64), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("confident", sa.Boolean(), nullable=False),
        sa.Column("feedback", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("inquiry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inquiry_channel"), ["channel"], unique=False)
        batch_op.create_index(batch_op.f("ix_inquiry_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_inquiry_entry_id"), ["entry_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inquiry_user_key"), ["user_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inquiry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inquiry_user_key"))
        batch_op.drop_index(batch_op.f("ix_inquiry_entry_id"))
        batch_op.drop_index(batch_op.f("ix_inquiry_created_at"))
        batch_op.drop_index(batch_op.f("ix_inquiry_channel"))

    op.drop_table("inquiry")
