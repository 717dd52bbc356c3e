"""Bulk generator for `demo region`: agreements, donated devices, loans, returns and gifts.

About a quarter of residents (more of the non-users) get a device. Loans are open (some
overdue), returned, converted to gifts, or were gifts from the start; each device has at most
one open loan, and its status follows its last loan. Partners also hold stock that is ready,
wiped or just received, and the central bank holds some of its own.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from devices.models import TAG_ALPHABET, TAG_LENGTH, TAG_PREFIX
from inclusion.demo_region import Region, ResidentRow, at

KINDS = (("laptop", 45), ("Chromebook", 15), ("tablet", 20), ("smartphone", 15),
         ("mobile hotspot", 5))
MAKES = {"laptop": ("Lenovo", "ThinkPad T480"), "Chromebook": ("Acer", "Chromebook 314"),
         "tablet": ("Samsung", "Galaxy Tab A8"), "smartphone": ("Motorola", "moto g54"),
         "mobile hotspot": ("TP-Link", "M7350")}
LOAN_TEXT = "I will look after the device and bring it back by the date agreed."
GIFT_TEXT = "The device is mine to keep. The partner has removed all previous data."


def asset_tag(device_id: int) -> str:
    """A tag made from the id, so generated tags never collide."""
    chars, n = [], device_id
    for _ in range(TAG_LENGTH):
        n, r = divmod(n, len(TAG_ALPHABET))
        chars.append(TAG_ALPHABET[r])
    text = "".join(reversed(chars))
    return f"{TAG_PREFIX}-{text[:3]}-{text[3:]}"


def setup(region: Region) -> None:
    rows = []
    agreement_ids = region.ids("device_agreement", 2 * len(region.working))
    loan_agreement, gift_agreement = {}, {}
    for index, partner in enumerate(region.working):
        loan_id, gift_id = agreement_ids[2 * index], agreement_ids[2 * index + 1]
        loan_agreement[partner.id], gift_agreement[partner.id] = loan_id, gift_id
        for aid, kind, title, body in ((loan_id, "loan", "Device loan agreement", LOAN_TEXT),
                                       (gift_id, "gift", "Device gift agreement", GIFT_TEXT)):
            rows.append({"id": aid, "partner_id": partner.id, "kind": kind, "version": 1,
                         "title": title, "body": body, "created_by_id": partner.staff_id,
                         "created_at": at(region.today - timedelta(days=800))})
    region.insert("device_agreement", rows)
    region.shared["devices.agreements"] = (loan_agreement, gift_agreement)


def _device(region: Region, device_id: int, partner_id: int | None, kind: str, status: str,
            when: Any) -> dict[str, Any]:
    make, model = MAKES[kind]
    return {"id": device_id, "asset_tag": asset_tag(device_id),
            "serial_number": f"SN{region.seed:04d}{device_id:010d}", "kind": kind, "make": make,
            "model": model, "grade": region.rng.choice(("A", "B", "B", "C")),
            "partner_id": partner_id, "status": status, "status_changed_at": when,
            "created_at": when, "updated_at": when}


def residents(region: Region, chunk: list[ResidentRow]) -> None:
    rng, today = region.rng, region.today
    loan_agreement, gift_agreement = region.shared["devices.agreements"]
    kinds = [k for k, _ in KINDS]
    weights = [w for _, w in KINDS]
    chosen = [r for r in chunk
              if rng.random() < (0.45 if r.classification == "non-user" else 0.18)]
    extra = len(chosen) // 3
    bank = len(chosen) // 20
    device_ids = iter(region.ids("device", len(chosen) + extra + bank))
    loan_ids = iter(region.ids("loan", len(chosen)))
    devices, loans = [], []
    for resident in chosen:
        kind = rng.choices(kinds, weights=weights)[0]
        lent_on = min(today, resident.registered_on + timedelta(days=rng.randint(0, 30)))
        due_on = lent_on + timedelta(weeks=12)
        roll = rng.random()
        device_id, loan_id = next(device_ids), next(loan_ids)
        loan: dict[str, Any] = {
            "id": loan_id, "partner_id": resident.partner_id, "device_id": device_id,
            "resident_id": resident.id, "kind": "loan", "status": "open", "lent_on": lent_on,
            "due_on": due_on, "accessories": "charger", "condition_out": "good working order",
            "agreement_id": loan_agreement[resident.partner_id],
            "lent_by_id": resident.staff_id, "returned_on": None, "condition_in": None,
            "accessories_back": None, "data_removed": False, "returned_by_id": None,
            "gifted_on": None, "gift_agreement_id": None, "created_at": at(lent_on),
            "updated_at": at(lent_on),
        }
        if roll < 0.15:  # a gift from the start
            loan.update(kind="gift", status="gifted", due_on=None, gifted_on=lent_on,
                        gift_agreement_id=gift_agreement[resident.partner_id],
                        agreement_id=gift_agreement[resident.partner_id])
            status, changed = "gifted", lent_on
            region.fact(resident, "device gifted", resident.partner_id, lent_on, kind)
        else:
            region.fact(resident, "device lent", resident.partner_id, lent_on, kind)
            back = lent_on + timedelta(days=rng.randint(20, 110))
            if roll < 0.25 and back <= today:  # loan converted to a gift
                loan.update(status="gifted", gifted_on=back,
                            gift_agreement_id=gift_agreement[resident.partner_id])
                status, changed = "gifted", back
                region.fact(resident, "device gifted", resident.partner_id, back, kind)
            elif roll < 0.7 and back <= today:  # returned
                loan.update(status="returned", returned_on=back, condition_in="good",
                            accessories_back="charger", data_removed=True,
                            returned_by_id=resident.staff_id)
                status, changed = "returned", back
                region.fact(resident, "device returned", resident.partner_id, back, kind)
            else:  # still out; overdue when due_on has passed
                status, changed = "on loan", lent_on
        devices.append(_device(region, device_id, resident.partner_id, kind, status, at(changed)))
        loans.append(loan)
    for _ in range(extra):  # partners' stock waiting to go out
        partner = rng.choice(region.working)
        devices.append(_device(region, next(device_ids), partner.id,
                               rng.choices(kinds, weights=weights)[0],
                               rng.choice(("ready", "ready", "wiped", "received")),
                               at(today - timedelta(days=rng.randint(0, 90)))))
    for _ in range(bank):  # the central bank's own
        devices.append(_device(region, next(device_ids), None,
                               rng.choices(kinds, weights=weights)[0],
                               rng.choice(("received", "wiped", "ready")),
                               at(today - timedelta(days=rng.randint(0, 60)))))
    region.insert("device", devices)
    region.insert("loan", loans)
