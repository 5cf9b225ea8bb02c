"""dialog state and assessments

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 03:58:18.514093
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("user_key", sa.String(length=64), nullable=False),
        sa.Column("flow_id", sa.String(length=48), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_assessment_flow_id"), ["flow_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assessment_user_key"), ["user_key"], unique=False)

    op.create_table(
        "dialog_state",
        sa.Column("user_key", sa.String(length=64), nullable=False),
        sa.Column("flow_id", sa.String(length=48), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_key"),
    )
    with op.batch_alter_table("dialog_state", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dialog_state_updated_at"), ["updated_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("dialog_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dialog_state_updated_at"))

    op.drop_table("dialog_state")
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_user_key"))
        batch_op.drop_index(batch_op.f("ix_assessment_flow_id"))
        batch_op.drop_index(batch_op.f("ix_assessment_created_at"))

    op.drop_table("assessment")
