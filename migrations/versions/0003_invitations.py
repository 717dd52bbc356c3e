"""invitations: expiring single-use links into a partner team or a coalition role

Revision ID: 0003_invitations
Revises: 0002_sms_outbox
Create Date: 2026-11-27 22:46:00.804731

"""
from alembic import op
import sqlalchemy as sa

import inclusion.extensions


# revision identifiers, used by Alembic.
revision = '0003_invitations'
down_revision = '0002_sms_outbox'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.Enum('staff', 'partner admin', 'coalition lead', 'system admin', name='invitationrole', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', inclusion.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', inclusion.extensions.UTCDateTime(timezone=True), nullable=True),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', inclusion.extensions.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', inclusion.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', inclusion.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['user.id'], name=op.f('fk_invitation_accepted_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['invited_by_id'], ['user.id'], name=op.f('fk_invitation_invited_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_invitation_partner_id_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitation_token_hash'))
    )
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitation_partner_id'), ['partner_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_partner_id'))
        batch_op.drop_index(batch_op.f('ix_invitation_email'))

    op.drop_table('invitation')
