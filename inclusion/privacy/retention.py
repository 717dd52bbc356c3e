"""Retention: how long each record type is kept, and the run that erases what is past its time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from inclusion import privacy
from inclusion.extensions import db
from inclusion.privacy import Expired
from inclusion.privacy.dates import subtract_period
from inclusion.privacy.models import Erasure, ErasureReason, PeriodUnit, RetentionPolicyRecord
from inclusion.residents.models import Resident


@dataclass(frozen=True)
class RecordType:
    key: str
    label: str
    measured_from: str
    period: int
    unit: PeriodUnit


# The defaults, used until a system admin sets a period. Personal data goes two years after a
# resident's last activity; message text after 90 days (it has done its job by then); audit
# entries after six years (the limitation period for claims); enrolments after six years
# because fund rounds are audited that long after payment.
RECORD_TYPES: tuple[RecordType, ...] = (
    RecordType("residents", "Residents' personal data", "after the resident's last activity",
               24, PeriodUnit.MONTHS),
    RecordType("loans", "Device loans", "after the loan ended", 24, PeriodUnit.MONTHS),
    RecordType("vouchers", "Connectivity vouchers", "after the voucher was issued",
               24, PeriodUnit.MONTHS),
    RecordType("messages", "Text message content", "after the message was written",
               90, PeriodUnit.DAYS),
    RecordType("referrals", "Referrals", "after the referral closed", 24, PeriodUnit.MONTHS),
    RecordType("enrolments", "Enrolments", "after the enrolment ended", 72, PeriodUnit.MONTHS),
    RecordType("audit entries", "Audit entries", "after the entry was made", 72,
               PeriodUnit.MONTHS),
)
MAX_PERIOD = {PeriodUnit.MONTHS: 1200, PeriodUnit.DAYS: 36500}


def record_types() -> list[RecordType]:
    """The known record types plus any a registered package adds (24 months by default)."""
    known = list(RECORD_TYPES)
    keys = {t.key for t in known}
    for handler in privacy.handlers():
        for key in handler.record_types:
            if key not in keys:
                keys.add(key)
                known.append(RecordType(key, key.capitalize(), "after it was last used",
                                        24, PeriodUnit.MONTHS))
    return known


@dataclass(frozen=True)
class Period:
    period: int
    unit: PeriodUnit

    def __str__(self) -> str:
        unit = self.unit.value if self.period != 1 else self.unit.value.rstrip("s")
        return f"{self.period} {unit}"


def load_periods() -> dict[str, Period]:
    """Every record type's retention period: what an admin set, else the default."""
    periods = {t.key: Period(t.period, t.unit) for t in record_types()}
    for row in db.session.scalars(select(RetentionPolicyRecord)):
        periods[row.record_type] = Period(row.period, row.unit)
    return periods


@dataclass
class Policy:
    """The retention line for each record type at one moment (what expire hooks are given)."""

    now: datetime
    periods: dict[str, Period]

    def cutoff(self, record_type: str) -> datetime:
        """Records of this type older than this are past their time."""
        try:
            period = self.periods[record_type]
        except KeyError:
            raise KeyError(f"no retention period for record type {record_type!r}") from None
        return subtract_period(self.now, period.period, period.unit)


@dataclass
class Report:
    """What a retention run did, or would do."""

    now: datetime
    dry_run: bool
    lines: list[Expired] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(line.count for line in self.lines)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for line in self.lines:
            out[line.record_type] = out.get(line.record_type, 0) + line.count
        return out

    def text(self, *, show_ids: int = 20) -> str:
        head = "Retention dry run: nothing was changed." if self.dry_run else "Retention run."
        out = [f"{head} As of {self.now:%Y-%m-%d %H:%M} UTC."]
        for line in self.lines:
            verb = f"would be {line.action}" if self.dry_run else line.action
            text = f"  {line.record_type}: {line.count} {verb}"
            if self.dry_run and line.ids:
                shown = ", ".join(str(i) for i in line.ids[:show_ids])
                more = f" and {line.count - show_ids} more" if line.count > show_ids else ""
                text += f" (ids {shown}{more})"
            out.append(text)
        if not self.changed:
            out.append("  Nothing is past its retention period.")
        elif self.dry_run and self.counts().get("residents"):
            out.append("  Records of residents who would be erased may also be counted under "
                       "their own type; a real run counts each once.")
        return "\n".join(out)


def residents_past_retention(policy: Policy) -> list[int]:
    """Ids of residents, not yet erased, whose last activity is before the residents cutoff.

    Last activity is the latest of the record's own change, its assessments, consents and
    messages, and whatever each registered package reports (an open loan counts as now).
    """
    cutoff = policy.cutoff("residents")
    erased = select(Erasure.resident_id)
    candidates = list(db.session.scalars(
        select(Resident.id)
        .where(Resident.updated_at < cutoff, Resident.id.not_in(erased))
        .order_by(Resident.id)
    ))
    if not candidates:
        return []
    stale = set(candidates)
    for handler in privacy.handlers():
        if handler.last_activity is None:
            continue
        for resident_id, moment in handler.last_activity(candidates).items():
            if moment >= cutoff:
                stale.discard(resident_id)
    return sorted(stale)


def run(*, now: datetime, dry_run: bool) -> Report:
    """Apply every retention period as of `now`, in the current transaction; flush, no commit.

    Residents past their time are erased through every registered handler (facts stay); then
    each handler expires its own record types. Running again changes nothing; a dry run
    changes nothing and lists what would go. Raises whatever a handler raises (the caller
    rolls back, so a failed run leaves everything as it was).
    """
    from inclusion import audit
    from inclusion.privacy import services

    policy = Policy(now=now, periods=load_periods())
    report = Report(now=now, dry_run=dry_run)
    resident_ids = residents_past_retention(policy)
    report.lines.append(Expired("residents", "erased", tuple(resident_ids)))
    if not dry_run:
        for resident_id in resident_ids:
            resident = db.session.get(Resident, resident_id)
            assert resident is not None
            services.erase_resident(resident=resident, reason=ErasureReason.RETENTION, by=None)
    for handler in privacy.handlers():
        if handler.expire is not None:
            report.lines.extend(handler.expire(policy, now, dry_run))
    if not dry_run and report.changed:
        audit.record(
            "retention run",
            detail="; ".join(f"{k} {v}" for k, v in report.counts().items() if v)[:200],
        )
    db.session.flush()
    return report


def set_periods(*, values: dict[str, Period], by_id: int | None) -> list[str]:
    """Store retention periods (record type -> period); returns the types that changed.

    Raises ValidationError for an unknown record type or a period out of range.
    """
    from inclusion import audit
    from inclusion.exceptions import ValidationError

    known = {t.key for t in record_types()}
    current = load_periods()
    changed: list[str] = []
    for key, period in values.items():
        if key not in known:
            raise ValidationError(f"There is no record type called {key!r}", field=None)
        if not 1 <= period.period <= MAX_PERIOD[period.unit]:
            raise ValidationError(
                f"Enter a period between 1 and {MAX_PERIOD[period.unit]} {period.unit}",
                field=None,
            )
        if current.get(key) == period:
            continue
        row = db.session.get(RetentionPolicyRecord, key)
        if row is None:
            row = RetentionPolicyRecord(record_type=key)
            db.session.add(row)
        row.period = period.period
        row.unit = period.unit
        row.updated_by_id = by_id
        changed.append(key)
    if changed:
        audit.record("retention periods changed", entity_type="retention policy",
                     fields=changed)
    db.session.flush()
    return changed


def describe(periods: Sequence[RecordType] | None = None) -> list[tuple[RecordType, Period]]:
    """Each record type with its current period, for pages and the CLI."""
    current = load_periods()
    return [(t, current[t.key]) for t in (periods or record_types())]
