"""The device status machine: every allowed move works, every other move is refused."""

from __future__ import annotations

from datetime import date

import pytest

from devices.models import (
    ALLOWED_MOVES,
    Device,
    DeviceKind,
    DeviceStatus,
    DisposalRecord,
    Grade,
    RetirementReason,
    WipeMethod,
    WipeRecord,
    new_asset_tag,
    normalise_tag,
)
from inclusion.exceptions import ConflictError

S = DeviceStatus
EXPECTED_MOVES = {
    (S.RECEIVED, S.WIPED), (S.WIPED, S.READY), (S.READY, S.ON_LOAN), (S.READY, S.GIFTED),
    (S.ON_LOAN, S.RETURNED), (S.ON_LOAN, S.GIFTED), (S.RETURNED, S.WIPED),
    (S.RECEIVED, S.RETIRED), (S.WIPED, S.RETIRED), (S.READY, S.RETIRED), (S.RETURNED, S.RETIRED),
}
ALL_PAIRS = [(a, b) for a in DeviceStatus for b in DeviceStatus]


def _device(status: DeviceStatus, grade: Grade = Grade.B) -> Device:
    return Device(asset_tag="WM-ACD-EFH", kind=DeviceKind.LAPTOP, make="Dell", model="E7450",
                  grade=grade, status=status, events=[], wipes=[])


def _move(device: Device, to: DeviceStatus) -> None:
    if to is S.WIPED:
        device.mark_wiped(WipeRecord(method=WipeMethod.ERASURE_TOOL, wiped_on=date.today(),
                                     wiped_by="Refurb Ltd", certificate_ref="C-1"), user_id=None)
    elif to is S.READY:
        device.mark_ready(user_id=None)
    elif to is S.ON_LOAN:
        device.mark_on_loan(user_id=None)
    elif to is S.GIFTED:
        device.mark_gifted(user_id=None)
    elif to is S.RETURNED:
        device.mark_returned(user_id=None)
    elif to is S.RETIRED:
        device.mark_retired(DisposalRecord(reason=RetirementReason.LOST, retired_on=date.today()),
                            user_id=None)
    else:
        device._move(to, user_id=None)


def test_the_move_table_is_exactly_the_documented_one():
    table = {(a, b) for a, targets in ALLOWED_MOVES.items() for b in targets}
    assert table == EXPECTED_MOVES


@pytest.mark.parametrize(("start", "to"), sorted(EXPECTED_MOVES))
def test_allowed_move_changes_status_and_writes_history(start, to):
    device = _device(start)
    _move(device, to)
    assert device.status is to
    assert device.events[-1].from_status is start
    assert device.events[-1].to_status is to


@pytest.mark.parametrize(("start", "to"), [p for p in ALL_PAIRS if p not in EXPECTED_MOVES])
def test_move_not_in_the_table_is_refused_with_a_clear_message(start, to):
    device = _device(start)
    with pytest.raises(ConflictError) as refused:
        _move(device, to)
    assert device.status is start
    assert device.events == []
    assert f"is {start.value}" in refused.value.message
    assert f"cannot be marked {to.value}" in refused.value.message


def test_device_for_parts_cannot_be_made_ready():
    device = _device(S.WIPED, grade=Grade.FOR_PARTS)
    with pytest.raises(ConflictError, match="for parts"):
        device.mark_ready(user_id=None)
    assert device.status is S.WIPED


def test_wipe_record_is_kept_with_the_move():
    device = _device(S.RECEIVED)
    _move(device, S.WIPED)
    assert device.wipes[0].certificate_ref == "C-1"
    assert device.events[-1].note == "certificate C-1"


@pytest.mark.parametrize("status", [S.ON_LOAN, S.GIFTED, S.RETIRED])
def test_devices_out_or_gone_cannot_be_transferred(status):
    device = _device(status)
    device.partner_id = 1
    with pytest.raises(ConflictError, match="cannot be transferred"):
        device.transfer_to(2, user_id=None)
    assert device.partner_id == 1


def test_asset_tags_are_short_and_use_only_unambiguous_characters():
    tags = {new_asset_tag() for _ in range(500)}
    assert len(tags) == 500
    for tag in tags:
        assert len(tag) == 10 and tag.startswith("WM-")
        assert not set(tag[3:].replace("-", "")) & set("0O1IL2Z5S8B")


def test_typed_or_scanned_tags_are_normalised():
    assert normalise_tag("wm acd efh") == "WM-ACD-EFH"
    assert normalise_tag("ACDEFH") == "WM-ACD-EFH"
    assert normalise_tag("WM-ACD-EFH") == "WM-ACD-EFH"
