"""CSV import: a good file lands whole; any bad file or row lands nothing, with reasons."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from devices.importers import TEMPLATE
from devices.models import Device, DeviceEvent, DeviceStatus, DonationBatch
from inclusion.extensions import db
from tests.devices.factories import make_device

HEADER = "kind,make,model,grade,serial_number,spec_notes\n"


@pytest.fixture
def batch(partner):
    from datetime import date

    b = DonationBatch(partner_id=partner.id, donor="Refurb Ltd", received_on=date(2026, 11, 1))
    db.session.add(b)
    db.session.commit()
    return b


def _upload(client, batch, content: bytes | str, name: str = "devices.csv"):
    if isinstance(content, str):
        content = content.encode("utf-8")
    return client.post(f"/devices/batches/{batch.id}/import",
                       data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def _devices() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Device))


def test_good_file_imports_every_device_into_the_batch_with_history(client, staff, partner,
                                                                    batch):
    body = HEADER + "laptop,Lenovo,T480,A,SN-1,8GB\nChromebook,Acer,C733,for parts,,\n" \
                    "TABLET,Apple,iPad 7,b,SN-2,\n"
    response = _upload(client, batch, "\ufeff" + body)
    assert response.status_code == 302
    db.session.expire_all()
    devices = db.session.scalars(select(Device).order_by(Device.id)).all()
    assert [d.kind.value for d in devices] == ["laptop", "Chromebook", "tablet"]
    assert all(d.partner_id == partner.id and d.batch_id == batch.id for d in devices)
    assert all(d.status is DeviceStatus.RECEIVED for d in devices)
    assert len({d.asset_tag for d in devices}) == 3
    assert devices[1].serial_number is None and devices[1].grade.value == "for parts"
    assert db.session.scalar(select(func.count()).select_from(DeviceEvent)) == 3


def test_template_download_is_a_valid_import_file(client, staff, batch):
    template = client.get("/devices/import-template.csv")
    assert template.mimetype == "text/csv"
    assert template.get_data(as_text=True) == TEMPLATE
    assert _upload(client, batch, TEMPLATE).status_code == 302
    assert _devices() == 1


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_imported(client, staff, batch):
    make_device(None, serial_number="TAKEN-1")
    db.session.commit()
    body = (HEADER
            + "laptop,Lenovo,T480,A,SN-1,\n"          # line 2: fine
            + "toaster,Lenovo,T480,A,,\n"             # line 3: bad kind
            + "laptop,,T480,A,,\n"                    # line 4: no make
            + "laptop,Dell,E7450,Z,,\n"               # line 5: bad grade
            + "laptop,Dell,E7450,A,SN-1,\n"           # line 6: serial repeated
            + "laptop,Dell,E7450,A,TAKEN-1,\n"        # line 7: serial already recorded
            + "laptop,Dell," + "M" * 101 + ",A,,\n"   # line 8: model too long
            + "laptop,Dell,E7450,A,,notes,extra\n")   # line 9: too many values
    response = _upload(client, batch, body)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in page
    for line, words in [(3, "Kind must be one of"), (4, "Enter the make"),
                        (5, "Grade must be one of"), (6, "also on line 2"),
                        (7, "already recorded"), (8, "100 characters or fewer"),
                        (9, "more values than the header")]:
        assert f"Line {line} " in page and words in page, (line, words)
    assert "Line 2 " not in page
    assert _devices() == 1  # only the one made before


@pytest.mark.parametrize(("content", "words"), [
    (b"", "The file is empty"),
    ("kind,make,model,grade\nlaptop,Dell,E7450,A\n".encode("utf-16"), "CSV UTF-8"),
    ("kind,make,model,grade\nlaptop,Dell,Lat\xe9,A\n".encode("latin-1"), "CSV UTF-8"),
    (b"kind,make,grade\nlaptop,Dell,A\n", "missing the column model"),
    (b"kind,make,model,grade,make\nlaptop,Dell,X,A,Y\n", "repeats the column make"),
    (b"kind,make,model,grade\n", "no devices"),
    (b"PK\x03\x04\x00\x00binary", "not a spreadsheet"),
])
def test_bad_files_are_refused_whole_with_a_reason(client, staff, batch, content, words):
    response = _upload(client, batch, content)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert words in page
    assert _devices() == 0


def test_row_and_size_limits(make_app, login_as, partner):
    app = make_app(DEVICE_IMPORT_MAX_ROWS=2, DEVICE_IMPORT_MAX_BYTES=200)
    from tests import factories

    with app.app_context():
        from datetime import date

        p = factories.make_partner(name="Limits")
        user = factories.user_with_role("staff", partner=p)
        b = DonationBatch(partner_id=p.id, donor="X", received_on=date(2026, 1, 1))
        db.session.add(b)
        db.session.commit()
        client = app.test_client()
        client.post("/sign-in", data={"email": user.email, "password": factories.PASSWORD})
        rows = "laptop,Dell,E7450,A,,\n" * 3
        page = _upload(client, b, HEADER + rows).get_data(as_text=True)
        assert "more than 2 devices" in page
        page = _upload(client, b, HEADER + "laptop,Dell," + "x" * 300 + ",A,,\n").get_data(
            as_text=True)
        assert "smaller than" in page
        assert db.session.scalar(select(func.count()).select_from(Device)) == 0
        db.session.remove()


def test_partner_column_in_the_file_is_never_trusted(client, staff, partner, other_partner,
                                                     batch):
    body = ("kind,make,model,grade,partner_id,partner\n"
            f"laptop,Dell,E7450,A,{other_partner.id},{other_partner.name}\n")
    response = _upload(client, batch, body)
    assert response.status_code == 302
    db.session.expire_all()
    device = db.session.scalar(select(Device))
    assert device.partner_id == partner.id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ignored columns: partner_id, partner" in page


def test_another_partners_batch_cannot_be_imported_into(client, staff, other_partner):
    from datetime import date

    theirs = DonationBatch(partner_id=other_partner.id, donor="X", received_on=date(2026, 1, 1))
    db.session.add(theirs)
    db.session.commit()
    assert _upload(client, theirs, TEMPLATE).status_code == 404
    assert _devices() == 0


def test_import_without_a_file_shows_an_error(client, staff, batch):
    response = client.post(f"/devices/batches/{batch.id}/import", data={},
                           content_type="multipart/form-data")
    assert "There is a problem" in response.get_data(as_text=True)


def test_import_limits_default_in_the_config_and_are_read_from_the_environment(
        make_app, monkeypatch):
    from inclusion.config import BaseConfig

    assert BaseConfig.DEVICE_IMPORT_MAX_ROWS == 100_000
    assert BaseConfig.DEVICE_IMPORT_MAX_BYTES == 8 * 1024 * 1024
    monkeypatch.setenv("DEVICE_IMPORT_MAX_ROWS", "250")
    monkeypatch.setenv("DEVICE_IMPORT_MAX_BYTES", "4096")
    app = make_app()
    assert app.config["DEVICE_IMPORT_MAX_ROWS"] == 250
    assert app.config["DEVICE_IMPORT_MAX_BYTES"] == 4096
