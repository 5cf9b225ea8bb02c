"""runner-up and margin of answers, staff verdicts, merged phrasings; presses get their kind

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (no batch copy on SQLite): the tables never disappear while a running
    # worker writes to them
    op.add_column("inquiry", sa.Column("runner_up", sa.String(length=64), nullable=True))
    op.add_column("inquiry", sa.Column("margin", sa.Float(), nullable=True))
    op.add_column("inquiry", sa.Column("verdict", sa.Boolean(), nullable=True))
    op.add_column("inquiry", sa.Column("verdict_by", sa.String(length=64), nullable=True))
    op.add_column("extra_phrasing", sa.Column("merged_at", sa.DateTime(timezone=True)))
    # A button press that opened an answer was logged as "faq" with its payload as text and no
    # analysed text; it is no question a user typed, so it gets the kind new presses get.
    op.execute(
        "UPDATE inquiry SET kind = 'button' "
        "WHERE kind = 'faq' AND normalized IS NULL AND text IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("UPDATE inquiry SET kind = 'faq' WHERE kind = 'button'")
    with op.batch_alter_table("extra_phrasing") as batch:
        batch.drop_column("merged_at")
    with op.batch_alter_table("inquiry") as batch:
        batch.drop_column("verdict_by")
        batch.drop_column("verdict")
        batch.drop_column("margin")
        batch.drop_column("runner_up")
