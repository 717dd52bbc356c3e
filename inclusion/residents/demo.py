"""Demo residents with varied assessments, consents, follow-ups and the matching facts.

Residents go through the same services as the registration form, so their facts and audit
entries are exactly what real use would leave behind.
"""

from __future__ import annotations

import random
import string
from datetime import date, timedelta

from inclusion.reference import (
    BENEFITS,
    DISABILITY,
    EMPLOYMENT_STATUSES,
    ETHNIC_GROUPS,
    GENDERS,
    LOCAL_AUTHORITIES,
    AgeBand,
)
from inclusion.residents import services
from inclusion.residents.models import (
    FOUNDATION_TASK_CODES,
    SKILL_AREAS,
    AssessmentKind,
    Classification,
    ConsentKind,
    DeviceAccess,
    HomeAccess,
    LastUse,
    LawfulBasis,
)
from inclusion.tenancy import Partner, PartnerKind, PartnerRole

# First and family names from the many communities of the West Midlands, kept together by
# background so that the demo reads like real people, weighted roughly by the region's mix.
NAME_GROUPS: tuple[tuple[int, tuple[str, ...], tuple[str, ...]], ...] = (
    (34, ("Margaret", "Doreen", "Brian", "Maureen", "Keith", "Sandra", "Gary", "Tracey",
          "Darren", "Jade", "Liam", "Chloe", "Kayleigh", "Stanley", "Beryl", "Joan", "Derek",
          "Pauline", "Craig", "Stacey", "Siân", "Zoë", "Eileen", "Ron"),
     ("Smith", "Jones", "Williams", "Taylor", "Davies", "Evans", "Walker", "Wright", "Hughes",
      "Edwards", "Green", "Hall", "Bennett", "Lewis", "Price", "Morris", "Cartwright",
      "Bayliss", "Onions", "Hadley")),
    (14, ("Amina", "Mohammed", "Fatima", "Imran", "Aisha", "Bilal", "Nasreen", "Tariq",
          "Shazia", "Zainab", "Yusuf", "Hamza", "Rukhsana", "Shabana", "Ruqayyah", "Asif"),
     ("Khan", "Hussain", "Ahmed", "Begum", "Akhtar", "Ali", "Iqbal", "Rashid", "Mahmood",
      "Bibi", "Shah")),
    (10, ("Gurpreet", "Harjinder", "Manjit", "Sukhwinder", "Jaspreet", "Navdeep", "Rajesh",
          "Priya", "Anil", "Sunita", "Deepak", "Kiran", "Hitesh", "Meena"),
     ("Singh", "Kaur", "Sandhu", "Gill", "Bains", "Patel", "Sharma", "Mistry", "Chauhan",
      "Johal")),
    (8, ("Winston", "Marcia", "Delroy", "Claudette", "Errol", "Hyacinth", "Leroy",
         "Beverley", "Clive", "Jennifer"),
     ("Campbell", "Francis", "Thompson", "Brown", "Douglas", "Robinson", "Clarke", "Grant",
      "Henry", "McKenzie")),
    (7, ("Oluwaseun", "Chiamaka", "Kwame", "Abena", "Tendai", "Blessing", "Samuel", "Grace",
         "Emeka", "Ngozi"),
     ("Adeyemi", "Okafor", "Mensah", "Boateng", "Moyo", "Oyelaran", "Okonkwo", "Asante")),
    (6, ("Piotr", "Agnieszka", "Tomasz", "Katarzyna", "Bartłomiej", "Małgorzata", "Andrei",
         "Elena", "Ionuț", "Bogdan"),
     ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Popescu", "Ionescu", "Dumitru")),
    (5, ("Abdirahman", "Hodan", "Faduma", "Yonas", "Selam", "Tesfaye", "Filmon", "Amal"),
     ("Abdi", "Mohamud", "Warsame", "Tesfay", "Gebremedhin", "Haile", "Osman")),
    (4, ("Reza", "Maryam", "Dariush", "Shirin", "Rojda", "Azad", "Ahmad", "Layla", "Omar"),
     ("Hosseini", "Karimi", "Rahimi", "Mahmoud", "Haddad", "Barzani", "Al-Khatib")),
    (4, ("Olena", "Oksana", "Dmytro", "Iryna", "Mykola", "Tetiana"),
     ("Shevchenko", "Kovalenko", "Bondarenko", "Tkachenko", "Melnyk")),
    (4, ("Patrick", "Siobhan", "Declan", "Aoife", "Seán", "Bridget", "Connor"),
     ("O'Connor", "Murphy", "Kelly", "Byrne", "McLaughlin", "Ó Briain", "Doyle")),
    (4, ("Wei", "Mei", "Thanh", "Linh", "Mehmet", "Ayşe", "José", "Ana"),
     ("Nguyen", "Tran", "Chen", "Wang", "Yilmaz", "Demir", "Fernandes", "Santos")),
)


def _name(rng: random.Random) -> tuple[str, str]:
    weights = [weight for weight, _, _ in NAME_GROUPS]
    _, firsts, families = rng.choices(NAME_GROUPS, weights=weights)[0]
    return rng.choice(firsts), rng.choice(families)


# Postcode districts of each authority (outward codes), by ONS code.
DISTRICTS: dict[str, tuple[str, ...]] = {
    "E08000025": tuple(f"B{n}" for n in (5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 19, 20, 21,
                                        23, 24, 26, 27, 28, 29, 30, 31, 33, 34, 36, 42, 44)),
    "E08000026": ("CV1", "CV2", "CV3", "CV4", "CV5", "CV6"),
    "E08000027": ("DY1", "DY2", "DY3", "DY5", "DY6", "DY8", "DY9"),
    "E08000028": ("B64", "B65", "B66", "B67", "B68", "B69", "B70", "B71"),
    "E08000029": ("B26", "B36", "B37", "B90", "B91", "B92", "B93"),
    "E08000030": ("WS1", "WS2", "WS3", "WS4", "WS5", "WS8", "WS9"),
    "E08000031": ("WV1", "WV2", "WV3", "WV4", "WV6", "WV10", "WV11", "WV14"),
}
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
LANGUAGE_WEIGHTS = (("en", 70), ("ur", 6), ("pa", 5), ("pl", 4), ("bn", 3), ("ar", 3),
                    ("ro", 3), ("so", 2), ("ti", 1), ("fa", 1), ("ku", 1), ("uk", 1))
BAND_WEIGHTS = ((AgeBand.A16_24, 8), (AgeBand.A25_34, 10), (AgeBand.A35_44, 12),
                (AgeBand.A45_54, 14), (AgeBand.A55_64, 18), (AgeBand.A65_74, 20),
                (AgeBand.A75_PLUS, 18))
BAND_AGES = {AgeBand.A16_24: (16, 24), AgeBand.A25_34: (25, 34), AgeBand.A35_44: (35, 44),
             AgeBand.A45_54: (45, 54), AgeBand.A55_64: (55, 64), AgeBand.A65_74: (65, 74),
             AgeBand.A75_PLUS: (75, 94)}
# Roughly the region's mix: 22% non-users, 20% limited users, the rest engaged.
CLASS_WEIGHTS = ((Classification.NON_USER, 22), (Classification.LIMITED_USER, 20),
                 (Classification.ENGAGED_USER, 58))


def _pick(rng: random.Random, weighted: tuple[tuple[object, int], ...]) -> object:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


def _postcode(rng: random.Random, authority: str) -> str:
    district = rng.choice(DISTRICTS[authority])
    return f"{district} {rng.randint(1, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"


def _answers(rng: random.Random, wanted: Classification) -> services.Answers:
    """Assessment answers that classify as `wanted`."""
    if wanted is Classification.NON_USER:
        last_use = rng.choice([LastUse.NEVER, LastUse.NEVER, LastUse.OVER_A_YEAR,
                               LastUse.MONTHS_3_TO_12])
        tasks = rng.sample(FOUNDATION_TASK_CODES, rng.randint(0, 3))
        home = rng.choice([HomeAccess.NONE, HomeAccess.NONE, HomeAccess.MOBILE_DATA])
        device = rng.choice([DeviceAccess.NONE, DeviceAccess.NONE, DeviceAccess.SHARED,
                             DeviceAccess.OWN_PHONE])
        levels = "1112"
    elif wanted is Classification.LIMITED_USER:
        last_use = LastUse.WITHIN_3_MONTHS
        tasks = rng.sample(FOUNDATION_TASK_CODES, rng.randint(2, 7))
        home = rng.choice([HomeAccess.NONE, HomeAccess.MOBILE_DATA, HomeAccess.MOBILE_DATA,
                           HomeAccess.BROADBAND])
        device = rng.choice([DeviceAccess.SHARED, DeviceAccess.OWN_PHONE,
                             DeviceAccess.OWN_PHONE])
        levels = "1223"
    else:
        last_use = LastUse.WITHIN_3_MONTHS
        tasks = list(FOUNDATION_TASK_CODES)
        home = rng.choice([HomeAccess.MOBILE_DATA, HomeAccess.BROADBAND, HomeAccess.BROADBAND])
        device = rng.choice([DeviceAccess.OWN_PHONE, DeviceAccess.OWN_COMPUTER])
        levels = "2334"
    return services.Answers(
        last_use=last_use,
        home_access=home,
        device_access=device,
        foundation_tasks=tasks,
        confidence={code: rng.choice(levels) for code, _ in SKILL_AREAS},
    )


def _maybe(rng: random.Random, options: tuple[tuple[str, str], ...], asked: float) -> str | None:
    return rng.choice(options)[0] if rng.random() < asked else None


def _details(rng: random.Random, partner: Partner, phone: str | None, today: date
             ) -> services.Details:
    authority = rng.choice(partner.authorities or [la.code for la in LOCAL_AUTHORITIES])
    if authority not in DISTRICTS:
        authority = rng.choice(list(DISTRICTS))
    band = _pick(rng, BAND_WEIGHTS)
    low, high = BAND_AGES[band]  # type: ignore[index]
    date_of_birth = None
    if rng.random() < 0.7:
        born_year = today.year - rng.randint(low + 1, high)
        date_of_birth = date(born_year, rng.randint(1, 12), rng.randint(1, 28))
    first, family = _name(rng)
    email = None
    if phone and rng.random() < 0.3:
        allowed = string.ascii_lowercase + "."
        local = "".join(ch for ch in f"{first}.{family}".lower() if ch in allowed)
        email = f"{local}{rng.randint(1, 99)}@example.com"
    return services.Details(
        name=f"{first} {family}",
        phone=phone,
        email=email,
        postcode=_postcode(rng, authority) if rng.random() < 0.95 else None,
        local_authority=authority,
        date_of_birth=date_of_birth,
        age_band=None if date_of_birth else band,  # type: ignore[arg-type]
        gender=_maybe(rng, GENDERS[:2], 0.85) or _maybe(rng, GENDERS[2:], 0.05),
        ethnic_group=_maybe(rng, ETHNIC_GROUPS, 0.75),
        disability=_maybe(rng, DISABILITY, 0.7),
        employment_status=_maybe(rng, EMPLOYMENT_STATUSES, 0.7),
        receives_benefits=_maybe(rng, BENEFITS, 0.6),
        preferred_language=str(_pick(rng, LANGUAGE_WEIGHTS)),
        lawful_basis=LawfulBasis.CONSENT if rng.random() < 0.85 else LawfulBasis.PUBLIC_TASK,
    )


def _staff_id(partner: Partner) -> int | None:
    staff = [m.user_id for m in partner.memberships if m.role is PartnerRole.STAFF]
    anyone = [m.user_id for m in partner.memberships]
    chosen = staff or anyone
    return chosen[0] if chosen else None


def seed_residents(*, partners: list[Partner], count: int, rng: random.Random) -> None:
    """Register `count` demo residents across the partners, each with a first assessment.

    About a third of non-users and limited users get a follow-up showing how they moved on;
    registrations spread over the last 18 months; phones come from Ofcom's drama range.
    """
    if count <= 0:
        return
    working = [p for p in partners if p.kind not in (PartnerKind.DONOR, PartnerKind.NETWORK)]
    working = working or list(partners)
    today = services.today()
    numbers = [f"07700 900{n:03d}" for n in range(1000)]
    rng.shuffle(numbers)
    for index in range(count):
        partner = working[index % len(working)] if index < len(working) else rng.choice(working)
        user_id = _staff_id(partner)
        phone = numbers[index % len(numbers)] if rng.random() < 0.85 else None
        registered_on = today - timedelta(days=rng.randint(0, 540))
        wanted = _pick(rng, CLASS_WEIGHTS)
        consents = set()
        if phone and rng.random() < 0.8:
            consents.add(ConsentKind.SMS_CONTACT)
        if rng.random() < 0.6:
            consents.add(ConsentKind.REFERRAL_SHARING)
        resident = services.register_resident(
            partner_id=partner.id,
            user_id=user_id,
            details=_details(rng, partner, phone, registered_on),
            consents=consents,
            answers=_answers(rng, wanted),  # type: ignore[arg-type]
            allow_duplicate=True,
            registered_on=registered_on,
        )
        # Back-date the record and its consents to the day they were registered.
        resident.created_at = resident.created_at.replace(
            year=registered_on.year, month=registered_on.month, day=registered_on.day
        )
        for consent in resident.consents:
            consent.recorded_at = resident.created_at
        if wanted is not Classification.ENGAGED_USER and rng.random() < 0.35:
            _follow_up(rng, resident, wanted, registered_on, today, user_id)  # type: ignore[arg-type]
        if consents and rng.random() < 0.04:
            services.withdraw_consent(resident=resident, kind=sorted(consents)[0],
                                      user_id=user_id, note="Asked us to stop")


def _follow_up(rng: random.Random, resident: object, start: Classification,
               registered_on: date, today: date, user_id: int | None) -> None:
    """After support, most people move up a step; some stay where they were."""
    ladder = [Classification.NON_USER, Classification.LIMITED_USER, Classification.ENGAGED_USER]
    step = ladder.index(start)
    moved = min(step + rng.choice([0, 1, 1, 1, 2]), 2)
    on = registered_on + timedelta(days=rng.randint(28, 70))
    if on > today:
        return
    services.add_assessment(resident=resident, kind=AssessmentKind.AFTER_SUPPORT,  # type: ignore[arg-type]
                            answers=_answers(rng, ladder[moved]), user_id=user_id,
                            assessed_on=on)
    later = on + timedelta(days=90)
    if later <= today and rng.random() < 0.5:
        kept = max(moved - (1 if rng.random() < 0.15 else 0), step)
        services.add_assessment(resident=resident, kind=AssessmentKind.THREE_MONTHS,  # type: ignore[arg-type]
                                answers=_answers(rng, ladder[kept]), user_id=user_id,
                                assessed_on=later)
