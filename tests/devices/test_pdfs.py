"""Asset labels and agreements as PDFs, read back; the PDF renderer fetches nothing outside."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from devices.models import AgreementKind, DonationBatch
from devices.pdf import RefusedFetch, SafeURLFetcher
from inclusion.extensions import db
from tests.devices.factories import make_agreement, make_device


def _text(response) -> str:
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.get_data()))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_batch_labels_pdf_has_every_tag_as_text(client, staff, partner):
    from datetime import date

    batch = DonationBatch(partner_id=partner.id, donor="Refurb", received_on=date(2026, 11, 1))
    db.session.add(batch)
    db.session.flush()
    devices = [make_device(partner, batch_id=batch.id) for _ in range(12)]
    db.session.commit()
    text = _text(client.get(f"/devices/batches/{batch.id}/labels.pdf"))
    for device in devices:
        assert device.asset_tag in text


def test_selected_labels_pdf_has_only_the_selected_own_devices(client, staff, partner,
                                                               other_partner):
    mine = [make_device(partner) for _ in range(3)]
    theirs = make_device(other_partner)
    db.session.commit()
    response = client.post("/devices/labels", data={
        "device_ids": [str(mine[0].id), str(mine[2].id), str(theirs.id)]})
    text = _text(response)
    assert mine[0].asset_tag in text and mine[2].asset_tag in text
    assert mine[1].asset_tag not in text and theirs.asset_tag not in text


def test_agreement_pdf_is_the_agreement_text_in_large_print(client, staff, partner):
    agreement = make_agreement(partner, AgreementKind.LOAN,
                               body="Keep the laptop dry.\n\nBring it back when asked.")
    db.session.commit()
    text = _text(client.get(f"/devices/agreements/{agreement.id}.pdf"))
    assert "Keep the laptop dry." in text and "Bring it back when asked." in text
    assert "Loan agreement, version 1" in text


def test_labels_carry_a_qr_code_image(client, staff, partner):
    device = make_device(partner)
    db.session.commit()
    response = client.post("/devices/labels", data={"device_ids": [str(device.id)]})
    reader = PdfReader(io.BytesIO(response.get_data()))
    page = reader.pages[0]
    # The QR code is drawn as vector paths: the page carries more than the text alone.
    assert len(page.get_contents().get_data()) > 2000


@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://example.org/x.png",
                                 "https://169.254.169.254/latest"])
def test_pdf_url_fetcher_refuses_files_and_other_hosts(url):
    with pytest.raises(RefusedFetch):
        SafeURLFetcher().fetch(url)


def test_pdf_url_fetcher_allows_inline_data():
    response = SafeURLFetcher().fetch("data:text/plain;base64,aGk=")
    try:
        assert response.read() == b"hi"
    finally:
        response.close()
