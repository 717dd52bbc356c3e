"""keyset indexes: each paged list's ordering, ending with the id that breaks ties

Lists page by keyset (inclusion.pagination): "the rows after (time, id)". An index on exactly
that ordering, after the list's filter columns, lets the database start at the boundary and
read one page. Where an index already had the ordering without the id it is replaced (the new
one serves everything the old one did); the message log's status filter gets a new one.

On PostgreSQL, CREATE INDEX blocks writes to the table while it builds: on a large audit log
run this upgrade in a quiet hour.

Revision ID: 0014_keyset_indexes
Revises: 0013_override_reason
Create Date: 2026-12-01 10:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014_keyset_indexes'
down_revision = '0013_override_reason'
branch_labels = None
depends_on = None

# (table, old index or None, its columns, new index, its columns)
CHANGES = (
    ("audit_entry", "ix_audit_entry_at", ["at"], "ix_audit_entry_at_id", ["at", "id"]),
    ("audit_entry", "ix_audit_entry_partner_at", ["partner_id", "at"],
     "ix_audit_entry_partner_at_id", ["partner_id", "at", "id"]),
    ("sms_message", None, None, "ix_sms_message_status_id", ["status", "id"]),
    ("resident", "ix_resident_partner_name", ["partner_id", "name_search"],
     "ix_resident_partner_name_id", ["partner_id", "name_search", "id"]),
    ("referral", "ix_referral_to_status_sent", ["to_partner_id", "status", "sent_at"],
     "ix_referral_to_status_sent_id", ["to_partner_id", "status", "sent_at", "id"]),
    ("referral", "ix_referral_from_status_sent", ["from_partner_id", "status", "sent_at"],
     "ix_referral_from_status_sent_id", ["from_partner_id", "status", "sent_at", "id"]),
    ("referral", "ix_referral_to_sent", ["to_partner_id", "sent_at"],
     "ix_referral_to_sent_id", ["to_partner_id", "sent_at", "id"]),
    ("referral", "ix_referral_from_sent", ["from_partner_id", "sent_at"],
     "ix_referral_from_sent_id", ["from_partner_id", "sent_at", "id"]),
    ("loan", "ix_loan_partner_status_due", ["partner_id", "status", "due_on"],
     "ix_loan_partner_status_due_id", ["partner_id", "status", "due_on", "id"]),
)


def upgrade() -> None:
    for table, old, _, new, columns in CHANGES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            # The new index first: the old one keeps serving until its replacement exists.
            batch_op.create_index(new, columns, unique=False)
            if old is not None:
                batch_op.drop_index(old)


def downgrade() -> None:
    for table, old, old_columns, new, _ in reversed(CHANGES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            if old is not None:
                batch_op.create_index(old, old_columns, unique=False)
            batch_op.drop_index(new)
