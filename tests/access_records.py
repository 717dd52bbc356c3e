"""Records the access matrix (tests/test_access.py) builds for routes with an id in them.

A route's URL variables are matched to a builder here: first "<endpoint prefix>:<variable>"
(longest prefix wins), then the bare variable name. A builder gets the partner that must own the
record and returns the value to put in the URL. A new package adds one line per new kind of id,
e.g. `BUILDERS["loan_id"] = lambda partner: make_loan(partner).id`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date
from typing import Any

from devices.models import DonationBatch
from inclusion.extensions import db
from inclusion.privacy.models import ErasureReason
from inclusion.tenancy import Partner
from tests import factories
from tests.devices.factories import make_agreement, make_device, make_loan

Builder = Callable[[Partner], Any]


def _member(partner: Partner) -> int:
    user = factories.user_with_role("staff", partner=partner)
    return user.memberships[0].id


def _invitation(partner: Partner) -> int:
    from tests.partners.factories import make_invitation

    by = factories.user_with_role("partner_admin", partner=partner)
    return make_invitation(partner, by=by).invitation.id


def _learners_offer(partner: Partner, **fields: Any) -> int:
    from tests.learners.factories import make_offer

    return make_offer(partner, title=f"Offer {secrets.token_hex(3)}", **fields).id


def _learners_referral(partner: Partner) -> int:
    """A referral the partner made, to a third partner's offer (so only the maker sees it)."""
    from tests.learners.factories import consenting_resident, make_offer, make_referral

    offer = make_offer(factories.make_partner())
    return make_referral(offer, consenting_resident(partner)).id


def _learners_round(partner: Partner) -> Any:
    from tests.learners.factories import make_round

    return make_round(name=f"Round {secrets.token_hex(4)}")


def _learners_grant(partner: Partner) -> Any:
    from tests.learners.factories import make_grant

    return make_grant(_learners_round(partner), partner)


def _learners_cohort(partner: Partner) -> Any:
    from tests.learners.factories import make_cohort

    return make_cohort(_learners_grant(partner))


def _learners_enrolment(partner: Partner) -> int:
    from learners.services import fund

    return fund.enrol(cohort=_learners_cohort(partner), on=date(2026, 5, 1), user_id=None,
                      resident=factories.make_resident(partner)).id


def _access_request(partner: Partner) -> int:
    from inclusion.privacy import services

    return services.record_access_request(resident=factories.make_resident(partner),
                                          received_on=date(2026, 1, 5),
                                          today=date(2026, 1, 5), by=None).id


def _erasure(partner: Partner) -> int:
    from inclusion.privacy import services

    return services.erase_resident(resident=factories.make_resident(partner),
                                   reason=ErasureReason.RESIDENT_ASKED, by=None).id


def _device(partner: Partner) -> int:
    return make_device(partner).id


def _batch(partner: Partner) -> int:
    batch = DonationBatch(partner_id=partner.id, donor="Donor", received_on=date(2026, 1, 1))
    db.session.add(batch)
    db.session.flush()
    make_device(partner, batch_id=batch.id)  # a batch's labels need a device to print
    return batch.id


def _loan(partner: Partner) -> int:
    return make_loan(partner, factories.make_resident(partner)).id


def _agreement(partner: Partner) -> int:
    return make_agreement(partner).id


BUILDERS: dict[str, Builder] = {
    "partner_id": lambda partner: partner.id,
    "membership_id": _member,
    "invitation_id": _invitation,
    "user_id": lambda partner: factories.user_with_role("staff", partner=partner).id,
    "resident_id": lambda partner: factories.make_resident(partner).id,
    "request_id": _access_request,
    "erasure_id": _erasure,
    # Learners. Offers are a directory every partner reads; an inactive offer is its owner's
    # alone, so the offer page is checked with one (learners.refer is scoped by its resident).
    "offer_id": _learners_offer,
    "learners.offer_detail:offer_id": lambda partner: _learners_offer(partner, active=False),
    "referral_id": _learners_referral,
    "learners.referral_move:move": lambda partner: "withdraw",
    "learners.enrolment_move:move": lambda partner: "start",
    "round_id": lambda partner: _learners_round(partner).id,
    "grant_id": lambda partner: _learners_grant(partner).id,
    "cohort_id": lambda partner: _learners_cohort(partner).id,
    "enrolment_id": _learners_enrolment,
    "residents.give_consent:kind": lambda partner: "sms",
    "residents.withdraw_consent:kind": lambda partner: "sms",
    "device_id": _device,
    "batch_id": _batch,
    "loan_id": _loan,
    "agreement_id": _agreement,
}

# Routes with a variable that the matrix leaves out, each with the reason (and where it is tested).
OUTSIDE_MATRIX: dict[str, str] = {
    "partners.accept_invitation": (
        "public by design: the unguessable single-use token is the credential "
        "(tests/partners/test_invitations.py)"
    ),
    "learners.refer_choose": (
        "any partner's open offer, by design: staff pick one of their own residents to refer "
        "to it (tests/learners/test_access.py, test_referrals.py)"
    ),
    "auth.reset_password": (
        "public by design: the unguessable single-use token is the credential "
        "(tests/test_auth_passwords.py)"
    ),
}


# Endpoint prefixes where a system admin acts for the coalition's central device bank, not for
# every partner: a partner's record answers 404 to them (their bank pages are tested in
# tests/devices/test_access.py).
ADMIN_ACTS_FOR_BANK: tuple[str, ...] = ("devices.",)


def admin_acts_for_bank(endpoint: str) -> bool:
    return endpoint.startswith(ADMIN_ACTS_FOR_BANK)


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
