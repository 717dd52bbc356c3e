"""Builders for device bank records. They add and flush; tests commit."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from devices.models import (
    Agreement,
    AgreementKind,
    Device,
    DeviceEvent,
    DeviceKind,
    DeviceStatus,
    Grade,
    Loan,
    LoanKind,
    LoanStatus,
    new_asset_tag,
)
from inclusion.extensions import db

_serials = itertools.count(1)


def make_device(partner: Any = None, *, status: DeviceStatus = DeviceStatus.READY,
                kind: DeviceKind = DeviceKind.LAPTOP, grade: Grade = Grade.B,
                **fields: Any) -> Device:
    device = Device(
        asset_tag=fields.pop("asset_tag", new_asset_tag()),
        serial_number=fields.pop("serial_number", f"SN{next(_serials):06d}"),
        kind=kind, make=fields.pop("make", "Lenovo"), model=fields.pop("model", "ThinkPad T480"),
        grade=grade, partner_id=partner.id if partner is not None else None, status=status,
        **fields,
    )
    device.events.append(DeviceEvent(action="received", to_status=status,
                                     partner_id=device.partner_id))
    db.session.add(device)
    db.session.flush()
    return device


def make_agreement(partner: Any, kind: AgreementKind = AgreementKind.LOAN,
                   version: int = 1, body: str | None = None) -> Agreement:
    agreement = Agreement(
        partner_id=partner.id, kind=kind, version=version,
        title=f"Device {kind.value} agreement",
        body=body or (f"You agree to look after the device.\n\nThis is the {kind.value} "
                      "agreement wording."),
    )
    db.session.add(agreement)
    db.session.flush()
    return agreement


def make_loan(partner: Any, resident: Any, device: Device | None = None, *,
              lent_on: date | None = None, due_on: date | None = None,
              agreement: Agreement | None = None) -> Loan:
    device = device or make_device(partner, status=DeviceStatus.ON_LOAN)
    device.status = DeviceStatus.ON_LOAN
    lent_on = lent_on or date.today() - timedelta(days=7)
    loan = Loan(
        partner_id=partner.id, device_id=device.id, resident_id=resident.id, kind=LoanKind.LOAN,
        status=LoanStatus.OPEN, lent_on=lent_on, due_on=due_on or lent_on + timedelta(weeks=12),
        condition_out="Good", agreement_id=(agreement or make_agreement(
            partner, version=900 + device.id)).id,
    )
    db.session.add(loan)
    db.session.flush()
    return loan
