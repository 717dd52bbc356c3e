"""Code batches by CSV or generation, allocation, transfers, and low-stock warnings."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from inclusion.audit.models import AuditEntry
from inclusion.extensions import db
from tests.vouchers.factories import make_scheme, stock
from vouchers import importers, services
from vouchers.models import CodeBatch, StockMovement, StockThreshold, VoucherCode


def _codes():
    return db.session.scalar(select(func.count()).select_from(VoucherCode)) or 0


def _upload(client, scheme, content: bytes, **extra):
    data = {"reference": "ORDER-1", "file": (io.BytesIO(content), "codes.csv"), **extra}
    return client.post(f"/vouchers/schemes/{scheme.id}/import", data=data,
                       content_type="multipart/form-data")


def test_admin_imports_a_csv_of_codes(app, client, login_as):
    scheme = make_scheme()
    db.session.commit()
    login_as("admin")
    response = _upload(client, scheme, b"\xef\xbb\xbfCode\r\nABCD-0001\r\nABCD-0002\r\n\r\n",
                       expires_on=["1", "6", str(date.today().year + 1)])
    assert response.status_code == 302
    batch = db.session.scalar(select(CodeBatch))
    assert (batch.size, batch.reference) == (2, "ORDER-1")
    assert _codes() == 2
    assert db.session.scalar(select(VoucherCode.expires_on).limit(1)) == date(
        date.today().year + 1, 6, 1)
    page = client.get(f"/vouchers/batches/{batch.id}").get_data(as_text=True)
    assert "ABCD-0001" not in page and "•••••0001" in page
    revealed = client.get(f"/vouchers/batches/{batch.id}?reveal=1").get_data(as_text=True)
    assert "ABCD-0001" in revealed
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "voucher codes revealed")) is not None


@pytest.mark.parametrize("content, message", [
    (b"code\nGOOD-0001\nGOOD-0001\n", "Line 3: code •••••0001 is repeated (first on line 2)"),
    (b"code\nGOOD-0001\nbad code!\n", "Line 3: a code must be 4 to 64"),
    (b"code\nGOOD-0001\n\xff\xfe\n", "UTF-8"),
    (b"voucher\nGOOD-0001\n", "missing: code"),
    (b"code\n", "no rows"),
    (b"code\nGOOD-0001,extra\n", "Line 2: has more values"),
])
def test_bad_csv_is_refused_with_line_numbers_and_saves_nothing(app, client, login_as,
                                                                content, message):
    scheme = make_scheme()
    db.session.commit()
    login_as("admin")
    response = _upload(client, scheme, content)
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in text
    assert message in text.replace("&#39;", "'")
    assert _codes() == 0 and db.session.scalar(select(func.count()).select_from(CodeBatch)) == 0


def test_codes_already_in_stock_are_refused(app, client, login_as, partner):
    stock(partner, count=1, prefix="DUP")
    existing = db.session.scalar(select(VoucherCode.code))
    scheme = make_scheme()
    db.session.commit()
    login_as("admin")
    response = _upload(client, scheme, f"code\nNEW-00001\n{existing}\n".encode())
    assert "Line 3" in response.get_data(as_text=True)
    assert "already in stock" in response.get_data(as_text=True)
    assert _codes() == 1


def test_too_many_rows_is_refused(app, monkeypatch):
    monkeypatch.setattr(importers, "MAX_ROWS", 3)
    with pytest.raises(importers.ImportProblems) as exc:
        importers.parse_codes(b"code\nAAAA1\nAAAA2\nAAAA3\nAAAA4\n")
    assert "more than 3 rows" in exc.value.errors[0]


def test_generated_codes_are_random_unambiguous_and_unique(app):
    scheme = make_scheme()
    batch = services.generate_batch(scheme=scheme, count=500, length=10, prefix="WM-",
                                    reference="gen", expires_on=None, user_id=None)
    codes = db.session.scalars(select(VoucherCode.code).where(
        VoucherCode.batch_id == batch.id)).all()
    assert len(set(codes)) == 500
    for code in codes:
        assert code.startswith("WM-") and len(code) == 13
        assert not set(code[3:]) & set("01OIL")


@pytest.mark.parametrize("data, error", [
    ({"count": "0"}, "from 1 to 100,000"),
    ({"length": "4"}, "from 8 to 24"),
    ({"prefix": "bad prefix"}, "up to 10"),
    ({"reference": ""}, "Enter a batch reference"),
    ({"expires_on": ["1", "1", "2020"]}, "today or in the future"),
    ({"expires_on": ["1", "", "2030"]}, "must include a month"),
])
def test_invalid_generation_re_renders_and_saves_nothing(app, client, login_as, data, error):
    scheme = make_scheme()
    db.session.commit()
    login_as("admin")
    form = {"reference": "G1", "count": "10", "length": "10", "prefix": "", **data}
    response = client.post(f"/vouchers/schemes/{scheme.id}/generate", data=form)
    text = response.get_data(as_text=True)
    assert "There is a problem" in text and error in text
    assert _codes() == 0


def test_admin_allocates_codes_to_a_partner(app, client, login_as, partner):
    scheme = make_scheme()
    batch = services.generate_batch(scheme=scheme, count=10, length=8, prefix="",
                                    reference="g", expires_on=None, user_id=None)
    db.session.commit()
    login_as("admin")
    response = client.post(f"/vouchers/batches/{batch.id}",
                           data={"partner": str(partner.id), "quantity": "6"})
    assert response.status_code == 302
    (row,) = services.stock_for(partner.id)
    assert row.available == 6
    too_many = client.post(f"/vouchers/batches/{batch.id}",
                           data={"partner": str(partner.id), "quantity": "5"})
    assert "Only 4 codes of this batch are unallocated" in too_many.get_data(as_text=True)
    assert services.stock_for(partner.id)[0].available == 6


def test_partner_admin_transfers_codes_and_cannot_overdraw(app, client, login_as, partner,
                                                          other_partner):
    scheme = stock(partner, count=5)
    db.session.commit()
    login_as("partner_admin", partner)
    response = client.post("/vouchers/stock/transfer", data={
        "scheme": str(scheme.id), "to_partner": str(other_partner.id), "quantity": "3"})
    assert response.status_code == 302
    assert services.stock_for(partner.id)[0].available == 2
    assert services.stock_for(other_partner.id)[0].available == 3
    over = client.post("/vouchers/stock/transfer", data={
        "scheme": str(scheme.id), "to_partner": str(other_partner.id), "quantity": "3"})
    assert over.status_code == 200
    assert "only 2 usable codes" in over.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(StockMovement)) == 2


def test_low_stock_warning_uses_the_partners_threshold(app, client, login_as, partner):
    scheme = stock(partner, count=4)
    db.session.commit()
    login_as("partner_admin", partner)
    assert "Voucher stock low" in client.get("/").get_data(as_text=True)  # default 10
    response = client.post("/vouchers/stock/warning",
                           data={"scheme": str(scheme.id), "threshold": "3"})
    assert response.status_code == 302
    assert db.session.scalar(select(StockThreshold.threshold)) == 3
    assert "Voucher stock low" not in client.get("/").get_data(as_text=True)


def test_low_stock_count_matches_the_stock_page_for_every_kind_of_holding(app, partner,
                                                                         other_partner):
    low = [
        stock(partner, count=4),  # under the default warning level of 10
        stock(partner, count=3, expires_on=date.today() - timedelta(days=1)),  # all expired
        stock(partner, count=15),  # under its own warning level of 20, set below
    ]
    gone = stock(partner, count=2)  # every code passed on: still held, at 0
    services.transfer(scheme=gone, from_partner_id=partner.id, to_partner=other_partner,
                      quantity=2, user_id=None)
    low.append(gone)
    services.set_threshold(partner_id=partner.id, scheme=low[2], threshold=20, user_id=None)
    stock(partner, count=12)  # above the default level
    services.set_threshold(partner_id=partner.id, scheme=stock(partner, count=5), threshold=3,
                           user_id=None)  # above its own level
    stock(partner, scheme=make_scheme(active=False), count=2)  # a scheme no longer offered
    stock(other_partner, count=1)  # another partner's stock only
    db.session.commit()
    rows = services.stock_for(partner.id)
    assert {s.scheme.id for s in rows if s.scheme.active and s.low} == {s.id for s in low}
    assert services.low_stock_count(partner.id) == 4
    # The other partner holds the passed-on codes (2, under 10) and its own single code.
    assert services.low_stock_count(other_partner.id) == 2


def test_invalid_threshold_re_renders(app, client, login_as, partner):
    scheme = stock(partner, count=4)
    db.session.commit()
    login_as("partner_admin", partner)
    response = client.post("/vouchers/stock/warning",
                           data={"scheme": str(scheme.id), "threshold": "-1"})
    assert "There is a problem" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(StockThreshold)) == 0


def test_expired_stock_shows_separately_on_the_stock_page(app, client, login_as, partner):
    stock(partner, count=2, expires_on=date.today() - timedelta(days=1))
    db.session.commit()
    login_as("staff", partner)
    page = client.get("/vouchers/").get_data(as_text=True)
    assert "Expired unissued" in page


@pytest.mark.parametrize("data, error", [
    ({"name": ""}, "Enter the scheme name"),
    ({"criteria": "  \n "}, "Enter at least one"),
    ({"validity_days": "0"}, "from 1 to 3650"),
    ({"kind": "pizza"}, "valid choice"),
])
def test_invalid_scheme_re_renders_and_saves_nothing(app, client, login_as, data, error):
    login_as("admin")
    form = {"name": "Free SIM", "provider": "O2", "kind": "SIM with data",
            "gives": "30 GB", "criteria": "On a low income", "validity_days": "90",
            "active": "y", **data}
    response = client.post("/vouchers/schemes/new", data=form)
    text = response.get_data(as_text=True)
    assert "There is a problem" in text and error in text
    from vouchers.models import VoucherScheme

    assert db.session.scalar(select(func.count()).select_from(VoucherScheme)) == 0


def test_admin_creates_a_scheme(app, client, login_as):
    login_as("admin")
    response = client.post("/vouchers/schemes/new", data={
        "name": "National Databank", "provider": "Good Things Foundation",
        "kind": "SIM with data", "gives": "20 GB a month for 6 months",
        "criteria": "On a low income\nNo or poor access at home\n", "validity_days": "180",
        "active": "y"})
    assert response.status_code == 302
    from vouchers.models import VoucherScheme

    scheme = db.session.scalar(select(VoucherScheme))
    assert scheme.criteria == ["On a low income", "No or poor access at home"]
    duplicate = client.post("/vouchers/schemes/new", data={
        "name": "national databank", "provider": "x", "kind": "SIM with data", "gives": "x",
        "criteria": "x", "validity_days": "10"})
    assert "already a scheme" in duplicate.get_data(as_text=True)


@pytest.mark.parametrize("quantity, error", [("", "Enter the number of codes"),
                                             ("0", "Enter a number above 0"),
                                             ("lots", "Enter the number of codes")])
def test_invalid_allocation_re_renders_and_changes_nothing(app, client, login_as, partner,
                                                          quantity, error):
    scheme = make_scheme()
    batch = services.generate_batch(scheme=scheme, count=3, length=8, prefix="",
                                    reference="g", expires_on=None, user_id=None)
    db.session.commit()
    login_as("admin")
    response = client.post(f"/vouchers/batches/{batch.id}",
                           data={"partner": str(partner.id), "quantity": quantity})
    text = response.get_data(as_text=True)
    assert "There is a problem" in text
    assert services.stock_for(partner.id) == []


@pytest.mark.parametrize("data", [
    {"scheme": "", "to_partner": "", "quantity": "1"},
    {"quantity": "0"},
    {"to_partner": "999999"},
])
def test_invalid_transfer_re_renders_and_moves_nothing(app, client, login_as, partner,
                                                       other_partner, data):
    scheme = stock(partner, count=2)
    db.session.commit()
    login_as("partner_admin", partner)
    form = {"scheme": str(scheme.id), "to_partner": str(other_partner.id), "quantity": "1",
            **data}
    response = client.post("/vouchers/stock/transfer", data=form)
    assert "There is a problem" in response.get_data(as_text=True)
    assert services.stock_for(partner.id)[0].available == 2
    assert services.stock_for(other_partner.id) == []


def test_import_without_a_file_re_renders(app, client, login_as):
    scheme = make_scheme()
    db.session.commit()
    login_as("admin")
    response = client.post(f"/vouchers/schemes/{scheme.id}/import",
                           data={"reference": "x"}, content_type="multipart/form-data")
    assert "Choose a CSV file" in response.get_data(as_text=True)
    assert _codes() == 0


def test_redemption_import_without_a_file_re_renders(app, client, login_as, partner):
    login_as("partner_admin", partner)
    response = client.post("/vouchers/redemptions", data={},
                           content_type="multipart/form-data")
    assert "Choose a CSV file" in response.get_data(as_text=True)
