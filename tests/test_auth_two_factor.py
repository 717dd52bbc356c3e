"""Two-factor sign-in with TOTP: enrolment, the second step, reuse, recovery codes, enforcement.

These tests build the app with MFA_ENFORCED=True (the test config leaves it off so the rest of
the suite can sign partner admins, leads and admins in with a password alone).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from inclusion.audit.models import AuditEntry
from inclusion.auth import mfa
from inclusion.auth.models import RecoveryCode, User
from inclusion.extensions import db, utcnow
from tests import factories

NOW = 1_800_000_000.0  # a fixed moment, so codes and time steps are predictable


@pytest.fixture
def mfa_app(make_app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    application = make_app(MFA_ENFORCED=True)
    monkeypatch.setattr(mfa, "clock", lambda: NOW)
    with application.app_context():
        yield application
        db.session.remove()


@pytest.fixture
def mfa_client(mfa_app: Flask) -> FlaskClient:
    return mfa_app.test_client()


def password_step(client: FlaskClient, user: User) -> Any:
    return client.post("/sign-in", data={"email": user.email, "password": factories.PASSWORD})


def code_at(secret: str, moment: float = NOW) -> str:
    return pyotp.TOTP(secret).at(moment)


def enrolled(role: str, partner: Any = None) -> tuple[User, str]:
    """A user with two-factor sign-in already on; returns the user and the plain secret."""
    user = factories.user_with_role(role, partner=partner)
    secret = pyotp.random_base32()
    user.totp_secret = mfa.encrypt_secret(secret)
    user.totp_enabled_at = utcnow()
    db.session.commit()
    return user, secret


def enrol_through_pages(client: FlaskClient) -> tuple[str, list[str]]:
    page = client.get("/two-factor/set-up").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)  # type: ignore[union-attr]
    done = client.post("/two-factor/set-up", data={"code": code_at(secret)})
    assert done.status_code == 200
    codes = re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", done.get_data(as_text=True))
    return secret, codes


@pytest.mark.parametrize("role", ["partner_admin", "lead", "admin"])
def test_required_roles_without_two_factor_reach_no_page_but_enrolment(
    mfa_app: Flask, mfa_client: FlaskClient, role: str
) -> None:
    user = factories.user_with_role(role)
    db.session.commit()
    response = password_step(mfa_client, user)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/two-factor/set-up")
    for path in ["/", "/residents/", "/partners/users", "/audit/", "/account", "/partners/team"]:
        got = mfa_client.get(path)
        assert got.status_code == 302, path
        assert got.headers["Location"].endswith("/two-factor/set-up"), path
    # Changing things is refused outright, not redirected.
    assert mfa_client.post("/account/password", data={}).status_code == 403
    assert mfa_client.get("/two-factor/set-up").status_code == 200


def test_staff_without_two_factor_are_not_forced_to_enrol(
    mfa_app: Flask, mfa_client: FlaskClient
) -> None:
    user = factories.user_with_role("staff")
    db.session.commit()
    assert password_step(mfa_client, user).headers["Location"].endswith("/")
    assert mfa_client.get("/").status_code == 200


def test_enrolment_shows_a_qr_code_and_the_secret_then_turns_two_factor_on(
    mfa_app: Flask, mfa_client: FlaskClient
) -> None:
    user = factories.user_with_role("partner_admin")
    db.session.commit()
    password_step(mfa_client, user)
    page = mfa_client.get("/two-factor/set-up").get_data(as_text=True)
    assert "<svg" in page and "<img" not in page
    secret, codes = enrol_through_pages(mfa_client)
    assert len(codes) == 10 and len(set(codes)) == 10
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.has_two_factor
    # Stored encrypted, not as the secret itself.
    assert secret not in user.totp_secret and mfa.decrypt_secret(user.totp_secret) == secret
    # Recovery codes are kept only as hashes.
    hashes = db.session.scalars(select(RecoveryCode.code_hash).where(
        RecoveryCode.user_id == user.id)).all()
    assert len(hashes) == 10 and not any(c.replace("-", "") in hashes for c in codes)
    # The session that enrolled has passed the second step.
    assert mfa_client.get("/").status_code == 200


def test_a_wrong_code_at_enrolment_leaves_two_factor_off(
    mfa_app: Flask, mfa_client: FlaskClient
) -> None:
    user = factories.user_with_role("lead")
    db.session.commit()
    password_step(mfa_client, user)
    mfa_client.get("/two-factor/set-up")
    response = mfa_client.post("/two-factor/set-up", data={"code": "000000"})
    assert "There is a problem" in response.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(User, user.id).has_two_factor
    assert mfa_client.get("/").status_code == 302


def test_an_empty_code_re_renders_with_the_error_summary(
    mfa_app: Flask, mfa_client: FlaskClient
) -> None:
    user, _ = enrolled("admin")
    password_step(mfa_client, user)
    response = mfa_client.post("/two-factor", data={"code": ""})
    assert response.status_code == 200
    assert "There is a problem" in response.get_data(as_text=True)


def test_second_step_accepts_the_current_code_and_refuses_a_wrong_one(
    mfa_app: Flask, mfa_client: FlaskClient
) -> None:
    user, secret = enrolled("partner_admin")
    response = password_step(mfa_client, user)
    assert response.headers["Location"].endswith("/two-factor")
    assert mfa_client.get("/").headers["Location"].endswith("/two-factor")
    wrong = mfa_client.post("/two-factor", data={"code": code_at(secret, NOW - 300)})
    assert "There is a problem" in wrong.get_data(as_text=True)
    assert mfa_client.get("/").status_code == 302
    right = mfa_client.post("/two-factor", data={"code": code_at(secret)})
    assert right.status_code == 302
    assert mfa_client.get("/").status_code == 200
    failed = db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "two-factor failed")
    )
    assert failed == 1


def test_a_code_once_used_cannot_be_used_again(
    mfa_app: Flask, mfa_client: FlaskClient
) -> None:
    user, secret = enrolled("admin")
    code = code_at(secret)
    password_step(mfa_client, user)
    assert mfa_client.post("/two-factor", data={"code": code}).status_code == 302

    other = mfa_app.test_client()
    password_step(other, user)
    again = other.post("/two-factor", data={"code": code})
    assert "There is a problem" in again.get_data(as_text=True)
    assert other.get("/partners/users").status_code == 302
    # Nor an older code from before the one accepted.
    assert "There is a problem" in other.post(
        "/two-factor", data={"code": code_at(secret, NOW - 30)}
    ).get_data(as_text=True)


def test_a_recovery_code_works_once_only(mfa_app: Flask, mfa_client: FlaskClient) -> None:
    user = factories.user_with_role("partner_admin")
    db.session.commit()
    password_step(mfa_client, user)
    _, codes = enrol_through_pages(mfa_client)
    mfa_client.post("/sign-out")

    password_step(mfa_client, user)
    assert mfa_client.post("/two-factor", data={"code": codes[3]}).status_code == 302
    assert mfa_client.get("/").status_code == 200
    mfa_client.post("/sign-out")

    password_step(mfa_client, user)
    reused = mfa_client.post("/two-factor", data={"code": codes[3]})
    assert "There is a problem" in reused.get_data(as_text=True)
    assert mfa_client.get("/").status_code == 302
    assert mfa.recovery_codes_left(db.session.get(User, user.id)) == 9


def test_an_enrolled_staff_member_is_asked_for_the_code_even_when_not_required(
    make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    application = make_app()  # MFA_ENFORCED off, as in the rest of the suite
    monkeypatch.setattr(mfa, "clock", lambda: NOW)
    with application.app_context():
        user, secret = enrolled("staff")
        client = application.test_client()
        assert password_step(client, user).headers["Location"].endswith("/two-factor")
        assert client.get("/residents/").status_code == 302
        client.post("/two-factor", data={"code": code_at(secret)})
        assert client.get("/residents/").status_code == 200
        db.session.remove()


def test_the_secret_does_not_decrypt_under_another_secret_key(mfa_app: Flask) -> None:
    stored = mfa.encrypt_secret("JBSWY3DPEHPK3PXP")
    mfa_app.config["SECRET_KEY"] = "a different key"
    assert mfa.decrypt_secret(stored) is None


def test_an_admin_turns_off_a_lost_second_factor_and_the_user_sets_it_up_again(
    mfa_app: Flask, mfa_client: FlaskClient
) -> None:
    user, secret = enrolled("partner_admin")
    theirs = mfa_app.test_client()
    password_step(theirs, user)
    theirs.post("/two-factor", data={"code": code_at(secret)})
    assert theirs.get("/").status_code == 200

    admin, admin_secret = enrolled("admin")
    password_step(mfa_client, admin)
    mfa_client.post("/two-factor", data={"code": code_at(admin_secret)})
    response = mfa_client.post(f"/partners/users/{user.id}/two-factor/off")
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert not user.has_two_factor and user.totp_secret is None
    assert mfa.recovery_codes_left(user) == 0
    assert theirs.get("/").status_code == 302  # signed out everywhere
    assert password_step(theirs, user).headers["Location"].endswith("/two-factor/set-up")


def test_only_a_system_admin_can_turn_off_someones_second_factor(
    mfa_app: Flask, mfa_client: FlaskClient
) -> None:
    user, _ = enrolled("staff")
    partner_admin, pa_secret = enrolled("partner_admin")
    password_step(mfa_client, partner_admin)
    mfa_client.post("/two-factor", data={"code": code_at(pa_secret)})
    assert mfa_client.post(f"/partners/users/{user.id}/two-factor/off").status_code == 403
    db.session.expire_all()
    assert db.session.get(User, user.id).has_two_factor
