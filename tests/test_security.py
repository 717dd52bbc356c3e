"""CSRF, security headers, caching of personal pages, and production start-up checks."""

from __future__ import annotations

import re

import pytest

from inclusion import create_app
from inclusion.auth.models import UserSession
from inclusion.config import ConfigurationError
from inclusion.extensions import db
from tests import factories


def _csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert match, "the form carries a CSRF token"
    return match.group(1)


def test_csrf_is_enforced_when_enabled(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        user = factories.user_with_role("staff")
        db.session.commit()
        email = user.email
    without = client.post("/sign-in", data={"email": email, "password": factories.PASSWORD})
    assert without.status_code == 400
    assert "The form had expired" in without.get_data(as_text=True)

    token = _csrf_token(client.get("/sign-in").get_data(as_text=True))
    signed_in = client.post(
        "/sign-in", data={"email": email, "password": factories.PASSWORD, "csrf_token": token}
    )
    assert signed_in.status_code == 302

    # A signed-in form without the token (a cross-site post) is refused and changes nothing.
    forged = client.post("/sign-out")
    assert forged.status_code == 400
    with app.app_context():
        assert db.session.scalars(db.select(UserSession)).one().ended_at is None
    assert client.get("/").status_code == 200
    page = client.get("/").get_data(as_text=True)
    assert client.post("/sign-out", data={"csrf_token": _csrf_token(page)}).status_code == 302


def test_every_response_carries_the_security_headers(client):
    response = client.get("/sign-in")
    csp = response.headers["Content-Security-Policy"]
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in csp.split(";") if part.strip()
    )
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert "'unsafe-inline'" not in directives.get("style-src", "")
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer",
                                                   "strict-origin-when-cross-origin")
    assert "Strict-Transport-Security" not in response.headers  # not in development or tests
    assert client.get("/healthz").headers["X-Content-Type-Options"] == "nosniff"
    not_found = client.get("/no-such-page")
    assert not_found.status_code == 404
    assert "frame-ancestors 'none'" in not_found.headers["Content-Security-Policy"]
    assert not_found.headers["X-Content-Type-Options"] == "nosniff"


def test_inline_scripts_carry_the_nonce_and_no_inline_styles(client, login_as, partner):
    login_as("partner_admin", partner)
    for url in ("/", "/partners/team", "/partners/team/invite", "/audit/"):
        response = client.get(url)
        page = response.get_data(as_text=True)
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
        for tag in re.findall(r"<script\b[^>]*>", page):
            if "src=" not in tag:
                assert nonce and f'nonce="{nonce.group(1)}"' in tag, (url, tag)
        assert not re.search(r"\sstyle=", page), url
        assert not re.search(r"\son[a-z]+=", page), url  # no inline event handlers


def test_signed_in_pages_are_never_cached(client, login_as, partner):
    assert "no-store" not in client.get("/sign-in").headers.get("Cache-Control", "")
    login_as("staff", partner)
    for url in ("/", "/residents/", "/partners/choose"):
        assert client.get(url).headers["Cache-Control"] == "no-store", url


def test_production_sends_hsts_and_secure_cookies(make_app, database_url):
    app = make_app(ENV_NAME="production", SECRET_KEY="a-production-secret-for-this-test")
    response = app.test_client().get("/sign-in")
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["DEMO_ALLOWED"] is False


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"DATABASE_URL": "postgresql://db.example/inclusion"}, "SECRET_KEY"),
        ({"SECRET_KEY": "s3cret-for-the-test"}, "DATABASE_URL"),
        ({}, "SECRET_KEY and DATABASE_URL"),
    ],
)
def test_production_refuses_to_start_without_secret_key_and_database_url(
    monkeypatch, env, missing
):
    for name in ("SECRET_KEY", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("INCLUSION_ENV", "production")
    with pytest.raises(ConfigurationError, match=missing):
        create_app()


def test_an_unknown_environment_name_is_refused(monkeypatch):
    monkeypatch.setenv("INCLUSION_ENV", "staging")
    with pytest.raises(ConfigurationError, match="INCLUSION_ENV"):
        create_app()


def test_a_route_without_an_access_rule_is_refused(make_app):
    app = make_app()

    @app.route("/forgot-to-declare")
    def undeclared() -> str:
        return "should never be served"

    response = app.test_client().get("/forgot-to-declare")
    assert response.status_code == 404
    assert "should never be served" not in response.get_data(as_text=True)


def test_opening_a_resident_page_is_audited_with_who_which_and_when(app, client, login_as):
    from sqlalchemy import select

    from inclusion.audit.models import AuditEntry

    p = factories.make_partner()
    resident = factories.make_resident(p)
    db.session.commit()
    user = login_as("staff", p)
    assert client.get(f"/residents/{resident.id}").status_code == 200
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "resident viewed"))
    assert entry is not None
    assert (entry.user_id, entry.entity_type, entry.entity_id) == (user.id, "resident", resident.id)
    assert entry.partner_id == p.id and entry.at is not None


def test_another_partners_resident_page_is_not_logged_as_viewed(app, client, login_as):
    from sqlalchemy import select

    from inclusion.audit.models import AuditEntry

    resident = factories.make_resident(factories.make_partner())
    db.session.commit()
    login_as("staff")
    assert client.get(f"/residents/{resident.id}").status_code == 404
    assert db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "resident viewed")
    ) is None


def test_database_pool_settings_come_from_the_environment(monkeypatch, make_app):
    monkeypatch.setenv("DATABASE_POOL_SIZE", "3")
    monkeypatch.setenv("DATABASE_MAX_OVERFLOW", "0")
    monkeypatch.setenv("DATABASE_POOL_RECYCLE_SECONDS", "1800")
    monkeypatch.setenv("DATABASE_POOL_PRE_PING", "false")
    app = make_app()
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"] == {
        "pool_pre_ping": False, "pool_size": 3, "max_overflow": 0, "pool_recycle": 1800}
    # Unset, the default stays: check each connection as a request takes it.
    for name in ("DATABASE_POOL_SIZE", "DATABASE_MAX_OVERFLOW", "DATABASE_POOL_RECYCLE_SECONDS",
                 "DATABASE_POOL_PRE_PING"):
        monkeypatch.delenv(name)
    assert make_app().config["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_pre_ping": True}


def test_a_pool_size_that_is_not_a_number_is_refused_with_its_name(monkeypatch):
    monkeypatch.setenv("DATABASE_POOL_SIZE", "ten")
    with pytest.raises(ConfigurationError, match="DATABASE_POOL_SIZE must be a whole number"):
        create_app({"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
