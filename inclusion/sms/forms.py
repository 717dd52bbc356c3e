"""Forms for SMS templates."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextArea
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from inclusion.forms import choices
from inclusion.reference import LANGUAGES


class SmsTemplateForm(FlaskForm):
    purpose = SelectField("What the message is for", widget=GovSelect(),
                          validators=[InputRequired("Choose what the message is for")])
    language = SelectField("Language", widget=GovSelect(),
                           choices=choices(LANGUAGES, blank="Choose a language"),
                           validators=[InputRequired("Choose a language")])
    body = TextAreaField(
        "Message",
        widget=GovTextArea(),
        description="Use placeholders in braces, like {code}. They are filled in when sent.",
        validators=[InputRequired("Enter the message"),
                    Length(max=1000, message="The message must be 1000 characters or fewer")],
    )
    submit = SubmitField("Save template", widget=GovSubmitInput())
