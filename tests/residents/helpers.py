"""Form data and counting helpers for the residents tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from inclusion.audit.models import AuditEntry
from inclusion.extensions import db
from inclusion.outcomes.models import OutcomeFact
from inclusion.residents.models import Assessment, Consent, Resident

CONFIDENCE = {
    "confidence_communicating": "1",
    "confidence_handling_information": "2",
    "confidence_transacting": "1",
    "confidence_problem_solving": "1",
    "confidence_safe_legal": "2",
}


def assessment_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "last_use": "never",
        "home_access": "none",
        "device_access": "own phone",
        "foundation_tasks": ["turn-on", "controls"],
        **CONFIDENCE,
    }
    return _apply(data, overrides)


def registration_data(**overrides: Any) -> dict[str, Any]:
    """A complete, valid registration form; an override of None leaves the field out."""
    data: dict[str, Any] = {
        "name": "Amina Khan",
        "phone": "07700 900123",
        "email": "",
        "postcode": "b11 1aa",
        "local_authority": "E08000025",
        "date_of_birth": ["27", "3", "1958"],
        "age_band": "",
        "gender": "woman",
        "ethnic_group": "asian-pakistani",
        "disability": "no",
        "employment_status": "retired",
        "receives_benefits": "yes",
        "preferred_language": "ur",
        "lawful_basis": "consent",
        "sms_consent": "y",
        "sharing_consent": "y",
        **assessment_data(),
    }
    return _apply(data, overrides)


def details_data(**overrides: Any) -> dict[str, Any]:
    data = registration_data()
    for key in ("sms_consent", "sharing_consent", *assessment_data()):
        data.pop(key, None)
    return _apply(data, overrides)


def follow_up_data(**overrides: Any) -> dict[str, Any]:
    data = {"kind": "after support", "assessed_on": ["", "", ""], **assessment_data()}
    return _apply(data, overrides)


def _apply(data: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def count(model: Any) -> int:
    db.session.expire_all()
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def snapshot() -> dict[str, int]:
    """Row counts of everything a residents route could write."""
    return {m.__name__: count(m) for m in (Resident, Consent, Assessment, OutcomeFact,
                                            AuditEntry)}
