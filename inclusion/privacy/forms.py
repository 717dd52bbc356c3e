"""Forms: erasing a resident, recording a subject access request, setting retention periods."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import Field, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length
from wtforms.validators import ValidationError as FieldError

from inclusion.forms import GovDateField, choices
from inclusion.privacy.models import REQUEST_REASONS, PeriodUnit
from inclusion.privacy.retention import MAX_PERIOD, Period, RecordType

CONFIRM_WORD = "ERASE"


class ErasureForm(FlaskForm):
    reason = RadioField(
        "Why are you erasing this resident's data?",
        widget=GovRadioInput(),
        choices=choices((r.value, r.value.capitalize()) for r in REQUEST_REASONS),
        validators=[InputRequired("Select why you are erasing this resident's data")],
    )
    confirm = StringField(
        f"Type {CONFIRM_WORD} to confirm",
        widget=GovTextInput(),
        description="This cannot be undone.",
        validators=[DataRequired(f"Type {CONFIRM_WORD} to confirm"), Length(max=20)],
    )
    submit = SubmitField("Erase this resident's data", widget=GovSubmitInput())

    def validate_confirm(self, field: Field) -> None:
        if (field.data or "").strip().upper() != CONFIRM_WORD:
            raise FieldError(f"Type {CONFIRM_WORD} to confirm, or go back if you do not mean to")


class AccessRequestForm(FlaskForm):
    received_on = GovDateField(
        "When did the resident ask for their data?",
        description="For example, 27 3 2026. The answer is due one calendar month later.",
        validators=[InputRequired("Enter the date the request was received")],
    )
    submit = SubmitField("Record the request", widget=GovSubmitInput())


def slug(record_type: str) -> str:
    return record_type.replace(" ", "_")


class RetentionFormBase(FlaskForm):
    record_types: list[RecordType] = []

    def periods(self) -> dict[str, Period]:
        out = {}
        for record_type in self.record_types:
            period = int(self[f"period_{slug(record_type.key)}"].data)
            unit = PeriodUnit(self[f"unit_{slug(record_type.key)}"].data)
            out[record_type.key] = Period(period, unit)
        return out

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        for record_type in self.record_types:
            period_field = self[f"period_{slug(record_type.key)}"]
            unit_field = self[f"unit_{slug(record_type.key)}"]
            if period_field.errors or unit_field.errors:
                continue
            text = (period_field.data or "").strip()
            unit = PeriodUnit(unit_field.data)
            limit = MAX_PERIOD[unit]
            if not text.isdigit() or not 1 <= int(text) <= limit:
                period_field.errors = [
                    f"{record_type.label}: enter a whole number of {unit.value} "
                    f"from 1 to {limit}"
                ]
                ok = False
        return ok


def retention_form(record_types: list[RecordType], current: dict[str, Period],
                   formdata: Any = None) -> RetentionFormBase:
    """A form with a period and a unit for each record type, filled with the current values."""

    class RetentionForm(RetentionFormBase):
        pass

    RetentionForm.record_types = record_types
    for record_type in record_types:
        key = slug(record_type.key)
        setattr(RetentionForm, f"period_{key}", StringField(
            f"{record_type.label}: keep for",
            widget=GovTextInput(),
            description=record_type.measured_from.capitalize(),
            validators=[DataRequired(f"{record_type.label}: enter how long to keep them")],
        ))
        setattr(RetentionForm, f"unit_{key}", SelectField(
            f"{record_type.label}: months or days",
            widget=GovSelect(),
            choices=choices((u.value, u.value.capitalize()) for u in PeriodUnit),
            validators=[InputRequired(f"{record_type.label}: choose months or days")],
            validate_choice=True,
        ))
    RetentionForm.submit = SubmitField("Save retention periods", widget=GovSubmitInput())
    data = {}
    for record_type in record_types:
        period = current[record_type.key]
        data[f"period_{slug(record_type.key)}"] = str(period.period)
        data[f"unit_{slug(record_type.key)}"] = period.unit.value
    return RetentionForm(formdata=formdata, data=data)
