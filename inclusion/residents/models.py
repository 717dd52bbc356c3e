"""Residents, their consents and their digital engagement assessments."""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion.extensions import Base, Timestamped, UTCDateTime, enum_type, utcnow
from inclusion.reference import AgeBand


class LawfulBasis(enum.StrEnum):
    CONSENT = "consent"
    LEGITIMATE_INTERESTS = "legitimate interests"
    PUBLIC_TASK = "public task"


class ConsentKind(enum.StrEnum):
    SMS_CONTACT = "sms contact"
    REFERRAL_SHARING = "referral sharing"


# The wording staff read out when asking for consent. Change the version whenever the wording
# changes, so each recorded consent says which words the person agreed to.
CONSENT_WORDING_VERSION = "2026.1"
CONSENT_WORDING: dict[ConsentKind, str] = {
    ConsentKind.SMS_CONTACT: (
        "We may send you text messages about the help you get from us, such as voucher codes, "
        "when a device is due back, and updates on a course you were referred to. "
        "You can ask us to stop at any time."
    ),
    ConsentKind.REFERRAL_SHARING: (
        "When we refer you to another organisation in the coalition (for a course or support), "
        "we may share your name, contact details and what you need help with, so they can "
        "contact you. You can ask us to stop at any time."
    ),
}
# Short names used in page addresses (/consents/sms/withdraw).
CONSENT_SLUGS: dict[str, ConsentKind] = {
    "sms": ConsentKind.SMS_CONTACT,
    "sharing": ConsentKind.REFERRAL_SHARING,
}
CONSENT_TITLES: dict[ConsentKind, str] = {
    ConsentKind.SMS_CONTACT: "Contact by text message",
    ConsentKind.REFERRAL_SHARING: "Sharing with referral partners",
}


def consent_slug(kind: ConsentKind) -> str:
    return next(slug for slug, k in CONSENT_SLUGS.items() if k is kind)


class LastUse(enum.StrEnum):
    WITHIN_3_MONTHS = "within the last 3 months"
    MONTHS_3_TO_12 = "3 to 12 months ago"
    OVER_A_YEAR = "more than a year ago"
    NEVER = "never"


class HomeAccess(enum.StrEnum):
    NONE = "none"
    MOBILE_DATA = "mobile data only"
    BROADBAND = "broadband"


class DeviceAccess(enum.StrEnum):
    NONE = "none"
    SHARED = "shared"
    OWN_PHONE = "own phone"
    OWN_COMPUTER = "own computer"


class Classification(enum.StrEnum):
    NON_USER = "non-user"
    LIMITED_USER = "limited user"
    ENGAGED_USER = "engaged user"


class AssessmentKind(enum.StrEnum):
    REGISTRATION = "registration"
    AFTER_SUPPORT = "after support"
    THREE_MONTHS = "3-month follow-up"
    SIX_MONTHS = "6-month follow-up"
    OTHER = "other follow-up"


# The eight Essential Digital Skills foundation tasks, as asked at assessment.
FOUNDATION_TASKS: tuple[tuple[str, str], ...] = (
    ("turn-on", "Turn on a device and enter any account details it asks for"),
    ("controls", "Use the device's controls (mouse, keyboard, touch screen)"),
    ("accessibility", "Use accessibility settings to make the device easier to use"),
    ("home-screen", "Use the home screen to open and close apps"),
    ("wifi", "Connect to a safe and secure Wi-Fi network"),
    ("browser", "Open a browser and find and use a website"),
    ("passwords-safe", "Keep passwords and personal information safe"),
    ("passwords-update", "Update and change a password when asked to"),
)
FOUNDATION_TASK_CODES = tuple(code for code, _ in FOUNDATION_TASKS)

SKILL_AREAS: tuple[tuple[str, str], ...] = (
    ("communicating", "Communicating"),
    ("handling-information", "Handling information and content"),
    ("transacting", "Transacting"),
    ("problem-solving", "Problem solving"),
    ("safe-legal", "Being safe and legal online"),
)
CONFIDENCE_LEVELS: tuple[tuple[str, str], ...] = (
    ("1", "Not at all confident"),
    ("2", "A little confident"),
    ("3", "Fairly confident"),
    ("4", "Very confident"),
)


def classify(last_use: LastUse, tasks: list[str]) -> Classification:
    """Non-user: no use in the last 3 months; limited: not every foundation task; else engaged."""
    if last_use is not LastUse.WITHIN_3_MONTHS:
        return Classification.NON_USER
    if set(FOUNDATION_TASK_CODES) - set(tasks):
        return Classification.LIMITED_USER
    return Classification.ENGAGED_USER


FOLLOW_UP_KINDS: tuple[AssessmentKind, ...] = (
    AssessmentKind.AFTER_SUPPORT,
    AssessmentKind.THREE_MONTHS,
    AssessmentKind.SIX_MONTHS,
    AssessmentKind.OTHER,
)


def search_name(name: str) -> str:
    """The form of a name kept for search and duplicate checks: lower case, single spaces."""
    return " ".join(name.lower().split())


def new_fact_key() -> str:
    return secrets.token_hex(16)


class Resident(Timestamped, Base):
    __tablename__ = "resident"
    __table_args__ = (
        Index("ix_resident_partner_phone", "partner_id", "phone"),
        Index("ix_resident_partner_postcode", "partner_id", "postcode"),
        # Search results' order (name, then id to break ties): see inclusion.pagination.
        Index("ix_resident_partner_name_id", "partner_id", "name_search", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    name: Mapped[str] = mapped_column(String(200))
    # Lower-cased name, for case-insensitive search that can use an index.
    name_search: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    postcode: Mapped[str | None] = mapped_column(String(8))
    local_authority: Mapped[str] = mapped_column(String(9))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    age_band: Mapped[AgeBand] = mapped_column(enum_type(AgeBand, 16))
    gender: Mapped[str | None] = mapped_column(String(16))
    ethnic_group: Mapped[str | None] = mapped_column(String(32))
    disability: Mapped[str | None] = mapped_column(String(16))
    employment_status: Mapped[str | None] = mapped_column(String(16))
    receives_benefits: Mapped[str | None] = mapped_column(String(16))
    preferred_language: Mapped[str] = mapped_column(String(8), default="en")
    lawful_basis: Mapped[LawfulBasis] = mapped_column(enum_type(LawfulBasis))
    # Index of Multiple Deprivation decile of the home postcode, where known.
    imd_decile: Mapped[int | None] = mapped_column(Integer)
    # Random key carried by outcome facts; meaningless once this record is erased.
    fact_key: Mapped[str] = mapped_column(String(32), unique=True, default=new_fact_key)

    registered_by = relationship("User", foreign_keys=[registered_by_id])
    consents: Mapped[list[Consent]] = relationship(
        back_populates="resident", cascade="all, delete-orphan", order_by="Consent.recorded_at"
    )
    assessments: Mapped[list[Assessment]] = relationship(
        back_populates="resident",
        cascade="all, delete-orphan",
        order_by="(Assessment.assessed_on, Assessment.id)",
    )

    def active_consent(self, kind: ConsentKind) -> Consent | None:
        for consent in reversed(self.consents):
            if consent.kind == kind:
                return consent if consent.is_active else None
        return None

    def has_consent(self, kind: ConsentKind) -> bool:
        return self.active_consent(kind) is not None

    @property
    def latest_assessment(self) -> Assessment | None:
        return self.assessments[-1] if self.assessments else None

    def __repr__(self) -> str:
        return f"<Resident {self.id}>"


class Consent(Base):
    """A consent given (one row each time), and its withdrawal."""

    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("resident.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ConsentKind] = mapped_column(enum_type(ConsentKind))
    wording_version: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    withdrawal_note: Mapped[str | None] = mapped_column(String(200))

    resident: Mapped[Resident] = relationship(back_populates="consents")
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])
    withdrawn_by = relationship("User", foreign_keys=[withdrawn_by_id])

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


class Assessment(Base):
    """A digital engagement assessment, at registration or a follow-up."""

    __tablename__ = "assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("resident.id", ondelete="CASCADE"), index=True
    )
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    kind: Mapped[AssessmentKind] = mapped_column(enum_type(AssessmentKind))
    assessed_on: Mapped[date] = mapped_column(Date)
    assessed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    last_use: Mapped[LastUse] = mapped_column(enum_type(LastUse))
    home_access: Mapped[HomeAccess] = mapped_column(enum_type(HomeAccess))
    device_access: Mapped[DeviceAccess] = mapped_column(enum_type(DeviceAccess))
    foundation_tasks: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Skill area code -> confidence level "1".."4".
    confidence: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    classification: Mapped[Classification] = mapped_column(enum_type(Classification))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    resident: Mapped[Resident] = relationship(back_populates="assessments")
    assessed_by = relationship("User", foreign_keys=[assessed_by_id])
