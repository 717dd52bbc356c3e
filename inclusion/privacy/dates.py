"""Calendar arithmetic for data protection deadlines and retention periods."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

from inclusion.privacy.models import PeriodUnit


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later (or earlier), clamped to the month's end.

    31 January + 1 month is 28 February (29 in a leap year); 29 February + 12 months is
    28 February. Works for negative `months` too.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    if year < 1:
        raise ValueError("date out of range")
    last = calendar.monthrange(year, month0 + 1)[1]
    return day.replace(year=year, month=month0 + 1, day=min(day.day, last))


def response_due(received_on: date) -> date:
    """When a subject access response is due: one calendar month after the request arrived.

    The ICO's rule: the corresponding day of the next month, or that month's last day when it
    has no such day (a request on 31 January is due on 28 or 29 February).
    """
    return add_months(received_on, 1)


def subtract_period(moment: datetime, period: int, unit: PeriodUnit) -> datetime:
    """`moment` moved back by a retention period (calendar months, or days)."""
    if unit is PeriodUnit.DAYS:
        return moment - timedelta(days=period)
    moved = add_months(moment.date(), -period)
    return moment.replace(year=moved.year, month=moved.month, day=moved.day)
