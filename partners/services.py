"""The rules for partners, their teams, invitations and accounts: flush, never commit."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from inclusion import audit, mail
from inclusion.auth import services as auth_services
from inclusion.auth.models import User
from inclusion.exceptions import ConflictError, NotAllowedError, ValidationError
from inclusion.extensions import db, utcnow
from inclusion.reference import AUTHORITY_NAMES
from partners.models import (
    Invitation,
    InvitationRole,
    InvitationStatus,
    Membership,
    Partner,
    PartnerKind,
    PartnerRole,
    hash_token,
)

PARTNER_FIELDS = (
    "name",
    "kind",
    "authorities",
    "contact_name",
    "contact_email",
    "contact_phone",
    "address",
    "active",
    "agreement_version",
    "agreement_signed_on",
    "default_loan_weeks",
)


@dataclass(frozen=True)
class PartnerDetails:
    """What a system admin types about a partner organisation."""

    name: str
    kind: PartnerKind
    authorities: list[str]
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    address: str | None = None
    active: bool = True
    agreement_version: str | None = None
    agreement_signed_on: date | None = None
    default_loan_weeks: int = 12


def _check_details(details: PartnerDetails, *, partner_id: int | None) -> None:
    if not details.name.strip():
        raise ValidationError("Enter the partner's name", field="name")
    unknown = [code for code in details.authorities if code not in AUTHORITY_NAMES]
    if unknown or not details.authorities:
        raise ValidationError(
            "Select the local authorities the partner serves", field="authorities"
        )
    if not 1 <= details.default_loan_weeks <= 104:
        raise ValidationError(
            "Default loan length must be between 1 and 104 weeks", field="default_loan_weeks"
        )
    if details.agreement_signed_on and details.agreement_signed_on > date.today():
        raise ValidationError(
            "The date the agreement was signed must be today or in the past",
            field="agreement_signed_on",
        )
    clash = select(Partner.id).where(func.lower(Partner.name) == details.name.strip().lower())
    if partner_id is not None:
        clash = clash.where(Partner.id != partner_id)
    if db.session.scalar(clash) is not None:
        raise ConflictError("A partner with that name already exists", field="name")


def create_partner(*, details: PartnerDetails) -> Partner:
    """Add a partner organisation. Raises ValidationError, or ConflictError on a taken name."""
    _check_details(details, partner_id=None)
    partner = Partner(**_values(details))
    db.session.add(partner)
    db.session.flush()
    audit.record(
        "partner created", entity_type="partner", entity_id=partner.id, partner_id=partner.id,
        fields=PARTNER_FIELDS,
    )
    return partner


def update_partner(*, partner: Partner, details: PartnerDetails) -> list[str]:
    """Change a partner's details; returns the names of the fields that changed."""
    _check_details(details, partner_id=partner.id)
    changed = []
    for name, value in _values(details).items():
        if getattr(partner, name) != value:
            setattr(partner, name, value)
            changed.append(name)
    if changed:
        db.session.flush()
        audit.record(
            "partner updated", entity_type="partner", entity_id=partner.id,
            partner_id=partner.id, fields=changed,
        )
    return changed


def set_partner_active(*, partner: Partner, active: bool) -> None:
    """Deactivate (or reactivate) a partner. Its people can no longer act for it while inactive;
    their memberships and its records stay, so reactivating restores everything."""
    if partner.active == active:
        raise ConflictError(f"{partner.name} is already {'active' if active else 'inactive'}")
    partner.active = active
    db.session.flush()
    audit.record(
        "partner reactivated" if active else "partner deactivated",
        entity_type="partner", entity_id=partner.id, partner_id=partner.id, fields=["active"],
    )


def _values(details: PartnerDetails) -> dict[str, object]:
    def clean(value: str | None) -> str | None:
        return value.strip() or None if value else None

    return {
        "name": details.name.strip(),
        "kind": details.kind,
        "authorities": sorted(set(details.authorities)),
        "contact_name": clean(details.contact_name),
        "contact_email": clean(details.contact_email),
        "contact_phone": clean(details.contact_phone),
        "address": clean(details.address),
        "active": details.active,
        "agreement_version": clean(details.agreement_version),
        "agreement_signed_on": details.agreement_signed_on,
        "default_loan_weeks": details.default_loan_weeks,
    }


# Invitations ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    token: str


def invite(
    *, email: str, role: InvitationRole, partner: Partner | None, invited_by: User
) -> NewInvitation:
    """Create an invitation and return it with its token (only its hash is stored).

    Staff and partner-admin invitations need a partner; coalition-lead and system-admin ones must
    not have one. An earlier pending invitation for the same email and partner is replaced.
    Raises ValidationError for a mismatch, ConflictError when the person already has that access.
    """
    email = auth_services.normalise_email(email)
    if not auth_services.EMAIL_RE.match(email) or len(email) > 254:
        raise ValidationError("Enter a real email address", field="email")
    if (role.partner_role is None) != (partner is None):
        raise ValidationError("Choose a role that fits where you are inviting them", field="role")
    if partner is not None and not partner.active:
        raise NotAllowedError(f"{partner.name} is inactive; reactivate it before inviting people")
    existing = auth_services.find_user(email)
    if existing is not None:
        _refuse_existing_access(existing, role=role, partner=partner)
    now = utcnow()
    for earlier in db.session.scalars(
        select(Invitation).where(
            Invitation.email == email,
            Invitation.partner_id == partner.id if partner else Invitation.partner_id.is_(None),
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
    ):
        if earlier.status(now) is InvitationStatus.PENDING:
            earlier.mark_revoked(now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=email,
        role=role,
        partner=partner,
        token_hash=hash_token(token),
        invited_by=invited_by,
        expires_at=now + timedelta(days=int(current_app.config["INVITATION_DAYS"])),
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record(
        "invitation created", entity_type="invitation", entity_id=invitation.id,
        partner_id=partner.id if partner else None, detail=role.value,
    )
    return NewInvitation(invitation=invitation, token=token)


def _refuse_existing_access(user: User, *, role: InvitationRole, partner: Partner | None) -> None:
    if partner is not None and any(m.partner_id == partner.id for m in user.memberships):
        raise ConflictError(
            "That person is already in this team. Change their role instead", field="email"
        )
    if role is InvitationRole.COALITION_LEAD and user.is_coalition_lead:
        raise ConflictError("That person is already a coalition lead", field="email")
    if role is InvitationRole.SYSTEM_ADMIN and user.is_system_admin:
        raise ConflictError("That person is already a system admin", field="email")


class InvitationUnusableError(ValidationError):
    """The link opens no pending invitation; `known` says whether the token matched one at all."""

    def __init__(self, message: str, *, known: bool) -> None:
        super().__init__(message)
        self.known = known


def invitation_for_token(token: str, *, now: datetime | None = None) -> Invitation:
    """The pending invitation this token opens. Raises InvitationUnusableError saying why not:
    unknown, used, revoked or expired (the messages are written for the invitee)."""
    invitation = None
    if 20 <= len(token) <= 100:
        invitation = db.session.scalar(
            select(Invitation).where(Invitation.token_hash == hash_token(token))
        )
    if invitation is None:
        raise InvitationUnusableError(
            "This invitation link is not valid. Check you copied all of it, or ask for a new one",
            known=False,
        )
    status = invitation.status(now)
    messages = {
        InvitationStatus.ACCEPTED: "This invitation has already been used. Sign in instead",
        InvitationStatus.REVOKED: "This invitation was withdrawn. Ask for a new one if you need it",
        InvitationStatus.EXPIRED: (
            "This invitation has expired. Ask the person who sent it for a new one"
        ),
    }
    if status in messages:
        raise InvitationUnusableError(messages[status], known=True)
    if invitation.partner is not None and not invitation.partner.active:
        raise InvitationUnusableError(
            "The partner this invitation is for is no longer active", known=True
        )
    return invitation


def accept_as_new_user(*, token: str, name: str, password: str) -> User:
    """Create the invitee's account with the role the invitation grants, and use it up.

    Raises ValidationError (bad link, weak password, name missing) or ConflictError when an
    account with that email exists (it must accept signed in instead).
    """
    invitation = _lock_invitation(invitation_for_token(token))
    if not name.strip():
        raise ValidationError("Enter your full name", field="name")
    if auth_services.find_user(invitation.email) is not None:
        raise ConflictError("You already have an account. Sign in to accept this invitation")
    user = auth_services.create_user(email=invitation.email, name=name, password=password)
    _grant(invitation, user)
    return user


def accept_as_existing_user(*, token: str, user: User) -> None:
    """Add the invitation's role to the signed-in account it was sent to, and use it up.

    Raises ValidationError for a bad link, NotAllowedError when signed in as someone else.
    """
    invitation = _lock_invitation(invitation_for_token(token))
    if user.email != invitation.email:
        raise NotAllowedError(
            "This invitation was sent to a different email address. Sign out, then open the "
            "link again"
        )
    if invitation.partner_id is not None and any(
        m.partner_id == invitation.partner_id for m in user.memberships
    ):
        raise ConflictError("You are already in this team")
    _grant(invitation, user)


def _lock_invitation(invitation: Invitation) -> Invitation:
    # Two tabs accepting at once: the row lock makes the second one see it used.
    locked = db.session.scalar(
        select(Invitation).where(Invitation.id == invitation.id).with_for_update()
        .execution_options(populate_existing=True)
    )
    assert locked is not None
    if not locked.is_pending:
        raise InvitationUnusableError(
            "This invitation has already been used. Sign in instead", known=True
        )
    return locked


def _grant(invitation: Invitation, user: User) -> None:
    invitation.mark_accepted(user)
    partner_role = invitation.role.partner_role
    if partner_role is not None and invitation.partner_id is not None:
        db.session.add(
            Membership(user_id=user.id, partner_id=invitation.partner_id, role=partner_role)
        )
    elif invitation.role is InvitationRole.COALITION_LEAD:
        user.is_coalition_lead = True
    elif invitation.role is InvitationRole.SYSTEM_ADMIN:
        user.is_system_admin = True
    db.session.flush()
    db.session.expire(user, ["memberships"])
    audit.record(
        "invitation accepted", entity_type="invitation", entity_id=invitation.id,
        partner_id=invitation.partner_id, user_id=user.id, detail=invitation.role.value,
    )


def revoke_invitation(*, invitation: Invitation) -> None:
    """Withdraw a pending invitation. Raises ConflictError when it is no longer pending."""
    invitation.mark_revoked()
    db.session.flush()
    audit.record(
        "invitation revoked", entity_type="invitation", entity_id=invitation.id,
        partner_id=invitation.partner_id,
    )


def pending_invitations(*, partner_id: int | None) -> list[Invitation]:
    """Invitations still waiting to be accepted, for a partner (or coalition-wide for None)."""
    query = select(Invitation).where(
        Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None),
        Invitation.expires_at > utcnow(),
    )
    query = query.where(
        Invitation.partner_id == partner_id if partner_id is not None
        else Invitation.partner_id.is_(None)
    )
    return list(db.session.scalars(query.order_by(Invitation.created_at.desc())))


def send_invitation_email(*, invitation: Invitation, link: str, service_name: str) -> bool:
    """Email the link when SMTP is configured; call after the commit. True when sent."""
    where = f" for {invitation.partner.name}" if invitation.partner else ""
    body = (
        f"You have been invited to {service_name} as {invitation.role.value}{where}.\n\n"
        f"Open this link to set your password and sign in:\n{link}\n\n"
        f"The link works once and expires on {invitation.expires_at:%d %B %Y at %H:%M} (UTC).\n"
        "If you were not expecting this, you can ignore this email.\n"
    )
    return mail.send(to=invitation.email, subject=f"Your invitation to {service_name}", body=body)


# Team ----------------------------------------------------------------------------------------


def _admin_count(partner_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Membership).join(User).where(
            Membership.partner_id == partner_id,
            Membership.role == PartnerRole.PARTNER_ADMIN,
            User.active.is_(True),
        )
    ) or 0


def _lock_team(partner_id: int) -> None:
    # Two admins demoting each other at once must not leave the team without one.
    db.session.scalars(
        select(Membership.id).where(Membership.partner_id == partner_id).with_for_update()
    ).all()


def change_role(*, membership: Membership, role: PartnerRole, by: User) -> bool:
    """Change a member's role at their partner; True if it changed.

    Raises NotAllowedError when it would leave the partner with no active partner admin.
    """
    if membership.role == role:
        return False
    _lock_team(membership.partner_id)
    if membership.role is PartnerRole.PARTNER_ADMIN and _admin_count(membership.partner_id) <= 1:
        raise NotAllowedError(
            "The team needs at least one partner admin. Make someone else partner admin first",
            field="role",
        )
    membership.role = role
    db.session.flush()
    audit.record(
        "member role changed", entity_type="membership", entity_id=membership.id,
        partner_id=membership.partner_id, fields=["role"], detail=role.value,
    )
    return True


def remove_member(*, membership: Membership, by: User) -> None:
    """Take someone out of a partner's team (their account stays; it just loses this access).

    Raises NotAllowedError when it would remove the partner's last partner admin.
    """
    _lock_team(membership.partner_id)
    if membership.role is PartnerRole.PARTNER_ADMIN and _admin_count(membership.partner_id) <= 1:
        raise NotAllowedError(
            "You cannot remove the last partner admin. Make someone else partner admin first"
        )
    user_id = membership.user_id
    partner_id = membership.partner_id
    audit.record(
        "member removed", entity_type="membership", entity_id=membership.id,
        partner_id=partner_id, detail=f"user {user_id}",
    )
    db.session.delete(membership)
    db.session.flush()


# Accounts ------------------------------------------------------------------------------------


def set_user_active(*, user: User, active: bool, by: User) -> None:
    """Disable an account (every session it has ends at once) or enable it again.

    Raises NotAllowedError for disabling yourself, ConflictError when nothing would change.
    """
    if user.id == by.id and not active:
        raise NotAllowedError("You cannot disable your own account")
    if user.active == active:
        raise ConflictError(f"That account is already {'enabled' if active else 'disabled'}")
    auth_services.set_active(user=user, active=active)
    db.session.flush()
