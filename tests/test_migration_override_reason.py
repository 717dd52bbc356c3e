"""Revision 0013_override_reason: consent-override reasons leave the audit log, and come back
on a downgrade only for referrals that still hold them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from inclusion.audit.models import AuditEntry
from inclusion.extensions import db
from learners.models import Referral
from tests import factories
from tests.learners.factories import make_offer, make_referral
from tests.test_migrations import _app_for, _script, scratch_url  # noqa: F401 - a fixture

REVISION = "0013_override_reason"
ACTION = "referral consent overridden"


def _before() -> str:
    previous = _script().get_revision(REVISION).down_revision
    assert isinstance(previous, str)
    return previous


@pytest.fixture
def scratch_app(scratch_url: str, tmp_path: Path) -> Iterator[None]:  # noqa: F811
    app = _app_for(scratch_url, tmp_path)
    with app.app_context():
        try:
            yield
        finally:
            db.session.remove()
            db.engine.dispose()


def _details() -> dict[int | None, str | None]:
    """Entity id -> detail of every override entry, read in a transaction that is then ended
    so it holds no lock a migration could wait on."""
    entries = AuditEntry.__table__
    rows = db.session.execute(sa.select(entries.c.entity_id, entries.c.detail)
                              .where(entries.c.action == ACTION)).all()
    db.session.rollback()
    return {entity_id: detail for entity_id, detail in rows}


def test_upgrade_blanks_override_reasons_in_old_audit_entries_and_nothing_else(scratch_app):
    upgrade(revision=_before())
    entries = AuditEntry.__table__
    db.session.execute(sa.insert(entries), [
        {"action": ACTION, "entity_type": "referral", "entity_id": 1,
         "detail": "Agreed by phone; lives with her daughter Maria", "fields": []},
        {"action": "device moved", "entity_type": "device", "entity_id": 2,
         "detail": "to partner 3", "fields": []},
    ])
    db.session.commit()

    upgrade(revision=REVISION)

    assert _details() == {1: None}
    assert db.session.scalar(sa.select(entries.c.detail).where(
        entries.c.action == "device moved")) == "to partner 3"


def test_downgrade_restores_only_reasons_the_referral_still_holds(scratch_app):
    upgrade()
    partner, provider = factories.make_partner(), factories.make_partner(name="Provider")
    offer = make_offer(provider)
    reason = "Agreed on the doorstep; " + "x" * 250
    kept = make_referral(offer, factories.make_resident(partner), override_reason=reason)
    erased = make_referral(offer, factories.make_resident(partner),
                           override_reason="Agreed by phone, daughter present")
    erased.override_reason = None  # as erasure or retention leaves it
    db.session.commit()
    kept_id, erased_id = kept.id, erased.id
    assert _details() == {kept_id: None, erased_id: None}

    downgrade(revision=_before())
    assert _details() == {kept_id: reason[:200], erased_id: None}

    upgrade()
    assert _details() == {kept_id: None, erased_id: None}
    assert db.session.get(Referral, kept_id).override_reason == reason
