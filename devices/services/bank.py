"""The device bank: who owns what, adding devices and batches, wipes, readiness, transfers,
retirement and stock counts."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.sql import Select

from devices.models import (
    Device,
    DeviceEvent,
    DeviceKind,
    DeviceStatus,
    DisposalRecord,
    DonationBatch,
    Grade,
    RetirementReason,
    WipeMethod,
    WipeRecord,
    new_asset_tag,
)
from inclusion import audit
from inclusion.exceptions import ConflictError, ValidationError
from inclusion.extensions import db
from inclusion.outcomes import FactKind, record_fact
from inclusion.tenancy import Partner

__all__ = [
    "DeviceInput",
    "add_device",
    "allocate_devices",
    "check_device_fields",
    "create_batch",
    "device_query",
    "device_owned",
    "mark_ready",
    "owner_clause",
    "partners_to_transfer_to",
    "record_wipe",
    "retire_device",
    "stock_counts",
    "transfer_device",
]

FIELD_LIMITS = {"make": 100, "model": 100, "serial_number": 100, "spec_notes": 500}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
KIND_BY_TEXT = {k.value.lower(): k for k in DeviceKind}
GRADE_BY_TEXT = {g.value.lower(): g for g in Grade}


@dataclass(frozen=True)
class DeviceInput:
    """One device's details, checked: the form and the CSV import both build these."""

    kind: DeviceKind
    make: str
    model: str
    grade: Grade
    serial_number: str | None
    spec_notes: str | None


def _clean(value: Any) -> str:
    text = "" if value is None else str(value)
    return " ".join(text.split())


def check_device_fields(raw: Mapping[str, Any]) -> tuple[DeviceInput | None, list[tuple[str, str]]]:
    """Check one device's fields; return the clean input or every (field, message) problem.

    The one set of rules for a device, used by the add-device form and each CSV row.
    """
    problems: list[tuple[str, str]] = []
    values = {name: _clean(raw.get(name)) for name in
              ("kind", "make", "model", "grade", "serial_number", "spec_notes")}
    kind = KIND_BY_TEXT.get(values["kind"].lower())
    if not values["kind"]:
        problems.append(("kind", "Select the kind of device"))
    elif kind is None:
        problems.append(("kind", "Kind must be one of: " + ", ".join(k.value for k in DeviceKind)))
    if not values["make"]:
        problems.append(("make", "Enter the make, like Lenovo"))
    if not values["model"]:
        problems.append(("model", "Enter the model, like ThinkPad T480"))
    grade = GRADE_BY_TEXT.get(values["grade"].lower())
    if not values["grade"]:
        problems.append(("grade", "Select the condition grade"))
    elif grade is None:
        problems.append(("grade", "Grade must be one of: " + ", ".join(g.value for g in Grade)))
    for name, limit in FIELD_LIMITS.items():
        if len(values[name]) > limit:
            label = name.replace("_", " ").capitalize()
            problems.append((name, f"{label} must be {limit} characters or fewer"))
    if _CONTROL.search("".join(values.values())):
        problems.append(("make", "Remove control characters from the details"))
    if problems or kind is None or grade is None:
        return None, problems
    return DeviceInput(
        kind=kind,
        make=values["make"],
        model=values["model"],
        grade=grade,
        serial_number=values["serial_number"] or None,
        spec_notes=values["spec_notes"] or None,
    ), []


def owner_clause(owner_id: int | None) -> Any:
    """Devices of this owner: a partner, or the central bank when None."""
    if owner_id is None:
        return Device.partner_id.is_(None)
    return Device.partner_id == owner_id


def device_query(owner_id: int | None) -> Select[Any]:
    return select(Device).where(owner_clause(owner_id))


def device_owned(owner_id: int | None, device_id: Any, *, lock: bool = False) -> Device | None:
    """One device of this owner, or None (callers answer 404). `lock` takes a row lock."""
    try:
        key = int(device_id)
    except (TypeError, ValueError):
        return None
    query = device_query(owner_id).where(Device.id == key)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


def create_batch(*, owner_id: int | None, donor: str, received_on: date, notes: str | None,
                 user_id: int | None) -> DonationBatch:
    """Record a donation batch for a partner, or for the central bank (owner None)."""
    if received_on > date.today():
        raise ValidationError("Date received must be today or in the past", field="received_on")
    batch = DonationBatch(partner_id=owner_id, donor=donor.strip(), received_on=received_on,
                          notes=(notes or "").strip() or None, created_by_id=user_id)
    db.session.add(batch)
    db.session.flush()
    audit.record("donation batch recorded", entity_type="donation_batch", entity_id=batch.id,
                 fields=["donor", "received_on", "notes"], partner_id=owner_id)
    return batch


def _serial_taken(serial: str) -> bool:
    return db.session.scalar(select(Device.id).where(Device.serial_number == serial)) is not None


def unused_tag() -> str:
    for _ in range(20):
        tag = new_asset_tag()
        if db.session.scalar(select(Device.id).where(Device.asset_tag == tag)) is None:
            return tag
    raise ConflictError("Could not find a free asset tag; try again.")  # pragma: no cover


def add_device(*, owner_id: int | None, data: DeviceInput, batch: DonationBatch | None,
               user_id: int | None) -> Device:
    """Add one received device to an owner's stock. Raises ValidationError on a taken serial."""
    if batch is not None and batch.partner_id != owner_id:
        raise ValidationError("Choose one of your own donation batches", field="batch_id")
    if data.serial_number and _serial_taken(data.serial_number):
        raise ValidationError("A device with this serial number is already recorded",
                              field="serial_number")
    device = Device(
        asset_tag=unused_tag(), serial_number=data.serial_number, kind=data.kind, make=data.make,
        model=data.model, grade=data.grade, spec_notes=data.spec_notes,
        batch_id=batch.id if batch else None, partner_id=owner_id, status=DeviceStatus.RECEIVED,
    )
    device.events.append(DeviceEvent(action="received", to_status=DeviceStatus.RECEIVED,
                                     user_id=user_id, partner_id=owner_id))
    db.session.add(device)
    db.session.flush()
    audit.record("device added", entity_type="device", entity_id=device.id,
                 fields=["kind", "make", "model", "grade", "serial_number", "spec_notes"],
                 partner_id=owner_id)
    return device


def record_wipe(*, device: Device, method: WipeMethod, tool: str | None, wiped_on: date,
                wiped_by: str, certificate_ref: str, user_id: int | None) -> WipeRecord:
    """Record a data wipe and move the device to wiped. Raises ConflictError from other states."""
    if wiped_on > date.today():
        raise ValidationError("Date wiped must be today or in the past", field="wiped_on")
    last_return = next((e.at.date() for e in reversed(device.events)
                        if e.to_status is DeviceStatus.RETURNED), None)
    if last_return is not None and wiped_on < last_return:
        raise ValidationError("Date wiped must be on or after the device came back",
                              field="wiped_on")
    wipe = WipeRecord(method=method, tool=(tool or "").strip() or None, wiped_on=wiped_on,
                      wiped_by=wiped_by.strip(), certificate_ref=certificate_ref.strip(),
                      recorded_by_id=user_id)
    device.mark_wiped(wipe, user_id=user_id)
    db.session.flush()
    audit.record("device wiped", entity_type="device", entity_id=device.id,
                 fields=["method", "tool", "wiped_on", "wiped_by", "certificate_ref"],
                 partner_id=device.partner_id)
    return wipe


def mark_ready(*, device: Device, user_id: int | None) -> None:
    """Wiped -> ready to lend. Raises ConflictError from any other state or for parts."""
    device.mark_ready(user_id=user_id)
    db.session.flush()
    audit.record("device ready", entity_type="device", entity_id=device.id, fields=["status"],
                 partner_id=device.partner_id)


@dataclass(frozen=True)
class _NoResident:
    """Retirement has no resident: the fact carries a fresh random key and no dimensions."""

    fact_key: str
    local_authority: str = ""
    age_band: str = ""
    gender: str | None = None
    ethnic_group: str | None = None
    disability: str | None = None
    imd_decile: int | None = None


def retire_device(*, device: Device, reason: RetirementReason, retired_on: date,
                  recycler: str | None, certificate_ref: str | None, notes: str | None,
                  user_id: int | None) -> DisposalRecord:
    """Retire a device with its disposal record. Recycled needs the recycler and certificate."""
    if retired_on > date.today():
        raise ValidationError("Date retired must be today or in the past", field="retired_on")
    recycler = (recycler or "").strip() or None
    certificate_ref = (certificate_ref or "").strip() or None
    if reason is RetirementReason.RECYCLED and not recycler:
        raise ValidationError("Enter the recycler that took the device", field="recycler")
    if reason is RetirementReason.RECYCLED and not certificate_ref:
        raise ValidationError("Enter the recycler's certificate reference",
                              field="certificate_ref")
    disposal = DisposalRecord(reason=reason, retired_on=retired_on, recycler=recycler,
                              certificate_ref=certificate_ref,
                              notes=(notes or "").strip() or None, recorded_by_id=user_id)
    device.mark_retired(disposal, user_id=user_id)
    db.session.flush()
    audit.record("device retired", entity_type="device", entity_id=device.id,
                 fields=["reason", "retired_on", "recycler", "certificate_ref", "notes"],
                 partner_id=device.partner_id)
    if device.partner_id is not None:
        record_fact(FactKind.DEVICE_RETIRED, resident=_NoResident(secrets.token_hex(16)),
                    partner_id=device.partner_id, occurred_on=retired_on,
                    detail=device.kind.value)
    return device.disposal  # type: ignore[return-value]


def partners_to_transfer_to(owner_id: int | None) -> list[Partner]:
    query = select(Partner).where(Partner.active.is_(True)).order_by(Partner.name)
    if owner_id is not None:
        query = query.where(Partner.id != owner_id)
    return list(db.session.scalars(query))


def _active_partner(partner_id: int) -> Partner:
    partner = db.session.get(Partner, partner_id)
    if partner is None or not partner.active:
        raise ValidationError("Choose a partner to send the device to", field="to_partner_id")
    return partner


def transfer_device(*, device: Device, to_partner_id: int, user_id: int | None) -> None:
    """Give a device to another partner (from the bank: an allocation). Status is kept."""
    _active_partner(to_partner_id)
    from_owner = device.partner_id
    device.transfer_to(to_partner_id, user_id=user_id)
    db.session.flush()
    audit.record("device transferred", entity_type="device", entity_id=device.id,
                 fields=["partner_id"], partner_id=from_owner,
                 detail=f"to partner {to_partner_id}")


def allocate_devices(*, owner_id: int | None, device_ids: list[int], to_partner_id: int,
                     user_id: int | None) -> int:
    """Allocate several ready devices from an owner's stock to a partner; all or none."""
    _active_partner(to_partner_id)
    if not device_ids:
        raise ValidationError("Select at least one device", field="device_ids")
    devices = list(db.session.scalars(
        device_query(owner_id).where(Device.id.in_(device_ids)).with_for_update()
    ))
    if len(devices) != len(set(device_ids)):
        raise ValidationError("Some selected devices are not in your stock", field="device_ids")
    for device in devices:
        if device.status is not DeviceStatus.READY:
            raise ConflictError(f"Device {device.asset_tag} is {device.status.value}: only ready "
                                "devices are allocated.", field="device_ids")
        device.transfer_to(to_partner_id, user_id=user_id)
        audit.record("device transferred", entity_type="device", entity_id=device.id,
                     fields=["partner_id"], partner_id=owner_id,
                     detail=f"to partner {to_partner_id}")
    db.session.flush()
    return len(devices)


def stock_counts(owner_id: int | None) -> dict[str, Any]:
    """Counts of an owner's devices by kind and status, with row and column totals."""
    rows = db.session.execute(
        select(Device.kind, Device.status, func.count())
        .where(owner_clause(owner_id))
        .group_by(Device.kind, Device.status)
    ).all()
    table = {kind: {status: 0 for status in DeviceStatus} for kind in DeviceKind}
    for kind, status, count in rows:
        table[kind][status] = count
    by_status = {s: sum(table[k][s] for k in DeviceKind) for s in DeviceStatus}
    return {
        "table": table,
        "kind_totals": {k: sum(table[k].values()) for k in DeviceKind},
        "status_totals": by_status,
        "total": sum(by_status.values()),
    }


def stock_by_partner() -> list[tuple[str, dict[DeviceStatus, int], int]]:
    """For system admins: every owner (the bank first) with its device counts by status."""
    rows = db.session.execute(
        select(Device.partner_id, Device.status, func.count())
        .group_by(Device.partner_id, Device.status)
    ).all()
    names = dict(db.session.execute(select(Partner.id, Partner.name)).all())
    out: dict[int | None, dict[DeviceStatus, int]] = {}
    for partner_id, status, count in rows:
        out.setdefault(partner_id, {s: 0 for s in DeviceStatus})[status] = count
    ordered = sorted(out.items(),
                     key=lambda item: (item[0] is not None, names.get(item[0] or 0, "")))
    return [("Central device bank" if pid is None else names.get(pid, f"Partner {pid}"), counts,
             sum(counts.values())) for pid, counts in ordered]


__all__ += ["stock_by_partner", "unused_tag"]
