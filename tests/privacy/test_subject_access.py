"""Subject access: the copy holds all of the person's rows and nobody else's; due dates; audit."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from inclusion import privacy
from inclusion.audit.models import AuditEntry
from inclusion.extensions import db
from inclusion.privacy import services
from inclusion.privacy.dates import add_months, response_due
from inclusion.privacy.export import RefusingURLFetcher
from inclusion.privacy.models import ErasureReason, SubjectAccessRequest
from inclusion.residents.models import ConsentKind
from inclusion.web import LONDON
from tests.factories import give_consent
from tests.privacy.helpers import resident_with_history

TARGET = dict(name="Fenella Marchbanks-Oyelaran", phone="+441214960321",
              email="fenella.mo@example.net", postcode="WV1 1RT")
OTHER = dict(name="Gideon Przybylski-Hart", phone="+441214960432",
             email="gideon.ph@example.net", postcode="B31 2QQ")


def _today() -> date:
    from inclusion.extensions import utcnow

    return utcnow().astimezone(LONDON).date()


def _date_form(day: date | None = None, parts: tuple[str, str, str] | None = None) -> dict:
    if parts is None:
        assert day is not None
        parts = (str(day.day), str(day.month), str(day.year))
    return {"received_on": list(parts)}


@pytest.mark.parametrize("received, due", [
    (date(2026, 1, 31), date(2026, 2, 28)),
    (date(2028, 1, 31), date(2028, 2, 29)),  # leap year
    (date(2028, 1, 30), date(2028, 2, 29)),
    (date(2027, 1, 29), date(2027, 2, 28)),
    (date(2028, 2, 29), date(2028, 3, 29)),
    (date(2026, 3, 31), date(2026, 4, 30)),
    (date(2026, 8, 31), date(2026, 9, 30)),
    (date(2026, 9, 3), date(2026, 10, 3)),
    (date(2026, 12, 15), date(2027, 1, 15)),
    (date(2026, 12, 31), date(2027, 1, 31)),
    (date(2100, 1, 31), date(2100, 2, 28)),  # 2100 is not a leap year
    (date(2000, 1, 31), date(2000, 2, 29)),  # 2000 is
])
def test_response_is_due_one_calendar_month_later_clamped_to_the_months_end(received, due):
    assert response_due(received) == due


def test_adding_months_agrees_with_dateutil_over_four_years():
    relativedelta = pytest.importorskip("dateutil.relativedelta").relativedelta
    day = date(2027, 1, 1)
    while day < date(2031, 1, 1):
        for months in (1, -1, 12, -24, 25):
            assert add_months(day, months) == day + relativedelta(months=months), (day, months)
        day += timedelta(days=1)


def test_the_pdf_fetcher_refuses_local_files_and_other_hosts():
    fetcher = RefusingURLFetcher()
    for url in ("file:///etc/passwd", "http://169.254.169.254/latest/meta-data",
                "https://example.com/logo.png", "ftp://example.com/x"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    inline = fetcher.fetch("data:text/plain;base64,aGk=")
    try:
        assert inline is not None
    finally:
        inline.close()


@pytest.fixture
def two_residents(app, partner):
    target = resident_with_history(partner, **TARGET)
    give_consent(target, ConsentKind.REFERRAL_SHARING)
    other = resident_with_history(partner, **OTHER)
    db.session.commit()
    return target, other


def _record_request(client, resident_id: int, day: date | None = None) -> SubjectAccessRequest:
    response = client.post(f"/privacy/residents/{resident_id}/subject-access",
                           data=_date_form(day or _today()))
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    return db.session.scalars(
        select(SubjectAccessRequest).order_by(SubjectAccessRequest.id.desc())
    ).first()


def test_recording_a_request_shows_the_due_date(client, login_as, partner, two_residents):
    login_as("partner_admin", partner)
    target, _ = two_residents

    sar = _record_request(client, target.id, date(2026, 1, 31))
    page = client.get(f"/privacy/requests/{sar.id}").get_data(as_text=True)

    assert sar.due_on == date(2026, 2, 28)
    assert "28 February 2026" in page
    assert "Download the PDF" in page


def test_json_export_holds_all_of_the_persons_rows_and_none_of_anyone_elses(
        client, login_as, partner, two_residents):
    login_as("partner_admin", partner)
    target, other = two_residents
    sar = _record_request(client, target.id)

    response = client.get(f"/privacy/requests/{sar.id}/export.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    document = response.get_json()
    text = response.get_data(as_text=True)
    response.close()
    for value in TARGET.values():
        assert value in text
    for value in OTHER.values():
        assert value not in text
    titles = [s["title"] for s in document["sections"]]
    assert titles[0] == "Your record"
    assert "Consent: sms contact" in titles and "Consent: referral sharing" in titles
    assert any(t.startswith("Digital skills assessment") for t in titles)
    assert any(t.startswith("Text message of") for t in titles)
    assert f"Hello {TARGET['name']}" in text
    assert document["response_due_on"] == response_due(_today()).isoformat()
    audit_rows = next(s for s in document["sections"] if s["title"].startswith("Activity log"))
    assert any("Subject access request recorded" in r["value"] for r in audit_rows["rows"])


def test_registered_packages_add_their_sections(app, client, login_as, partner, two_residents):
    target, _ = two_residents

    def loans(resident):
        return [privacy.section("Device loan 7", [("Device", "Laptop"),
                                                  ("Due back", "1 March 2027")])]

    privacy.install(app, privacy.Handler(name="test-loans", collect=loans,
                                         audit_refs=lambda r: [("loan", 7)]))
    db.session.add(AuditEntry(action="device lent", entity_type="loan", entity_id=7,
                              partner_id=partner.id))
    db.session.add(AuditEntry(action="device lent", entity_type="loan", entity_id=8,
                              partner_id=partner.id))
    db.session.commit()
    login_as("partner_admin", partner)
    sar = _record_request(client, target.id)

    response = client.get(f"/privacy/requests/{sar.id}/export.json")
    document = response.get_json()
    response.close()

    loan = next(s for s in document["sections"] if s["title"] == "Device loan 7")
    assert loan["rows"] == [{"label": "Device", "value": "Laptop"},
                            {"label": "Due back", "value": "1 March 2027"}]
    audit_rows = next(s for s in document["sections"] if s["title"].startswith("Activity log"))
    assert sum("Device lent" in r["value"] for r in audit_rows["rows"]) == 1


def test_pdf_export_is_readable_and_holds_only_this_person(
        client, login_as, partner, two_residents):
    pypdf = pytest.importorskip("pypdf")
    login_as("partner_admin", partner)
    target, _ = two_residents
    sar = _record_request(client, target.id)

    response = client.get(f"/privacy/requests/{sar.id}/export.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    body = response.get_data()
    response.close()
    assert body.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)
    flat = " ".join(text.split())
    assert TARGET["name"] in flat
    assert TARGET["postcode"] in flat
    assert TARGET["email"] in flat
    assert OTHER["name"] not in flat
    assert "Your personal data" in flat


def test_each_export_is_audited(client, login_as, partner, two_residents):
    login_as("partner_admin", partner)
    target, _ = two_residents
    sar = _record_request(client, target.id)

    client.get(f"/privacy/requests/{sar.id}/export.json").close()
    client.get(f"/privacy/requests/{sar.id}/export.pdf").close()

    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "subject access export")
        .order_by(AuditEntry.id)
    ).all()
    assert [(e.entity_type, e.entity_id, e.detail) for e in entries] == [
        ("resident", target.id, f"request {sar.id}, json"),
        ("resident", target.id, f"request {sar.id}, pdf"),
    ]
    assert all(e.user_id is not None and e.partner_id == partner.id for e in entries)


@pytest.mark.parametrize("parts, message", [
    (("", "", ""), "Enter the date the request was received"),
    (("31", "", "2026"), "must include a month"),
    (("31", "2", "2026"), "must be a real date"),
    (("x", "y", "z"), "must be a real date"),
])
def test_invalid_request_date_shows_the_problem_and_records_nothing(
        client, login_as, partner, two_residents, parts, message):
    login_as("partner_admin", partner)
    target, _ = two_residents

    response = client.post(f"/privacy/residents/{target.id}/subject-access",
                           data=_date_form(parts=parts))

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert message in page
    assert db.session.scalar(select(func.count()).select_from(SubjectAccessRequest)) == 0


def test_a_request_date_in_the_future_is_refused(client, login_as, partner, two_residents):
    login_as("partner_admin", partner)
    target, _ = two_residents

    response = client.post(f"/privacy/residents/{target.id}/subject-access",
                           data=_date_form(_today() + timedelta(days=1)))

    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert "must be today or in the past" in page
    assert db.session.scalar(select(func.count()).select_from(SubjectAccessRequest)) == 0


def test_other_partners_resident_and_requests_answer_404(
        client, login_as, partner, other_partner):
    theirs = resident_with_history(other_partner, **OTHER)
    sar = services.record_access_request(resident=theirs, received_on=_today(), today=_today(),
                                         by=None)
    db.session.commit()
    login_as("partner_admin", partner)
    exports_before = db.session.scalar(select(func.count()).select_from(AuditEntry))

    assert client.get(f"/privacy/residents/{theirs.id}/subject-access").status_code == 404
    assert client.post(f"/privacy/residents/{theirs.id}/subject-access",
                       data=_date_form(_today())).status_code == 404
    for path in ("", "/export.json", "/export.pdf"):
        assert client.get(f"/privacy/requests/{sar.id}{path}").status_code == 404

    assert db.session.scalar(select(func.count()).select_from(SubjectAccessRequest)) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == exports_before


def test_staff_cannot_export(client, login_as, partner, two_residents):
    target, _ = two_residents
    sar = services.record_access_request(resident=target, received_on=_today(), today=_today(),
                                         by=None)
    db.session.commit()
    login_as("staff", partner)

    assert client.get(f"/privacy/residents/{target.id}/subject-access").status_code == 403
    assert client.get(f"/privacy/requests/{sar.id}/export.json").status_code == 403


def test_nothing_is_exported_after_erasure(client, login_as, partner, two_residents):
    target, _ = two_residents
    sar = services.record_access_request(resident=target, received_on=_today(), today=_today(),
                                         by=None)
    services.erase_resident(resident=target, reason=ErasureReason.RESIDENT_ASKED, by=None)
    db.session.commit()
    login_as("partner_admin", partner)

    response = client.get(f"/privacy/requests/{sar.id}/export.json")

    assert response.status_code == 302
    page = client.get(f"/privacy/residents/{target.id}/subject-access").get_data(as_text=True)
    assert "nothing left to export" in page


def test_subject_access_page_prefills_today_and_shows_the_due_date(
        client, login_as, partner, two_residents):
    login_as("partner_admin", partner)
    target, _ = two_residents

    page = client.get(f"/privacy/residents/{target.id}/subject-access").get_data(as_text=True)

    due = response_due(_today())
    assert f"{due.day} {due:%B %Y}" in page
    assert f'value="{_today().year}"' in page
