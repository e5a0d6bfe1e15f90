"""normalise stored emails (NFKC + case-fold), as the API now does before the uniqueness check

Data only; no schema change. Rows are visited oldest first. A row whose normalised address is free
gets it. A row whose normalised address already belongs to another (older) account keeps its stored
address unchanged: nothing is merged, renamed or dropped, both accounts keep working (login tries
the normalised address, then the stored lower-cased form, see routes/auth.py), and the migration
logs each such account id so an operator can contact the owner. Running it again changes nothing.
Downgrade keeps the normalised addresses (they are valid under the old rules too).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

import logging
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")
users = sa.table("users", sa.column("id", sa.Integer), sa.column("email", sa.String))


def normalize(email: str) -> str:
    # The same rule as todo_api.schemas.normalize_email, copied: a revision must not change when the
    # application code does.
    return unicodedata.normalize("NFKC", email.strip()).casefold()


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(users.c.id, users.c.email).order_by(users.c.id)).all()
    taken = {email for _, email in rows}
    for user_id, email in rows:
        wanted = normalize(email)
        if wanted == email:
            continue
        if wanted in taken:
            log.warning(
                "users.id=%s keeps its email: its normalised form belongs to another account", user_id
            )
            continue
        conn.execute(sa.update(users).where(users.c.id == user_id).values(email=wanted))
        taken.discard(email)
        taken.add(wanted)


def downgrade() -> None:
    pass
