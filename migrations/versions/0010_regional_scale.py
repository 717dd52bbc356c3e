"""regional scale: trigram indexes for resident search on PostgreSQL

Resident search matches every word of a name anywhere in it (LIKE '%word%') and a phone number
by its ending (LIKE '%7700900123'); b-tree indexes cannot serve either, so at a million
residents each search read every row of the partner. GIN trigram indexes (pg_trgm) can.
PostgreSQL only, and only where pg_trgm can be installed (it needs a superuser, or to be
installed already); SQLite and databases without it are left as they were (searches stay
correct, just slower). Index names start "ix_trgm_": migrations/env.py keeps them out of
autogenerate comparisons because the models do not declare them.

Revision ID: 0010_regional_scale
Revises: 0009_privacy
Create Date: 2026-11-28 00:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_regional_scale'
down_revision = '0009_privacy'
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_trgm_resident_name_search", "resident", "name_search"),
    ("ix_trgm_resident_phone", "resident", "phone"),
)


def _trigrams_available(bind) -> bool:  # noqa: ANN001
    if bind.dialect.name != "postgresql":
        return False
    installed = bind.execute(sa.text(
        "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).scalar()
    if installed:
        return True
    available = bind.execute(sa.text(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).scalar()
    superuser = bind.execute(sa.text(
        "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
    return bool(available and superuser)


def upgrade() -> None:
    bind = op.get_bind()
    if not _trigrams_available(bind):
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        op.execute(f'CREATE INDEX IF NOT EXISTS {name} ON "{table}" '
                   f'USING gin ({column} gin_trgm_ops)')


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for name, _, _ in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    # The extension is left installed: other databases objects may use it.
