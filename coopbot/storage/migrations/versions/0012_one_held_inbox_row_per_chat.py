"""inbox: at most one pending row of a chat is held (the accepting process may hold a new row)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-10 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

HELD = "status = 'pending' AND owner IS NOT NULL"


def upgrade() -> None:
    # Before, a row that arrived late with a lower platform order could be claimed while a later
    # one was held. Keep one hold per chat; the others are claimed again in order.
    op.execute(
        "UPDATE inbox SET owner = NULL, lease_until = 0 "
        f"WHERE {HELD} AND id NOT IN "
        f"(SELECT min(id) FROM inbox WHERE {HELD} GROUP BY channel, chat)"
    )
    op.create_index(
        "uq_inbox_held",
        "inbox",
        ["channel", "chat"],
        unique=True,
        sqlite_where=sa.text(HELD),
        postgresql_where=sa.text(HELD),
    )


def downgrade() -> None:
    op.drop_index("uq_inbox_held", table_name="inbox")
