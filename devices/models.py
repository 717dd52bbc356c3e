"""Device bank models: devices and their history, batches, wipes, disposals, loans and gifts."""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion.exceptions import ConflictError
from inclusion.extensions import Base, Timestamped, UTCDateTime, enum_type, utcnow

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: every character reads aloud and copies by hand unambiguously.
TAG_ALPHABET = "ACDEFHJKMNPRTUVWXY34679"
TAG_PREFIX = "WM"
TAG_LENGTH = 6


def new_asset_tag() -> str:
    """A random tag like 'WM-7K4-Q9X': two groups of three, read aloud in two breaths."""
    chars = "".join(secrets.choice(TAG_ALPHABET) for _ in range(TAG_LENGTH))
    return f"{TAG_PREFIX}-{chars[:3]}-{chars[3:]}"


def normalise_tag(text: str) -> str:
    """A tag as typed or scanned ('wm7k4q9x', 'WM 7K4 Q9X') in its stored form."""
    compact = "".join(ch for ch in text.upper() if ch.isalnum())
    if compact.startswith(TAG_PREFIX):
        compact = compact[len(TAG_PREFIX):]
    if len(compact) != TAG_LENGTH:
        return text.strip().upper()
    return f"{TAG_PREFIX}-{compact[:3]}-{compact[3:]}"


class DeviceKind(enum.StrEnum):
    LAPTOP = "laptop"
    CHROMEBOOK = "Chromebook"
    TABLET = "tablet"
    SMARTPHONE = "smartphone"
    HOTSPOT = "mobile hotspot"


class Grade(enum.StrEnum):
    A = "A"
    B = "B"
    C = "C"
    FOR_PARTS = "for parts"


class DeviceStatus(enum.StrEnum):
    RECEIVED = "received"
    WIPED = "wiped"
    READY = "ready"
    ON_LOAN = "on loan"
    GIFTED = "gifted"
    RETURNED = "returned"
    RETIRED = "retired"


# The only moves a device can make. On loan -> gifted is a loan converted into a gift.
ALLOWED_MOVES: dict[DeviceStatus, frozenset[DeviceStatus]] = {
    DeviceStatus.RECEIVED: frozenset({DeviceStatus.WIPED, DeviceStatus.RETIRED}),
    DeviceStatus.WIPED: frozenset({DeviceStatus.READY, DeviceStatus.RETIRED}),
    DeviceStatus.READY: frozenset(
        {DeviceStatus.ON_LOAN, DeviceStatus.GIFTED, DeviceStatus.RETIRED}
    ),
    DeviceStatus.ON_LOAN: frozenset({DeviceStatus.RETURNED, DeviceStatus.GIFTED}),
    DeviceStatus.RETURNED: frozenset({DeviceStatus.WIPED, DeviceStatus.RETIRED}),
    DeviceStatus.GIFTED: frozenset(),
    DeviceStatus.RETIRED: frozenset(),
}

# Devices in these states can change hands between the bank and partners.
TRANSFERABLE = frozenset(
    {DeviceStatus.RECEIVED, DeviceStatus.WIPED, DeviceStatus.READY, DeviceStatus.RETURNED}
)


def _status_type(name: str) -> Enum:
    return Enum(
        DeviceStatus, native_enum=False, length=16, validate_strings=True,
        values_callable=lambda members: [m.value for m in members], create_constraint=True,
        name=name,
    )


class WipeMethod(enum.StrEnum):
    ERASURE_TOOL = "certified erasure tool"
    FACTORY_RESET = "factory reset with encryption"
    DESTRUCTION = "physical destruction of storage"


class RetirementReason(enum.StrEnum):
    RECYCLED = "recycled"
    LOST = "lost"
    STOLEN = "stolen"
    BEYOND_REPAIR = "beyond repair"


class DonationBatch(Timestamped, Base):
    __tablename__ = "donation_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: the coalition's central device bank.
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), index=True)
    donor: Mapped[str] = mapped_column(String(200))
    received_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class Device(Timestamped, Base):
    __tablename__ = "device"
    __table_args__ = (
        Index("ix_device_partner_id", "partner_id", "id"),
        Index("ix_device_partner_status", "partner_id", "status", "id"),
        Index("ix_device_partner_kind_status", "partner_id", "kind", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_tag: Mapped[str] = mapped_column(String(12), unique=True, default=new_asset_tag)
    serial_number: Mapped[str | None] = mapped_column(String(100), unique=True)
    kind: Mapped[DeviceKind] = mapped_column(enum_type(DeviceKind, 16))
    make: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(100))
    spec_notes: Mapped[str | None] = mapped_column(String(500))
    grade: Mapped[Grade] = mapped_column(enum_type(Grade, 10))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("donation_batch.id"), index=True)
    # None: held by the coalition's central device bank.
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    status: Mapped[DeviceStatus] = mapped_column(
        enum_type(DeviceStatus, 16), default=DeviceStatus.RECEIVED
    )
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    batch: Mapped[DonationBatch | None] = relationship()
    events: Mapped[list[DeviceEvent]] = relationship(
        back_populates="device", order_by="DeviceEvent.id", cascade="all, delete-orphan"
    )
    wipes: Mapped[list[WipeRecord]] = relationship(
        back_populates="device", order_by="WipeRecord.id", cascade="all, delete-orphan"
    )
    disposal: Mapped[DisposalRecord | None] = relationship(back_populates="device")

    def can_move_to(self, status: DeviceStatus) -> bool:
        return status in ALLOWED_MOVES[self.status]

    def _move(self, to: DeviceStatus, *, user_id: int | None, note: str | None = None) -> None:
        if not self.can_move_to(to):
            raise ConflictError(
                f"Device {self.asset_tag} is {self.status.value}: it cannot be marked "
                f"{to.value}."
            )
        self.events.append(
            DeviceEvent(
                action=f"marked {to.value}",
                from_status=self.status,
                to_status=to,
                user_id=user_id,
                partner_id=self.partner_id,
                note=note,
            )
        )
        self.status = to
        self.status_changed_at = utcnow()

    def mark_wiped(self, wipe: WipeRecord, *, user_id: int | None) -> None:
        """Received or returned -> wiped, with the wipe record that proves it."""
        self._move(DeviceStatus.WIPED, user_id=user_id, note=f"certificate {wipe.certificate_ref}")
        self.wipes.append(wipe)

    def mark_ready(self, *, user_id: int | None) -> None:
        if self.status is DeviceStatus.WIPED and self.grade is Grade.FOR_PARTS:
            raise ConflictError(f"Device {self.asset_tag} is graded for parts: it cannot be lent.")
        self._move(DeviceStatus.READY, user_id=user_id)

    def mark_on_loan(self, *, user_id: int | None) -> None:
        self._move(DeviceStatus.ON_LOAN, user_id=user_id)

    def mark_gifted(self, *, user_id: int | None) -> None:
        self._move(DeviceStatus.GIFTED, user_id=user_id)

    def mark_returned(self, *, user_id: int | None) -> None:
        self._move(DeviceStatus.RETURNED, user_id=user_id)

    def mark_retired(self, disposal: DisposalRecord, *, user_id: int | None) -> None:
        self._move(DeviceStatus.RETIRED, user_id=user_id, note=disposal.reason.value)
        self.disposal = disposal

    def transfer_to(self, partner_id: int | None, *, user_id: int | None) -> None:
        """Change owner (bank allocation or partner transfer); the status stays as it is."""
        if self.status not in TRANSFERABLE:
            raise ConflictError(
                f"Device {self.asset_tag} is {self.status.value}: it cannot be transferred."
            )
        if partner_id == self.partner_id:
            raise ConflictError(f"Device {self.asset_tag} already belongs there.")
        self.events.append(
            DeviceEvent(
                action="transferred",
                from_status=self.status,
                to_status=self.status,
                user_id=user_id,
                partner_id=self.partner_id,
                to_partner_id=partner_id,
            )
        )
        self.partner_id = partner_id

    def __repr__(self) -> str:
        return f"<Device {self.id} {self.asset_tag}>"


class DeviceEvent(Base):
    """One line of a device's history: a status move or a change of owner."""

    __tablename__ = "device_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(
        ForeignKey("device.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    action: Mapped[str] = mapped_column(String(40))
    # Two status columns need two CHECK constraint names (PostgreSQL names them per table).
    from_status: Mapped[DeviceStatus | None] = mapped_column(_status_type("from_status"))
    to_status: Mapped[DeviceStatus | None] = mapped_column(_status_type("to_status"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    to_partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    # Never personal data: a certificate reference, a reason, a loan number.
    note: Mapped[str | None] = mapped_column(String(200))

    device: Mapped[Device] = relationship(back_populates="events")
    user = relationship("User", foreign_keys=[user_id])
    partner = relationship("Partner", foreign_keys=[partner_id])
    to_partner = relationship("Partner", foreign_keys=[to_partner_id])


class WipeRecord(Base):
    __tablename__ = "wipe_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(
        ForeignKey("device.id", ondelete="CASCADE"), index=True
    )
    method: Mapped[WipeMethod] = mapped_column(enum_type(WipeMethod, 40))
    tool: Mapped[str | None] = mapped_column(String(100))
    wiped_on: Mapped[date] = mapped_column(Date)
    wiped_by: Mapped[str] = mapped_column(String(200))
    certificate_ref: Mapped[str] = mapped_column(String(100))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    device: Mapped[Device] = relationship(back_populates="wipes")


class DisposalRecord(Base):
    __tablename__ = "disposal_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(
        ForeignKey("device.id", ondelete="CASCADE"), unique=True
    )
    reason: Mapped[RetirementReason] = mapped_column(enum_type(RetirementReason, 16))
    retired_on: Mapped[date] = mapped_column(Date)
    recycler: Mapped[str | None] = mapped_column(String(200))
    certificate_ref: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(String(500))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    device: Mapped[Device] = relationship(back_populates="disposal")


class AgreementKind(enum.StrEnum):
    LOAN = "loan"
    GIFT = "gift"


class Agreement(Base):
    """A partner's loan or gift agreement text; each edit is a new version, old ones are kept."""

    __tablename__ = "device_agreement"
    __table_args__ = (
        UniqueConstraint("partner_id", "kind", "version", name="uq_device_agreement_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    kind: Mapped[AgreementKind] = mapped_column(enum_type(AgreementKind, 8))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def label(self) -> str:
        return f"{self.kind.value.capitalize()} agreement, version {self.version}"


class LoanKind(enum.StrEnum):
    LOAN = "loan"
    GIFT = "gift"


class LoanStatus(enum.StrEnum):
    OPEN = "open"
    RETURNED = "returned"
    GIFTED = "gifted"


class Loan(Base):
    """A device lent (or given) to a resident. At most one open loan per device, by index."""

    __tablename__ = "loan"
    __table_args__ = (
        Index(
            "uq_loan_one_open_per_device",
            "device_id",
            unique=True,
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        # Open loans due soonest first, the id breaking ties (keyset pages of the loans list).
        Index("ix_loan_partner_status_due_id", "partner_id", "status", "due_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), index=True)
    # Kept as null when the resident's record is erased: the loan stays for the device history.
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("resident.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[LoanKind] = mapped_column(enum_type(LoanKind, 8))
    status: Mapped[LoanStatus] = mapped_column(enum_type(LoanStatus, 16))
    lent_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    accessories: Mapped[str | None] = mapped_column(String(300))
    condition_out: Mapped[str] = mapped_column(String(300))
    agreement_id: Mapped[int] = mapped_column(ForeignKey("device_agreement.id"))
    lent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # The loan form's one-time token: a double-submitted form finds the loan it already made.
    request_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    returned_on: Mapped[date | None] = mapped_column(Date)
    condition_in: Mapped[str | None] = mapped_column(String(300))
    accessories_back: Mapped[str | None] = mapped_column(String(300))
    data_removed: Mapped[bool] = mapped_column(Boolean, default=False)
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    gifted_on: Mapped[date | None] = mapped_column(Date)
    gift_agreement_id: Mapped[int | None] = mapped_column(ForeignKey("device_agreement.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    device: Mapped[Device] = relationship()
    resident = relationship("Resident")
    agreement: Mapped[Agreement] = relationship(foreign_keys=[agreement_id])
    gift_agreement: Mapped[Agreement | None] = relationship(foreign_keys=[gift_agreement_id])
    reminders: Mapped[list[LoanReminder]] = relationship(
        back_populates="loan", order_by="LoanReminder.offset_days", cascade="all, delete-orphan"
    )

    @property
    def is_open(self) -> bool:
        return self.status is LoanStatus.OPEN

    def days_overdue(self, today: date) -> int:
        if not self.is_open or self.due_on is None:
            return 0
        return max(0, (today - self.due_on).days)

    def mark_returned(self, *, on: date, condition_in: str, accessories_back: str | None,
                      data_removed: bool, user_id: int | None) -> None:
        if not self.is_open:
            raise ConflictError(f"Loan {self.id} is already {self.status.value}.")
        self.status = LoanStatus.RETURNED
        self.returned_on = on
        self.condition_in = condition_in
        self.accessories_back = accessories_back
        self.data_removed = data_removed
        self.returned_by_id = user_id

    def mark_gifted(self, *, on: date, agreement_id: int) -> None:
        if not self.is_open:
            raise ConflictError(f"Loan {self.id} is already {self.status.value}.")
        self.status = LoanStatus.GIFTED
        self.gifted_on = on
        self.gift_agreement_id = agreement_id


class LoanReminder(Base):
    """A reminder the command considered for a loan: sent (with its message) or not, and why."""

    __tablename__ = "loan_reminder"
    __table_args__ = (UniqueConstraint("loan_id", "offset_days", name="uq_loan_reminder_offset"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loan.id", ondelete="CASCADE"))
    # Days from the due date: -7 a week before, 0 on the day, 7 a week late.
    offset_days: Mapped[int] = mapped_column(Integer)
    run_on: Mapped[date] = mapped_column(Date)
    sms_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("sms_message.id", ondelete="SET NULL")
    )
    outcome: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    loan: Mapped[Loan] = relationship(back_populates="reminders")


DEFAULT_REMINDER_OFFSETS = [-7, 0, 7, 30]


class DeviceSettings(Base):
    """A partner's lending settings beyond the default loan length: the reminder schedule."""

    __tablename__ = "device_settings"

    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), primary_key=True)
    reminder_offsets: Mapped[list[int]] = mapped_column(
        JSON, default=lambda: list(DEFAULT_REMINDER_OFFSETS)
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
