"""Resident rules: registration, duplicates, search, edits, consents, assessments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.sql import Select
from wtforms.validators import ValidationError as FormValidationError

from inclusion import audit
from inclusion.exceptions import ConflictError, ValidationError
from inclusion.extensions import db, utcnow
from inclusion.forms import normalise_phone, normalise_postcode
from inclusion.outcomes import FactKind, FactSubject, record_fact
from inclusion.reference import (
    AUTHORITY_NAMES,
    BENEFITS,
    DISABILITY,
    EMPLOYMENT_STATUSES,
    ETHNIC_GROUPS,
    GENDERS,
    LANGUAGE_NAMES,
    AgeBand,
    age_band_for,
)
from inclusion.residents.models import (
    CONFIDENCE_LEVELS,
    CONSENT_WORDING_VERSION,
    FOLLOW_UP_KINDS,
    FOUNDATION_TASK_CODES,
    SKILL_AREAS,
    Assessment,
    AssessmentKind,
    Consent,
    ConsentKind,
    DeviceAccess,
    HomeAccess,
    LastUse,
    LawfulBasis,
    Resident,
    classify,
    search_name,
)
from inclusion.tenancy import scoped

LONDON = ZoneInfo("Europe/London")

# Optional equality fields and the codes each accepts.
EQUALITY_CODES: dict[str, set[str]] = {
    "gender": {code for code, _ in GENDERS},
    "ethnic_group": {code for code, _ in ETHNIC_GROUPS},
    "disability": {code for code, _ in DISABILITY},
    "employment_status": {code for code, _ in EMPLOYMENT_STATUSES},
    "receives_benefits": {code for code, _ in BENEFITS},
}


@dataclass
class Details:
    """Who a resident is, as entered on the registration or edit form."""

    name: str
    local_authority: str
    lawful_basis: LawfulBasis
    phone: str | None = None
    email: str | None = None
    postcode: str | None = None
    date_of_birth: date | None = None
    age_band: AgeBand | None = None
    gender: str | None = None
    ethnic_group: str | None = None
    disability: str | None = None
    employment_status: str | None = None
    receives_benefits: str | None = None
    preferred_language: str = "en"


@dataclass
class Answers:
    """The answers to one digital engagement assessment."""

    last_use: LastUse
    home_access: HomeAccess
    device_access: DeviceAccess
    foundation_tasks: list[str]
    confidence: dict[str, str]


class DuplicateResidentError(ConflictError):
    """Someone with the same phone, or the same name and date of birth, is already registered."""

    def __init__(self, matches: list[Resident]) -> None:
        super().__init__(
            "This person may already be registered. Check the records below before going on."
        )
        self.matches = matches


def _subject(resident: Resident) -> FactSubject:
    # Resident satisfies FactSubject; mypy reads the protocol's plain attribute as invariant.
    return cast("FactSubject", resident)


def today() -> date:
    """Today's date in the UK, where the work happens."""
    return datetime.now(LONDON).date()


def local_date(moment: datetime) -> date:
    """The UK date of a stored (UTC) moment."""
    return moment.astimezone(LONDON).date()


def _age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _clean_details(details: Details, *, on: date) -> dict[str, object]:
    """Check and normalise details whoever calls (form, import, demo); return column values."""
    name = " ".join(details.name.split())
    if not name:
        raise ValidationError("Enter the person's full name", field="name")
    if len(name) > 200:
        raise ValidationError("Name must be 200 characters or fewer", field="name")
    phone = None
    if details.phone:
        try:
            phone = normalise_phone(details.phone)
        except FormValidationError as exc:
            raise ValidationError(str(exc), field="phone") from exc
    postcode = None
    if details.postcode:
        postcode = normalise_postcode(details.postcode)
        if postcode is None:
            raise ValidationError("Enter a real UK postcode, like B1 1AA", field="postcode")
    if details.local_authority not in AUTHORITY_NAMES:
        raise ValidationError(
            "Choose the local authority they live in", field="local_authority"
        )
    if details.date_of_birth is not None:
        if details.date_of_birth > on:
            raise ValidationError("Date of birth must be in the past", field="date_of_birth")
        age_band = age_band_for(_age_on(details.date_of_birth, on))
    elif details.age_band is not None:
        age_band = details.age_band
    else:
        raise ValidationError(
            "Enter their date of birth, or choose an age band", field="date_of_birth"
        )
    for name_, allowed in EQUALITY_CODES.items():
        value = getattr(details, name_)
        if value is not None and value not in allowed:
            raise ValidationError("Choose one of the options listed", field=name_)
    if details.preferred_language not in LANGUAGE_NAMES:
        raise ValidationError("Choose the language they prefer", field="preferred_language")
    return {
        "name": name,
        "name_search": search_name(name),
        "phone": phone,
        "email": details.email.strip() if details.email else None,
        "postcode": postcode,
        "local_authority": details.local_authority,
        "date_of_birth": details.date_of_birth,
        "age_band": age_band,
        "gender": details.gender,
        "ethnic_group": details.ethnic_group,
        "disability": details.disability,
        "employment_status": details.employment_status,
        "receives_benefits": details.receives_benefits,
        "preferred_language": details.preferred_language,
        "lawful_basis": LawfulBasis(details.lawful_basis),
    }


def _check_answers(answers: Answers) -> None:
    unknown = set(answers.foundation_tasks) - set(FOUNDATION_TASK_CODES)
    if unknown:
        raise ValidationError("Choose tasks from the list", field="foundation_tasks")
    levels = {code for code, _ in CONFIDENCE_LEVELS}
    for code, _ in SKILL_AREAS:
        if answers.confidence.get(code) not in levels:
            field = f"confidence_{code.replace('-', '_')}"
            raise ValidationError("Choose how confident they feel", field=field)
    if set(answers.confidence) - {code for code, _ in SKILL_AREAS}:
        raise ValidationError("Confidence given for an unknown skill area")


def find_duplicates(
    *, partner_id: int, phone: str | None, name: str, date_of_birth: date | None,
    exclude_id: int | None = None,
) -> list[Resident]:
    """Residents of this partner with the same phone, or the same name and date of birth."""
    conditions = []
    if phone:
        conditions.append(Resident.phone == phone)
    if date_of_birth is not None:
        conditions.append(
            and_(Resident.name_search == search_name(name), Resident.date_of_birth == date_of_birth)
        )
    if not conditions:
        return []
    query = select(Resident).where(Resident.partner_id == partner_id, or_(*conditions))
    if exclude_id is not None:
        query = query.where(Resident.id != exclude_id)
    return list(db.session.scalars(query.order_by(Resident.id).limit(20)))


def _new_assessment(
    *, resident: Resident, kind: AssessmentKind, answers: Answers, assessed_on: date,
    user_id: int | None,
) -> Assessment:
    _check_answers(answers)
    tasks = [code for code in FOUNDATION_TASK_CODES if code in set(answers.foundation_tasks)]
    assessment = Assessment(
        resident=resident,
        partner_id=resident.partner_id,
        kind=kind,
        assessed_on=assessed_on,
        assessed_by_id=user_id,
        last_use=answers.last_use,
        home_access=answers.home_access,
        device_access=answers.device_access,
        foundation_tasks=tasks,
        confidence=dict(answers.confidence),
        classification=classify(answers.last_use, tasks),
    )
    db.session.add(assessment)
    return assessment


def register_resident(
    *,
    partner_id: int,
    user_id: int | None,
    details: Details,
    consents: set[ConsentKind],
    answers: Answers,
    allow_duplicate: bool = False,
    registered_on: date | None = None,
) -> Resident:
    """Register a resident with their consents and first assessment, and record the facts.

    Raises ValidationError for bad details or answers, and DuplicateResidentError when someone
    with the same phone, or name and date of birth, is already registered at the partner
    (unless `allow_duplicate`: staff checked and said they are different people).
    """
    on = registered_on or today()
    values = _clean_details(details, on=on)
    _check_answers(answers)
    if not allow_duplicate:
        matches = find_duplicates(
            partner_id=partner_id,
            phone=values["phone"],  # type: ignore[arg-type]
            name=values["name"],  # type: ignore[arg-type]
            date_of_birth=details.date_of_birth,
        )
        if matches:
            raise DuplicateResidentError(matches)
    resident = Resident(partner_id=partner_id, registered_by_id=user_id, **values)
    db.session.add(resident)
    for kind in sorted(consents):
        resident.consents.append(
            Consent(kind=kind, wording_version=CONSENT_WORDING_VERSION, recorded_by_id=user_id)
        )
    assessment = _new_assessment(
        resident=resident, kind=AssessmentKind.REGISTRATION, answers=answers, assessed_on=on,
        user_id=user_id,
    )
    db.session.flush()
    subject = _subject(resident)
    record_fact(FactKind.RESIDENT_REGISTERED, resident=subject, partner_id=partner_id,
                occurred_on=on)
    record_fact(FactKind.ASSESSMENT, resident=subject, partner_id=partner_id, occurred_on=on,
                detail=f"first:{assessment.classification.value}")
    given = [name for name, value in values.items() if value not in (None, "")]
    audit.record("resident registered", entity_type="resident", entity_id=resident.id,
                 fields=given, partner_id=partner_id, user_id=user_id)
    for consent in resident.consents:
        audit.record("consent given", entity_type="consent", entity_id=consent.id,
                     partner_id=partner_id, user_id=user_id, detail=consent.kind.value)
    audit.record("assessment added", entity_type="assessment", entity_id=assessment.id,
                 partner_id=partner_id, user_id=user_id, detail=assessment.kind.value)
    return resident


def update_resident(*, resident: Resident, details: Details, user_id: int | None) -> list[str]:
    """Change a resident's details; audit the names of the fields that changed (not values).

    Returns the changed field names (empty when nothing changed). Raises ValidationError.
    """
    values = _clean_details(details, on=today())
    changed = [name for name, value in values.items() if getattr(resident, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(resident, name, values[name])
    db.session.flush()
    # name_search follows name; it is not something staff changed themselves.
    shown = [name for name in changed if name != "name_search"]
    audit.record("resident updated", entity_type="resident", entity_id=resident.id,
                 fields=shown, partner_id=resident.partner_id, user_id=user_id)
    return shown


def withdraw_consent(
    *, resident: Resident, kind: ConsentKind, user_id: int | None, note: str | None = None
) -> Consent:
    """Mark the resident's active consent of this kind withdrawn, now.

    Raises ConflictError when there is no active consent of that kind.
    """
    consent = resident.active_consent(kind)
    if consent is None:
        raise ConflictError("There is no consent of this kind to withdraw")
    consent.withdrawn_at = utcnow()
    consent.withdrawn_by_id = user_id
    consent.withdrawal_note = (note or "").strip()[:200] or None
    db.session.flush()
    audit.record("consent withdrawn", entity_type="consent", entity_id=consent.id,
                 fields=["withdrawn_at"], partner_id=resident.partner_id, user_id=user_id,
                 detail=kind.value)
    return consent


def give_consent(*, resident: Resident, kind: ConsentKind, user_id: int | None) -> Consent:
    """Record a new consent (the current wording version), now.

    Raises ConflictError when the resident already has an active consent of that kind.
    """
    if resident.has_consent(kind):
        raise ConflictError("They have already given this consent")
    consent = Consent(kind=kind, wording_version=CONSENT_WORDING_VERSION, recorded_by_id=user_id)
    resident.consents.append(consent)
    db.session.flush()
    audit.record("consent given", entity_type="consent", entity_id=consent.id,
                 partner_id=resident.partner_id, user_id=user_id, detail=kind.value)
    return consent


def add_assessment(
    *,
    resident: Resident,
    kind: AssessmentKind,
    answers: Answers,
    user_id: int | None,
    assessed_on: date | None = None,
) -> Assessment:
    """Add a follow-up assessment, classify it and record a "follow-up:<class>" fact.

    Raises ValidationError for a registration kind, a date in the future or before the
    first assessment, or bad answers.
    """
    if kind not in FOLLOW_UP_KINDS:
        raise ValidationError("Choose which follow-up this is", field="kind")
    on = assessed_on or today()
    if on > today():
        raise ValidationError("Date of the assessment must be today or in the past",
                              field="assessed_on")
    first = resident.assessments[0].assessed_on if resident.assessments else None
    if first is not None and on < first:
        raise ValidationError(
            "Date of the assessment must be on or after their first assessment", field="assessed_on"
        )
    assessment = _new_assessment(resident=resident, kind=kind, answers=answers, assessed_on=on,
                                 user_id=user_id)
    db.session.flush()
    record_fact(FactKind.ASSESSMENT, resident=_subject(resident), partner_id=resident.partner_id,
                occurred_on=on, detail=f"follow-up:{assessment.classification.value}")
    audit.record("assessment added", entity_type="assessment", entity_id=assessment.id,
                 partner_id=resident.partner_id, user_id=user_id, detail=kind.value)
    return assessment


def search_query(text: str) -> Select[Resident]:
    """The acting partner's residents matching a name, phone or postcode.

    Every word of a name must appear (so "amina khan" finds "Amina Begum Khan"); a phone
    number matches however it is typed (07700 900123, +44 7700 900123); a postcode matches
    whole ("b11aa") or by its first half ("B11").
    """
    query = scoped(Resident)
    words = search_name(text).split()
    if not words:
        return query.where(Resident.id.is_(None))
    conditions = [and_(*(Resident.name_search.contains(w, autoescape=True) for w in words))]
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 6:
        tail = digits[1:] if digits.startswith("0") else digits
        conditions.append(Resident.phone.endswith(tail[-10:], autoescape=True))
    postcode = normalise_postcode(text)
    compact = "".join(text.upper().split())
    if postcode:
        conditions.append(Resident.postcode == postcode)
    elif 2 <= len(compact) <= 4 and compact[0].isalpha() and any(c.isdigit() for c in compact):
        conditions.append(Resident.postcode.startswith(compact + " ", autoescape=True))
    return query.where(or_(*conditions)).order_by(Resident.name_search, Resident.id)


def search_reads_ids_first(text: str) -> bool:
    """Whether a page of `search_query(text)` should read its ids first (keyset `narrow`).

    On PostgreSQL a search by name alone should: the partner's (name, id) index answers it in
    order by itself, where the trigram index would gather the name's matches across the region
    and sort them. Phone numbers and postcodes (the searches with digits) are found faster
    through their own indexes, and SQLite has no trigram index.
    """
    return not any(ch.isdigit() for ch in text) and db.engine.dialect.name == "postgresql"

