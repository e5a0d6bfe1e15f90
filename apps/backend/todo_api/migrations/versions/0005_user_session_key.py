"""users.session_key: a random key per user row that every access token carries and every request
checks (todo_api.deps.require_user). Logout and a password change replace it, which ends the
user's sessions at the server; a token issued before a backup restore cannot act as a user who got
the same id after it (the new row has another key).

Existing rows get a random key each; tokens issued before this revision carry none and are refused
(their users sign in again). Downgrade drops the column (a key, not user data).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A random default in the database too: a rolled-back release that knows nothing of the column
    # keeps signing users up (expand, then contract: docs/deploy.md).
    if op.get_bind().dialect.name == "postgresql":
        random_key = "md5(random()::text || clock_timestamp()::text)"
    else:
        random_key = "lower(hex(randomblob(16)))"
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_key", sa.String(length=32), nullable=True))
    op.execute(f"UPDATE users SET session_key = {random_key}")  # noqa: S608 - a fixed expression
    with op.batch_alter_table("users") as batch:
        batch.alter_column(
            "session_key",
            existing_type=sa.String(length=32),
            nullable=False,
            server_default=sa.text(f"({random_key})"),
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_key")
