"""Builders for partner-package records (invitations); tests commit."""

from __future__ import annotations

from typing import Any

from inclusion.auth.models import User
from inclusion.tenancy import Partner
from partners import services
from partners.models import InvitationRole


def make_invitation(
    partner: Partner | None,
    *,
    by: User,
    email: str | None = None,
    role: InvitationRole | None = None,
    **_: Any,
) -> services.NewInvitation:
    """A pending invitation (and its token) made through the service, as an admin would."""
    from tests.factories import _counter

    role = role or (InvitationRole.STAFF if partner is not None else InvitationRole.COALITION_LEAD)
    return services.invite(
        email=email or f"invitee{next(_counter)}@example.org",
        role=role,
        partner=partner,
        invited_by=by,
    )
