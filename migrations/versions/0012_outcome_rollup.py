"""outcome rollup: facts added up by month and a few dimensions, kept beside the facts

`outcome_rollup` holds the facts' sums per month, kind, detail, milestones and local authority
for each grain (none, or one of partner, deprivation decile, age, gender, ethnic group and
disability, or the report's pairs); `outcome_fact_pending` lists facts not added in yet. Every
existing fact starts pending: counts stay exact (they read pending facts beside the roll-up)
and `flask outcomes rollup` adds them in. See inclusion/outcomes/rollup.py.

Revision ID: 0012_outcome_rollup
Revises: 0011_account_security
Create Date: 2026-11-28 02:00:01.403264

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_outcome_rollup'
down_revision = '0011_account_security'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('outcome_rollup',
    sa.Column('grain', sa.String(length=40), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('kind', sa.Enum('resident registered', 'assessment', 'device lent', 'device gifted', 'device returned', 'device retired', 'voucher issued', 'voucher delivered', 'voucher redeemed', 'voucher expired unredeemed', 'social tariff taken up', 'referral made', 'referral accepted', 'referral declined', 'referral enrolled', 'referral completed', 'referral not completed', 'cohort start', 'cohort completion', 'outcome at 3 months', 'outcome at 6 months', name='factkind', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('detail', sa.String(length=64), nullable=False),
    sa.Column('milestones', sa.Integer(), nullable=False),
    sa.Column('local_authority', sa.String(length=9), nullable=False),
    sa.Column('value1', sa.String(length=16), nullable=False),
    sa.Column('value2', sa.String(length=16), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('facts', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('grain', 'month', 'kind', 'detail', 'milestones', 'local_authority', 'value1', 'value2', name='pk_outcome_rollup')
    )
    op.create_table('outcome_fact_pending',
    sa.Column('fact_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['fact_id'], ['outcome_fact.id'], name=op.f('fk_outcome_fact_pending_fact_id_outcome_fact')),
    sa.PrimaryKeyConstraint('fact_id', name=op.f('pk_outcome_fact_pending'))
    )
    op.execute("INSERT INTO outcome_fact_pending (fact_id) SELECT id FROM outcome_fact")


def downgrade() -> None:
    op.drop_table('outcome_fact_pending')
    op.drop_table('outcome_rollup')
