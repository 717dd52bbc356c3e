"""Form building blocks shared by every package: GOV.UK widgets, choices, dates, phones."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import phonenumbers
from flask import current_app
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput
from wtforms import Field, SelectChoice
from wtforms.validators import ValidationError

POSTCODE_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
# UK mobile numbers in E.164 (07[1-5] and 07[7-9]), which are most residents' numbers. Their
# national form is always "07xxx xxxxxx", so lists of residents format them without a full
# parse (a page of 25 search results spent about 0.8 ms parsing them). Pagers (076), personal
# numbers (070) and the rest keep phonenumbers' own formatting.
_UK_MOBILE_RE = re.compile(r"\+447[1-57-9][0-9]{8}")


def choices(pairs: Iterable[tuple[str, str]], *, blank: str | None = None) -> list[SelectChoice]:
    """SelectChoice list from (value, label) pairs, optionally led by a blank prompt."""
    out = [SelectChoice("", blank)] if blank is not None else []
    out.extend(SelectChoice(value, label) for value, label in pairs)
    return out


def enum_choices(enum_class: Any, *, blank: str | None = None) -> list[SelectChoice]:
    return choices(((m.value, m.value.capitalize()) for m in enum_class), blank=blank)


def normalise_postcode(value: str) -> str | None:
    """A UK postcode in its standard form ('B1 1AA'), or None if it is not one."""
    compact = re.sub(r"\s+", "", value.upper())
    match = POSTCODE_RE.match(compact)
    if not match:
        return None
    return f"{match.group(1)} {match.group(2)}"


def normalise_phone(value: str) -> str:
    """A phone number in E.164 form (UK by default); raises ValidationError with the reason."""
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            "Enter a phone number, like 07700 900 982 or +44 121 496 0000"
        ) from exc
    valid = phonenumbers.is_valid_number(number)
    if not valid and current_app.config.get("ACCEPT_DRAMA_NUMBERS"):
        national = phonenumbers.national_significant_number(number)
        valid = number.country_code == 44 and national.startswith("7700900")
    if not valid:
        raise ValidationError("Enter a real phone number, like 07700 900 982 or +44 121 496 0000")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(value: str | None) -> str:
    """A stored number as people write it: national form for UK numbers, else international."""
    if not value:
        return ""
    if _UK_MOBILE_RE.fullmatch(value):
        return f"0{value[3:7]} {value[7:]}"
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        return value
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 44
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, fmt)


class DateInput(GovDateInput):
    """GOV.UK date input that copes with missing parts (the stock widget raises on them)."""

    def map_gov_params(self, field: Field, **kwargs: Any) -> dict[str, Any]:
        if field.raw_data is not None:
            field.raw_data = (list(field.raw_data) + ["", "", ""])[:3]
        return super().map_gov_params(field, **kwargs)


class GovDateField(Field):
    """A date entered as day, month and year boxes, with the GOV.UK error messages."""

    widget = DateInput()

    def __init__(self, label: str | None = None, validators: Sequence[Any] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        parts = (list(valuelist) + ["", "", ""])[:3]
        self.raw_data = parts
        if not any(p.strip() for p in parts):
            self.data = None
            return
        day, month, year = (p.strip() for p in parts)
        missing = [name for name, v in (("day", day), ("month", month), ("year", year)) if not v]
        if missing:
            self.data = None
            raise ValueError(f"{self.label.text} must include a {' and '.join(missing)}")
        try:
            self.data = date(int(year), int(month), int(day))
        except ValueError as exc:
            self.data = None
            raise ValueError(f"{self.label.text} must be a real date") from exc
        if self.data.year < 1900:
            self.data = None
            raise ValueError(f"{self.label.text} must be a real date")

    def _value(self) -> str:
        return self.data.strftime("%d %m %Y") if self.data else ""


def error_summary(form: FlaskForm) -> list[dict[str, str]]:
    """The error-summary list; each link goes to the first input of its field."""
    items = []
    for name, errors in form.errors.items():
        field = form._fields.get(name)
        if field is None or not errors:
            continue
        message = errors[0] if isinstance(errors, list) else str(errors)
        if isinstance(message, dict):
            continue
        anchor = field.id
        if isinstance(field, GovDateField):
            anchor = f"{field.name}-day"
        items.append({"text": str(message), "href": f"#{anchor}"})
    return items


def add_form_error(form: FlaskForm, field: str | None, message: str) -> None:
    """Attach a service's error to the form, so it shows beside the field and in the summary."""
    target = form._fields.get(field) if field else None
    if target is None:
        target = next(iter(f for f in form if f.type not in ("CSRFTokenField", "SubmitField")))
    target.errors = [*list(target.errors), message]  # type: ignore[misc]
