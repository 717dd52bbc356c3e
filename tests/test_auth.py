"""Sign-in, throttling, session renewal, sign-out and disabled accounts."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select, update

from inclusion.audit.models import AuditEntry
from inclusion.auth import services, throttle
from inclusion.auth.models import LoginAttempt, UserSession
from inclusion.auth.passwords import common_passwords, password_problem
from inclusion.auth.sessions import SESSION_KEY
from inclusion.extensions import db, utcnow
from tests import factories

GENERIC = "Enter a correct email address and password"


def _sign_in(client, email, password=factories.PASSWORD, address="192.0.2.10", next_url=None):
    url = "/sign-in" + (f"?next={next_url}" if next_url else "")
    return client.post(
        url, data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def _comparable(page: str, email: str) -> str:
    page = page.replace(email, "EMAIL")
    return re.sub(r'nonce="[^"]+"', 'nonce=""', page)


def _audit(action: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    )


def test_sign_in_with_the_right_password_starts_a_server_session(client, partner):
    user = factories.user_with_role("staff", partner=partner)
    db.session.commit()
    response = _sign_in(client, user.email.upper())
    assert response.status_code == 302 and response.headers["Location"] == "/"
    session = db.session.scalars(select(UserSession)).one()
    assert session.user_id == user.id and session.ended_at is None
    assert _audit("signed in") == 1
    assert client.get("/").status_code == 200


def test_unknown_email_wrong_password_and_disabled_account_get_the_same_answer(app, partner):
    user = factories.user_with_role("staff", partner=partner)
    disabled = factories.user_with_role("staff", partner=partner, active=False)
    db.session.commit()
    cases = [
        ("nobody@example.org", factories.PASSWORD),
        (user.email, "wrong password entirely"),
        (disabled.email, factories.PASSWORD),
    ]
    pages = set()
    for email, password in cases:
        response = _sign_in(app.test_client(), email, password)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert GENERIC in page and "There is a problem" in page
        pages.add(_comparable(page, email))
    assert len(pages) == 1
    assert _audit("sign-in failed") == 3
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0


def test_empty_sign_in_form_shows_errors(client):
    page = client.post("/sign-in", data={}).get_data(as_text=True)
    assert "Enter your email address" in page and "Enter your password" in page


def test_repeated_failures_throttle_the_account_even_with_the_right_password(app, partner):
    user = factories.user_with_role("staff", partner=partner)
    db.session.commit()
    limit = app.config["LOGIN_ACCOUNT_FAILURES"]
    for n in range(limit):
        # Different addresses: the account is throttled, not just one address.
        assert _sign_in(app.test_client(), user.email, "wrong guess", f"198.51.100.{n}"
                        ).status_code == 200
    blocked = _sign_in(app.test_client(), user.email, address="203.0.113.99")
    assert blocked.status_code == 429
    assert "Too many attempts to sign in" in blocked.get_data(as_text=True)
    assert _audit("sign-in throttled") == 1
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0


def test_throttling_expires_so_a_real_user_is_not_locked_out_for_long(app, partner):
    user = factories.user_with_role("staff", partner=partner)
    db.session.commit()
    for _ in range(app.config["LOGIN_ACCOUNT_FAILURES"]):
        _sign_in(app.test_client(), user.email, "wrong guess")
    assert _sign_in(app.test_client(), user.email).status_code == 429
    # Move the failures into the past, beyond the lock (a controllable clock for the database).
    db.session.execute(
        update(LoginAttempt).values(at=utcnow() - timedelta(minutes=2))
    )
    db.session.commit()
    assert _sign_in(app.test_client(), user.email).status_code == 302
    # A success clears the account's failures.
    assert db.session.scalar(
        select(func.count()).select_from(LoginAttempt).where(LoginAttempt.succeeded.is_(False))
    ) == 0


def test_the_lock_doubles_but_never_exceeds_the_cap(app):
    email, address = "target@example.org", "192.0.2.50"
    now = utcnow()
    for n in range(60):
        db.session.add(LoginAttempt(email=email, address=f"10.0.0.{n}", succeeded=False, at=now))
    db.session.commit()
    cap = app.config["LOGIN_MAX_LOCK_SECONDS"]
    with app.test_request_context():
        wait = throttle.seconds_until_allowed(email=email, address=address, now=now)
        assert 0 < wait <= cap
        later = now + timedelta(seconds=cap + 1)
        assert throttle.seconds_until_allowed(email=email, address=address, now=later) == 0


def test_many_failures_from_one_address_throttle_that_address_only(make_app):
    app = make_app(LOGIN_ADDRESS_FAILURES=3)
    with app.app_context():
        user = factories.user_with_role("staff")
        db.session.commit()
        for n in range(3):
            _sign_in(app.test_client(), f"guess{n}@example.org", "wrong", "192.0.2.66")
        from_attacker = _sign_in(app.test_client(), user.email, address="192.0.2.66")
        assert from_attacker.status_code == 429
        from_elsewhere = _sign_in(app.test_client(), user.email, address="192.0.2.67")
        assert from_elsewhere.status_code == 302
        db.session.remove()


def test_sign_in_discards_the_earlier_session_and_issues_a_new_id(client, partner):
    user = factories.user_with_role("staff", partner=partner)
    db.session.commit()
    with client.session_transaction() as planted:
        planted[SESSION_KEY] = "planted-by-an-attacker"
        planted["partner_id"] = 424242
    _sign_in(client, user.email)
    with client.session_transaction() as session:
        first = session[SESSION_KEY]
        assert first != "planted-by-an-attacker"
        assert "partner_id" not in session or session["partner_id"] == partner.id
    old_cookie = client.get_cookie("session").value

    client.post("/sign-out")
    _sign_in(client, user.email)
    with client.session_transaction() as session:
        assert session[SESSION_KEY] != first
    replay = client.application.test_client()
    replay.set_cookie("session", old_cookie)
    response = replay.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_signing_in_again_over_a_live_session_ends_the_old_one(app, client, partner):
    user = factories.user_with_role("staff", partner=partner)
    db.session.commit()
    _sign_in(client, user.email)
    old_cookie = client.get_cookie("session").value
    with client.session_transaction() as session:
        old_token = session[SESSION_KEY]
    with app.test_request_context():
        from flask import session as request_session

        from inclusion.auth import sessions

        request_session[SESSION_KEY] = old_token
        sessions.start_session(user)
        assert request_session[SESSION_KEY] != old_token
        db.session.commit()
    replay = app.test_client()
    replay.set_cookie("session", old_cookie)
    assert replay.get("/").status_code == 302
    assert db.session.scalar(
        select(func.count()).select_from(UserSession).where(UserSession.ended_at.is_(None))
    ) == 1


def test_sign_out_ends_the_session_on_the_server(app, client, partner):
    user = factories.user_with_role("staff", partner=partner)
    db.session.commit()
    _sign_in(client, user.email)
    cookie = client.get_cookie("session").value
    copy = app.test_client()
    copy.set_cookie("session", cookie)
    assert copy.get("/").status_code == 200

    assert client.post("/sign-out").status_code == 302
    assert db.session.scalars(select(UserSession)).one().ended_at is not None
    assert client.get("/").status_code == 302
    replay = copy.get("/residents/")
    assert replay.status_code == 302 and replay.headers["Location"].startswith("/sign-in")
    assert copy.post("/partners/team/invite", data={"email": "x@example.org"}).status_code == 401
    assert _audit("signed out") == 1


def test_a_disabled_users_next_request_is_refused(client, partner):
    user = factories.user_with_role("staff", partner=partner)
    db.session.commit()
    _sign_in(client, user.email)
    assert client.get("/residents/").status_code == 200
    # Switched off directly (not through the service that ends sessions): still refused.
    user.active = False
    db.session.commit()
    response = client.get("/residents/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_disabling_through_the_service_ends_every_session(app, partner):
    user = factories.user_with_role("staff", partner=partner)
    db.session.commit()
    clients = [app.test_client(), app.test_client()]
    for c in clients:
        _sign_in(c, user.email)
    services.set_active(user=user, active=False)
    db.session.commit()
    assert all(s.ended_at for s in db.session.scalars(select(UserSession)))
    user.active = True  # even re-enabled, the old sessions stay ended
    db.session.commit()
    for c in clients:
        assert c.get("/").status_code == 302


def test_next_parameter_only_redirects_within_the_site(client, partner):
    user = factories.user_with_role("staff", partner=partner)
    db.session.commit()
    response = _sign_in(client, user.email, next_url="//evil.example/steal")
    assert response.headers["Location"] == "/"
    client.post("/sign-out")
    response = _sign_in(client, user.email, next_url="/residents/")
    assert response.headers["Location"] == "/residents/"


def test_password_policy_refuses_short_common_and_email_passwords():
    assert "12 characters" in password_problem("short pass")
    common = next(p for p in common_passwords() if len(p) >= 12)
    assert "too common" in password_problem(common)
    assert "too common" in password_problem(common.upper())
    assert "too common" in password_problem("aaaaaaaaaaaaaaaa")
    assert "email" in password_problem("someone@example.org", email="Someone@example.org")
    assert password_problem("x" * 257) is not None
    assert password_problem("plum orchard lantern seven") is None
    assert len(common_passwords()) == 10_000


def test_passwords_are_stored_as_argon2_hashes(app):
    user = services.create_user(email="New@Example.org", name="N", password="plum orchard lantern")
    assert user.email == "new@example.org"
    assert user.password_hash.startswith("$argon2id$")
    assert "plum" not in user.password_hash
    db.session.rollback()
