"""learners: offers, referrals, retraining fund

Revision ID: 0006_learners
Revises: 0005_vouchers
Create Date: 2026-11-27 22:47:34.005457

"""
from alembic import op
import sqlalchemy as sa

import inclusion.extensions


# revision identifiers, used by Alembic.
revision = '0006_learners'
down_revision = '0005_vouchers'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fund_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('opens_on', sa.Date(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('budget', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('priority_groups', sa.JSON(), nullable=False),
    sa.Column('start_percent', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('completion_percent', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('outcome_percent', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('created_at', inclusion.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', inclusion.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('start_percent + completion_percent + outcome_percent = 100', name=op.f('ck_fund_round_milestones_sum')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fund_round')),
    sa.UniqueConstraint('name', name=op.f('uq_fund_round_name'))
    )
    op.create_table('fund_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('target_starts', sa.Integer(), nullable=False),
    sa.Column('target_completions', sa.Integer(), nullable=False),
    sa.Column('target_outcomes', sa.Integer(), nullable=False),
    sa.Column('created_at', inclusion.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', inclusion.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_fund_grant_partner_id_partner')),
    sa.ForeignKeyConstraint(['round_id'], ['fund_round.id'], name=op.f('fk_fund_grant_round_id_fund_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fund_grant')),
    sa.UniqueConstraint('round_id', 'reference', name='uq_fund_grant_reference')
    )
    with op.batch_alter_table('fund_grant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fund_grant_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fund_grant_round_id'), ['round_id'], unique=False)

    op.create_table('learning_offer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('basic digital skills with a digital champion', 'Essential Digital Skills qualification', 'coding bootcamp', 'cyber bootcamp', 'apprenticeship', 'one-to-one help', name='offerkind', native_enum=False, create_constraint=True, length=48), nullable=False),
    sa.Column('level', sa.Enum('no qualification', 'entry level', 'level 1', 'level 2', 'level 3', 'level 4 or above', name='offerlevel', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('delivery', sa.Enum('in person', 'online', 'blended', name='delivery', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('authorities_packed', sa.String(length=200), nullable=False),
    sa.Column('target_groups_packed', sa.String(length=300), nullable=False),
    sa.Column('eligibility_notes', sa.Text(), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('start_dates_text', sa.String(length=40), nullable=False),
    sa.Column('latest_start_on', sa.Date(), nullable=True),
    sa.Column('accepts_referrals', sa.Boolean(), nullable=False),
    sa.Column('response_days', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', inclusion.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', inclusion.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_learning_offer_partner_id_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learning_offer'))
    )
    with op.batch_alter_table('learning_offer', schema=None) as batch_op:
        batch_op.create_index('ix_learning_offer_active_kind', ['active', 'kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_learning_offer_latest_start_on'), ['latest_start_on'], unique=False)
        batch_op.create_index('ix_learning_offer_partner', ['partner_id'], unique=False)

    op.create_table('fund_cohort',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('course', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('places', sa.Integer(), nullable=False),
    sa.Column('delivery', sa.Enum('in person', 'online', 'blended', name='delivery', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('location', sa.String(length=300), nullable=True),
    sa.Column('created_at', inclusion.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', inclusion.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['grant_id'], ['fund_grant.id'], name=op.f('fk_fund_cohort_grant_id_fund_grant')),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_fund_cohort_partner_id_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fund_cohort'))
    )
    with op.batch_alter_table('fund_cohort', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fund_cohort_grant_id'), ['grant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fund_cohort_partner_id'), ['partner_id'], unique=False)

    op.create_table('referral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('from_partner_id', sa.Integer(), nullable=False),
    sa.Column('to_partner_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.Column('referred_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('sent', 'accepted', 'declined', 'enrolled', 'completed', 'not completed', 'withdrawn', name='referralstatus', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('shared_fields', sa.JSON(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('consent_overridden', sa.Boolean(), nullable=False),
    sa.Column('override_reason', sa.String(length=500), nullable=True),
    sa.Column('sms_updates', sa.Boolean(), nullable=False),
    sa.Column('sent_at', inclusion.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.Column('respond_by', inclusion.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.Column('responded_at', inclusion.extensions.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', inclusion.extensions.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decline_reason', sa.String(length=500), nullable=True),
    sa.Column('not_completed_reason', sa.Enum('unable to contact', 'declined by resident', 'no capacity', 'no longer needed', 'other', name='notcompletedreason', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('created_at', inclusion.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', inclusion.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['from_partner_id'], ['partner.id'], name=op.f('fk_referral_from_partner_id_partner')),
    sa.ForeignKeyConstraint(['offer_id'], ['learning_offer.id'], name=op.f('fk_referral_offer_id_learning_offer')),
    sa.ForeignKeyConstraint(['referred_by_id'], ['user.id'], name=op.f('fk_referral_referred_by_id_user')),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], name=op.f('fk_referral_resident_id_resident'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['to_partner_id'], ['partner.id'], name=op.f('fk_referral_to_partner_id_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral'))
    )
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index('ix_referral_from_sent', ['from_partner_id', 'sent_at'], unique=False)
        batch_op.create_index('ix_referral_from_status_sent', ['from_partner_id', 'status', 'sent_at'], unique=False)
        batch_op.create_index('ix_referral_offer_sent', ['offer_id', 'sent_at', 'status', 'responded_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index('ix_referral_status_respond_by', ['status', 'respond_by'], unique=False)
        batch_op.create_index('ix_referral_to_sent', ['to_partner_id', 'sent_at'], unique=False)
        batch_op.create_index('ix_referral_to_status_sent', ['to_partner_id', 'status', 'sent_at'], unique=False)

    op.create_table('fund_enrolment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.Column('referral_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('enrolled', 'started', 'completed', 'withdrawn', name='enrolmentstatus', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('enrolled_on', sa.Date(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('withdrawn_on', sa.Date(), nullable=True),
    sa.Column('withdrawal_reason', sa.Enum('found work', 'health or disability', 'caring responsibilities', 'moved away', 'course not suitable', 'unable to contact', 'financial reasons', 'other', name='withdrawalreason', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('outcome_3_months', sa.Enum('in work', 'better job', 'further learning', 'apprenticeship', 'none', name='outcome_3', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('outcome_6_months', sa.Enum('in work', 'better job', 'further learning', 'apprenticeship', 'none', name='outcome_6', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('created_at', inclusion.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', inclusion.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['fund_cohort.id'], name=op.f('fk_fund_enrolment_cohort_id_fund_cohort')),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_fund_enrolment_partner_id_partner')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_fund_enrolment_referral_id_referral')),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], name=op.f('fk_fund_enrolment_resident_id_resident'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fund_enrolment')),
    sa.UniqueConstraint('referral_id', name=op.f('uq_fund_enrolment_referral_id'))
    )
    with op.batch_alter_table('fund_enrolment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fund_enrolment_cohort_id'), ['cohort_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fund_enrolment_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fund_enrolment_resident_id'), ['resident_id'], unique=False)

    op.create_table('referral_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('at', inclusion.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('sent', 'accepted', 'declined', 'enrolled', 'completed', 'not completed', 'withdrawn', name='referralstatus', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_referral_event_partner_id_partner')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_referral_event_referral_id_referral'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_referral_event_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_event'))
    )
    with op.batch_alter_table('referral_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_event_referral_id'), ['referral_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('referral_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_event_referral_id'))

    op.drop_table('referral_event')
    with op.batch_alter_table('fund_enrolment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fund_enrolment_resident_id'))
        batch_op.drop_index(batch_op.f('ix_fund_enrolment_partner_id'))
        batch_op.drop_index(batch_op.f('ix_fund_enrolment_cohort_id'))

    op.drop_table('fund_enrolment')
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_to_status_sent')
        batch_op.drop_index('ix_referral_to_sent')
        batch_op.drop_index('ix_referral_status_respond_by')
        batch_op.drop_index(batch_op.f('ix_referral_resident_id'))
        batch_op.drop_index('ix_referral_offer_sent')
        batch_op.drop_index('ix_referral_from_status_sent')
        batch_op.drop_index('ix_referral_from_sent')

    op.drop_table('referral')
    with op.batch_alter_table('fund_cohort', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fund_cohort_partner_id'))
        batch_op.drop_index(batch_op.f('ix_fund_cohort_grant_id'))

    op.drop_table('fund_cohort')
    with op.batch_alter_table('learning_offer', schema=None) as batch_op:
        batch_op.drop_index('ix_learning_offer_partner')
        batch_op.drop_index(batch_op.f('ix_learning_offer_latest_start_on'))
        batch_op.drop_index('ix_learning_offer_active_kind')

    op.drop_table('learning_offer')
    with op.batch_alter_table('fund_grant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fund_grant_round_id'))
        batch_op.drop_index(batch_op.f('ix_fund_grant_partner_id'))

    op.drop_table('fund_grant')
    op.drop_table('fund_round')
