"""Erasure on request: nothing of the person is left anywhere, and every count stays the same."""

from __future__ import annotations

import pytest
from sqlalchemy import distinct, func, select

from inclusion import privacy
from inclusion.audit.models import AuditEntry
from inclusion.exceptions import ConflictError
from inclusion.extensions import db, utcnow
from inclusion.outcomes.models import OutcomeFact
from inclusion.privacy import services
from inclusion.privacy.models import Erasure, ErasureReason
from inclusion.residents.models import ConsentKind, Resident
from inclusion.sms.models import MessageStatus
from tests.factories import give_consent
from tests.privacy.helpers import (
    messages_of,
    published_counts,
    registered_with_facts,
    resident_with_history,
)
from tests.privacy.scan import needles_for, scan_database

TARGET = dict(name="Agnieszka Wójcik-Pemberton", phone="+441214960777",
              email="agnieszka.pemberton@example.net", postcode="CV4 7AL")
OTHER = dict(name="Bartholomew Okonkwo-Hale", phone="+441214960888",
             email="bart.okonkwo@example.net", postcode="WS1 1QQ")
ERASE = {"reason": ErasureReason.RESIDENT_ASKED.value, "confirm": "ERASE"}


def _fact_counts() -> tuple[int, int]:
    total = db.session.scalar(select(func.count()).select_from(OutcomeFact))
    people = db.session.scalar(select(func.count(distinct(OutcomeFact.resident_key))))
    return int(total or 0), int(people or 0)


def test_erasure_leaves_none_of_the_persons_details_in_any_text_column(
        client, login_as, partner):
    login_as("partner_admin", partner)
    target = resident_with_history(partner, **TARGET)
    other = resident_with_history(partner, **OTHER)
    withdrawn = give_consent(target, ConsentKind.REFERRAL_SHARING)
    withdrawn.withdrawn_at = utcnow()
    withdrawn.withdrawal_note = f"{TARGET['name']} rang from {TARGET['phone']}"
    db.session.commit()
    needles = needles_for(target)
    # The scan can fail: before erasure it finds the person in several tables.
    before = {hit.table for hit in scan_database(needles)}
    assert {"resident", "sms_message", "consent"} <= before

    response = client.post(f"/privacy/residents/{target.id}/erase", data=ERASE)

    assert response.status_code == 302
    db.session.expire_all()
    assert scan_database(needles) == []
    assert {hit.table for hit in scan_database(needles_for(other))} >= {"resident", "sms_message"}
    erased = db.session.get(Resident, target.id)
    assert erased.name == "Erased resident"
    assert erased.phone is erased.email is erased.postcode is erased.date_of_birth is None
    assert all(not c.is_active for c in erased.consents)
    assert [m.body for m in messages_of(erased)] == [""]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "resident erased"))
    assert (entry.entity_type, entry.entity_id, entry.partner_id) == ("resident", target.id,
                                                                      partner.id)


def test_erasure_keeps_outcome_facts_and_published_counts(client, login_as, partner):
    login_as("partner_admin", partner)
    # Eight people: erasing one would drop the published figure from 10 to * if facts went.
    residents = registered_with_facts(partner, 8)
    db.session.commit()
    target = residents[0]
    old_key = target.fact_key
    figures_before = (published_counts(), published_counts(partner.id))
    counts_before = _fact_counts()
    assert figures_before[0]["residents_supported"].text == "10"
    assert figures_before[0]["non_users_supported"].text == "10"

    response = client.post(f"/privacy/residents/{target.id}/erase", data=ERASE)

    assert response.status_code == 302
    db.session.expire_all()
    assert (published_counts(), published_counts(partner.id)) == figures_before
    assert _fact_counts() == counts_before
    # The facts stay under the old key, which the scrubbed record no longer carries.
    assert db.session.scalar(select(func.count()).where(OutcomeFact.resident_key == old_key)) == 2
    assert db.session.get(Resident, target.id).fact_key != old_key


def test_partners_that_received_the_data_are_listed_after_erasure(
        app, client, login_as, partner, other_partner):
    received: list[int] = []

    def erase_referrals(resident: Resident) -> list[int]:
        received.append(resident.id)
        return [other_partner.id, partner.id]

    privacy.install(app, privacy.Handler(name="test-referrals", erase=erase_referrals))
    login_as("partner_admin", partner)
    target = resident_with_history(partner, **TARGET)
    db.session.commit()

    response = client.post(f"/privacy/residents/{target.id}/erase", data=ERASE,
                           follow_redirects=True)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Resident&#39;s data erased" in page or "Resident's data erased" in page
    assert other_partner.name in page
    assert received == [target.id]
    erasure = db.session.scalar(select(Erasure))
    # The resident's own partner is not told about its own erasure.
    assert erasure.notify_partner_ids == [other_partner.id]


def test_every_handler_runs_in_one_transaction_so_a_failure_erases_nothing(app, partner):
    def broken(resident: Resident) -> list[int]:
        raise RuntimeError("referral store unavailable")

    privacy.install(app, privacy.Handler(name="test-broken", erase=broken))
    target = resident_with_history(partner, **TARGET)
    db.session.commit()

    with pytest.raises(RuntimeError):
        services.erase_resident(resident=target, reason=ErasureReason.RESIDENT_ASKED, by=None)
    db.session.rollback()

    kept = db.session.get(Resident, target.id)
    assert kept.name == TARGET["name"]
    assert messages_of(kept)[0].body.startswith("Hello")
    assert db.session.scalar(select(func.count()).select_from(Erasure)) == 0


def test_a_message_still_in_the_outbox_is_cancelled_not_sent_to_nobody(app, partner):
    target = resident_with_history(partner, **TARGET)
    pending = messages_of(target)[0]
    pending.status = MessageStatus.PENDING
    db.session.commit()

    services.erase_resident(resident=target, reason=ErasureReason.RESIDENT_ASKED, by=None)
    db.session.commit()

    db.session.expire_all()
    message = messages_of(target)[0]
    assert (message.status, message.error_code, message.body, message.to) == (
        MessageStatus.FAILED, "erased", "", "")


def test_erasing_twice_is_refused(app, partner):
    target = resident_with_history(partner, **TARGET)
    services.erase_resident(resident=target, reason=ErasureReason.RESIDENT_ASKED, by=None)
    db.session.commit()

    with pytest.raises(ConflictError):
        services.erase_resident(resident=target, reason=ErasureReason.RESIDENT_ASKED, by=None)


def test_erasure_page_for_an_erased_resident_shows_the_erasure(client, login_as, partner):
    login_as("partner_admin", partner)
    target = resident_with_history(partner, **TARGET)
    db.session.commit()
    client.post(f"/privacy/residents/{target.id}/erase", data=ERASE)

    response = client.get(f"/privacy/residents/{target.id}/erase")

    assert response.status_code == 302
    assert "/privacy/erasures/" in response.headers["Location"]


def test_other_partners_admin_gets_404_and_nothing_changes(
        client, login_as, partner, other_partner):
    login_as("partner_admin", partner)
    theirs = resident_with_history(other_partner, **OTHER)
    db.session.commit()

    assert client.get(f"/privacy/residents/{theirs.id}/erase").status_code == 404
    assert client.post(f"/privacy/residents/{theirs.id}/erase", data=ERASE).status_code == 404
    assert client.get(f"/privacy/residents/{theirs.id}").status_code == 404

    db.session.expire_all()
    assert db.session.get(Resident, theirs.id).name == OTHER["name"]
    assert db.session.scalar(select(func.count()).select_from(Erasure)) == 0


def test_other_partners_erasure_record_answers_404(client, login_as, partner, other_partner):
    theirs = resident_with_history(other_partner, **OTHER)
    erasure = services.erase_resident(resident=theirs, reason=ErasureReason.RESIDENT_ASKED,
                                      by=None)
    db.session.commit()
    login_as("partner_admin", partner)

    assert client.get(f"/privacy/erasures/{erasure.id}").status_code == 404


@pytest.mark.parametrize("role", ["staff", "lead"])
def test_staff_and_coalition_leads_cannot_erase(client, login_as, partner, role):
    login_as(role, partner)
    target = resident_with_history(partner, **TARGET)
    db.session.commit()

    assert client.get(f"/privacy/residents/{target.id}/erase").status_code == 403
    assert client.post(f"/privacy/residents/{target.id}/erase", data=ERASE).status_code == 403

    db.session.expire_all()
    assert db.session.get(Resident, target.id).name == TARGET["name"]


@pytest.mark.parametrize("data, message", [
    ({"confirm": "ERASE"}, "Select why you are erasing"),
    ({"reason": "the resident asked", "confirm": ""}, "Type ERASE to confirm"),
    ({"reason": "the resident asked", "confirm": "erase it"}, "Type ERASE to confirm"),
    ({"reason": "because", "confirm": "ERASE"}, "Not a valid choice"),
    ({"reason": "retention period ended", "confirm": "ERASE"}, "Not a valid choice"),
])
def test_invalid_erasure_form_shows_the_problem_and_erases_nothing(
        client, login_as, partner, data, message):
    login_as("partner_admin", partner)
    target = resident_with_history(partner, **TARGET)
    db.session.commit()

    response = client.post(f"/privacy/residents/{target.id}/erase", data=data)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert message in page
    db.session.expire_all()
    assert db.session.get(Resident, target.id).name == TARGET["name"]
    assert db.session.scalar(select(func.count()).select_from(Erasure)) == 0


def test_erase_page_explains_what_goes_and_asks_for_the_word(client, login_as, partner):
    login_as("partner_admin", partner)
    target = resident_with_history(partner, **TARGET)
    db.session.commit()

    page = client.get(f"/privacy/residents/{target.id}/erase").get_data(as_text=True)

    assert "This cannot be undone" in page
    assert "Type ERASE to confirm" in page
    assert "Retention period ended" not in page


def test_personal_data_page_links_to_subject_access_and_erasure(client, login_as, partner):
    login_as("partner_admin", partner)
    target = resident_with_history(partner, **TARGET)
    db.session.commit()

    page = client.get(f"/privacy/residents/{target.id}").get_data(as_text=True)

    assert f'href="/privacy/residents/{target.id}/erase"' in page
    assert f'href="/privacy/residents/{target.id}/subject-access"' in page


def test_personal_data_page_of_an_erased_resident_offers_no_actions(client, login_as, partner):
    login_as("partner_admin", partner)
    target = resident_with_history(partner, **TARGET)
    services.erase_resident(resident=target, reason=ErasureReason.RESIDENT_ASKED, by=None)
    db.session.commit()

    page = client.get(f"/privacy/residents/{target.id}").get_data(as_text=True)

    assert "was erased on" in page
    assert f'href="/privacy/residents/{target.id}/erase"' not in page
    assert TARGET["name"] not in page
