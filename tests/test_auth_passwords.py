"""Password reset links: emailed or issued by an admin, hashed, single-use, expiring, the same
answer for every email, and never a way around the second factor."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from inclusion.auth import mfa
from inclusion.auth.models import PasswordReset, User
from inclusion.extensions import db, utcnow
from tests import factories
from tests.smtp_sink import smtp_sink

NEW_PASSWORD = "violet lantern orbit marmalade"


def _issue_as_admin(client: FlaskClient, login_as: Any, user: User) -> str:
    login_as("admin")
    page = client.post(f"/partners/users/{user.id}/reset-link").get_data(as_text=True)
    link = re.search(r'id="reset-link">([^<]+)<', page).group(1)  # type: ignore[union-attr]
    client.post("/sign-out")
    return link.split("localhost", 1)[1]


def _reset(client: FlaskClient, path: str, password: str = NEW_PASSWORD) -> Any:
    return client.post(path, data={"password": password, "confirm": password})


def _can_sign_in(app: Flask, email: str, password: str) -> bool:
    fresh = app.test_client()
    fresh.post("/sign-in", data={"email": email, "password": password})
    return fresh.get("/").status_code == 200


def test_an_admin_issued_link_sets_a_new_password_once_only(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    user = factories.user_with_role("staff")
    db.session.commit()
    path = _issue_as_admin(client, login_as, user)
    stored = db.session.scalar(select(PasswordReset).where(PasswordReset.user_id == user.id))
    token = path.rsplit("/", 1)[1]
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.token_hash

    assert client.get(path).status_code == 200
    response = _reset(client, path)
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert _can_sign_in(app, user.email, NEW_PASSWORD)
    assert not _can_sign_in(app, user.email, factories.PASSWORD)

    again = _reset(client, path, "another fine passphrase here")
    assert again.status_code == 404
    assert "This link does not work" in again.get_data(as_text=True)
    assert _can_sign_in(app, user.email, NEW_PASSWORD)


def test_an_expired_link_does_not_work(app: Flask, client: FlaskClient, login_as: Any) -> None:
    user = factories.user_with_role("staff")
    db.session.commit()
    path = _issue_as_admin(client, login_as, user)
    reset = db.session.scalar(select(PasswordReset).where(PasswordReset.user_id == user.id))
    reset.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(path).status_code == 404
    assert _reset(client, path).status_code == 404
    assert _can_sign_in(app, user.email, factories.PASSWORD)


def test_a_new_link_replaces_the_old_one(app: Flask, client: FlaskClient, login_as: Any) -> None:
    user = factories.user_with_role("staff")
    db.session.commit()
    first = _issue_as_admin(client, login_as, user)
    second = _issue_as_admin(client, login_as, user)
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_a_weak_password_on_the_reset_page_changes_nothing(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    user = factories.user_with_role("staff")
    db.session.commit()
    path = _issue_as_admin(client, login_as, user)
    response = _reset(client, path, "password")
    assert response.status_code == 200
    assert "There is a problem" in response.get_data(as_text=True)
    assert client.get(path).status_code == 200  # still usable
    assert _can_sign_in(app, user.email, factories.PASSWORD)


def test_resetting_ends_every_session_the_user_had(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    user = factories.user_with_role("staff")
    db.session.commit()
    theirs = app.test_client()
    theirs.post("/sign-in", data={"email": user.email, "password": factories.PASSWORD})
    assert theirs.get("/").status_code == 200
    path = _issue_as_admin(client, login_as, user)
    _reset(client, path)
    assert theirs.get("/").status_code == 302


def test_only_system_admins_issue_links(app: Flask, client: FlaskClient, login_as: Any) -> None:
    user = factories.user_with_role("staff")
    db.session.commit()
    login_as("partner_admin")
    assert client.post(f"/partners/users/{user.id}/reset-link").status_code == 403
    assert db.session.scalar(select(PasswordReset)) is None


def test_a_reset_never_skips_the_second_factor(
    make_app: Any, login_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    application = make_app(MFA_ENFORCED=True)
    moment = 1_800_000_000.0
    monkeypatch.setattr(mfa, "clock", lambda: moment)
    with application.app_context():
        user = factories.user_with_role("partner_admin")
        secret = pyotp.random_base32()
        user.totp_secret = mfa.encrypt_secret(secret)
        user.totp_enabled_at = utcnow()
        db.session.flush()
        from inclusion.auth import services

        with application.test_request_context("/"):
            token = services.issue_password_reset(user=user)
        db.session.commit()
        client = application.test_client()
        response = _reset(client, f"/reset-password/{token}")
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
        assert client.get("/").status_code == 302  # not signed in by the reset
        signed = client.post("/sign-in", data={"email": user.email, "password": NEW_PASSWORD})
        assert signed.headers["Location"].endswith("/two-factor")
        assert client.get("/").headers["Location"].endswith("/two-factor")
        client.post("/two-factor", data={"code": pyotp.TOTP(secret).at(moment)})
        assert client.get("/").status_code == 200
        db.session.remove()


def test_asking_for_a_reset_answers_the_same_whether_or_not_the_email_exists(
    make_app: Any,
) -> None:
    with smtp_sink() as sink:
        application = make_app(SMTP_HOST=sink.host, SMTP_PORT=sink.port)
        with application.app_context():
            user = factories.user_with_role("staff")
            db.session.commit()
            email = user.email
            client = application.test_client()
            known = client.post("/reset-password", data={"email": email.upper()})
            unknown = client.post("/reset-password", data={"email": "nobody@example.org"})
            assert known.status_code == unknown.status_code == 200
            strip = lambda r: re.sub(r'(value|nonce)="[^"]*"', "", r.get_data(as_text=True))  # noqa: E731
            assert strip(known) == strip(unknown)
            assert "Check your email" in known.get_data(as_text=True)
            db.session.remove()
    assert len(sink.messages) == 1
    assert sink.recipients == [[email]]
    body = sink.messages[0].get_payload(decode=True).decode()
    path = re.search(r"http://localhost(/reset-password/\S+)", body).group(1)  # type: ignore[union-attr]
    with application.app_context():
        client = application.test_client()
        assert _reset(client, path).status_code == 302
        assert _can_sign_in(application, email, NEW_PASSWORD)
        db.session.remove()


def test_without_smtp_asking_for_a_reset_creates_nothing(app: Flask, client: FlaskClient) -> None:
    user = factories.user_with_role("staff")
    db.session.commit()
    response = client.post("/reset-password", data={"email": user.email})
    assert "Check your email" in response.get_data(as_text=True)
    assert db.session.scalar(select(PasswordReset)) is None


def test_an_empty_reset_request_shows_the_error_summary(app: Flask, client: FlaskClient) -> None:
    response = client.post("/reset-password", data={"email": ""})
    assert "There is a problem" in response.get_data(as_text=True)


def test_a_made_up_token_gets_the_dead_link_page(app: Flask, client: FlaskClient) -> None:
    assert client.get("/reset-password/not-a-real-token").status_code == 404
    assert client.get("/reset-password/" + "x" * 500).status_code == 404
