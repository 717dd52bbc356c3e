"""Forms for partner organisations, team invitations, roles and accepting an invitation."""

from __future__ import annotations

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
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from inclusion.forms import GovDateField, choices, enum_choices
from inclusion.reference import AUTHORITY_CHOICES
from partners.models import InvitationRole, PartnerKind, PartnerRole


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class PartnerForm(FlaskForm):
    name = StringField(
        "Name of the organisation",
        widget=GovTextInput(),
        validators=[DataRequired("Enter the partner's name"), Length(max=200)],
    )
    kind = SelectField(
        "Kind of organisation",
        widget=GovSelect(),
        choices=enum_choices(PartnerKind, blank="Choose a kind"),
        validators=[DataRequired("Choose the kind of organisation")],
    )
    authorities = SelectMultipleField(
        "Local authorities served",
        widget=GovCheckboxesInput(),
        choices=choices((la.code, la.name) for la in AUTHORITY_CHOICES),
        description="Select all that apply.",
        validators=[DataRequired("Select the local authorities the partner serves")],
    )
    contact_name = StringField(
        "Contact name (optional)", widget=GovTextInput(), validators=[Optional(), Length(max=200)]
    )
    contact_email = EmailField(
        "Contact email address (optional)",
        widget=GovTextInput(),
        filters=[_strip],
        validators=[Optional(), Email("Enter a real email address"), Length(max=254)],
    )
    contact_phone = StringField(
        "Contact phone number (optional)",
        widget=GovTextInput(),
        validators=[Optional(), Length(max=32)],
    )
    address = TextAreaField(
        "Address (optional)", widget=GovTextArea(), validators=[Optional(), Length(max=500)]
    )
    agreement_version = StringField(
        "Data sharing agreement version (optional)",
        widget=GovTextInput(),
        description="For example, 2026.1",
        validators=[Optional(), Length(max=32)],
    )
    agreement_signed_on = GovDateField(
        "Date the data sharing agreement was signed (optional)",
        description="For example, 27 3 2026",
        validators=[Optional()],
    )
    default_loan_weeks = IntegerField(
        "Default loan length in weeks",
        widget=GovTextInput(),
        default=12,
        validators=[
            InputRequired("Enter the default loan length in weeks"),
            NumberRange(1, 104, "Default loan length must be between 1 and 104 weeks"),
        ],
    )
    active = BooleanField("The partner is active", widget=GovCheckboxInput(), default=True)
    submit = SubmitField("Save partner", widget=GovSubmitInput())


class InviteForm(FlaskForm):
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        filters=[_strip],
        validators=[
            DataRequired("Enter the email address of the person you are inviting"),
            Email("Enter a real email address"),
            Length(max=254),
        ],
    )
    role = RadioField(
        "Role",
        widget=GovRadioInput(),
        choices=choices(
            [
                (InvitationRole.STAFF.value, "Staff: works with residents"),
                (
                    InvitationRole.PARTNER_ADMIN.value,
                    "Partner admin: also manages the team and sees the audit log",
                ),
            ]
        ),
        validators=[DataRequired("Choose a role")],
    )
    submit = SubmitField("Create invitation", widget=GovSubmitInput())


class CoalitionInviteForm(InviteForm):
    role = RadioField(
        "Role",
        widget=GovRadioInput(),
        choices=choices(
            [
                (
                    InvitationRole.COALITION_LEAD.value,
                    "Coalition lead: sees anonymised counts only",
                ),
                (InvitationRole.SYSTEM_ADMIN.value, "System admin: manages partners and users"),
            ]
        ),
        validators=[DataRequired("Choose a role")],
    )


class RoleForm(FlaskForm):
    role = RadioField(
        "Role",
        widget=GovRadioInput(),
        choices=enum_choices(PartnerRole),
        validators=[DataRequired("Choose a role")],
    )
    submit = SubmitField("Save role", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """A button that changes something (CSRF-protected), with nothing else to fill in."""

    submit = SubmitField("Confirm", widget=GovSubmitInput())
