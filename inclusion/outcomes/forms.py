"""The target form a system admin fills in."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextInput
from wtforms import IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from inclusion.forms import GovDateField, choices
from inclusion.outcomes.measures import MEASURES
from inclusion.outcomes.models import REGION
from inclusion.reference import LOCAL_AUTHORITIES


def _area_choices() -> list:
    return choices([(REGION, "West Midlands (all seven authorities)"),
                    *((la.code, la.name) for la in LOCAL_AUTHORITIES)])


class TargetForm(FlaskForm):
    measure = SelectField(
        "Measure", widget=GovSelect(),
        choices=choices(((m.key, m.label) for m in MEASURES), blank="Select a measure"),
        validators=[DataRequired("Select a measure")],
    )
    area = SelectField("Area", widget=GovSelect(), choices=_area_choices(),
                       validators=[DataRequired("Select an area")])
    period_start = GovDateField("Start date",
                                validators=[InputRequired("Enter the start date")])
    period_end = GovDateField("End date", validators=[InputRequired("Enter the end date")])
    value = IntegerField(
        "Target", widget=GovTextInput(),
        description="The number to reach over the period. For the non-use target you can "
        "leave this empty and give the adult population below instead.",
        validators=[Optional(), NumberRange(min=1, message="Enter a target of 1 or more")],
    )
    adult_population = IntegerField(
        "Adult population (for the non-use target)", widget=GovTextInput(),
        description="Adults living in the area. The target becomes the people to move out of "
        "non-use each year to go from 22% to 15% of adults over the years below.",
        validators=[Optional(), NumberRange(min=1, message="Enter a population of 1 or more")],
    )
    years = IntegerField(
        "Years to close the gap", widget=GovTextInput(), default=5,
        validators=[Optional(), NumberRange(min=1, max=20,
                                            message="Enter a number of years from 1 to 20")],
    )
    baseline = IntegerField(
        "Baseline (optional)", widget=GovTextInput(),
        description="Where the area started, in the same unit as the target.",
        validators=[Optional(), NumberRange(min=0, message="The baseline cannot be negative")],
    )
    note = StringField("Note (optional)", widget=GovTextInput(),
                       validators=[Optional(), Length(max=300)])
    submit = SubmitField("Save target", widget=GovSubmitInput())
