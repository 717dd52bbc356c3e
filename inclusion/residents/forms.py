"""Resident forms: registration (details, consents, first assessment), edits, follow-ups."""

from __future__ import annotations

from datetime import date
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
    EmailField,
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
    Length,
    Optional,
    StopValidation,
    ValidationError,
)

from inclusion.forms import GovDateField, choices, normalise_phone, normalise_postcode
from inclusion.reference import (
    AUTHORITY_CHOICES,
    BENEFITS,
    DISABILITY,
    EMPLOYMENT_STATUSES,
    ETHNIC_GROUPS,
    GENDERS,
    LANGUAGES,
    AgeBand,
)
from inclusion.residents.models import (
    CONFIDENCE_LEVELS,
    FOLLOW_UP_KINDS,
    FOUNDATION_TASKS,
    SKILL_AREAS,
    DeviceAccess,
    HomeAccess,
    LastUse,
    LawfulBasis,
)
from inclusion.residents.services import Answers, Details

LAST_USE_LABELS = {
    LastUse.WITHIN_3_MONTHS: "In the last 3 months",
    LastUse.MONTHS_3_TO_12: "Between 3 and 12 months ago",
    LastUse.OVER_A_YEAR: "More than a year ago",
    LastUse.NEVER: "Never",
}
HOME_ACCESS_LABELS = {
    HomeAccess.NONE: "No internet at home",
    HomeAccess.MOBILE_DATA: "Only mobile data on a phone",
    HomeAccess.BROADBAND: "Broadband or home Wi-Fi",
}
DEVICE_ACCESS_LABELS = {
    DeviceAccess.NONE: "No device they can use",
    DeviceAccess.SHARED: "A shared device (family, friend, library)",
    DeviceAccess.OWN_PHONE: "Their own smartphone or tablet",
    DeviceAccess.OWN_COMPUTER: "Their own laptop or computer",
}
LAWFUL_BASIS_LABELS = {
    LawfulBasis.CONSENT: "Consent: the person agreed to us keeping their details",
    LawfulBasis.LEGITIMATE_INTERESTS: "Legitimate interests: needed to give the support asked for",
    LawfulBasis.PUBLIC_TASK: "Public task: a council or public body carrying out its duties",
}
FOLLOW_UP_LABELS = {
    FOLLOW_UP_KINDS[0]: "After support (at the end of the help given)",
    FOLLOW_UP_KINDS[1]: "About 3 months later",
    FOLLOW_UP_KINDS[2]: "About 6 months later",
    FOLLOW_UP_KINDS[3]: "Another time",
}


class ChoiceMixin:
    """One choice from a list, required or optional, with our own messages.

    The stock fields say "Not a valid choice" when nothing is picked; a volunteer needs to
    know what to do instead.
    """

    data: Any

    def __init__(self, *args: Any, required: str | None = None, **kwargs: Any) -> None:
        self.required_message = required
        super().__init__(*args, **kwargs)

    def pre_validate(self, form: Any) -> None:
        data = self.data
        if data in (None, ""):
            self.data = None
            if self.required_message:
                raise StopValidation(self.required_message)
            return
        allowed = {c.value for c in self._iter_choices_normalized()}  # type: ignore[attr-defined]
        if data not in allowed:
            raise StopValidation("Choose one of the options listed")


class ChecklistField(SelectMultipleField):
    """Any number of ticks from a list (empty is a real answer: "none of these")."""

    def pre_validate(self, form: Any) -> None:
        allowed = {c.value for c in self._iter_choices_normalized()}
        if set(self.data or []) - allowed:
            raise StopValidation("Choose from the options listed")


class ChoiceRadioField(ChoiceMixin, RadioField):
    pass


class ChoiceSelectField(ChoiceMixin, SelectField):
    pass


def _labelled(enum_labels: dict[Any, str]) -> list[Any]:
    return choices((member.value, label) for member, label in enum_labels.items())


class ResidentDetailsForm(FlaskForm):
    """Who the person is: used on registration and on edits."""

    name = StringField(
        "Full name",
        widget=GovTextInput(),
        validators=[
            DataRequired("Enter the person's full name"),
            Length(max=200, message="Name must be 200 characters or fewer"),
        ],
    )
    phone = StringField(
        "Mobile or phone number (optional)",
        widget=GovTextInput(),
        description="Leave blank if they have no phone. We use it for text messages.",
        validators=[Length(max=40, message="Enter a phone number, like 07700 900 982")],
    )
    email = EmailField(
        "Email address (optional)",
        widget=GovTextInput(),
        validators=[
            Optional(),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email("Enter an email address like name@example.com", check_deliverability=False),
        ],
    )
    postcode = StringField(
        "Home postcode (optional)",
        widget=GovTextInput(),
        description="Leave blank if they have no fixed address.",
        validators=[Length(max=20, message="Enter a real UK postcode, like B1 1AA")],
    )
    local_authority = ChoiceSelectField(
        "Local authority they live in",
        widget=GovSelect(),
        choices=choices(((la.code, la.name) for la in AUTHORITY_CHOICES), blank="Choose an area"),
        required="Choose the local authority they live in",
    )
    date_of_birth = GovDateField(
        "Date of birth",
        description="For example, 27 3 1958. If they would rather not say, choose an age band "
        "below instead.",
    )
    age_band = ChoiceSelectField(
        "Age band (if no date of birth)",
        widget=GovSelect(),
        choices=choices(((b.value, b.value) for b in AgeBand), blank="Choose an age band"),
    )
    gender = ChoiceSelectField(
        "Gender (optional)",
        widget=GovSelect(),
        choices=choices(GENDERS, blank="Not asked"),
    )
    ethnic_group = ChoiceSelectField(
        "Ethnic group (optional)",
        widget=GovSelect(),
        choices=choices(ETHNIC_GROUPS, blank="Not asked"),
    )
    disability = ChoiceSelectField(
        "Do they have a long-term condition or disability? (optional)",
        widget=GovSelect(),
        choices=choices(DISABILITY, blank="Not asked"),
    )
    employment_status = ChoiceSelectField(
        "Employment (optional)",
        widget=GovSelect(),
        choices=choices(EMPLOYMENT_STATUSES, blank="Not asked"),
    )
    receives_benefits = ChoiceSelectField(
        "Do they receive benefits? (optional)",
        widget=GovSelect(),
        choices=choices(BENEFITS, blank="Not asked"),
    )
    preferred_language = ChoiceSelectField(
        "Preferred language",
        widget=GovSelect(),
        description="Text messages are sent in this language where we have a translation.",
        choices=choices(LANGUAGES),
        default="en",
        required="Choose the language they prefer",
    )
    lawful_basis = ChoiceRadioField(
        "Lawful basis for keeping their details",
        widget=GovRadioInput(),
        description="Most partners use consent. Ask your partner admin if you are unsure.",
        choices=_labelled(LAWFUL_BASIS_LABELS),
        default=LawfulBasis.CONSENT.value,
        required="Choose the lawful basis for keeping their details",
    )

    def validate_phone(self, field: StringField) -> None:
        value = (field.data or "").strip()
        if not value:
            field.data = None
            return
        field.data = normalise_phone(value)

    def validate_postcode(self, field: StringField) -> None:
        value = (field.data or "").strip()
        if not value:
            field.data = None
            return
        normalised = normalise_postcode(value)
        if normalised is None:
            raise ValidationError("Enter a real UK postcode, like B1 1AA")
        field.data = normalised

    def validate_date_of_birth(self, field: GovDateField) -> None:
        if field.data is None:
            if not self.age_band.data:
                raise ValidationError("Enter their date of birth, or choose an age band")
            return
        if field.data > date.today():
            raise ValidationError("Date of birth must be in the past")
        if date.today().year - field.data.year > 120:
            raise ValidationError("Date of birth must be a real date of birth")

    def details(self) -> Details:
        """The entered details, cleaned, for the service."""
        return Details(
            name=self.name.data.strip(),
            phone=self.phone.data or None,
            email=(self.email.data or "").strip() or None,
            postcode=self.postcode.data or None,
            local_authority=self.local_authority.data,
            date_of_birth=self.date_of_birth.data,
            age_band=AgeBand(self.age_band.data) if self.age_band.data else None,
            gender=self.gender.data or None,
            ethnic_group=self.ethnic_group.data or None,
            disability=self.disability.data or None,
            employment_status=self.employment_status.data or None,
            receives_benefits=self.receives_benefits.data or None,
            preferred_language=self.preferred_language.data,
            lawful_basis=LawfulBasis(self.lawful_basis.data),
        )

    def fill_from(self, resident: Any) -> None:
        """Pre-fill the form with a resident's current details (GET of the edit page)."""
        for name in (
            "name", "phone", "email", "postcode", "local_authority", "date_of_birth", "gender",
            "ethnic_group", "disability", "employment_status", "receives_benefits",
            "preferred_language",
        ):
            getattr(self, name).data = getattr(resident, name)
        self.age_band.data = "" if resident.date_of_birth else resident.age_band.value
        self.lawful_basis.data = resident.lawful_basis.value


class AssessmentFieldsForm(FlaskForm):
    """The digital engagement questions, asked at registration and at each follow-up."""

    last_use = ChoiceRadioField(
        "When did they last use the internet?",
        widget=GovRadioInput(),
        description="Anything online counts: video calls, WhatsApp, email, YouTube, a website.",
        choices=_labelled(LAST_USE_LABELS),
        required="Choose when they last used the internet",
    )
    home_access = ChoiceRadioField(
        "What internet do they have at home?",
        widget=GovRadioInput(),
        choices=_labelled(HOME_ACCESS_LABELS),
        required="Choose what internet they have at home",
    )
    device_access = ChoiceRadioField(
        "What device can they use?",
        widget=GovRadioInput(),
        description="Choose the best one they have.",
        choices=_labelled(DEVICE_ACCESS_LABELS),
        required="Choose what device they can use",
    )
    foundation_tasks = ChecklistField(
        "Which of these can they do on their own?",
        widget=GovCheckboxesInput(),
        description="Tick every one they can do without help. Leave all unticked if none.",
        choices=choices(FOUNDATION_TASKS),
    )

    def answers(self) -> Answers:
        return Answers(
            last_use=LastUse(self.last_use.data),
            home_access=HomeAccess(self.home_access.data),
            device_access=DeviceAccess(self.device_access.data),
            foundation_tasks=list(self.foundation_tasks.data or []),
            confidence={
                code: getattr(self, f"confidence_{code.replace('-', '_')}").data
                for code, _ in SKILL_AREAS
            },
        )

    def confidence_fields(self) -> list[Any]:
        return [getattr(self, f"confidence_{code.replace('-', '_')}") for code, _ in SKILL_AREAS]


# Plain words for each skill area, so a volunteer can ask about it without the jargon.
SKILL_AREA_HINTS = {
    "communicating": "Messages, email, video calls with family and friends",
    "handling-information": "Searching for information, saving photos and documents",
    "transacting": "Buying things, paying bills, filling in forms online (such as benefits)",
    "problem-solving": "Finding help or a how-to video when something does not work",
    "safe-legal": "Spotting scams, keeping passwords and personal details safe",
}

for _code, _label in SKILL_AREAS:
    setattr(
        AssessmentFieldsForm,
        f"confidence_{_code.replace('-', '_')}",
        ChoiceRadioField(
            _label,
            description=SKILL_AREA_HINTS[_code],
            widget=GovRadioInput(),
            choices=choices(CONFIDENCE_LEVELS),
            required=f"Choose how confident they feel about {_label.lower()}",
        ),
    )


class ResidentRegisterForm(ResidentDetailsForm, AssessmentFieldsForm):
    """Everything asked at registration, on one page."""

    sms_consent = BooleanField(
        "They agree to be contacted by text message", widget=GovCheckboxInput()
    )
    sharing_consent = BooleanField(
        "They agree to their details being shared with a partner we refer them to",
        widget=GovCheckboxInput(),
    )
    confirm_different = BooleanField(
        "These are different people: register this person anyway", widget=GovCheckboxInput()
    )
    submit = SubmitField("Register resident", widget=GovSubmitInput())


class ResidentEditForm(ResidentDetailsForm):
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class AssessmentCreateForm(AssessmentFieldsForm):
    kind = ChoiceRadioField(
        "Which follow-up is this?",
        widget=GovRadioInput(),
        choices=_labelled(FOLLOW_UP_LABELS),
        required="Choose which follow-up this is",
    )
    assessed_on = GovDateField(
        "Date of the assessment", description="For example, 27 3 2026. Leave blank for today."
    )
    submit = SubmitField("Save assessment", widget=GovSubmitInput())

    def validate_assessed_on(self, field: GovDateField) -> None:
        if field.data is not None and field.data > date.today():
            raise ValidationError("Date of the assessment must be today or in the past")


class ConsentWithdrawForm(FlaskForm):
    note = TextAreaField(
        "Note (optional)",
        widget=GovTextArea(),
        description="For example, how they asked. Leave out health or other sensitive details.",
        validators=[Length(max=200, message="Note must be 200 characters or fewer")],
    )
    submit = SubmitField("Withdraw consent", widget=GovSubmitInput())


class ConsentGiveForm(FlaskForm):
    agreed = BooleanField(
        "I have read this to them and they agree", widget=GovCheckboxInput(),
        validators=[DataRequired("Confirm that they agree, or go back")],
    )
    submit = SubmitField("Record consent", widget=GovSubmitInput())
