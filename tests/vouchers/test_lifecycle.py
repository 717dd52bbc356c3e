"""After issue: resend, revoke and reissue, redemption, expiry, follow-up, and who may do it."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from inclusion.audit.models import AuditEntry
from inclusion.extensions import db, utcnow
from inclusion.outcomes.models import FactKind, OutcomeFact
from inclusion.sms.models import SmsMessage
from tests.vouchers.factories import issue, stock, texted_resident
from vouchers.models import CodeStatus, Voucher, VoucherCode, VoucherStatus


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _facts(kind):
    return _count(OutcomeFact, OutcomeFact.kind == kind)


@pytest.fixture
def voucher(app, partner):
    scheme = stock(partner, count=3)
    v = issue(partner, texted_resident(partner), scheme)
    db.session.commit()
    return v


def test_resend_texts_the_code_again_is_audited_and_rate_limited(app, client, login_as,
                                                                 partner, voucher):
    login_as("staff", partner)
    assert client.post(f"/vouchers/{voucher.id}/resend").status_code == 302
    assert _count(SmsMessage) == 2
    assert _count(AuditEntry, AuditEntry.action == "voucher code resent") == 1
    page = client.post(f"/vouchers/{voucher.id}/resend", follow_redirects=True)
    assert "Wait 10 minutes" in page.get_data(as_text=True)
    assert _count(SmsMessage) == 2
    for _ in range(2):
        db.session.execute(update(Voucher).values(last_resent_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
        client.post(f"/vouchers/{voucher.id}/resend")
    db.session.execute(update(Voucher).values(last_resent_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    page = client.post(f"/vouchers/{voucher.id}/resend", follow_redirects=True)
    assert "resent 3 times already" in page.get_data(as_text=True)
    assert _count(SmsMessage) == 4


def test_revoke_and_reissue_never_reuses_the_old_code(app, client, login_as, partner, voucher):
    login_as("staff", partner)
    old_code = voucher.code_id
    response = client.post(f"/vouchers/{voucher.id}/revoke",
                           data={"reason": "Phone stolen", "reissue": "yes"})
    assert response.status_code == 302
    db.session.expire_all()
    old = db.session.get(Voucher, voucher.id)
    assert (old.status, old.revoke_reason) == (VoucherStatus.REVOKED, "Phone stolen")
    assert db.session.get(VoucherCode, old_code).status is CodeStatus.VOID
    new = db.session.scalar(select(Voucher).where(Voucher.replaces_id == old.id))
    assert new.code_id != old_code and new.criteria == old.criteria
    assert _count(SmsMessage) == 2
    # The void code is not stock any more.
    assert _count(VoucherCode, VoucherCode.status == CodeStatus.AVAILABLE) == 1


def test_revoke_without_reissue_when_no_stock_is_left(app, client, login_as, partner):
    scheme = stock(partner, count=1)
    v = issue(partner, texted_resident(partner), scheme)
    db.session.commit()
    login_as("staff", partner)
    refused = client.post(f"/vouchers/{v.id}/revoke", data={"reason": "Lost", "reissue": "yes"})
    assert refused.status_code == 409
    assert "codes are left" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Voucher, v.id).status is VoucherStatus.ISSUED  # nothing changed
    ok = client.post(f"/vouchers/{v.id}/revoke", data={"reason": "Lost", "reissue": "no"})
    assert ok.status_code == 302
    db.session.expire_all()
    assert db.session.get(Voucher, v.id).status is VoucherStatus.REVOKED


@pytest.mark.parametrize("data, error", [
    ({"reason": "", "reissue": "no"}, "Enter why"),
    ({"reason": "Lost"}, "Choose yes or no"),
    ({"reason": "x" * 201, "reissue": "no"}, "200 characters"),
])
def test_invalid_revoke_re_renders_and_changes_nothing(app, client, login_as, partner,
                                                       voucher, data, error):
    login_as("staff", partner)
    response = client.post(f"/vouchers/{voucher.id}/revoke", data=data)
    text = response.get_data(as_text=True)
    assert "There is a problem" in text and error in text
    db.session.expire_all()
    assert db.session.get(Voucher, voucher.id).status is VoucherStatus.ISSUED


def test_mark_redeemed_records_a_fact_once(app, client, login_as, partner, voucher):
    login_as("staff", partner)
    today = date.today()
    data = {"redeemed_on": [str(today.day), str(today.month), str(today.year)]}
    assert client.post(f"/vouchers/{voucher.id}/redeemed", data=data).status_code == 302
    again = client.post(f"/vouchers/{voucher.id}/redeemed", data=data)
    assert again.status_code == 409 and "already marked redeemed" in again.get_data(as_text=True)
    assert _facts(FactKind.VOUCHER_REDEEMED) == 1


@pytest.mark.parametrize("parts, error", [
    (["", "", ""], "Enter the date"),
    (["31", "2", "2026"], "must be a real date"),
    (["1", "1", str(date.today().year + 1)], "cannot be in the future"),
])
def test_invalid_redeemed_date_re_renders(app, client, login_as, partner, voucher, parts,
                                          error):
    login_as("staff", partner)
    response = client.post(f"/vouchers/{voucher.id}/redeemed", data={"redeemed_on": parts})
    text = response.get_data(as_text=True)
    assert "There is a problem" in text and error in text
    assert _facts(FactKind.VOUCHER_REDEEMED) == 0


def _report(client, content: bytes):
    return client.post("/vouchers/redemptions",
                       data={"file": (io.BytesIO(content), "redemptions.csv")},
                       content_type="multipart/form-data")


def test_redemption_report_marks_vouchers_and_can_be_imported_twice(app, client, login_as,
                                                                    partner, voucher):
    login_as("partner_admin", partner)
    today = date.today().isoformat()
    content = f"code,redeemed_at\n{voucher.code.code},{today}T10:00:00\n".encode()
    response = _report(client, content)
    assert response.status_code == 302
    assert "1 voucher(s) marked redeemed" in client.get("/vouchers/redemptions").get_data(
        as_text=True)
    _report(client, content)
    db.session.expire_all()
    assert db.session.get(Voucher, voucher.id).status is VoucherStatus.REDEEMED
    assert _facts(FactKind.VOUCHER_REDEEMED) == 1


def test_bad_redemption_report_names_lines_and_changes_nothing(app, client, login_as,
                                                               partner, other_partner,
                                                               voucher):
    theirs = issue(other_partner, texted_resident(other_partner), stock(other_partner))
    db.session.commit()
    login_as("partner_admin", partner)
    today = date.today().isoformat()
    content = (f"code,redeemed_at\n{voucher.code.code},{today}\nNOPE-0000,{today}\n"
               f"{theirs.code.code},{today}\n{voucher.code.code},{today}\n"
               f"X2345678,yesterday\n").encode()
    text = _report(client, content).get_data(as_text=True).replace("&#39;", "'")
    assert "There is a problem" in text
    assert "Line 3: code" in text and "not one of the issued codes of your partner" in text
    assert "Line 4:" in text
    assert "Line 5: code" in text and "repeated (first on line 2)" in text
    assert "Line 6: redeemed_at must be a date" in text
    assert theirs.code.code not in text and voucher.code.code not in text
    db.session.expire_all()
    assert db.session.get(Voucher, voucher.id).status is VoucherStatus.ISSUED


def test_expire_command_expires_old_vouchers_with_a_fact(app, partner, voucher):
    db.session.execute(update(Voucher).values(expires_on=date.today() - timedelta(days=1)))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["vouchers", "expire"])
    assert "1 voucher(s) expired" in result.output
    db.session.expire_all()
    assert db.session.get(Voucher, voucher.id).status is VoucherStatus.EXPIRED
    assert _facts(FactKind.VOUCHER_EXPIRED) == 1


def test_follow_up_due_after_a_month_records_social_tariff(app, client, login_as, partner,
                                                          voucher):
    login_as("staff", partner)
    assert "Voucher follow-ups due" not in client.get("/").get_data(as_text=True)
    db.session.execute(update(Voucher).values(issued_at=utcnow() - timedelta(days=31)))
    db.session.commit()
    assert "Voucher follow-ups due" in client.get("/").get_data(as_text=True)
    invalid = client.post(f"/vouchers/{voucher.id}/follow-up", data={"still_connected": "yes"})
    assert "There is a problem" in invalid.get_data(as_text=True)
    response = client.post(f"/vouchers/{voucher.id}/follow-up",
                           data={"still_connected": "yes", "social_tariff": "yes"})
    assert response.status_code == 302
    assert _facts(FactKind.SOCIAL_TARIFF) == 1
    assert "Voucher follow-ups due" not in client.get("/").get_data(as_text=True)


STATE_CHANGES = [
    ("post", "/vouchers/{id}/resend", {}),
    ("post", "/vouchers/{id}/revoke", {"reason": "x", "reissue": "no"}),
    ("post", "/vouchers/{id}/redeemed", {"redeemed_on": ["1", "1", "2026"]}),
    ("post", "/vouchers/{id}/follow-up", {"still_connected": "yes", "social_tariff": "yes"}),
    ("get", "/vouchers/{id}", {}),
]


@pytest.mark.parametrize("method, path, data", STATE_CHANGES)
def test_other_partners_voucher_is_404_and_unchanged(app, client, login_as, partner,
                                                     other_partner, method, path, data):
    theirs = issue(other_partner, texted_resident(other_partner), stock(other_partner))
    db.session.commit()
    login_as("staff", partner)
    response = getattr(client, method)(path.format(id=theirs.id), data=data)
    assert response.status_code == 404
    db.session.expire_all()
    v = db.session.get(Voucher, theirs.id)
    assert (v.status, v.resend_count, v.followed_up_on) == (VoucherStatus.ISSUED, 0, None)
    assert _count(SmsMessage) == 1


def test_other_partners_resident_voucher_list_is_404(app, client, login_as, partner,
                                                     other_partner):
    resident = texted_resident(other_partner)
    db.session.commit()
    login_as("staff", partner)
    assert client.get(f"/vouchers/resident/{resident.id}").status_code == 404


ADMIN_PAGES = ["/vouchers/schemes", "/vouchers/schemes/new", "/sms/messages", "/sms/templates"]


@pytest.mark.parametrize("role", ["staff", "partner_admin", "lead"])
@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_are_refused_to_everyone_else(app, client, login_as, partner, role, path):
    login_as(role, partner)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ["/vouchers/", "/vouchers/issue", "/vouchers/follow-ups",
                                  "/sms/problems"])
def test_coalition_lead_never_sees_voucher_pages(app, client, login_as, path):
    login_as("lead")
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ["/vouchers/stock/transfer", "/vouchers/stock/warning"])
def test_staff_cannot_move_stock(app, client, login_as, partner, path):
    stock(partner)
    db.session.commit()
    login_as("staff", partner)
    assert client.get(path).status_code == 403
