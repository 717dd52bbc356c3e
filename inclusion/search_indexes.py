"""PostgreSQL-only search indexes that the models do not declare (see 0010_regional_scale).

Trigram (pg_trgm GIN) indexes serve resident search by any part of a name or the end of a
phone number. They exist only on PostgreSQL with pg_trgm, so they are created by the
migration alone; `include_name` keeps them out of autogenerate comparisons.
"""

from __future__ import annotations

from typing import Any

TRIGRAM_PREFIX = "ix_trgm_"


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic's include_name hook: skip the trigram indexes, compare everything else."""
    return not (type_ == "index" and name is not None and name.startswith(TRIGRAM_PREFIX))
