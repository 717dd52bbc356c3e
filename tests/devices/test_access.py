"""Access matrix for every device route: who gets in, and another partner's records are 404."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from devices.models import AgreementKind, Device, DeviceStatus, DonationBatch, Loan, LoanStatus
from inclusion.audit.models import AuditEntry
from inclusion.extensions import db
from tests import factories
from tests.devices.factories import make_agreement, make_device, make_loan

PARTNER_ADMIN_ONLY = {"devices.settings", "devices.agreement_new"}
STAFF_ONLY = {"devices.lend", "devices.lend_to", "devices.loans", "devices.overdue",
              "devices.loan_detail", "devices.loan_return", "devices.loan_gift",
              "devices.agreements", "devices.agreement_detail",
              "devices.agreement_print"} | PARTNER_ADMIN_ONLY


def _device_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("devices."):
            values = {arg: 1 for arg in rule.arguments}
            url = rule.rule
            for arg in rule.arguments:
                url = url.replace(f"<int:{arg}>", "1")
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule.endpoint, method, url, values


def test_every_device_route_declares_an_access_rule(app):
    from inclusion.access import rules_for

    for endpoint, _, _, _ in _device_routes(app):
        assert rules_for(endpoint, app), endpoint


def test_anonymous_visitors_are_sent_to_sign_in_and_posts_refused(app, client):
    for endpoint, method, url, _ in _device_routes(app):
        response = client.open(url, method=method)
        if method == "GET":
            assert response.status_code == 302 and "/sign-in" in response.headers["Location"], \
                endpoint
        else:
            assert response.status_code == 401, endpoint


def test_coalition_lead_sees_no_device_page(app, client, login_as):
    login_as("lead")
    for endpoint, method, url, _ in _device_routes(app):
        assert client.open(url, method=method).status_code in (403, 404), endpoint


def test_system_admin_runs_the_central_bank_but_not_loans(app, client, login_as):
    login_as("admin")
    bank_device = make_device(None, status=DeviceStatus.RECEIVED)
    db.session.commit()
    assert client.get("/devices/").status_code == 200
    assert client.get("/devices/stock").status_code == 200
    assert client.get(f"/devices/{bank_device.id}").status_code == 200
    assert client.get("/devices/batches/new").status_code == 200
    for endpoint, method, url, _ in _device_routes(app):
        if endpoint in STAFF_ONLY:
            assert client.open(url, method=method).status_code == 403, endpoint


def test_staff_cannot_use_partner_admin_pages(client, login_as, partner):
    login_as("staff", partner)
    assert client.get("/devices/settings").status_code == 403
    assert client.get("/devices/agreements/new").status_code == 403
    assert client.post("/devices/agreements/new", data={}).status_code == 403


def test_staff_reach_every_page_of_their_own(client, login_as, partner):
    login_as("partner_admin", partner)
    resident = factories.make_resident(partner)
    agreement = make_agreement(partner, AgreementKind.LOAN)
    loan = make_loan(partner, resident, agreement=agreement)
    batch = DonationBatch(partner_id=partner.id, donor="D", received_on=date(2026, 1, 1))
    db.session.add(batch)
    db.session.flush()
    device = make_device(partner, batch_id=batch.id, status=DeviceStatus.RECEIVED)
    db.session.commit()
    for url in ["/devices/", "/devices/stock", "/devices/new", "/devices/batches",
                "/devices/batches/new", f"/devices/batches/{batch.id}",
                f"/devices/batches/{batch.id}/import", f"/devices/batches/{batch.id}/labels.pdf",
                "/devices/import-template.csv", f"/devices/{device.id}",
                f"/devices/{device.id}/wipe", f"/devices/{device.id}/retire",
                f"/devices/{device.id}/transfer", "/devices/lend", f"/devices/lend/{resident.id}",
                "/devices/loans", "/devices/loans/overdue", f"/devices/loans/{loan.id}",
                f"/devices/loans/{loan.id}/return", f"/devices/loans/{loan.id}/gift",
                f"/residents/{resident.id}", "/devices/agreements",
                "/devices/agreements/new", f"/devices/agreements/{agreement.id}",
                f"/devices/agreements/{agreement.id}.pdf", "/devices/settings"]:
        response = client.get(url)
        assert response.status_code == 200, url
        if response.mimetype == "text/html":
            page = response.get_data(as_text=True)
            assert page.count("<h1") == 1, url
            assert 'style="' not in page and "<script>" not in page, url
        response.close()


@pytest.fixture
def theirs(other_partner):
    """Another partner's device, batch, resident, loan and agreement."""
    resident = factories.make_resident(other_partner)
    agreement = make_agreement(other_partner, AgreementKind.LOAN)
    make_agreement(other_partner, AgreementKind.GIFT)
    loan = make_loan(other_partner, resident, agreement=agreement)
    batch = DonationBatch(partner_id=other_partner.id, donor="D", received_on=date(2026, 1, 1))
    db.session.add(batch)
    db.session.flush()
    device = make_device(other_partner, batch_id=batch.id, status=DeviceStatus.RECEIVED)
    ready = make_device(other_partner, status=DeviceStatus.READY)
    db.session.commit()
    return {"device": device.id, "ready": ready.id, "ready_tag": ready.asset_tag,
            "batch": batch.id, "resident": resident.id, "loan": loan.id,
            "agreement": agreement.id}


OTHER_GETS = [
    "/devices/{device}", "/devices/{device}/wipe", "/devices/{device}/retire",
    "/devices/{device}/transfer", "/devices/batches/{batch}", "/devices/batches/{batch}/import",
    "/devices/batches/{batch}/labels.pdf", "/devices/lend/{resident}", "/devices/loans/{loan}",
    "/devices/loans/{loan}/return", "/devices/loans/{loan}/gift",
    "/residents/{resident}", "/devices/agreements/{agreement}",
    "/devices/agreements/{agreement}.pdf",
]

TODAY = [str(date.today().day), str(date.today().month), str(date.today().year)]
OTHER_POSTS = [
    ("/devices/{device}/wipe", {"method": "certified erasure tool", "wiped_on": TODAY,
                                "wiped_by": "X", "certificate_ref": "C"}),
    ("/devices/{ready}/ready", {}),
    ("/devices/{device}/retire", {"reason": "lost", "retired_on": TODAY}),
    ("/devices/{device}/transfer", {"to_partner_id": "{me}"}),
    ("/devices/loans/{loan}/return", {"returned_on": TODAY, "condition_in": "ok",
                                      "data_removed": "y"}),
    ("/devices/loans/{loan}/gift", {"agreement_accepted": "y", "agreement_id": "{agreement}"}),
    ("/devices/lend/{resident}", {"asset_tag": "{ready_tag}", "kind": "loan",
                                  "condition_out": "ok", "agreement_accepted": "y"}),
]


@pytest.mark.parametrize("url", OTHER_GETS)
def test_another_partners_records_answer_404(client, login_as, partner, theirs, url):
    login_as("partner_admin", partner)
    assert client.get(url.format(**theirs)).status_code == 404


@pytest.mark.parametrize(("url", "data"), OTHER_POSTS)
def test_changing_another_partners_records_answers_404_and_changes_nothing(
        client, login_as, partner, theirs, url, data):
    login_as("partner_admin", partner)
    values = {**theirs, "me": partner.id}
    form = {k: (v.format(**values) if isinstance(v, str) else v) for k, v in data.items()}
    before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    assert client.post(url.format(**theirs), data=form).status_code == 404
    db.session.expire_all()
    assert db.session.get(Device, theirs["device"]).status is DeviceStatus.RECEIVED
    assert db.session.get(Device, theirs["device"]).partner_id != partner.id
    assert db.session.get(Device, theirs["ready"]).status is DeviceStatus.READY
    assert db.session.get(Loan, theirs["loan"]).status is LoanStatus.OPEN
    assert db.session.scalar(select(func.count()).select_from(Loan)) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before


def test_labels_and_allocation_ignore_another_partners_devices(client, login_as, partner,
                                                               theirs):
    login_as("partner_admin", partner)
    assert client.post("/devices/labels", data={"device_ids": [str(theirs["ready"])]}
                       ).status_code == 404
    client.post("/devices/allocate", data={"device_ids": [str(theirs["ready"])],
                                           "to_partner_id": str(partner.id)})
    db.session.expire_all()
    assert db.session.get(Device, theirs["ready"]).partner_id != partner.id


def test_adding_a_device_to_another_partners_batch_answers_404(client, login_as, partner,
                                                               theirs):
    login_as("partner_admin", partner)
    response = client.post("/devices/new", data={
        "kind": "laptop", "make": "Dell", "model": "E7450", "grade": "A",
        "batch_id": str(theirs["batch"])})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Device)
                             .where(Device.partner_id == partner.id)) == 0
