"""subscribers, broadcasts and deliveries

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 05:29:49.326237
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "broadcast",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("text", sa.String(length=4000), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("province", sa.String(length=24), nullable=True),
        sa.Column("topic", sa.String(length=24), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("broadcast", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_broadcast_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_broadcast_state"), ["state"], unique=False)

    op.create_table(
        "subscriber",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("user_key", sa.String(length=64), nullable=False),
        sa.Column("province", sa.String(length=24), nullable=True),
        sa.Column("topics", sa.String(length=500), nullable=False),
        sa.Column("subscribed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "chat_id"),
    )
    with op.batch_alter_table("subscriber", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subscriber_province"), ["province"], unique=False)
        batch_op.create_index(batch_op.f("ix_subscriber_subscribed"), ["subscribed"], unique=False)
        batch_op.create_index(batch_op.f("ix_subscriber_user_key"), ["user_key"], unique=False)

    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.Float(), nullable=False),
        sa.Column("lease_until", sa.Float(), nullable=False),
        sa.Column("claim", sa.String(length=32), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["broadcast_id"], ["broadcast.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("broadcast_id", "channel", "chat_id", name="uq_delivery_recipient"),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_broadcast_id"), ["broadcast_id"], unique=False
        )
        batch_op.create_index("ix_delivery_claim", ["status", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_claim")
        batch_op.drop_index(batch_op.f("ix_delivery_broadcast_id"))

    op.drop_table("delivery")
    with op.batch_alter_table("subscriber", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscriber_user_key"))
        batch_op.drop_index(batch_op.f("ix_subscriber_subscribed"))
        batch_op.drop_index(batch_op.f("ix_subscriber_province"))

    op.drop_table("subscriber")
    with op.batch_alter_table("broadcast", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_broadcast_state"))
        batch_op.drop_index(batch_op.f("ix_broadcast_created_at"))

    op.drop_table("broadcast")
