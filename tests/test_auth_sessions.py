"""Server-side session timeouts (idle and absolute, with a controllable clock), session cookie
flags in production, and ending other sessions on a password change or a disabled account."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select

from inclusion import create_app
from inclusion.auth import sessions
from inclusion.auth.models import UserSession
from inclusion.extensions import db, utcnow
from tests import factories


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> Any:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(sessions, "clock", c)
    return c


def test_a_session_ends_after_30_idle_minutes(
    app: Flask, client: FlaskClient, login_as: Any, clock: Clock
) -> None:
    login_as("staff")
    clock.advance(minutes=29)
    assert client.get("/").status_code == 200
    clock.advance(minutes=29)  # active a moment ago, so not idle
    assert client.get("/").status_code == 200
    clock.advance(minutes=31)
    response = client.get("/")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "session ended" in page
    live = db.session.scalars(select(UserSession).where(UserSession.ended_at.is_(None))).all()
    assert live == []


def test_the_idle_timeout_is_configurable(make_app: Any, clock: Clock) -> None:
    application = make_app(SESSION_IDLE_MINUTES=5)
    with application.app_context():
        user = factories.user_with_role("staff")
        db.session.commit()
        client = application.test_client()
        client.post("/sign-in", data={"email": user.email, "password": factories.PASSWORD})
        clock.advance(minutes=6)
        assert client.get("/").status_code == 302
        db.session.remove()


def test_a_session_ends_12_hours_after_sign_in_however_busy(
    app: Flask, client: FlaskClient, login_as: Any, clock: Clock
) -> None:
    login_as("staff")
    for _ in range(11 * 3):  # a request every 20 minutes for 11 hours
        clock.advance(minutes=20)
        assert client.get("/").status_code == 200
    clock.advance(minutes=61)
    assert client.get("/").status_code == 302
    # The old cookie is dead for good, even with the clock back.
    clock.advance(hours=-2)
    assert client.get("/").status_code == 302


def test_production_session_cookie_is_host_prefixed_secure_httponly_and_lax(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    app = create_app("production")
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-session"
    with app.test_request_context("/"):
        from flask import session

        session["sid"] = "value"
        response = app.response_class("ok")
        app.session_interface.save_session(app, session, response)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Path=/" in cookie and "Domain" not in cookie
    with app.app_context():
        db.engine.dispose()


def test_test_cookie_is_httponly_and_lax_but_not_secure(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    user = factories.user_with_role("staff")
    db.session.commit()
    client.post("/sign-out")
    response = client.post(
        "/sign-in", data={"email": user.email, "password": factories.PASSWORD}
    )
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def _second_client_signed_in(app: Flask, email: str) -> FlaskClient:
    other = app.test_client()
    other.post("/sign-in", data={"email": email, "password": factories.PASSWORD})
    assert other.get("/").status_code == 200
    return other


def test_changing_the_password_ends_the_users_other_sessions_only(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    user = login_as("staff")
    other = _second_client_signed_in(app, user.email)
    response = client.post(
        "/account/password",
        data={
            "current_password": factories.PASSWORD,
            "password": "a brand new passphrase for me",
            "confirm": "a brand new passphrase for me",
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302
    # The new password works for a fresh sign-in.
    fresh = app.test_client()
    signed = fresh.post(
        "/sign-in", data={"email": user.email, "password": "a brand new passphrase for me"}
    )
    assert signed.status_code == 302 and fresh.get("/").status_code == 200


def test_a_wrong_current_password_changes_nothing(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    user = login_as("staff")
    before = user.password_hash
    other = _second_client_signed_in(app, user.email)
    response = client.post(
        "/account/password",
        data={
            "current_password": "not my password at all",
            "password": "a brand new passphrase for me",
            "confirm": "a brand new passphrase for me",
        },
    )
    assert response.status_code == 200
    assert "There is a problem" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(user), user.id).password_hash == before
    assert other.get("/").status_code == 200


def test_a_weak_new_password_is_refused(app: Flask, client: FlaskClient, login_as: Any) -> None:
    login_as("staff")
    response = client.post(
        "/account/password",
        data={"current_password": factories.PASSWORD, "password": "short", "confirm": "short"},
    )
    assert "There is a problem" in response.get_data(as_text=True)
    assert "12 characters" in response.get_data(as_text=True)


def test_disabling_a_user_ends_their_sessions(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    target = factories.user_with_role("staff")
    db.session.commit()
    theirs = _second_client_signed_in(app, target.email)
    login_as("admin")
    assert client.post(f"/partners/users/{target.id}/disable").status_code == 302
    assert theirs.get("/").status_code == 302


def test_an_ordinary_page_view_does_not_send_the_session_cookie_again(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    login_as("staff")
    assert client.get("/").status_code == 200  # the first page picks the acting partner
    again = client.get("/residents/")
    assert again.status_code == 200
    assert not [c for c in again.headers.getlist("Set-Cookie") if c.startswith("session=")]


def test_a_removed_membership_stops_access_on_the_next_request(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    from inclusion.tenancy import Membership

    user = login_as("staff")
    assert client.get("/residents/").status_code == 200
    db.session.execute(delete(Membership).where(Membership.user_id == user.id))
    db.session.commit()
    assert client.get("/residents/").status_code == 403
