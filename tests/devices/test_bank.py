"""Device bank pages: adding devices and batches, wipes, retirement, transfers, stock, settings."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from devices.models import (
    Agreement,
    Device,
    DeviceKind,
    DeviceSettings,
    DeviceStatus,
    DisposalRecord,
    DonationBatch,
    WipeRecord,
)
from inclusion.extensions import db
from inclusion.outcomes import FactKind, OutcomeFact
from tests.devices.factories import make_device

TODAY = [str(date.today().day), str(date.today().month), str(date.today().year)]


def _count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_adding_a_device_gives_it_a_tag_and_history(client, staff, partner):
    response = client.post("/devices/new", data={
        "kind": "laptop", "make": "Lenovo", "model": "T480", "grade": "A",
        "serial_number": "PF-1", "spec_notes": "8GB", "batch_id": ""})
    assert response.status_code == 302
    device = db.session.scalar(select(Device))
    assert device.partner_id == partner.id and device.status is DeviceStatus.RECEIVED
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert device.asset_tag in page and "Received" in page


def test_add_device_form_uses_the_import_rules_and_saves_nothing_when_invalid(client, staff,
                                                                              partner):
    make_device(partner, serial_number="PF-1")
    db.session.commit()
    for bad in ({"kind": "", "make": "", "model": "", "grade": ""},
                {"kind": "toaster", "make": "A", "model": "B", "grade": "A"},
                {"kind": "laptop", "make": "A", "model": "B", "grade": "A",
                 "serial_number": "PF-1"},
                {"kind": "laptop", "make": "A" * 101, "model": "B", "grade": "A"}):
        page = client.post("/devices/new", data=bad).get_data(as_text=True)
        assert "There is a problem" in page, bad
    assert _count(Device) == 1


def test_batch_form_records_a_batch_and_refuses_bad_input(client, staff, partner):
    tomorrow = date.today() + timedelta(days=1)
    bad = client.post("/devices/batches/new", data={
        "donor": "", "received_on": [str(tomorrow.day), str(tomorrow.month), "x"]})
    assert "There is a problem" in bad.get_data(as_text=True)
    future = client.post("/devices/batches/new", data={
        "donor": "Acme", "received_on": [str(tomorrow.day), str(tomorrow.month),
                                         str(tomorrow.year)]})
    assert "today or in the past" in future.get_data(as_text=True)
    assert _count(DonationBatch) == 0
    good = client.post("/devices/batches/new", data={"donor": "Acme", "received_on": TODAY})
    assert good.status_code == 302 and _count(DonationBatch) == 1
    assert "Acme" in client.get("/devices/batches").get_data(as_text=True)


def test_wipe_form_needs_every_detail_then_moves_the_device(client, staff, partner):
    device = make_device(partner, status=DeviceStatus.RECEIVED)
    db.session.commit()
    bad = client.post(f"/devices/{device.id}/wipe", data={"method": "", "wiped_on": TODAY})
    assert "There is a problem" in bad.get_data(as_text=True)
    assert _count(WipeRecord) == 0
    good = client.post(f"/devices/{device.id}/wipe", data={
        "method": "certified erasure tool", "tool": "Blancco", "wiped_on": TODAY,
        "wiped_by": "Refurb Ltd", "certificate_ref": "BL-7"})
    assert good.status_code == 302
    assert db.session.get(Device, device.id).status is DeviceStatus.WIPED
    again = client.post(f"/devices/{device.id}/wipe", data={
        "method": "certified erasure tool", "wiped_on": TODAY, "wiped_by": "X",
        "certificate_ref": "Y"})
    assert again.status_code == 409 and "cannot be marked wiped" in again.get_data(as_text=True)
    assert _count(WipeRecord) == 1


def test_received_device_cannot_jump_to_ready(client, staff, partner):
    device = make_device(partner, status=DeviceStatus.RECEIVED)
    db.session.commit()
    assert client.post(f"/devices/{device.id}/ready").status_code == 409
    assert db.session.get(Device, device.id).status is DeviceStatus.RECEIVED


def test_retiring_keeps_a_disposal_record_and_records_a_fact(client, staff, partner):
    device = make_device(partner, status=DeviceStatus.READY)
    db.session.commit()
    missing = client.post(f"/devices/{device.id}/retire",
                          data={"reason": "recycled", "retired_on": TODAY})
    assert "Enter the recycler" in missing.get_data(as_text=True)
    assert _count(DisposalRecord) == 0
    done = client.post(f"/devices/{device.id}/retire", data={
        "reason": "recycled", "retired_on": TODAY, "recycler": "GreenIT",
        "certificate_ref": "WEEE-1"})
    assert done.status_code == 302
    db.session.expire_all()
    device = db.session.get(Device, device.id)
    assert device.status is DeviceStatus.RETIRED and device.disposal.recycler == "GreenIT"
    fact = db.session.scalar(select(OutcomeFact))
    assert fact.kind is FactKind.DEVICE_RETIRED and fact.detail == "laptop"
    assert client.post(f"/devices/{device.id}/retire", data={
        "reason": "lost", "retired_on": TODAY}).status_code == 409


def test_transfer_to_another_partner_moves_the_device_out_of_stock(client, staff, partner,
                                                                   other_partner):
    device = make_device(partner)
    db.session.commit()
    bad = client.post(f"/devices/{device.id}/transfer", data={"to_partner_id": ""})
    assert "There is a problem" in bad.get_data(as_text=True)
    assert client.post(f"/devices/{device.id}/transfer",
                       data={"to_partner_id": str(other_partner.id)}).status_code == 302
    db.session.expire_all()
    device = db.session.get(Device, device.id)
    assert device.partner_id == other_partner.id and device.status is DeviceStatus.READY
    assert device.events[-1].action == "transferred"
    assert client.get(f"/devices/{device.id}").status_code == 404


def test_central_bank_allocates_ready_devices_to_a_partner(client, login_as, partner):
    login_as("admin")
    ready = [make_device(None) for _ in range(2)]
    waiting = make_device(None, status=DeviceStatus.RECEIVED)
    db.session.commit()
    refused = client.post("/devices/allocate", data={
        "device_ids": [str(ready[0].id), str(waiting.id)], "to_partner_id": str(partner.id)})
    assert refused.status_code == 302
    assert _count(Device, Device.partner_id == partner.id) == 0
    client.post("/devices/allocate", data={
        "device_ids": [str(d.id) for d in ready], "to_partner_id": str(partner.id)})
    assert _count(Device, Device.partner_id == partner.id) == 2
    page = client.get("/devices/stock").get_data(as_text=True)
    assert "Central device bank" in page and partner.name in page


def test_stock_page_counts_by_kind_and_status(client, staff, partner, other_partner):
    make_device(partner, kind=DeviceKind.TABLET, status=DeviceStatus.READY)
    make_device(partner, kind=DeviceKind.TABLET, status=DeviceStatus.READY)
    make_device(partner, kind=DeviceKind.LAPTOP, status=DeviceStatus.RECEIVED)
    make_device(other_partner, kind=DeviceKind.TABLET, status=DeviceStatus.READY)
    db.session.commit()
    page = client.get("/devices/stock").get_data(as_text=True)
    assert "3 in all" in page


def test_device_list_pages_by_id_and_filters(client, staff, partner):
    import re

    devices = [make_device(partner) for _ in range(55)]
    make_device(partner, status=DeviceStatus.RECEIVED, kind=DeviceKind.HOTSPOT)
    db.session.commit()
    first = client.get("/devices/").get_data(as_text=True)
    assert "56 devices, newest first" in first
    assert devices[0].asset_tag not in first and devices[10].asset_tag in first
    older = re.search(r'href="([^"]*after=\d+)"', first).group(1).replace("&amp;", "&")
    second = client.get(older).get_data(as_text=True)
    assert devices[0].asset_tag in second and devices[10].asset_tag not in second
    newer = re.search(r'href="([^"]*before=\d+)"', second).group(1).replace("&amp;", "&")
    assert devices[10].asset_tag in client.get(newer).get_data(as_text=True)
    hotspot = client.get("/devices/?kind=mobile+hotspot").get_data(as_text=True)
    assert "1 device," in hotspot
    found = client.get(f"/devices/?q={devices[3].asset_tag.lower()}").get_data(as_text=True)
    assert "1 device," in found and devices[3].asset_tag in found
    assert client.get("/devices/?after=abc&status=nonsense").status_code == 200


def test_agreements_are_versioned_and_old_versions_kept(client, login_as, partner):
    login_as("partner_admin", partner)
    bad = client.post("/devices/agreements/new", data={"kind": "loan", "title": "", "body": ""})
    assert "There is a problem" in bad.get_data(as_text=True)
    assert _count(Agreement) == 0
    form = {"kind": "loan", "title": "Loan terms", "body": "Look after it."}
    assert client.post("/devices/agreements/new", data=form).status_code == 302
    same = client.post("/devices/agreements/new", data=form)
    assert "same as the current version" in same.get_data(as_text=True)
    assert client.post("/devices/agreements/new",
                       data={**form, "body": "Look after it well."}).status_code == 302
    versions = db.session.scalars(select(Agreement.version).order_by(Agreement.version)).all()
    assert versions == [1, 2]
    page = client.get("/devices/agreements").get_data(as_text=True)
    assert "Loan agreement, version 2" in page and "Earlier version" in page


def test_lending_settings_change_the_schedule_and_refuse_bad_input(client, login_as, partner):
    login_as("partner_admin", partner)
    for bad in ({"default_loan_weeks": "0", "reminder_offsets": "0"},
                {"default_loan_weeks": "x", "reminder_offsets": "0"},
                {"default_loan_weeks": "8", "reminder_offsets": "soon"}):
        page = client.post("/devices/settings", data=bad).get_data(as_text=True)
        assert "There is a problem" in page, bad
    assert _count(DeviceSettings) == 0
    assert client.post("/devices/settings", data={
        "default_loan_weeks": "8", "reminder_offsets": "-3, 0, 14"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(DeviceSettings, partner.id).reminder_offsets == [-3, 0, 14]
    assert partner.default_loan_weeks == 8

