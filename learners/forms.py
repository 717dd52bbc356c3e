"""Learners forms: offers, the directory filter, referrals and their moves, the fund."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    DecimalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from inclusion.forms import GovDateField, choices
from inclusion.reference import AUTHORITY_CHOICES, LOCAL_AUTHORITIES
from learners.models import (
    PRIORITY_GROUPS,
    SHAREABLE_FIELDS,
    Delivery,
    NotCompletedReason,
    OfferKind,
    OfferLevel,
    OutcomeKind,
    WithdrawalReason,
)

YES_NO = choices([("yes", "Yes"), ("no", "No")])


def _enum_label_choices(enum_class: Any, blank: str | None = None) -> Any:
    return choices(((m.value, m.value[0].upper() + m.value[1:]) for m in enum_class), blank=blank)


class OfferForm(FlaskForm):
    title = StringField("Title", widget=GovTextInput(),
                        validators=[DataRequired("Enter a title for the offer"), Length(max=200)])
    kind = SelectField("Kind of offer", widget=GovSelect(),
                       choices=_enum_label_choices(OfferKind, blank="Choose a kind"),
                       validators=[DataRequired("Select the kind of offer")])
    level = SelectField("Level", widget=GovSelect(),
                        choices=_enum_label_choices(OfferLevel, blank="Choose a level"),
                        validators=[DataRequired("Select the level")])
    delivery = RadioField("How it is delivered", widget=GovRadioInput(),
                          choices=_enum_label_choices(Delivery),
                          validators=[InputRequired("Select how the offer is delivered")])
    place = StringField("Where it takes place (for in-person or blended offers)",
                        widget=GovTextInput(), validators=[Optional(), Length(max=300)])
    summary = TextAreaField("What the offer is", widget=GovTextArea(),
                            validators=[Optional(), Length(max=2000)])
    authorities = SelectMultipleField(
        "Areas covered", widget=GovCheckboxesInput(),
        choices=choices((la.code, la.name) for la in LOCAL_AUTHORITIES),
        validators=[DataRequired("Select the areas the offer covers")],
    )
    target_groups = SelectMultipleField("Target groups (if any)", widget=GovCheckboxesInput(),
                                        choices=choices(PRIORITY_GROUPS),
                                        validators=[Optional()])
    eligibility_notes = TextAreaField("Who can take part", widget=GovTextArea(),
                                      validators=[Optional(), Length(max=2000)])
    capacity = IntegerField("Places available", widget=GovTextInput(),
                            validators=[Optional(), NumberRange(1, 10000,
                                        "Places must be between 1 and 10,000")])
    start_1 = GovDateField("Next start date", validators=[Optional()])
    start_2 = GovDateField("Second start date", validators=[Optional()])
    start_3 = GovDateField("Third start date", validators=[Optional()])
    accepts_referrals = RadioField("Does it accept referrals from other partners?",
                                   widget=GovRadioInput(), choices=YES_NO,
                                   validators=[InputRequired("Select yes or no")])
    response_days = IntegerField(
        "Days you commit to respond to a referral within", widget=GovTextInput(),
        validators=[InputRequired("Enter the number of days you will respond within"),
                    NumberRange(1, 60, "Response time must be between 1 and 60 days")],
    )
    active = RadioField("Show in the directory?", widget=GovRadioInput(), choices=YES_NO,
                        default="yes", validators=[InputRequired("Select yes or no")])
    submit = SubmitField("Save offer", widget=GovSubmitInput())

    def values(self) -> dict[str, Any]:
        return {
            "title": self.title.data or "",
            "kind": OfferKind(self.kind.data),
            "level": OfferLevel(self.level.data),
            "delivery": Delivery(self.delivery.data),
            "place": (self.place.data or "").strip() or None,
            "summary": (self.summary.data or "").strip() or None,
            "authorities": list(self.authorities.data or []),
            "target_groups": list(self.target_groups.data or []),
            "eligibility_notes": (self.eligibility_notes.data or "").strip() or None,
            "capacity": self.capacity.data,
            "start_dates": [d for d in (self.start_1.data, self.start_2.data,
                                        self.start_3.data) if d],
            "accepts_referrals": self.accepts_referrals.data == "yes",
            "response_days": self.response_days.data,
            "active": self.active.data == "yes",
        }


class DirectoryForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Title contains", widget=GovTextInput(), validators=[Optional(),
                                                                       Length(max=100)])
    kind = SelectField("Kind", widget=GovSelect(),
                       choices=_enum_label_choices(OfferKind, blank="Any kind"),
                       validators=[Optional()])
    area = SelectField("Area", widget=GovSelect(),
                       choices=choices(((la.code, la.name) for la in AUTHORITY_CHOICES),
                                       blank="Any area"),
                       validators=[Optional()])
    group = SelectField("Target group", widget=GovSelect(),
                        choices=choices(PRIORITY_GROUPS, blank="Any group"),
                        validators=[Optional()])
    starts_from = GovDateField("Starting on or after", validators=[Optional()])
    submit = SubmitField("Filter offers", widget=GovSubmitInput())


class ReferralForm(FlaskForm):
    shared_fields = SelectMultipleField(
        "What else to share (name, phone and email are always shared)",
        widget=GovCheckboxesInput(), choices=choices(SHAREABLE_FIELDS), validators=[Optional()],
    )
    note = TextAreaField("Note for the receiving partner", widget=GovTextArea(),
                         validators=[Optional(), Length(max=2000)])
    override_reason = TextAreaField(
        "Why you are referring without their sharing consent", widget=GovTextArea(),
        validators=[Optional(), Length(max=500)],
    )
    sms_updates = BooleanField("Text the resident when the referral changes status",
                               widget=GovCheckboxInput())
    submit = SubmitField("Send referral", widget=GovSubmitInput())


class ReferralMoveForm(FlaskForm):
    version = HiddenField()
    submit = SubmitField("Confirm", widget=GovSubmitInput())

    @property
    def expected_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


class DeclineForm(ReferralMoveForm):
    reason = TextAreaField("Why are you declining?", widget=GovTextArea(),
                           validators=[DataRequired("Enter why you are declining the referral"),
                                       Length(max=500)])


class NotCompletedForm(ReferralMoveForm):
    not_completed_reason = RadioField(
        "Why did they not complete?", widget=GovRadioInput(),
        choices=_enum_label_choices(NotCompletedReason),
        validators=[InputRequired("Select why the learner did not complete")],
    )


class RoundForm(FlaskForm):
    name = StringField("Name", widget=GovTextInput(),
                       validators=[DataRequired("Enter a name for the round"), Length(max=120)])
    opens_on = GovDateField("Opens on", validators=[InputRequired("Enter the opening date")])
    closes_on = GovDateField("Closes on", validators=[InputRequired("Enter the closing date")])
    budget = DecimalField("Budget in pounds", widget=GovTextInput(), places=2,
                          validators=[InputRequired("Enter the budget"),
                                      NumberRange(Decimal("0.01"), Decimal("9999999999.99"),
                                                  "The budget must be more than £0")])
    priority_groups = SelectMultipleField("Priority groups", widget=GovCheckboxesInput(),
                                          choices=choices(PRIORITY_GROUPS),
                                          validators=[Optional()])
    start_percent = DecimalField("Paid on start (%)", widget=GovTextInput(), default=Decimal(45),
                                 validators=[InputRequired("Enter the start percentage")])
    completion_percent = DecimalField("Paid on completion (%)", widget=GovTextInput(),
                                      default=Decimal(35),
                                      validators=[InputRequired("Enter the completion "
                                                                "percentage")])
    outcome_percent = DecimalField("Paid on a job or progression outcome (%)",
                                   widget=GovTextInput(), default=Decimal(20),
                                   validators=[InputRequired("Enter the outcome percentage")])
    submit = SubmitField("Save round", widget=GovSubmitInput())

    def values(self) -> dict[str, Any]:
        return {
            "name": self.name.data or "",
            "opens_on": self.opens_on.data,
            "closes_on": self.closes_on.data,
            "budget": self.budget.data,
            "priority_groups": list(self.priority_groups.data or []),
            "start_percent": self.start_percent.data,
            "completion_percent": self.completion_percent.data,
            "outcome_percent": self.outcome_percent.data,
        }


class GrantForm(FlaskForm):
    partner_id = SelectField("Provider", widget=GovSelect(), validators=[
        DataRequired("Select the provider")])
    reference = StringField("Grant reference", widget=GovTextInput(),
                            validators=[DataRequired("Enter the grant reference"),
                                        Length(max=40)])
    value = DecimalField("Value in pounds", widget=GovTextInput(), places=2,
                         validators=[InputRequired("Enter the grant value"),
                                     NumberRange(Decimal("0.01"), Decimal("9999999999.99"),
                                                 "The grant value must be more than £0")])
    target_starts = IntegerField("Contracted starts", widget=GovTextInput(),
                                 validators=[InputRequired("Enter the contracted starts"),
                                             NumberRange(1, 100000, "Starts must be 1 or more")])
    target_completions = IntegerField(
        "Contracted completions", widget=GovTextInput(),
        validators=[InputRequired("Enter the contracted completions"),
                    NumberRange(0, 100000, "Completions cannot be negative")])
    target_outcomes = IntegerField(
        "Contracted job or progression outcomes", widget=GovTextInput(),
        validators=[InputRequired("Enter the contracted outcomes"),
                    NumberRange(0, 100000, "Outcomes cannot be negative")])
    submit = SubmitField("Save grant", widget=GovSubmitInput())

    def values(self) -> dict[str, Any]:
        return {
            "partner_id": int(self.partner_id.data),
            "reference": self.reference.data or "",
            "value": self.value.data,
            "target_starts": self.target_starts.data,
            "target_completions": self.target_completions.data,
            "target_outcomes": self.target_outcomes.data,
        }


class CohortForm(FlaskForm):
    course = StringField("Course", widget=GovTextInput(),
                         validators=[DataRequired("Enter the course"), Length(max=200)])
    starts_on = GovDateField("Start date", validators=[InputRequired("Enter the start date")])
    ends_on = GovDateField("End date", validators=[InputRequired("Enter the end date")])
    places = IntegerField("Places", widget=GovTextInput(),
                          validators=[InputRequired("Enter the number of places"),
                                      NumberRange(1, 1000, "Places must be between 1 and 1,000")])
    delivery = RadioField("How it is delivered", widget=GovRadioInput(),
                          choices=_enum_label_choices(Delivery),
                          validators=[InputRequired("Select how the cohort is delivered")])
    location = StringField("Where it meets", widget=GovTextInput(),
                           validators=[Optional(), Length(max=300)])
    submit = SubmitField("Save cohort", widget=GovSubmitInput())

    def values(self) -> dict[str, Any]:
        return {
            "course": self.course.data or "",
            "starts_on": self.starts_on.data,
            "ends_on": self.ends_on.data,
            "places": self.places.data,
            "delivery": Delivery(self.delivery.data),
            "location": (self.location.data or "").strip() or None,
        }


class EnrolForm(FlaskForm):
    learner = RadioField("Who are you enrolling?", widget=GovRadioInput(),
                         validators=[InputRequired("Select the learner to enrol")])
    enrolled_on = GovDateField("Enrolment date", validators=[InputRequired(
        "Enter the enrolment date")])
    submit = SubmitField("Enrol learner", widget=GovSubmitInput())


class EnrolmentMoveForm(FlaskForm):
    on = GovDateField("Date", validators=[InputRequired("Enter the date")])
    submit = SubmitField("Save", widget=GovSubmitInput())


class WithdrawLearnerForm(EnrolmentMoveForm):
    reason = RadioField("Why did the learner leave?", widget=GovRadioInput(),
                        choices=_enum_label_choices(WithdrawalReason),
                        validators=[InputRequired("Select why the learner left")])


class OutcomeForm(EnrolmentMoveForm):
    outcome = RadioField("What is the learner doing now?", widget=GovRadioInput(),
                         choices=_enum_label_choices(OutcomeKind),
                         validators=[InputRequired("Select the outcome")])
