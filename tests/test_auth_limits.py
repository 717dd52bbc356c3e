"""Rate limits (Flask-Limiter, in memory or in Redis) and the upload size limit."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask

from inclusion.extensions import db, limiter
from tests import factories

REDIS_URL = "redis://127.0.0.1:6379"


def _limited_app(make_app: Any, **config: Any) -> Flask:
    application = make_app(
        RATELIMIT_ENABLED=True,
        RATE_LIMIT_SIGN_IN="3 per minute",
        RATE_LIMIT_TWO_FACTOR="3 per minute",
        RATE_LIMIT_PASSWORD_RESET="2 per minute",
        **config,
    )
    with application.app_context():
        limiter.reset()
    return application


def _sign_in_attempts(application: Flask, count: int) -> list[Any]:
    client = application.test_client()
    return [
        client.post("/sign-in", data={"email": "nobody@example.org", "password": "wrong " * 3})
        for _ in range(count)
    ]


def test_too_many_sign_in_posts_get_a_429_page_with_a_clear_message(make_app: Any) -> None:
    application = _limited_app(make_app)
    with application.app_context():
        responses = _sign_in_attempts(application, 4)
        assert [r.status_code for r in responses[:3]] == [200, 200, 200]
        assert responses[3].status_code == 429
        page = responses[3].get_data(as_text=True)
        assert "Too many attempts" in page and "Wait a minute" in page
        # Reading the page is not limited, only posting to it.
        assert application.test_client().get("/sign-in").status_code == 200
        db.session.remove()


def test_the_two_factor_step_is_rate_limited(make_app: Any) -> None:
    application = _limited_app(make_app)
    with application.app_context():
        from inclusion.auth import mfa
        from inclusion.extensions import utcnow

        user = factories.user_with_role("staff")
        user.totp_secret = mfa.encrypt_secret(mfa.new_secret())
        user.totp_enabled_at = utcnow()
        db.session.commit()
        client = application.test_client()
        client.post("/sign-in", data={"email": user.email, "password": factories.PASSWORD})
        codes = [client.post("/two-factor", data={"code": "123456"}).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        db.session.remove()


def test_password_reset_requests_are_rate_limited(make_app: Any) -> None:
    application = _limited_app(make_app)
    with application.app_context():
        client = application.test_client()
        statuses = [
            client.post("/reset-password", data={"email": "a@example.org"}).status_code
            for _ in range(3)
        ]
        assert statuses == [200, 200, 429]
        assert client.get("/reset-password/some-token").status_code == 404
        db.session.remove()


def test_limits_are_off_in_the_test_config(make_app: Any) -> None:
    application = make_app(RATE_LIMIT_SIGN_IN="3 per minute")
    with application.app_context():
        client = application.test_client()
        statuses = {
            client.post(
                "/sign-in", data={"email": f"nobody{n}@example.org", "password": "wrong pass"}
            ).status_code
            for n in range(6)
        }
        assert statuses == {200}
        db.session.remove()


def _redis_reachable() -> bool:
    try:
        import redis
    except ImportError:
        return False
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_reachable(), reason="no Redis at 127.0.0.1:6379")
def test_limits_are_counted_in_redis_when_a_storage_uri_is_set(make_app: Any) -> None:
    import redis

    store = redis.Redis.from_url(REDIS_URL)
    before = set(store.keys("*LIMITER*"))
    application = _limited_app(
        make_app,
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=f"inclusion-test-{uuid.uuid4().hex}",
    )
    try:
        with application.app_context():
            responses = _sign_in_attempts(application, 4)
            assert [r.status_code for r in responses] == [200, 200, 200, 429]
            db.session.remove()
        new = set(store.keys("*LIMITER*")) - before
        assert any(b"sign_in" in key for key in new), f"the counts should be in Redis: {new}"
    finally:
        for key in set(store.keys("*LIMITER*")) - before:
            store.delete(key)
        store.close()


def test_the_shared_decorator_limits_any_view(make_app: Any) -> None:
    """The decorator other packages use (SMS resend, webhooks) on a view made here."""
    from inclusion.access import Rule, access
    from inclusion.security import rate_limited

    application = make_app(RATELIMIT_ENABLED=True, RATE_LIMIT_WEBHOOK="2 per minute")

    def hook() -> str:
        return "ok"

    # Limits are registered by the view's name on the one shared limiter: a fresh name per run,
    # so this test's second backend does not count twice.
    hook.__name__ = f"hook_{uuid.uuid4().hex}"
    view = access(Rule.WEBHOOK)(rate_limited("RATE_LIMIT_WEBHOOK")(hook))
    application.add_url_rule("/test-hook", "test_hook", view, methods=["POST"])
    with application.app_context():
        limiter.reset()
        client = application.test_client()
        assert [client.post("/test-hook").status_code for _ in range(3)] == [200, 200, 429]
        db.session.remove()


def test_a_request_over_the_size_limit_gets_a_clear_413_page(app: Flask) -> None:
    client = app.test_client()
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1024)
    response = client.post(
        "/sign-in", data=big, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "The file is too large" in page and "10 MB" in page and "Nothing was saved" in page


def test_an_oversized_text_field_gets_the_413_page_too(app: Flask) -> None:
    """Under MAX_CONTENT_LENGTH, but one non-file field bigger than MAX_FORM_MEMORY_SIZE."""
    boundary = "b0undary"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\n"
        + "x" * 600_000
        + f"\r\n--{boundary}--\r\n"
    ).encode()
    response = app.test_client().post(
        "/sign-in", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 413
    assert "The file is too large" in response.get_data(as_text=True)
