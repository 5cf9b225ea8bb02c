"""inquiry ref for feedback

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 05:03:14.975074
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inquiry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ref", sa.String(length=16), nullable=True))
        batch_op.create_unique_constraint("uq_inquiry_ref", ["ref"])


def downgrade() -> None:
    with op.batch_alter_table("inquiry", schema=None) as batch_op:
        batch_op.drop_constraint("uq_inquiry_ref", type_="unique")
        batch_op.drop_column("ref")
