"""The outcomes pages: who sees what, filters in the URL, bad input, no person ever shown."""

from __future__ import annotations

import re
from datetime import date

from inclusion.extensions import db
from inclusion.outcomes.models import FactKind
from tests.outcomes.factories import facts

FY = "period=fy-2025"


def _headline(page: str) -> list[str]:
    return re.findall(r'app-figure">([^<]*)<', page)


def _seed(partner, other_partner):
    facts(12, FactKind.RESIDENT_REGISTERED, date(2025, 5, 1), partner)
    facts(3, FactKind.RESIDENT_REGISTERED, date(2025, 5, 1), partner,
          local_authority="E08000026")
    facts(40, FactKind.RESIDENT_REGISTERED, date(2025, 6, 1), other_partner)
    db.session.commit()


def test_lead_home_is_the_outcomes_dashboard(client, login_as):
    login_as("lead")
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/outcomes/")


def test_lead_sees_coalition_wide_figures(client, login_as, partner, other_partner):
    _seed(partner, other_partner)
    login_as("lead")
    page = client.get(f"/outcomes/?{FY}").get_data(as_text=True)
    assert "Coalition outcomes" in page
    assert _headline(page)[0] == "55"  # 12 + 3 + 40 residents supported
    assert "Counts of 1 to 7 are shown as *" in page


def test_partner_staff_see_their_own_partner_only(client, login_as, partner, other_partner):
    _seed(partner, other_partner)
    login_as("staff", partner)
    page = client.get(f"/outcomes/?{FY}&partner={other_partner.id}").get_data(as_text=True)
    assert "Your outcomes" in page
    assert _headline(page)[0] == "15"  # 12 + 3, never the other partner's 40
    assert other_partner.name not in page


def test_every_breakdown_and_cross_tab_renders(client, login_as, partner, other_partner):
    _seed(partner, other_partner)
    login_as("lead")
    for rows in ("month", "quarter", "year", "authority", "partner", "imd", "age", "gender",
                 "ethnicity", "disability"):
        response = client.get(f"/outcomes/?{FY}&rows={rows}&cols=quarter"
                              if rows != "quarter" else f"/outcomes/?{FY}&rows={rows}")
        assert response.status_code == 200, rows
    page = client.get(f"/outcomes/?{FY}&rows=authority&cols=quarter").get_data(as_text=True)
    assert "Residents supported by local authority and quarter" in page


def test_invalid_filters_get_a_clear_message_not_an_error(client, login_as):
    login_as("lead")
    cases = {
        "period=fy-banana": "Select a period from the list",
        "period=custom&from=2025-02-30&to=2025-03-01": "Enter the start date as a real date",
        "period=custom&from=2025-05-01&to=2025-04-01": "The end date must be the same as",
        "authority=E99999999": "Select a local authority from the list",
        "partner=abc": "Select a partner from the list",
        "partner=999999": "Select a partner from the list",
        "rows=shoe-size": "Select a breakdown from the list",
        "measure=%3Cscript%3E": "Select a measure from the list",
        "rows=authority&cols=authority": "different from the first",
    }
    for query, message in cases.items():
        response = client.get(f"/outcomes/?{query}")
        assert response.status_code == 200, query
        page = response.get_data(as_text=True)
        assert "There is a problem" in page and message in page, query
        assert client.get(f"/outcomes/report.pdf?{query}").status_code == 400
        assert client.get(f"/outcomes/open-data.zip?{query}").status_code == 400


def test_anonymous_and_no_role_users_cannot_see_outcomes(client, login_as):
    assert client.get("/outcomes/").status_code == 302
    login_as("none")
    assert client.get("/outcomes/").status_code == 403


def test_the_dashboard_has_charts_with_text_and_no_inline_styles(client, login_as, partner,
                                                               other_partner):
    _seed(partner, other_partner)
    login_as("lead")
    page = client.get(f"/outcomes/?{FY}").get_data(as_text=True)
    assert page.count("<svg") >= 2
    assert 'role="img"' in page and "<title id=" in page
    assert "style=" not in page
    assert "<script" not in page.split("<main")[1].split("</main>")[0]
