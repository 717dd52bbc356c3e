"""Fixtures for the SMS tests: a Twilio-compatible server and an app that talks to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from inclusion.extensions import db, utcnow
from inclusion.residents.models import ConsentKind
from inclusion.sms.models import SmsMessage
from tests import factories
from tests.twilio_fake import FakeTwilio


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture
def twilio_app(make_app: Callable[..., Flask], fake_twilio: FakeTwilio) -> Iterator[Flask]:
    """The app with SMS_PROVIDER=twilio pointed at the fake server, its context pushed."""
    application = make_app(**fake_twilio.app_config(), SMS_BACKOFF_SECONDS=60,
                           SMS_PROVIDER_TIMEOUT=1.0)
    with application.app_context():
        yield application
        db.session.remove()


def texted_resident(partner: Any, **fields: Any) -> Any:
    """A resident with a phone number and SMS consent."""
    resident = factories.make_resident(partner, **fields)
    factories.give_consent(resident, ConsentKind.SMS_CONTACT)
    return resident


def make_due_now() -> None:
    """Time passes: every waiting message is due again."""
    db.session.execute(update(SmsMessage).values(next_attempt_at=utcnow()))
    db.session.commit()
