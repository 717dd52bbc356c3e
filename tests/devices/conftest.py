"""Device test fixtures: a signed-in staff member, a resident who may be texted, agreements."""

from __future__ import annotations

from typing import Any

import pytest

from devices.models import AgreementKind
from inclusion.extensions import db
from inclusion.residents.models import ConsentKind
from tests import factories
from tests.devices.factories import make_agreement


@pytest.fixture
def staff(login_as, partner) -> Any:
    return login_as("staff", partner)


@pytest.fixture
def resident(partner) -> Any:
    r = factories.make_resident(partner)
    factories.give_consent(r, ConsentKind.SMS_CONTACT)
    db.session.commit()
    return r


@pytest.fixture
def agreements(partner) -> dict[AgreementKind, Any]:
    made = {kind: make_agreement(partner, kind) for kind in AgreementKind}
    db.session.commit()
    return made
