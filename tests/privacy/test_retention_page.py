"""The retention periods page: system admins only; every period validated; nothing half-saved."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from inclusion.audit.models import AuditEntry
from inclusion.extensions import db
from inclusion.privacy import retention
from inclusion.privacy.models import PeriodUnit, RetentionPolicyRecord


def _form(**changes: str) -> dict[str, str]:
    data = {}
    for record_type, period in retention.load_periods().items():
        key = record_type.replace(" ", "_")
        data[f"period_{key}"] = str(period.period)
        data[f"unit_{key}"] = period.unit.value
    data.update(changes)
    return data


def test_page_shows_every_record_type_with_its_default(client, login_as):
    login_as("admin")

    page = client.get("/privacy/retention").get_data(as_text=True)

    for label in ("Residents&#39; personal data", "Device loans", "Connectivity vouchers",
                  "Text message content", "Referrals", "Enrolments", "Audit entries"):
        assert f'<h2 class="govuk-fieldset__heading">{label}</h2>' in page
    assert 'id="period_messages" name="period_messages" type="text" value="90"' in page
    assert '<option value="days" selected>Days</option>' in page


def test_admin_saves_new_periods_and_the_change_is_audited(client, login_as):
    login_as("admin")

    response = client.post("/privacy/retention",
                           data=_form(period_messages="30", unit_audit_entries="days",
                                      period_audit_entries="2200"))

    assert response.status_code == 302
    periods = retention.load_periods()
    assert periods["messages"] == retention.Period(30, PeriodUnit.DAYS)
    assert periods["audit entries"] == retention.Period(2200, PeriodUnit.DAYS)
    assert periods["residents"] == retention.Period(24, PeriodUnit.MONTHS)
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "retention periods changed"))
    assert entry.fields == ["audit entries", "messages"]


@pytest.mark.parametrize("changes, message", [
    ({"period_messages": ""}, "Text message content: enter how long to keep them"),
    ({"period_messages": "abc"}, "Text message content: enter a whole number of days"),
    ({"period_messages": "0"}, "from 1 to 36500"),
    ({"period_messages": "-3"}, "enter a whole number of days"),
    ({"period_residents": "1201"}, "from 1 to 1200"),
    ({"period_residents": "2.5"}, "enter a whole number of months"),
    ({"unit_residents": "weeks"}, "Not a valid choice"),
])
def test_invalid_periods_show_the_problem_and_save_nothing(client, login_as, changes, message):
    login_as("admin")

    response = client.post("/privacy/retention",
                           data=_form(period_referrals="12", **changes))

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert message in page
    assert db.session.scalar(select(func.count()).select_from(RetentionPolicyRecord)) == 0


@pytest.mark.parametrize("role", ["staff", "partner_admin", "lead"])
def test_only_system_admins_may_set_periods(client, login_as, partner, role):
    login_as(role, partner)

    assert client.get("/privacy/retention").status_code == 403
    assert client.post("/privacy/retention", data=_form(period_messages="1")).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(RetentionPolicyRecord)) == 0
