"""Bulk generator for `demo region`: offers, referrals through every status, the fund.

Learning partners publish offers; residents who agreed to sharing are referred to another
partner's offer and the referral moves through sent, accepted, declined, withdrawn, enrolled,
completed and not completed, with an event per move. Two fund rounds give grants to training
providers and colleges, whose cohorts enrol residents who start, complete or withdraw, with
3-month outcomes. Facts follow every step as the services would record them.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from inclusion.demo_region import Region, ResidentRow, at

OFFERS = (
    ("basic digital skills with a digital champion", "no qualification",
     "Digital champion drop-in"),
    ("Essential Digital Skills qualification", "entry level", "Essential Digital Skills"),
    ("one-to-one help", "no qualification", "One-to-one help with your phone"),
    ("coding bootcamp", "level 3", "Web development bootcamp"),
    ("cyber bootcamp", "level 3", "Cyber security bootcamp"),
    ("apprenticeship", "level 4 or above", "Data technician apprenticeship"),
)
LEARNING_KINDS = ("library", "training provider", "college", "community group", "charity")
FUND_KINDS = ("training provider", "college")
# status, share: the final state of each referral (its path follows ALLOWED_MOVES).
REFERRAL_ENDS = (("sent", 10), ("accepted", 8), ("declined", 10), ("withdrawn", 5),
                 ("enrolled", 15), ("completed", 37), ("not completed", 15))
PATHS = {
    "sent": [], "accepted": ["accepted"], "declined": ["declined"], "withdrawn": ["withdrawn"],
    "enrolled": ["accepted", "enrolled"], "completed": ["accepted", "enrolled", "completed"],
    "not completed": ["accepted", "enrolled", "not completed"],
}
FACT = {"accepted": "referral accepted", "declined": "referral declined",
        "enrolled": "referral enrolled", "completed": "referral completed",
        "not completed": "referral not completed"}
OUTCOMES = (("in work", 30), ("better job", 10), ("further learning", 20), ("apprenticeship", 5),
            ("none", 35))


def setup(region: Region) -> None:
    rng, today = region.rng, region.today
    learning = [p for p in region.working if p.kind in LEARNING_KINDS]
    offer_rows, offers = [], []
    stamp = at(today - timedelta(days=800))
    for partner in learning:
        for kind, level, title in rng.sample(OFFERS, 2):
            offers.append((partner, kind))
            start = today + timedelta(days=rng.randint(7, 90))
            offer_rows.append({
                "partner_id": partner.id, "title": title, "kind": kind, "level": level,
                "delivery": rng.choice(("in person", "online", "blended")),
                "place": None, "summary": f"{title} for adults in the area.",
                "authorities_packed": "|" + "|".join(sorted(partner.authorities)) + "|",
                "target_groups_packed": "|older-people|women|", "eligibility_notes": None,
                "capacity": rng.choice((10, 12, 15, 20)), "start_dates_text": f"|{start}|",
                "latest_start_on": start, "accepts_referrals": True, "response_days": 5,
                "active": True, "created_at": stamp, "updated_at": stamp,
            })
    ids = region.ids("learning_offer", len(offer_rows))
    for oid, row in zip(ids, offer_rows, strict=True):
        row["id"] = oid
    region.insert("learning_offer", offer_rows)
    region.shared["learners.offers"] = [(oid, p.id, kind) for oid, (p, kind)
                                        in zip(ids, offers, strict=True)]

    rounds = [(today.year - 1, today - timedelta(days=500)),
              (today.year, today - timedelta(days=140))]
    round_ids = region.ids("fund_round", len(rounds))
    region.insert("fund_round", [
        {"id": rid, "name": f"Digital Skills Retraining Fund {year}", "opens_on": opens,
         "closes_on": opens + timedelta(days=60), "budget": Decimal("2000000.00"),
         "priority_groups": ["women", "ethnic-minorities", "low-paid-work"],
         "start_percent": Decimal("30.00"), "completion_percent": Decimal("40.00"),
         "outcome_percent": Decimal("30.00"), "created_at": stamp, "updated_at": stamp}
        for rid, (year, opens) in zip(round_ids, rounds, strict=True)])
    providers = [p for p in region.working if p.kind in FUND_KINDS]
    grants, cohorts = [], []
    per_grant = max(2, region.total // (400 * max(1, len(providers))))
    for rid, (_, opens) in zip(round_ids, rounds, strict=True):
        for partner in providers:
            gid = region.ids("fund_grant", 1)[0]
            grants.append({"id": gid, "round_id": rid, "partner_id": partner.id,
                           "reference": f"G{rid:02d}-{partner.id:04d}",
                           "value": Decimal("150000.00"), "target_starts": 20 * per_grant,
                           "target_completions": 15 * per_grant, "target_outcomes": 8 * per_grant,
                           "created_at": stamp, "updated_at": stamp})
            for index in range(per_grant):
                starts = opens + timedelta(days=70 + 7 * (index % 40))
                cohorts.append({"id": region.ids("fund_cohort", 1)[0], "grant_id": gid,
                                "partner_id": partner.id, "round_id": rid,
                                "course": rng.choice(("Cyber security bootcamp",
                                                      "Web development bootcamp",
                                                      "Data analysis course")),
                                "starts_on": starts, "ends_on": starts + timedelta(days=84),
                                "places": 20, "delivery": "blended", "location": None,
                                "created_at": stamp, "updated_at": stamp})
    region.insert("fund_grant", grants)
    region.insert("fund_cohort", [{k: v for k, v in c.items() if k != "round_id"}
                                  for c in cohorts])
    region.shared["learners.cohorts"] = [(c["id"], c["partner_id"], c["round_id"], c["starts_on"],
                                          c["ends_on"]) for c in cohorts]


def _referrals(region: Region, chunk: list[ResidentRow]) -> None:
    rng, today = region.rng, region.today
    offers = region.shared["learners.offers"]
    if not offers:
        return
    ends = [s for s, _ in REFERRAL_ENDS]
    weights = [w for _, w in REFERRAL_ENDS]
    chosen = [r for r in chunk if r.sharing and rng.random() < 0.3]
    ids = iter(region.ids("referral", len(chosen)))
    referrals: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for resident in chosen:
        offer_id, to_partner, kind = rng.choice(offers)
        if to_partner == resident.partner_id:
            offer_id, to_partner, kind = rng.choice(offers)
        sent_on = min(today, resident.registered_on + timedelta(days=rng.randint(0, 20)))
        end = rng.choices(ends, weights=weights)[0]
        path = PATHS[end]
        # Each move some days after the one before; stop early if it would be in the future.
        moves, on = [], sent_on
        for status in path:
            on = on + timedelta(days=rng.randint(2, 30) if status != "completed" else 60)
            if on > today:
                break
            moves.append((status, on))
        status = moves[-1][0] if moves else "sent"
        rid = next(ids)
        row = {
            "id": rid, "offer_id": offer_id, "from_partner_id": resident.partner_id,
            "to_partner_id": to_partner, "resident_id": resident.id,
            "referred_by_id": resident.staff_id, "status": status, "version": 1 + len(moves),
            "shared_fields": ["local_authority"],
            "snapshot": {} if status == "withdrawn" else {"name": resident.name,
                                                           **({"phone": resident.phone}
                                                              if resident.phone else {})},
            "note": None, "consent_overridden": False, "override_reason": None,
            "sms_updates": resident.sms, "sent_at": at(sent_on),
            "respond_by": at(sent_on + timedelta(days=5)), "responded_at": None,
            "closed_at": None, "decline_reason": None, "not_completed_reason": None,
            "created_at": at(sent_on), "updated_at": at(moves[-1][1] if moves else sent_on),
        }
        region.fact(resident, "referral made", resident.partner_id, sent_on, kind)
        events.append({"referral_id": rid, "at": at(sent_on), "user_id": resident.staff_id,
                       "partner_id": resident.partner_id, "status": "sent", "reason": None})
        for move, when in moves:
            acting = resident.partner_id if move == "withdrawn" else to_partner
            events.append({"referral_id": rid, "at": at(when), "user_id": None,
                           "partner_id": acting, "status": move, "reason": None})
            if move in ("accepted", "declined"):
                row["responded_at"] = at(when)
            if move in ("declined", "withdrawn", "completed", "not completed"):
                row["closed_at"] = at(when)
            if move == "declined":
                row["decline_reason"] = "The course is full"
            if move == "not completed":
                row["not_completed_reason"] = rng.choice(("unable to contact",
                                                          "no longer needed", "other"))
            if move in FACT:
                region.fact(resident, FACT[move], to_partner, when, kind)
        referrals.append(row)
    event_ids = region.ids("referral_event", len(events))
    for eid, event in zip(event_ids, events, strict=True):
        event["id"] = eid
    region.insert("referral", referrals)
    region.insert("referral_event", events)


def _enrolments(region: Region, chunk: list[ResidentRow]) -> None:
    rng, today = region.rng, region.today
    cohorts = region.shared["learners.cohorts"]
    if not cohorts:
        return
    outcomes = [o for o, _ in OUTCOMES]
    weights = [w for _, w in OUTCOMES]
    chosen = [r for r in chunk if r.age_band not in ("65-74", "75+") and rng.random() < 0.08]
    rows = []
    ids = iter(region.ids("fund_enrolment", len(chosen)))
    for resident in chosen:
        cohort_id, partner_id, round_id, starts, ends = rng.choice(cohorts)
        detail = f"round {round_id}"
        enrolled_on = starts - timedelta(days=rng.randint(3, 30))
        row: dict[str, Any] = {
            "id": next(ids), "cohort_id": cohort_id, "partner_id": partner_id,
            "resident_id": resident.id, "referral_id": None, "status": "enrolled",
            "enrolled_on": enrolled_on, "started_on": None, "completed_on": None,
            "withdrawn_on": None, "withdrawal_reason": None, "outcome_3_months": None,
            "outcome_6_months": None, "created_at": at(enrolled_on), "updated_at": at(enrolled_on),
        }
        if starts <= today and rng.random() < 0.9:
            row.update(status="started", started_on=starts)
            region.fact(resident, "cohort start", partner_id, starts, detail)
            if rng.random() < 0.2:
                left = starts + timedelta(days=rng.randint(5, 60))
                if left <= today:
                    row.update(status="withdrawn", withdrawn_on=left,
                               withdrawal_reason=rng.choice(("found work", "health or disability",
                                                             "caring responsibilities")))
            elif ends <= today:
                row.update(status="completed", completed_on=ends)
                region.fact(resident, "cohort completion", partner_id, ends, detail)
                three = ends + timedelta(days=91)
                if three <= today and rng.random() < 0.8:
                    outcome = rng.choices(outcomes, weights=weights)[0]
                    row["outcome_3_months"] = outcome
                    region.fact(resident, "outcome at 3 months", partner_id, three, outcome)
        rows.append(row)
    region.insert("fund_enrolment", rows)


def residents(region: Region, chunk: list[ResidentRow]) -> None:
    _referrals(region, chunk)
    _enrolments(region, chunk)
