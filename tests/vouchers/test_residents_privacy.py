"""Vouchers wired into the rest: the resident's timeline, erasure, subject access, retention,
demo data and the resend rate limit."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import distinct, func, select

from inclusion.extensions import db, utcnow
from inclusion.outcomes.models import FactKind, OutcomeFact
from inclusion.privacy import retention
from inclusion.privacy import services as privacy_services
from inclusion.privacy.models import ErasureReason
from inclusion.residents.models import Resident
from inclusion.sms import delivery
from inclusion.sms.models import MessageStatus, SmsMessage
from tests import factories
from tests.privacy.helpers import snapshot
from tests.privacy.scan import needles_for, scan_database
from tests.vouchers.factories import issue, stock, texted_resident
from vouchers import services
from vouchers.models import Voucher, VoucherScheme, VoucherStatus

PERSON = dict(name="Ottoline Featherstonehaugh-Mbeki", phone="+441214960913",
              email="ottoline.fm@example.net", postcode="WS2 8PD")
OTHER = dict(name="Radoslaw Quigley-Anand", phone="+441214960914",
             email="radek.qa@example.net", postcode="B12 9QQ")
ERASE = {"reason": ErasureReason.RESIDENT_ASKED.value, "confirm": "ERASE"}


def _with_vouchers(partner, **person):
    """A texted resident with a delivered, redeemed voucher and a revoked one (with notes that
    name them), and a third still open; their text messages carry the codes."""
    resident = texted_resident(partner, **person)
    scheme = stock(partner, count=4)
    first = issue(partner, resident, scheme)
    db.session.flush()
    message = services.delivery_of(first)
    delivery.apply_receipt(message, "delivered", error_code=None)
    services.mark_redeemed(voucher=first, on=utcnow().date(), user_id=None)
    first.followed_up_on = None
    services.record_follow_up(voucher=first, still_connected=True, social_tariff=True,
                              note=f"{person['name']} rang from {person['phone']}",
                              user_id=None)
    second = issue(partner, resident, scheme)
    services.revoke(voucher=second, reason=f"{person['name']} lost the phone", reissue=True,
                    user_id=None)
    db.session.commit()
    return resident


def _fact_counts():
    total = db.session.scalar(select(func.count()).select_from(OutcomeFact))
    people = db.session.scalar(select(func.count(distinct(OutcomeFact.resident_key))))
    by_kind = dict(db.session.execute(
        select(OutcomeFact.kind, func.count()).group_by(OutcomeFact.kind)).all())
    return total, people, by_kind


def _codes(resident):
    return [v.code.code for v in db.session.scalars(
        select(Voucher).where(Voucher.resident_id == resident.id))]


# -- timeline ------------------------------------------------------------------------------

def test_resident_page_lists_vouchers_and_texts_but_never_a_code(client, login_as, partner):
    login_as("staff", partner)
    resident = _with_vouchers(partner, **PERSON)
    scheme_name = db.session.scalars(select(VoucherScheme.name)).first()

    page = client.get(f"/residents/{resident.id}").get_data(as_text=True)

    assert page.count(f"Voucher issued: {scheme_name}") == 3
    assert "text delivered; redeemed" in page
    assert f"Voucher redeemed: {scheme_name}" in page
    assert "revoked" in page
    assert "Text message: voucher issued (delivered)" in page
    assert "Text message: voucher issued (waiting to send)" in page
    assert "Issue a connectivity voucher" in page
    codes = _codes(resident)
    assert len(codes) == 3
    for code in codes:
        assert code not in page


def test_another_partners_vouchers_and_texts_stay_off_the_timeline(client, login_as, partner,
                                                                   other_partner):
    login_as("staff", partner)
    resident = texted_resident(partner)
    # A voucher and text from another partner about a row of ours cannot be built through the
    # services (they refuse), so write them as a buggy import might.
    scheme = stock(other_partner, count=1)
    theirs = issue(other_partner, texted_resident(other_partner), scheme)
    theirs.resident_id = resident.id
    db.session.add(SmsMessage(resident_id=resident.id, partner_id=other_partner.id,
                              purpose="loan due", to="+441214960000", body="x"))
    db.session.commit()

    page = client.get(f"/residents/{resident.id}").get_data(as_text=True)

    assert "Voucher issued" not in page
    assert "Text message" not in page


def test_old_resident_vouchers_address_redirects_to_the_resident_and_refuses_other_partners(
        client, login_as, partner, other_partner):
    login_as("staff", partner)
    mine, theirs = factories.make_resident(partner), factories.make_resident(other_partner)
    db.session.commit()

    response = client.get(f"/vouchers/resident/{mine.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/residents/{mine.id}")
    assert client.get(f"/vouchers/resident/{theirs.id}").status_code == 404


# -- erasure ---------------------------------------------------------------------------------

def test_erasing_a_resident_with_vouchers_leaves_nothing_of_them_and_every_count(
        client, login_as, partner):
    login_as("partner_admin", partner)
    target = _with_vouchers(partner, **PERSON)
    other = _with_vouchers(partner, **OTHER)
    needles = needles_for(target)
    before = {hit.table for hit in scan_database(needles)}
    assert {"resident", "sms_message", "voucher"} <= before  # the scan can fail
    facts = _fact_counts()
    vouchers = db.session.execute(
        select(Voucher.id, Voucher.status, Voucher.scheme_id, Voucher.code_id, Voucher.criteria,
               Voucher.redeemed_on, Voucher.social_tariff).order_by(Voucher.id)).all()
    stock_before = services.stock_for(partner.id)

    response = client.post(f"/privacy/residents/{target.id}/erase", data=ERASE)

    assert response.status_code == 302
    db.session.expire_all()
    assert scan_database(needles) == []
    assert {hit.table for hit in scan_database(needles_for(other))} >= {"voucher", "sms_message"}
    assert _fact_counts() == facts
    assert db.session.execute(
        select(Voucher.id, Voucher.status, Voucher.scheme_id, Voucher.code_id, Voucher.criteria,
               Voucher.redeemed_on, Voucher.social_tariff).order_by(Voucher.id)).all() == vouchers
    assert [(s.scheme.id, s.available) for s in services.stock_for(partner.id)] == [
        (s.scheme.id, s.available) for s in stock_before]
    for voucher in db.session.scalars(select(Voucher).where(Voucher.resident_id == target.id)):
        assert voucher.follow_up_note is None and voucher.revoke_reason is None
    for message in db.session.scalars(select(SmsMessage)
                                      .where(SmsMessage.resident_id == target.id)):
        assert message.body == "" and message.to == ""


def test_erasure_fails_the_text_still_waiting_with_a_code(app, partner):
    resident = _with_vouchers(partner, **PERSON)
    waiting = db.session.scalars(select(SmsMessage).where(
        SmsMessage.resident_id == resident.id, SmsMessage.status == MessageStatus.PENDING)).all()
    assert waiting

    privacy_services.erase_resident(resident=resident, reason=ErasureReason.RESIDENT_ASKED,
                                    by=None)
    db.session.commit()

    for message in waiting:
        db.session.refresh(message)
        assert message.status is MessageStatus.FAILED and message.body == ""


# -- subject access --------------------------------------------------------------------------

def test_subject_access_has_each_voucher_with_its_code_masked(app, partner):
    resident = _with_vouchers(partner, **PERSON)
    codes = _codes(resident)

    export = privacy_services.build_export(resident=resident)
    text = json.dumps(export, ensure_ascii=False)

    voucher_sections = [s for s in export["sections"]
                        if s["title"].startswith("Connectivity voucher")]
    assert len(voucher_sections) == 3
    shown = [r["value"] for s in voucher_sections for r in s["rows"] if r["label"] == "Code"]
    assert sorted(shown) == sorted("•" * (len(c) - 4) + c[-4:] for c in codes)
    for code in codes:
        assert code not in text
    rows = {r["label"]: r["value"] for r in voucher_sections[0]["rows"]}
    assert rows["Status"] == "redeemed" and rows["On a social tariff"] == "Yes"
    assert PERSON["name"] in rows["Follow-up note"]
    audit = next(s for s in export["sections"] if s["title"] == "Activity log entries about you")
    assert any("Voucher issued" in r["value"] for r in audit["rows"])


def test_subject_access_leaves_out_other_residents_vouchers(app, partner):
    resident = _with_vouchers(partner, **PERSON)
    other = _with_vouchers(partner, **OTHER)

    text = json.dumps(privacy_services.build_export(resident=resident), ensure_ascii=False)

    other_codes = _codes(other)
    assert len(other_codes) == 3
    for code in other_codes:
        assert code not in text
    titles = [s["title"] for s in json.loads(text)["sections"]
              if s["title"].startswith("Connectivity voucher")]
    assert len(titles) == 3  # their own three, none of the other resident's
    assert OTHER["name"] not in text


# -- retention -------------------------------------------------------------------------------

def _age(resident, days):
    """Back-date the resident and everything of theirs by `days`."""
    moment = utcnow() - timedelta(days=days)
    resident.created_at = resident.updated_at = moment
    for consent in resident.consents:
        consent.recorded_at = moment
    for voucher in db.session.scalars(select(Voucher).where(Voucher.resident_id == resident.id)):
        voucher.issued_at = moment
        voucher.delivered_at = moment if voucher.delivered_at else None
        voucher.redeemed_on = moment.date() if voucher.redeemed_on else None
        voucher.expires_on = moment.date() + timedelta(days=90)
    for message in db.session.scalars(select(SmsMessage)
                                       .where(SmsMessage.resident_id == resident.id)):
        message.created_at = moment
        if message.status is MessageStatus.PENDING:
            message.status = MessageStatus.DELIVERED


def test_retention_unlinks_old_vouchers_and_erases_the_inactive_resident_keeping_facts(
        app, partner):
    old = _with_vouchers(partner, **PERSON)
    recent = _with_vouchers(partner, **OTHER)
    _age(old, 3 * 365)
    db.session.commit()
    needles = needles_for(old)
    facts = _fact_counts()
    old_ids = [v.id for v in db.session.scalars(
        select(Voucher).where(Voucher.resident_id == old.id))]

    dry = retention.run(now=utcnow(), dry_run=True)
    assert sorted(next(line for line in dry.lines if line.record_type == "vouchers").ids) == \
        sorted(old_ids)
    before = snapshot()
    db.session.rollback()
    assert snapshot() == before

    report = retention.run(now=utcnow(), dry_run=False)
    db.session.commit()

    assert report.counts()["vouchers"] == 3
    assert scan_database(needles) == []
    assert _fact_counts() == facts
    for voucher_id in old_ids:
        voucher = db.session.get(Voucher, voucher_id)
        assert voucher.resident_id is None and voucher.follow_up_note is None
    assert db.session.scalar(select(func.count()).where(Voucher.resident_id == recent.id)) == 3
    assert retention.run(now=utcnow(), dry_run=False).counts().get("vouchers") == 0


def test_an_open_voucher_keeps_an_otherwise_inactive_resident(app, partner):
    resident = texted_resident(partner, **PERSON)
    scheme = stock(partner, count=1)
    voucher = issue(partner, resident, scheme)
    db.session.flush()
    moment = utcnow() - timedelta(days=3 * 365)
    resident.created_at = resident.updated_at = moment
    for consent in resident.consents:
        consent.recorded_at = moment
    for message in db.session.scalars(select(SmsMessage)):
        message.created_at = moment
    voucher.issued_at = moment
    voucher.expires_on = None  # a voucher without an end date is still usable
    db.session.commit()

    report = retention.run(now=utcnow(), dry_run=True)

    assert resident.id not in next(line for line in report.lines
                                   if line.record_type == "residents").ids
    assert voucher.id not in next(line for line in report.lines
                                  if line.record_type == "vouchers").ids
    voucher.status = VoucherStatus.EXPIRED
    db.session.commit()
    report = retention.run(now=utcnow(), dry_run=True)
    assert resident.id in next(line for line in report.lines
                               if line.record_type == "residents").ids


# -- demo data and rate limits ----------------------------------------------------------------

def test_demo_seed_issues_vouchers_from_allocated_stock_with_texts(app):
    result = app.test_cli_runner().invoke(
        args=["demo", "seed", "--password", "a long demo password 123", "--residents", "40"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()

    statuses = dict(db.session.execute(
        select(Voucher.status, func.count()).group_by(Voucher.status)).all())
    assert statuses.get(VoucherStatus.REDEEMED) and statuses.get(VoucherStatus.EXPIRED)
    assert statuses.get(VoucherStatus.ISSUED)
    assert db.session.scalar(select(func.count()).where(Voucher.delivered_at.is_not(None)))
    assert db.session.scalar(select(func.count()).select_from(VoucherScheme)) == 3
    messages = dict(db.session.execute(
        select(SmsMessage.status, func.count()).group_by(SmsMessage.status)).all())
    assert messages.get(MessageStatus.DELIVERED)
    assert MessageStatus.PENDING not in messages  # nothing left for a worker to send
    kinds = set(db.session.scalars(select(OutcomeFact.kind).distinct()))
    assert {FactKind.VOUCHER_ISSUED, FactKind.VOUCHER_REDEEMED, FactKind.VOUCHER_DELIVERED,
            FactKind.VOUCHER_EXPIRED} <= kinds
    # Every voucher went to a resident of the partner that holds the code.
    mismatched = db.session.scalar(select(func.count()).select_from(Voucher).join(
        Resident, Resident.id == Voucher.resident_id).where(
        Resident.partner_id != Voucher.partner_id))
    assert mismatched == 0


def test_resending_a_code_is_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    with app.app_context():
        partner = factories.make_partner()
        user = factories.user_with_role("staff", partner=partner)
        voucher = issue(partner, texted_resident(partner), stock(partner, count=1))
        db.session.commit()
        client = app.test_client()
        response = client.post("/sign-in", data={"email": user.email,
                                                 "password": factories.PASSWORD})
        assert response.status_code == 302
        codes = [client.post(f"/vouchers/{voucher.id}/resend").status_code for _ in range(21)]
        db.session.expire_all()
        resent = db.session.get(Voucher, voucher.id).resend_count
        db.session.remove()

    assert codes[:20] == [302] * 20
    assert codes[20] == 429
    assert resent == 1  # the service allows one, then asks to wait; the limiter stops the rest
