"""Message templates: per purpose and language, placeholders checked, length and cost shown."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from inclusion.extensions import db
from inclusion.sms import text
from inclusion.sms.models import SmsTemplate


@pytest.fixture
def purpose(app):
    p = text.Purpose("test reminder", frozenset({"name", "date"}),
                     "Hello {name}, see you on {date}.")
    text.purposes_of(app)[p.name] = p
    return p


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", ("GSM-7", 0)),
        ("a" * 160, ("GSM-7", 1)),
        ("a" * 161, ("GSM-7", 2)),
        ("a" * 306, ("GSM-7", 2)),
        ("a" * 307, ("GSM-7", 3)),
        ("€" * 80, ("GSM-7", 1)),  # extension characters cost two
        ("€" * 81, ("GSM-7", 2)),
        ("آپ کا کوڈ" + "x" * 61, ("UCS-2", 1)),
        ("آپ کا کوڈ" + "x" * 62, ("UCS-2", 2)),
        ("“quoted”", ("UCS-2", 1)),
    ],
)
def test_length_counts_encoding_and_segments(body, expected):
    length = text.measure(body)
    assert (length.encoding, length.segments) == expected


def test_render_uses_the_language_then_english_then_the_built_in_wording(app, purpose):
    assert text.render("test reminder", "pl", name="Ala", date="1 May") == (
        "Hello Ala, see you on 1 May.")
    db.session.add(SmsTemplate(purpose="test reminder", language="en", body="Hi {name}"))
    db.session.add(SmsTemplate(purpose="test reminder", language="pl", body="Cześć {name}"))
    db.session.commit()
    assert text.render("test reminder", "pl", name="Ala", date="x") == "Cześć Ala"
    assert text.render("test reminder", "ur", name="Ali", date="x") == "Hi Ali"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Hello {nme}", "Unknown placeholder {nme}"),
        ("Hello {name", "check every {"),
        ("Hello {0}", "a name in braces"),
        ("Hello {name!r}", "a name in braces"),
        ("   ", "Enter the message"),
    ],
)
def test_bad_placeholders_are_refused(app, purpose, body, message):
    with pytest.raises(text.ValidationError) as exc:
        text.check_template("test reminder", body)
    assert message in exc.value.message


def test_admin_adds_a_translation_and_sees_its_length(app, client, login_as, purpose):
    login_as("admin")
    page = client.get("/sms/templates/new?purpose=test+reminder").get_data(as_text=True)
    assert "Hello {name}, see you on {date}." in page
    response = client.post("/sms/templates/new", data={
        "purpose": "test reminder", "language": "ur", "body": "سلام {name}، {date}"})
    assert response.status_code == 302
    saved = db.session.scalar(select(SmsTemplate))
    assert (saved.language, saved.body) == ("ur", "سلام {name}، {date}")
    listing = client.get("/sms/templates").get_data(as_text=True)
    assert "UCS-2" in listing
    edit = client.get(f"/sms/templates/{saved.id}").get_data(as_text=True)
    assert "characters, UCS-2 encoding, 1 part" in edit


@pytest.mark.parametrize("data", [
    {"purpose": "test reminder", "language": "pl", "body": "Hi {who}"},
    {"purpose": "test reminder", "language": "", "body": "Hi"},
    {"purpose": "nonsense", "language": "pl", "body": "Hi"},
    {"purpose": "test reminder", "language": "pl", "body": ""},
])
def test_invalid_template_re_renders_with_errors_and_saves_nothing(app, client, login_as,
                                                                   purpose, data):
    login_as("admin")
    response = client.post("/sms/templates/new", data=data)
    assert response.status_code == 200
    assert "There is a problem" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SmsTemplate)) == 0


def test_second_template_for_the_same_language_is_refused(app, client, login_as, purpose):
    db.session.add(SmsTemplate(purpose="test reminder", language="pl", body="Cześć"))
    db.session.commit()
    login_as("admin")
    response = client.post("/sms/templates/new", data={
        "purpose": "test reminder", "language": "pl", "body": "Hej"})
    assert "already a template" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SmsTemplate)) == 1


@pytest.mark.parametrize("role", ["staff", "partner_admin", "lead"])
def test_only_admins_edit_templates(app, client, login_as, partner, purpose, role):
    login_as(role, partner)
    assert client.get("/sms/templates").status_code == 403
    response = client.post("/sms/templates/new", data={
        "purpose": "test reminder", "language": "pl", "body": "Hi"})
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(SmsTemplate)) == 0
