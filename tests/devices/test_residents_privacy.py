"""Loans on the resident's timeline, and in erasure, subject access and retention."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import distinct, func, select

from devices import services
from devices.models import AgreementKind, Device, DeviceStatus, Loan, LoanKind, LoanStatus
from inclusion.extensions import db
from inclusion.outcomes.models import OutcomeFact
from inclusion.privacy import retention
from inclusion.privacy.models import ErasureReason
from inclusion.residents.models import Resident
from tests.devices.factories import make_agreement, make_device
from tests.privacy.helpers import resident_with_history
from tests.privacy.scan import needles_for, scan_database

TARGET = dict(name="Wilhelmina Oyelaran-Boateng", phone="+441214960555",
              email="wilhelmina.boateng@example.net", postcode="B15 2TT")
OTHER = dict(name="Thaddeus Kowalczyk-Reid", phone="+441214960666",
             email="thaddeus.reid@example.net", postcode="DY1 1AA")
ERASE = {"reason": ErasureReason.RESIDENT_ASKED.value, "confirm": "ERASE"}


@pytest.fixture
def agreements(partner):
    made = {kind: make_agreement(partner, kind) for kind in AgreementKind}
    db.session.commit()
    return made


def _lend(partner, resident, agreements, *, today: date, kind=LoanKind.LOAN, notes: str = ""):
    device = make_device(partner, status=DeviceStatus.READY)
    agreement = agreements[AgreementKind.LOAN if kind is LoanKind.LOAN else AgreementKind.GIFT]
    return services.lend_device(
        partner=partner, resident=resident, asset_tag=device.asset_tag, kind=kind,
        due_on=today + timedelta(weeks=12) if kind is LoanKind.LOAN else None,
        accessories=f"Charger and a bag {notes}".strip(), condition_out=f"Good {notes}".strip(),
        agreement_id=agreement.id, user_id=None, today=today,
    )


def _return(loan, *, on: date, notes: str = "") -> None:
    services.record_return(loan=loan, returned_on=on, condition_in=f"Scuffed {notes}".strip(),
                           accessories_back=f"Charger {notes}".strip(), data_removed=True,
                           user_id=None, today=on)


def _fact_counts() -> tuple[int, int]:
    total = db.session.scalar(select(func.count()).select_from(OutcomeFact))
    people = db.session.scalar(select(func.count(distinct(OutcomeFact.resident_key))))
    return int(total or 0), int(people or 0)


def test_the_resident_page_lists_loans_returns_and_gifts_with_links(
        client, login_as, partner, agreements):
    login_as("staff", partner)
    resident = resident_with_history(partner, **TARGET)
    today = date.today()
    returned = _lend(partner, resident, agreements, today=today - timedelta(days=60))
    _return(returned, on=today - timedelta(days=10))
    open_loan = _lend(partner, resident, agreements, today=today - timedelta(days=5))
    gift = _lend(partner, resident, agreements, today=today - timedelta(days=2),
                 kind=LoanKind.GIFT)
    db.session.commit()

    page = client.get(f"/residents/{resident.id}").get_data(as_text=True)

    tag = returned.device.asset_tag
    assert f"Lent a laptop {tag}, due back" in page
    assert f"Returned the laptop {tag}" in page
    assert f"Lent a laptop {open_loan.device.asset_tag}, due back" in page
    assert f"Given a laptop {gift.device.asset_tag}" in page
    for loan in (returned, open_loan, gift):
        assert f'href="/devices/loans/{loan.id}"' in page
    # Newest first: the gift (2 days ago) before the return (10 days ago) before the first loan.
    assert page.index("Given a laptop") < page.index("Returned the laptop") < page.index(
        f"Lent a laptop {tag}")
    assert f'href="/devices/lend/{resident.id}"' in page


def test_an_overdue_loan_and_a_loan_kept_as_a_gift_say_so_on_the_timeline(
        client, login_as, partner, agreements):
    login_as("staff", partner)
    resident = resident_with_history(partner, **TARGET)
    today = date.today()
    overdue = _lend(partner, resident, agreements, today=today - timedelta(weeks=13))
    kept = _lend(partner, resident, agreements, today=today - timedelta(days=3))
    services.convert_to_gift(loan=kept, agreement_id=agreements[AgreementKind.GIFT].id,
                             user_id=None, today=today)
    db.session.commit()

    page = client.get(f"/residents/{resident.id}").get_data(as_text=True)

    assert f"{overdue.device.asset_tag}, due back" in page
    assert "(overdue by 7 days)" in page
    assert f"Kept the laptop {kept.device.asset_tag} as a gift" in page


def test_erasing_a_resident_with_loans_leaves_nothing_of_them_and_keeps_facts_and_devices(
        client, login_as, partner, agreements):
    target = resident_with_history(partner, **TARGET)
    other = resident_with_history(partner, **OTHER)
    today = date.today()
    # Staff wrote the person's name and number into the loan's free text, as busy people do.
    notes = f"({TARGET['name']}, 01214 960555)"
    returned = _lend(partner, target, agreements, today=today - timedelta(days=40), notes=notes)
    _return(returned, on=today - timedelta(days=1), notes=notes)
    open_loan = _lend(partner, target, agreements, today=today, notes=notes)
    gift = _lend(partner, target, agreements, today=today, kind=LoanKind.GIFT, notes=notes)
    theirs = _lend(partner, other, agreements, today=today, notes=f"({OTHER['name']})")
    db.session.commit()
    needles = needles_for(target)
    assert {hit.table for hit in scan_database(needles)} >= {"loan", "resident", "sms_message"}
    facts_before = _fact_counts()
    devices_before = {d.id: d.status for d in db.session.scalars(select(Device))}
    login_as("partner_admin", partner)

    response = client.post(f"/privacy/residents/{target.id}/erase", data=ERASE)

    assert response.status_code == 302
    db.session.expire_all()
    assert scan_database(needles) == []
    assert _fact_counts() == facts_before
    assert {d.id: d.status for d in db.session.scalars(select(Device))} == devices_before
    for loan_id in (returned.id, open_loan.id, gift.id):
        loan = db.session.get(Loan, loan_id)
        assert loan.resident_id == target.id  # still counted in the device's history
        assert loan.accessories is loan.accessories_back is loan.condition_in is None
    assert db.session.get(Loan, open_loan.id).status is LoanStatus.OPEN
    # Another resident's loan keeps every word.
    assert OTHER["name"] in db.session.get(Loan, theirs.id).accessories


def test_subject_access_export_holds_the_residents_loans_and_their_audit_entries(
        client, login_as, partner, agreements):
    target = resident_with_history(partner, **TARGET)
    other = resident_with_history(partner, **OTHER)
    today = date.today()
    mine = _lend(partner, target, agreements, today=today - timedelta(days=30))
    _return(mine, on=today)
    gift = _lend(partner, target, agreements, today=today, kind=LoanKind.GIFT)
    theirs = _lend(partner, other, agreements, today=today)
    db.session.commit()
    login_as("partner_admin", partner)
    client.post(f"/privacy/residents/{target.id}/subject-access",
                data={"received_on": [str(today.day), str(today.month), str(today.year)]})
    from inclusion.privacy.models import SubjectAccessRequest

    sar = db.session.scalars(select(SubjectAccessRequest)).one()

    response = client.get(f"/privacy/requests/{sar.id}/export.json")
    document = response.get_json()
    response.close()

    titles = [s["title"] for s in document["sections"]]
    assert sum(t.startswith("Device loan of") for t in titles) == 1
    assert sum(t.startswith("Device gift of") for t in titles) == 1
    loan = next(s for s in document["sections"] if s["title"].startswith("Device loan of"))
    rows = {r["label"]: r["value"] for r in loan["rows"]}
    assert rows["Asset tag"] == mine.device.asset_tag
    assert rows["Status"] == "returned"
    assert rows["Condition when returned"] == "Scuffed"
    assert rows["Your own data removed from the device"] == "Yes"
    assert rows["Agreement you accepted"] == "Loan agreement, version 1"
    text = str(document)
    assert gift.device.asset_tag in text
    assert theirs.device.asset_tag not in text
    audit_rows = next(s for s in document["sections"] if s["title"].startswith("Activity log"))
    values = " ".join(r["value"] for r in audit_rows["rows"])
    assert values.count("Device lent") == 1
    assert "Device returned" in values and "Device gifted" in values


def _run(now: datetime, *, dry_run: bool = False) -> retention.Report:
    report = retention.run(now=now, dry_run=dry_run)
    db.session.commit()
    return report


def test_retention_unlinks_loans_that_ended_long_ago_and_clears_their_notes(
        partner, agreements):
    resident = resident_with_history(partner, **TARGET)
    today = date.today()
    old = _lend(partner, resident, agreements, today=today - timedelta(days=3 * 365),
                notes="(kept safe)")
    _return(old, on=today - timedelta(days=3 * 365 - 30))
    recent = _lend(partner, resident, agreements, today=today - timedelta(days=100))
    _return(recent, on=today - timedelta(days=50))
    db.session.commit()
    now = datetime.now(UTC)

    dry = _run(now, dry_run=True)

    assert dry.counts()["loans"] == 1
    assert db.session.get(Loan, old.id).resident_id == resident.id

    real = _run(now)

    assert real.counts()["loans"] == 1
    db.session.expire_all()
    cleared = db.session.get(Loan, old.id)
    assert cleared.resident_id is None and cleared.accessories is None
    assert cleared.device.status is DeviceStatus.RETURNED
    assert db.session.get(Loan, recent.id).resident_id == resident.id
    assert _run(now).counts()["loans"] == 0


def test_an_open_loan_keeps_a_long_quiet_resident_from_retention_erasure(partner, agreements):
    long_ago = datetime.now(UTC) - timedelta(days=4 * 365)
    borrower = resident_with_history(partner, **TARGET, when=long_ago)
    quiet = resident_with_history(partner, **OTHER, when=long_ago)
    _lend(partner, borrower, agreements, today=long_ago.date())
    db.session.commit()

    report = _run(datetime.now(UTC))

    assert report.counts()["residents"] == 1
    db.session.expire_all()
    assert db.session.get(Resident, borrower.id).name == TARGET["name"]
    assert db.session.get(Resident, quiet.id).name != OTHER["name"]


def test_loan_activity_is_the_latest_loan_event_and_now_for_an_open_loan(partner, agreements):
    from devices.residents import loan_activity

    returned_by = resident_with_history(partner, **TARGET)
    borrowing = resident_with_history(partner, **OTHER)
    today = date.today()
    loan = _lend(partner, returned_by, agreements, today=today - timedelta(days=90))
    _return(loan, on=today - timedelta(days=20))
    _lend(partner, borrowing, agreements, today=today - timedelta(days=400))
    db.session.commit()
    before = datetime.now(UTC)

    activity = loan_activity([returned_by.id, borrowing.id])

    assert activity[returned_by.id].date() == today - timedelta(days=20)
    assert activity[borrowing.id] >= before


def test_an_erased_resident_cannot_be_lent_a_device(client, login_as, partner, agreements):
    from inclusion.privacy import services as privacy_services

    target = resident_with_history(partner, **TARGET)
    device = make_device(partner, status=DeviceStatus.READY)
    privacy_services.erase_resident(resident=target, reason=ErasureReason.RESIDENT_ASKED,
                                    by=None)
    db.session.commit()
    login_as("staff", partner)
    due = date.today() + timedelta(days=60)

    response = client.post(f"/devices/lend/{target.id}", data={
        "asset_tag": device.asset_tag, "kind": "loan", "condition_out": "Good",
        "due_on": [str(due.day), str(due.month), str(due.year)],
        "agreement_id": str(agreements[AgreementKind.LOAN].id), "agreement_accepted": "y",
    })

    page = response.get_data(as_text=True)
    assert "There is a problem" in page and "has been erased" in page
    assert db.session.scalar(select(func.count()).select_from(Loan)) == 0
    assert db.session.get(Device, device.id).status is DeviceStatus.READY
