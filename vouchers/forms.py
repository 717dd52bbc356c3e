"""Voucher forms: schemes, code batches, stock, issuing, resending, revoking, redemption."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from inclusion.forms import GovDateField, choices, enum_choices
from vouchers.models import SchemeKind

YES_NO = choices([("yes", "Yes"), ("no", "No")])


def _not_past(form: FlaskForm, field: GovDateField) -> None:
    if field.data is not None and field.data < date.today():
        raise ValidationError("The expiry date must be today or in the future")


class SchemeForm(FlaskForm):
    name = StringField("Scheme name", widget=GovTextInput(),
                       validators=[InputRequired("Enter the scheme name"), Length(max=120)])
    provider = StringField("Provider or network", widget=GovTextInput(),
                           validators=[InputRequired("Enter the provider or network"),
                                       Length(max=120)])
    kind = SelectField("Kind of voucher", widget=GovSelect(),
                       choices=enum_choices(SchemeKind, blank="Choose a kind"),
                       validators=[InputRequired("Choose the kind of voucher")])
    gives = StringField("What it gives", widget=GovTextInput(),
                        description="For example, 20 GB of data a month for 6 months",
                        validators=[InputRequired("Enter what the voucher gives"),
                                    Length(max=200)])
    criteria = TextAreaField("Eligibility criteria", widget=GovTextArea(),
                             description="One per line, for example: On a low income",
                             validators=[InputRequired("Enter at least one criterion"),
                                         Length(max=2000)])
    validity_days = IntegerField(
        "Days a code can be used after it is issued", widget=GovTextInput(),
        validators=[InputRequired("Enter the number of days"),
                    NumberRange(1, 3650, "Enter a number of days from 1 to 3650")])
    active = BooleanField("Staff can issue this scheme", widget=GovCheckboxInput(),
                          default=True)
    submit = SubmitField("Save scheme", widget=GovSubmitInput())


class CodeImportForm(FlaskForm):
    reference = StringField("Batch reference", widget=GovTextInput(),
                            description="The provider's reference or order number",
                            validators=[InputRequired("Enter a batch reference"),
                                        Length(max=120)])
    expires_on = GovDateField("Codes expire on (optional)", validators=[Optional(), _not_past])
    file = FileField("CSV file of codes", widget=GovFileInput(),
                     description="UTF-8 CSV with a 'code' column, one code per row",
                     validators=[FileRequired("Choose a CSV file")])
    submit = SubmitField("Import codes", widget=GovSubmitInput())


class CodeGenerateForm(FlaskForm):
    reference = StringField("Batch reference", widget=GovTextInput(),
                            validators=[InputRequired("Enter a batch reference"),
                                        Length(max=120)])
    count = IntegerField("How many codes", widget=GovTextInput(),
                         validators=[InputRequired("Enter how many codes"),
                                     NumberRange(1, 100_000, "Enter a number from 1 to 100,000")])
    length = IntegerField("Characters in each code (after the prefix)", widget=GovTextInput(),
                          default=10,
                          validators=[InputRequired("Enter the code length"),
                                      NumberRange(8, 24, "Enter a length from 8 to 24")])
    prefix = StringField("Prefix (optional)", widget=GovTextInput(),
                         validators=[Optional(), Length(max=10)])
    expires_on = GovDateField("Codes expire on (optional)", validators=[Optional(), _not_past])
    submit = SubmitField("Generate codes", widget=GovSubmitInput())


class AllocateForm(FlaskForm):
    partner = SelectField("Partner", widget=GovSelect(),
                          validators=[InputRequired("Choose a partner")])
    quantity = IntegerField("Number of codes", widget=GovTextInput(),
                            validators=[InputRequired("Enter the number of codes"),
                                        NumberRange(1, 1_000_000, "Enter a number above 0")])
    submit = SubmitField("Allocate codes", widget=GovSubmitInput())


class TransferForm(FlaskForm):
    scheme = SelectField("Scheme", widget=GovSelect(),
                         validators=[InputRequired("Choose a scheme")])
    to_partner = SelectField("Transfer to", widget=GovSelect(),
                             validators=[InputRequired("Choose a partner")])
    quantity = IntegerField("Number of codes", widget=GovTextInput(),
                            validators=[InputRequired("Enter the number of codes"),
                                        NumberRange(1, 1_000_000, "Enter a number above 0")])
    submit = SubmitField("Transfer codes", widget=GovSubmitInput())


class ThresholdForm(FlaskForm):
    scheme = SelectField("Scheme", widget=GovSelect(),
                         validators=[InputRequired("Choose a scheme")])
    threshold = IntegerField("Warn me when fewer codes than this are left",
                             widget=GovTextInput(),
                             validators=[InputRequired("Enter a number"),
                                         NumberRange(0, 100_000, "Enter a number from 0")])
    submit = SubmitField("Save warning level", widget=GovSubmitInput())


class ChooseSchemeForm(FlaskForm):
    scheme = RadioField("Which voucher?", widget=GovRadioInput(),
                        validators=[InputRequired("Choose a voucher scheme")])
    submit = SubmitField("Continue", widget=GovSubmitInput())


class IssueForm(FlaskForm):
    criteria = SelectMultipleField("Which criteria does the resident meet?",
                                   widget=GovCheckboxesInput(),
                                   description="Tick what the resident tells you. Do not "
                                               "collect evidence documents.",
                                   validators=[InputRequired("Tick the criteria the resident "
                                                             "meets")])
    consent = BooleanField("The resident agrees to receive this voucher code",
                           widget=GovCheckboxInput(),
                           validators=[InputRequired("Confirm the resident agrees to receive "
                                                     "the voucher")])
    submit = SubmitField("Issue voucher", widget=GovSubmitInput())


class ResendForm(FlaskForm):
    submit = SubmitField("Resend the code by text", widget=GovSubmitInput())


class RevokeForm(FlaskForm):
    reason = TextAreaField("Why are you revoking this voucher?", widget=GovTextArea(),
                           validators=[InputRequired("Enter why the voucher is revoked"),
                                       Length(max=200, message="Keep the reason to 200 "
                                                               "characters")])
    reissue = RadioField("Issue a new code to the resident?", widget=GovRadioInput(),
                         choices=YES_NO, validators=[InputRequired("Choose yes or no")])
    submit = SubmitField("Revoke voucher", widget=GovSubmitInput())


class RedeemForm(FlaskForm):
    redeemed_on = GovDateField("Date the code was used",
                               validators=[InputRequired("Enter the date the code was used")])
    submit = SubmitField("Mark as redeemed", widget=GovSubmitInput())


class FollowUpForm(FlaskForm):
    still_connected = RadioField("Is the resident still connected?", widget=GovRadioInput(),
                                 choices=YES_NO, validators=[InputRequired("Choose yes or no")])
    social_tariff = RadioField("Have they moved onto a social tariff?", widget=GovRadioInput(),
                               choices=YES_NO, validators=[InputRequired("Choose yes or no")])
    note = TextAreaField("Anything else (optional)", widget=GovTextArea(),
                         validators=[Optional(), Length(max=500)])
    submit = SubmitField("Save follow-up", widget=GovSubmitInput())


class RedemptionImportForm(FlaskForm):
    file = FileField("Redemption report (CSV)", widget=GovFileInput(),
                     description="UTF-8 CSV with 'code' and 'redeemed_at' columns",
                     validators=[FileRequired("Choose a CSV file")])
    submit = SubmitField("Import redemptions", widget=GovSubmitInput())
