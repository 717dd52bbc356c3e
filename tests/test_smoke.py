"""The app starts, answers its health check and signs people in."""

from __future__ import annotations


def test_health_check_reports_version_and_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["database"] is True
    assert body["version"]


def test_staff_sign_in_lands_on_their_partner_home(client, login_as, partner):
    login_as("staff", partner)
    page = client.get("/").get_data(as_text=True)
    assert partner.name in page
    assert "What do you want to do?" in page
