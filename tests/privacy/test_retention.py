"""Retention: a dry run changes nothing, a run erases what is past its time, a rerun nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import distinct, func, select

from inclusion import privacy
from inclusion.audit.models import AuditEntry
from inclusion.extensions import db, utcnow
from inclusion.outcomes.models import OutcomeFact
from inclusion.privacy import retention
from inclusion.privacy.models import Erasure, ErasureReason, PeriodUnit
from inclusion.residents.models import Resident
from inclusion.sms.models import MessageStatus
from tests.privacy.helpers import (
    messages_of,
    published_counts,
    registered_with_facts,
    resident_with_history,
    snapshot,
)
from tests.privacy.scan import needles_for, scan_database

OLD = dict(name="Dorothea Quennell-Smyth", phone="+441214960555",
           email="dorothea.q@example.net", postcode="DY1 1AA")
RECENT = dict(name="Emeka Ashworth-Liu", phone="+441214960666",
              email="emeka.al@example.net", postcode="B15 2TT")


@pytest.fixture
def world(app, partner):
    """An inactive resident (three years), an active one, old texts, a very old audit entry."""
    now = utcnow()
    old = resident_with_history(partner, when=now - timedelta(days=3 * 365), **OLD)
    recent = resident_with_history(partner, when=now - timedelta(days=200), **RECENT)
    # Eight more people so published counts are not suppressed and a lost fact would show.
    registered_with_facts(partner, 8)
    pending = messages_of(recent)[0]
    # Twilio keeps the number and text under its message id: the id goes when the text does.
    pending.provider_id = "SM" + "7" * 32
    db.session.add(AuditEntry(action="signed in", at=now - timedelta(days=7 * 365)))
    db.session.add(AuditEntry(action="signed in", at=now - timedelta(days=30)))
    # A message written long ago but still waiting to go must never lose its text.
    from inclusion import sms
    waiting = sms.enqueue(resident=recent, partner_id=partner.id, purpose="reminder",
                          body="Your laptop is due back on Friday.")
    waiting.created_at = now - timedelta(days=120)
    db.session.commit()
    return {"old": old, "recent": recent, "delivered": pending, "waiting": waiting, "now": now}


def _facts() -> tuple[int, int]:
    return (
        int(db.session.scalar(select(func.count()).select_from(OutcomeFact)) or 0),
        int(db.session.scalar(select(func.count(distinct(OutcomeFact.resident_key)))) or 0),
    )


def test_dry_run_lists_what_would_go_and_changes_nothing(world):
    before = snapshot()

    report = retention.run(now=world["now"], dry_run=True)
    db.session.rollback()

    counts = report.counts()
    assert counts["residents"] == 1
    assert counts["messages"] == 2  # the old resident's text and the recent one's delivered text
    assert counts["audit entries"] == 1
    text = report.text()
    assert "dry run" in text and f"residents: 1 would be erased (ids {world['old'].id})" in text
    assert snapshot() == before


def test_run_erases_inactive_residents_and_old_text_but_keeps_facts_and_counts(world):
    figures, facts = published_counts(), _facts()
    old_needles = needles_for(world["old"])
    recent_needles = needles_for(world["recent"])

    report = retention.run(now=world["now"], dry_run=False)
    db.session.commit()

    db.session.expire_all()
    # The old resident's text went with their erasure; the recent one's delivered text by age.
    # Registered packages add their own lines (loans: 0 here).
    changed = {kind: count for kind, count in report.counts().items() if count}
    assert changed == {"residents": 1, "messages": 1, "audit entries": 1}
    assert scan_database(old_needles) == []
    recent = db.session.get(Resident, world["recent"].id)
    assert recent.name == RECENT["name"]
    assert scan_database(recent_needles)  # the active resident is untouched
    erasure = db.session.scalar(select(Erasure))
    assert (erasure.resident_id, erasure.reason) == (world["old"].id, ErasureReason.RETENTION)
    bodies = {m.purpose: (m.status, m.body, m.provider_id) for m in messages_of(recent)}
    assert bodies["welcome"] == (MessageStatus.DELIVERED, "", None)
    assert bodies["reminder"] == (MessageStatus.PENDING, "Your laptop is due back on Friday.",
                                  None)
    ages = [e.at for e in db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "signed in"))]
    assert len(ages) == 1 and ages[0] > world["now"] - timedelta(days=365)
    assert published_counts() == figures
    assert _facts() == facts
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "retention run")) == 1


def test_running_twice_changes_nothing_the_second_time(world):
    retention.run(now=world["now"], dry_run=False)
    db.session.commit()
    before = snapshot()

    report = retention.run(now=world["now"], dry_run=False)
    db.session.commit()

    assert not report.changed
    assert "Nothing is past its retention period." in report.text()
    assert snapshot() == before


def test_shorter_periods_set_by_an_admin_take_effect(world):
    retention.set_periods(values={"residents": retention.Period(100, PeriodUnit.DAYS)},
                          by_id=None)
    db.session.commit()

    report = retention.run(now=world["now"], dry_run=True)

    assert report.counts()["residents"] == 2


def test_a_package_reporting_recent_activity_keeps_the_resident(app, world):
    now = world["now"]
    old_id = world["old"].id
    seen: list[tuple[datetime, bool]] = []

    def open_loans(resident_ids):
        return {old_id: now} if old_id in resident_ids else {}

    def expire_loans(policy, moment, dry_run):
        seen.append((policy.cutoff("loans"), dry_run))
        return [privacy.Expired("loans", "anonymised", (41, 42))]

    privacy.install(app, privacy.Handler(name="test-loans", last_activity=open_loans,
                                         expire=expire_loans, record_types=("loans",)))

    report = retention.run(now=now, dry_run=True)

    assert report.counts()["residents"] == 0
    assert report.counts()["loans"] == 2
    assert "loans: 2 would be anonymised (ids 41, 42)" in report.text()
    assert len(seen) == 1 and seen[0][1] is True
    assert now - timedelta(days=732) < seen[0][0] < now - timedelta(days=729)


def test_a_failing_handler_leaves_everything_as_it_was(app, world):
    before = snapshot()

    def broken(policy, moment, dry_run):
        raise RuntimeError("store unavailable")

    privacy.install(app, privacy.Handler(name="test-broken", expire=broken))

    with pytest.raises(RuntimeError):
        retention.run(now=world["now"], dry_run=False)
    db.session.rollback()

    assert snapshot() == before


def test_cutoff_uses_calendar_months_and_days():
    now = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    policy = retention.Policy(now=now, periods={
        "residents": retention.Period(1, PeriodUnit.MONTHS),
        "messages": retention.Period(90, PeriodUnit.DAYS),
    })

    assert policy.cutoff("residents") == datetime(2026, 2, 28, 12, 0, tzinfo=UTC)
    assert policy.cutoff("messages") == now - timedelta(days=90)
    with pytest.raises(KeyError):
        policy.cutoff("spaceships")
