"""override reason: take the consent-override reason out of the audit log

Until now a referral sent without the resident's sharing consent wrote its free-text reason
twice: in full on the referral (`referral.override_reason`, which erasure and retention clear)
and, cut to 200 characters, in the `detail` of its "referral consent overridden" audit entry,
which nothing may clear. From now on the audit entry records only that an override happened.

Nothing needs moving: every such audit entry was written together with its referral, whose
`override_reason` already holds the whole text. Where that column is empty now, erasure or
retention emptied it on purpose, so copying the audit text back would bring back what was
erased. The upgrade therefore only blanks the audit text.

The audit log's append-only guard is an ORM event on the `AuditEntry` mapper; it refuses
changes made through the application's session, not SQL statements. This revision issues a
plain UPDATE, so it edits the old rows without switching the guard off; the application stays
unable to change the log.

The downgrade puts back what the old code wrote (the first 200 characters of the reason) for
referrals that still have their reason; erased or expired referrals stay blank.

Revision ID: 0013_override_reason
Revises: 0012_outcome_rollup
Create Date: 2026-11-28 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013_override_reason'
down_revision = '0012_outcome_rollup'
branch_labels = None
depends_on = None

ACTION = "referral consent overridden"

audit_entry = sa.table(
    "audit_entry",
    sa.column("action", sa.String),
    sa.column("entity_type", sa.String),
    sa.column("entity_id", sa.Integer),
    sa.column("detail", sa.String),
)
referral = sa.table(
    "referral",
    sa.column("id", sa.Integer),
    sa.column("override_reason", sa.String),
)


def upgrade() -> None:
    op.execute(
        audit_entry.update()
        .where(audit_entry.c.action == ACTION, audit_entry.c.detail.is_not(None))
        .values(detail=None)
    )


def downgrade() -> None:
    reason = (
        sa.select(sa.func.substr(referral.c.override_reason, 1, 200))
        .where(referral.c.id == audit_entry.c.entity_id)
        .scalar_subquery()
    )
    op.execute(
        audit_entry.update()
        .where(audit_entry.c.action == ACTION, audit_entry.c.entity_type == "referral")
        .values(detail=reason)
    )
