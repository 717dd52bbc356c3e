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


# -- vouchers, SMS and outcomes (imports inside, so other packages' rows load without them) ---

def _voucher_scheme(partner: Partner) -> int:
    from tests.vouchers.factories import make_scheme

    return make_scheme().id


def _voucher_batch(partner: Partner) -> int:
    from tests.vouchers.factories import make_scheme
    from vouchers import services

    batch = services.generate_batch(scheme=make_scheme(), count=2, length=10, prefix="ACC",
                                    reference="Access matrix", expires_on=None, user_id=None)
    return batch.id


def _voucher(partner: Partner) -> int:
    from tests.vouchers.factories import issue, stock, texted_resident

    return issue(partner, texted_resident(partner), stock(partner, count=1)).id


def _sms_template(partner: Partner) -> int:
    from inclusion.extensions import db
    from inclusion.sms.models import SmsTemplate

    # (purpose, language) is unique: a new language code for each one.
    template = SmsTemplate(purpose="voucher issued", language=f"z{next(_numbers)}",
                           body="Your {scheme} voucher code is {code}.")
    db.session.add(template)
    db.session.flush()
    return template.id


def _outcome_target(partner: Partner) -> int:
    from datetime import date

    from inclusion.outcomes.targets import create_target

    year = 2000 + next(_numbers) % 90
    return create_target(measure="devices_lent", area="REGION", period_start=date(year, 4, 1),
                         period_end=date(year + 1, 3, 31), value=100).id


_numbers = iter(range(1, 1_000_000))  # a fresh number for each record built

BUILDERS.update({
    "vouchers.:scheme_id": _voucher_scheme,
    "vouchers.:batch_id": _voucher_batch,
    "vouchers.:voucher_id": _voucher,
    "sms.:template_id": _sms_template,
    "outcomes.:target_id": _outcome_target,
})
