"""task due_date; index for the task list query

Adds the optional `tasks.due_date` and replaces the single-column owner index by
(owner_id, done, id), which serves "my tasks, optionally open/done, newest first".

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("due_date", sa.Date(), nullable=True))
    op.create_index("ix_tasks_owner_id_done_id", "tasks", ["owner_id", "done", "id"], unique=False)
    op.drop_index("ix_tasks_owner_id", table_name="tasks")


def downgrade() -> None:
    op.create_index("ix_tasks_owner_id", "tasks", ["owner_id"], unique=False)
    op.drop_index("ix_tasks_owner_id_done_id", table_name="tasks")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("due_date")
