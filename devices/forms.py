"""Device bank forms. Device details are checked by the service's rules (shared with CSV)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
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
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from devices.models import AgreementKind, DeviceKind, Grade, LoanKind, RetirementReason, WipeMethod
from inclusion.forms import GovDateField, choices, enum_choices


class BatchCreateForm(FlaskForm):
    donor = StringField("Donor", widget=GovTextInput(),
                        validators=[DataRequired("Enter who donated the devices"),
                                    Length(max=200,
                                           message="Donor must be 200 characters or fewer")])
    received_on = GovDateField("Date received",
                               validators=[InputRequired("Enter the date the devices arrived")])
    notes = TextAreaField("Notes (optional)", widget=GovTextArea(),
                          validators=[Optional(), Length(max=2000, message="Notes must be 2000 "
                                                                           "characters or fewer")])
    submit = SubmitField("Save batch", widget=GovSubmitInput())


class DeviceAddForm(FlaskForm):
    # Only shape here: the rules live in services.check_device_fields, shared with the import.
    kind = SelectField("Kind of device", widget=GovSelect(), validate_choice=False,
                       choices=choices(((k.value, k.value.capitalize()) for k in DeviceKind),
                                       blank="Choose a kind"))
    make = StringField("Make", widget=GovTextInput())
    model = StringField("Model", widget=GovTextInput())
    grade = RadioField("Condition grade", widget=GovRadioInput(), validate_choice=False,
                       choices=choices((g.value, f"Grade {g.value}" if len(g.value) == 1
                                        else "For parts only") for g in Grade))
    serial_number = StringField("Serial number (optional)", widget=GovTextInput())
    spec_notes = TextAreaField("Specification notes (optional)", widget=GovTextArea())
    batch_id = SelectField("Donation batch (optional)", widget=GovSelect(), validate_choice=False)
    submit = SubmitField("Add device", widget=GovSubmitInput())


class WipeForm(FlaskForm):
    method = RadioField("How was the data wiped?", widget=GovRadioInput(),
                        choices=enum_choices(WipeMethod),
                        validators=[InputRequired("Select how the data was wiped")])
    tool = StringField("Tool or software used (optional)", widget=GovTextInput(),
                       validators=[Optional(), Length(max=100, message="Tool must be 100 "
                                                                       "characters or fewer")])
    wiped_on = GovDateField("Date wiped", validators=[InputRequired("Enter the date of the wipe")])
    wiped_by = StringField("Wiped by", widget=GovTextInput(),
                           validators=[DataRequired("Enter who wiped the device"),
                                       Length(max=200, message="Wiped by must be 200 characters "
                                                               "or fewer")])
    certificate_ref = StringField("Certificate reference", widget=GovTextInput(),
                                  validators=[DataRequired("Enter the wipe certificate reference"),
                                              Length(max=100, message="Certificate reference "
                                                     "must be 100 characters or fewer")])
    submit = SubmitField("Record wipe", widget=GovSubmitInput())


class RetireForm(FlaskForm):
    reason = RadioField("Why is the device being retired?", widget=GovRadioInput(),
                        choices=enum_choices(RetirementReason),
                        validators=[InputRequired("Select why the device is being retired")])
    retired_on = GovDateField("Date retired",
                              validators=[InputRequired("Enter the date the device was retired")])
    recycler = StringField("Recycler (if recycled)", widget=GovTextInput(),
                           validators=[Optional(), Length(max=200, message="Recycler must be 200 "
                                                                           "characters or fewer")])
    certificate_ref = StringField("Disposal certificate reference (if recycled)",
                                  widget=GovTextInput(),
                                  validators=[Optional(), Length(max=100, message="Certificate "
                                              "reference must be 100 characters or fewer")])
    notes = TextAreaField("Notes (optional)", widget=GovTextArea(),
                          validators=[Optional(), Length(max=500, message="Notes must be 500 "
                                                                          "characters or fewer")])
    submit = SubmitField("Retire device", widget=GovSubmitInput())


def _optional_int(value: object) -> int | None:
    if value in ("", None):
        return None
    return int(value)  # type: ignore[call-overload,no-any-return]


class TransferForm(FlaskForm):
    to_partner_id = SelectField("Send to partner", widget=GovSelect(), coerce=_optional_int,
                                validate_choice=True,
                                validators=[InputRequired("Choose a partner")])
    submit = SubmitField("Transfer", widget=GovSubmitInput())


class ImportForm(FlaskForm):
    file = FileField("CSV file", widget=GovFileInput(),
                     validators=[FileRequired("Choose a CSV file to upload")])
    submit = SubmitField("Import devices", widget=GovSubmitInput())


class LendForm(FlaskForm):
    asset_tag = StringField("Asset tag", widget=GovTextInput(),
                            validators=[DataRequired("Enter or scan the device's asset tag"),
                                        Length(max=20, message="Asset tag must be 20 characters "
                                                               "or fewer")])
    kind = RadioField("Lend or give?", widget=GovRadioInput(), default=LoanKind.LOAN.value,
                      choices=choices([(LoanKind.LOAN.value, "Lend (the device comes back)"),
                                       (LoanKind.GIFT.value, "Give (the resident keeps it)")]),
                      validators=[InputRequired("Select lend or give")])
    due_on = GovDateField("Due back on (for a loan)")
    accessories = StringField("Accessories handed over (optional)", widget=GovTextInput(),
                              validators=[Optional(), Length(max=300, message="Accessories must "
                                                             "be 300 characters or fewer")])
    condition_out = StringField("Condition when handed over", widget=GovTextInput(),
                                validators=[DataRequired("Describe the device's condition"),
                                            Length(max=300, message="Condition must be 300 "
                                                                    "characters or fewer")])
    agreement_id = HiddenField()
    gift_agreement_id = HiddenField()
    agreement_accepted = BooleanField("The resident has read and accepted the agreement",
                                      widget=GovCheckboxInput(),
                                      validators=[DataRequired("Confirm the resident accepted "
                                                               "the agreement")])
    request_token = HiddenField()
    submit = SubmitField("Record and hand over", widget=GovSubmitInput())


class ReturnForm(FlaskForm):
    returned_on = GovDateField("Date returned",
                               validators=[InputRequired("Enter the date the device came back")])
    condition_in = StringField("Condition on return", widget=GovTextInput(),
                               validators=[DataRequired("Describe the device's condition"),
                                           Length(max=300, message="Condition must be 300 "
                                                                   "characters or fewer")])
    accessories_back = StringField("Accessories returned (optional)", widget=GovTextInput(),
                                   validators=[Optional(), Length(max=300, message="Accessories "
                                               "must be 300 characters or fewer")])
    data_removed = BooleanField("The resident's own data has been removed from the device",
                                widget=GovCheckboxInput(),
                                validators=[DataRequired("Confirm the resident's own data has "
                                                         "been removed")])
    submit = SubmitField("Record return", widget=GovSubmitInput())


class GiftForm(FlaskForm):
    agreement_id = HiddenField()
    agreement_accepted = BooleanField("The resident has read and accepted the gift agreement",
                                      widget=GovCheckboxInput(),
                                      validators=[DataRequired("Confirm the resident accepted "
                                                               "the gift agreement")])
    submit = SubmitField("Give the device to the resident", widget=GovSubmitInput())


class AgreementForm(FlaskForm):
    kind = RadioField("Which agreement?", widget=GovRadioInput(),
                      choices=enum_choices(AgreementKind),
                      validators=[InputRequired("Select loan or gift agreement")])
    title = StringField("Title", widget=GovTextInput(),
                        validators=[DataRequired("Enter a title"),
                                    Length(max=200, message="Title must be 200 characters or "
                                                            "fewer")])
    body = TextAreaField("Agreement text", widget=GovTextArea(),
                         validators=[DataRequired("Enter the agreement text"),
                                     Length(max=20000, message="Agreement text must be 20000 "
                                                               "characters or fewer")])
    submit = SubmitField("Publish new version", widget=GovSubmitInput())


class SettingsForm(FlaskForm):
    default_loan_weeks = IntegerField("Default loan length, in weeks", widget=GovTextInput(),
                                      validators=[InputRequired("Enter the default loan length "
                                                                "in weeks")])
    reminder_offsets = StringField("Reminder days, from the due date", widget=GovTextInput(),
                                   validators=[DataRequired("Enter at least one reminder day")])
    submit = SubmitField("Save settings", widget=GovSubmitInput())
