"""Records the access matrix (tests/test_access.py) builds for routes with an id in them.

A route's URL variables are matched to a builder here: first "<endpoint prefix>:<variable>"
(longest prefix wins), then the bare variable name. A builder gets the partner that must own the
record and returns the value to put in the URL. A new package adds one line per new kind of id,
e.g. `BUILDERS["loan_id"] = lambda partner: make_loan(partner).id`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from inclusion.tenancy import Partner
from tests import factories

Builder = Callable[[Partner], Any]


def _member(partner: Partner) -> int:
    user = factories.user_with_role("staff", partner=partner)
    return user.memberships[0].id


def _invitation(partner: Partner) -> int:
    from tests.partners.factories import make_invitation

    by = factories.user_with_role("partner_admin", partner=partner)
    return make_invitation(partner, by=by).invitation.id


BUILDERS: dict[str, Builder] = {
    "partner_id": lambda partner: partner.id,
    "membership_id": _member,
    "invitation_id": _invitation,
    "user_id": lambda partner: factories.user_with_role("staff", partner=partner).id,
    "resident_id": lambda partner: factories.make_resident(partner).id,
}

# Routes with a variable that the matrix leaves out, each with the reason (and where it is tested).
OUTSIDE_MATRIX: dict[str, str] = {
    "partners.accept_invitation": (
        "public by design: the unguessable single-use token is the credential "
        "(tests/partners/test_invitations.py)"
    ),
    "auth.reset_password": (
        "public by design: the unguessable single-use token is the credential "
        "(tests/test_auth_passwords.py)"
    ),
}


def builder_for(endpoint: str, variable: str) -> Builder | None:
    """The builder for one URL variable of one endpoint, or None when none is registered."""
    scoped = [
        key for key in BUILDERS
        if ":" in key and endpoint.startswith(key.split(":", 1)[0])
        and key.split(":", 1)[1] == variable
    ]
    if scoped:
        return BUILDERS[max(scoped, key=len)]
    return BUILDERS.get(variable)
