"""Bulk generator for `demo region`: schemes, code batches, stock, vouchers issued and used.

Residents who agreed to texts may get a voucher (more often those without home internet);
vouchers are delivered, redeemed, left to expire, or (rarely) revoked with their code made void.
Each code is issued at most once; partners keep some available codes in stock.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from inclusion.demo_region import Region, ResidentRow, at

SCHEMES = (
    ("National Databank SIM", "Good Things Foundation", "SIM with data",
     "20GB a month for 6 months", 20),
    ("Data top-up", "Vodafone", "data top-up code", "30GB of data", 40),
    ("Social tariff referral", "BT", "social tariff referral",
     "A social tariff broadband offer", 25),
    ("Coalition connectivity voucher", "West Midlands Coalition", "coalition voucher",
     "A month of home broadband", 15),
)
CRITERIA = ["low income", "no home internet"]


def setup(region: Region) -> None:
    now = at(region.today - timedelta(days=800))
    ids = region.ids("voucher_scheme", len(SCHEMES))
    batch_ids = region.ids("voucher_batch", len(SCHEMES))
    rows, batches = [], []
    for sid, bid, (name, provider, kind, gives, _) in zip(ids, batch_ids, SCHEMES, strict=True):
        rows.append({"id": sid, "name": name, "provider": provider, "kind": kind, "gives": gives,
                     "criteria": CRITERIA, "validity_days": 90, "sms_purpose": "voucher issued",
                     "active": True, "created_at": now, "updated_at": now})
        batches.append({"id": bid, "scheme_id": sid, "reference": f"Generated stock {sid}",
                        "source": "generated", "size": 0, "expires_on": None,
                        "created_by_id": region.admin_id, "created_at": now})
    region.insert("voucher_scheme", rows)
    region.insert("voucher_batch", batches)
    region.shared["vouchers.schemes"] = [
        (sid, bid, weight) for sid, bid, (*_, weight) in zip(ids, batch_ids, SCHEMES, strict=True)]


def residents(region: Region, chunk: list[ResidentRow]) -> None:
    rng, today = region.rng, region.today
    schemes = region.shared["vouchers.schemes"]
    weights = [w for *_, w in schemes]
    chosen = [r for r in chunk if r.sms and rng.random() < 0.35]
    stock = len(chosen) // 2
    code_ids = iter(region.ids("voucher_code", len(chosen) + stock))
    voucher_ids = iter(region.ids("voucher", len(chosen)))
    codes, vouchers = [], []
    for resident in chosen:
        scheme_id, batch_id, _ = rng.choices(schemes, weights=weights)[0]
        issued_on = min(today, resident.registered_on + timedelta(days=rng.randint(0, 20)))
        expires_on = issued_on + timedelta(days=90)
        code_id = next(code_ids)
        voucher: dict[str, Any] = {
            "id": next(voucher_ids), "partner_id": resident.partner_id,
            "resident_id": resident.id, "scheme_id": scheme_id, "code_id": code_id,
            "status": "issued", "criteria": CRITERIA[: rng.randint(1, 2)],
            "issued_by_id": resident.staff_id, "issued_at": at(issued_on),
            "expires_on": expires_on, "delivered_at": None, "redeemed_on": None,
            "revoked_at": None, "revoked_by_id": None, "revoke_reason": None,
            "replaces_id": None, "resend_count": 0, "last_resent_at": None,
            "followed_up_on": None, "still_connected": None, "social_tariff": None,
            "follow_up_note": None, "created_at": at(issued_on), "updated_at": at(issued_on),
        }
        code_status = "issued"
        detail = f"scheme {scheme_id}"
        region.fact(resident, "voucher issued", resident.partner_id, issued_on, detail)
        roll = rng.random()
        if roll < 0.02:
            voucher.update(status="revoked", revoked_at=at(issued_on, 15),
                           revoked_by_id=resident.staff_id, revoke_reason="Sent to wrong number")
            code_status = "void"
        else:
            if rng.random() < 0.95:
                voucher["delivered_at"] = at(issued_on, 11)
                region.fact(resident, "voucher delivered", resident.partner_id, issued_on, detail)
            redeemed_on = issued_on + timedelta(days=rng.randint(1, 40))
            if roll < 0.65 and redeemed_on <= today:
                voucher.update(status="redeemed", redeemed_on=redeemed_on)
                region.fact(resident, "voucher redeemed", resident.partner_id, redeemed_on,
                            detail)
                follow = redeemed_on + timedelta(days=30)
                if follow <= today and rng.random() < 0.5:
                    tariff = rng.random() < 0.25
                    voucher.update(followed_up_on=follow, still_connected=rng.random() < 0.8,
                                   social_tariff=tariff)
                    if tariff:
                        region.fact(resident, "social tariff taken up", resident.partner_id,
                                    follow, detail)
            elif expires_on < today:
                voucher["status"] = "expired"
                region.fact(resident, "voucher expired unredeemed", resident.partner_id,
                            expires_on + timedelta(days=1), detail)
        codes.append({"id": code_id, "batch_id": batch_id, "scheme_id": scheme_id,
                      "code": f"WM{region.seed:04d}{code_id:010d}",
                      "partner_id": resident.partner_id,
                      "status": code_status, "expires_on": None})
        vouchers.append(voucher)
    for _ in range(stock):
        scheme_id, batch_id, _ = rng.choices(schemes, weights=weights)[0]
        partner = rng.choice(region.working) if rng.random() < 0.9 else None
        code_id = next(code_ids)
        codes.append({"id": code_id, "batch_id": batch_id, "scheme_id": scheme_id,
                      "code": f"WM{region.seed:04d}{code_id:010d}",
                      "partner_id": partner.id if partner else None, "status": "available",
                      "expires_on": today + timedelta(days=rng.randint(30, 365))})
    region.insert("voucher_code", codes)
    region.insert("voucher", vouchers)
    phones = {r.id: r.phone for r in chosen}
    message_ids = region.ids("sms_message", len(vouchers))
    region.insert("sms_message", [{
        "id": mid, "resident_id": v["resident_id"], "partner_id": v["partner_id"],
        "purpose": "voucher issued", "language": "en", "to": phones[v["resident_id"]],
        "body": "Your connectivity voucher code is on its way from your local partner.",
        "status": "delivered" if v["delivered_at"] else "undelivered", "attempts": 1,
        "next_attempt_at": v["issued_at"], "claimed_at": v["issued_at"], "provider": "twilio",
        "provider_id": f"SM{region.seed:04d}{mid:012d}", "error_code": None,
        "error_message": None, "related_type": "voucher", "related_id": v["id"],
        "created_at": v["issued_at"], "sent_at": v["issued_at"],
        "status_at": v["delivered_at"] or v["issued_at"],
    } for mid, v in zip(message_ids, vouchers, strict=True)])
