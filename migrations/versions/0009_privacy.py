"""privacy: retention policies, erasures, subject access requests

Revision ID: 0009_privacy
Revises: 0007_targets
Create Date: 2026-11-27 22:47:02.107060

"""
from alembic import op
import sqlalchemy as sa

import inclusion.extensions


# revision identifiers, used by Alembic.
revision = '0009_privacy'
down_revision = '0007_targets'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('retention_policy',
    sa.Column('record_type', sa.String(length=32), nullable=False),
    sa.Column('period', sa.Integer(), nullable=False),
    sa.Column('unit', sa.Enum('months', 'days', name='periodunit', native_enum=False, create_constraint=True, length=8), nullable=False),
    sa.Column('updated_at', inclusion.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_retention_policy_updated_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('record_type', name=op.f('pk_retention_policy'))
    )
    op.create_table('erasure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('erased_at', inclusion.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.Column('erased_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Enum('the resident asked', 'consent withdrawn and no other lawful basis', 'objection upheld', 'the data should not have been held', 'retention period ended', name='erasurereason', native_enum=False, create_constraint=True, length=64), nullable=False),
    sa.Column('notify_partner_ids', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['erased_by_id'], ['user.id'], name=op.f('fk_erasure_erased_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_erasure_partner_id_partner')),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], name=op.f('fk_erasure_resident_id_resident'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasure')),
    sa.UniqueConstraint('resident_id', name=op.f('uq_erasure_resident_id'))
    )
    with op.batch_alter_table('erasure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_erasure_partner_id'), ['partner_id'], unique=False)

    op.create_table('subject_access_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', inclusion.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_subject_access_request_partner_id_partner')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_subject_access_request_recorded_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], name=op.f('fk_subject_access_request_resident_id_resident'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subject_access_request'))
    )
    with op.batch_alter_table('subject_access_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subject_access_request_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subject_access_request_resident_id'), ['resident_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('subject_access_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subject_access_request_resident_id'))
        batch_op.drop_index(batch_op.f('ix_subject_access_request_partner_id'))

    op.drop_table('subject_access_request')
    with op.batch_alter_table('erasure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_erasure_partner_id'))

    op.drop_table('erasure')
    op.drop_table('retention_policy')
