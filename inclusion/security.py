"""Security headers on every response, with a per-request nonce for the one inline script."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g
from flask_login import current_user
from werkzeug.wrappers import Response


def rate_limited(config_key: str, *, methods: tuple[str, ...] = ("POST",)) -> Callable[..., Any]:
    """Limit a view per client address with the shared limiter, the limit read from config.

    Use it under @access, e.g. for the SMS resend and webhook views:

        @bp.route("/<int:id>/resend", methods=["POST"])
        @access(Rule.STAFF)
        @rate_limited("RATE_LIMIT_SMS_RESEND")
        def resend(id): ...

        @rate_limited("RATE_LIMIT_WEBHOOK")   # for WEBHOOK views

    Over the limit the user gets the 429 "Too many attempts" page. Counts live in memory by
    default, or in Redis when RATELIMIT_STORAGE_URI is set; RATELIMIT_ENABLED=False turns
    every limit off (the test config does).
    """
    from inclusion.extensions import limiter

    return limiter.limit(
        lambda: str(current_app.config[config_key]),
        methods=list(methods),
        error_message="Too many attempts",
    )


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)


def _headers(response: Response) -> Response:
    from flask import current_app

    nonce = g.get("csp_nonce")
    script_src = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; "
        f"script-src {script_src}; "
        "style-src 'self'; img-src 'self' data:; font-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if current_app.config.get("HSTS"):
        response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    # Pages for signed-in users can show personal data: never keep them in any cache.
    # (is_anonymous, not is_authenticated: the latter reads the user row, which a commit in
    # the view has expired, and would load it again just for this header.)
    if not current_user.is_anonymous and not response.headers.get("Cache-Control"):
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(_headers)

    @app.context_processor
    def _nonce() -> dict[str, Any]:
        return {"cspNonce": csp_nonce()}
